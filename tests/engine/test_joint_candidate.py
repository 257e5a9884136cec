"""The joint ridge candidate (``candidates = ["joint", ...]``, policies/joint_ridge_learner.py)
in the engine: it serves and learns, every candidate resumes after a restart or a crash (also
with features in table slots, under Thompson sampling, and with its scale falling with each
action's own evidence), its snapshot serves the same, bad
settings are refused naming the field, a checkpoint of another setting is refused."""

from __future__ import annotations

import re

import numpy as np
import pytest

from engine.clock import ManualClock
from engine.errors import CheckpointError, ConfigError
from tests.engine.engine_world import (
    OPEN_RULES,
    T0,
    check_resumes_after_restart_and_crash,
    context,
    make_engine,
    probe,
    stream,
)

JOINT_FIRST = ["joint", "ridge", "squarecb"]
# the shared-attribute default since stop 43: the joint ridge first, RegCB-opt beside it on trial
JOINT_REGCB = ["joint", "regcb"]
# features in slots given in order (slots = "table"), for the joint and the ridge
TABLE_FIRST = [{"name": "joint", "exploration": "joint", "slots": "table"},
               {"name": "ridge", "exploration": "ridge", "slots": "table"}, "squarecb"]
# Thompson sampling, its pool redrawn every 30 rewards: a crash's replay of 50 rewards after a
# checkpoint draws pools again (at 420 and 450 below), which must be the same pools
THOMPSON_FIRST = [{"name": "joint", "exploration": "joint", "thompson": 0.5, "redraw": 30},
                  "ridge", "squarecb"]
# the context's segment alone (context_keys), under Thompson sampling as the default's joint
SEGMENT_FIRST = [{"name": "joint", "exploration": "joint", "context_keys": ["segment"],
                  "thompson": 0.5, "pool": "perturbed", "redraw": 30}, "ridge", "squarecb"]
# Thompson sampling's scale falling with each action's own evidence (thompson_counts)
EVIDENCE_FIRST = [{"name": "joint", "exploration": "joint", "thompson": 0.5,
                   "thompson_final": 0.2, "thompson_halfway": 30, "thompson_counts": "evidence",
                   "pool": "perturbed", "redraw": 30}, "ridge", "squarecb"]
# the contact history left out of the joint ridge's slots, in a table (where it must not take
# one) under the default's Thompson sampling
HISTORY_LEFT_OUT = [{"name": "joint", "exploration": "joint", "history": "left_out",
                     "slots": "table", "thompson": 0.5, "pool": "perturbed", "redraw": 30},
                    "ridge", "squarecb"]
KINDS = pytest.mark.parametrize("candidates",
                                [JOINT_FIRST, TABLE_FIRST, THOMPSON_FIRST, SEGMENT_FIRST,
                                 EVIDENCE_FIRST, HISTORY_LEFT_OUT],
                                ids=["joint", "table", "thompson", "segment", "evidence",
                                     "history"])


def test_the_joint_candidate_serves_and_learns_the_segments_best_actions(tmp_path):
    """Catches a joint candidate that is not the one serving, or that the engine does not
    teach (probabilities still uniform after 400 rewards)."""
    with make_engine(tmp_path, candidates=JOINT_FIRST) as eng:
        stream(eng, 0, 400)
        assert eng.stats()["serving_learner"] == "joint"
        assert eng.stats()["exploration"] == "joint"
        joint = eng._selection.learners["joint"]
        assert joint.rewards_learned == 400
        for i, best in ((0, ("welcome", "email")), (1, ("winback", "sms"))):  # segments a, b
            picks = [eng.choose(f"probe{i}_{k}", context(i), now=T0 + 500) for k in range(100)]
            assert sum((d.message, d.channel) == best for d in picks) > 60  # uniform: ~20


@KINDS
def test_every_candidate_resumes_after_a_restart_and_after_a_crash(tmp_path, candidates):
    """Catches joint state missing from the checkpoint (inverse, weights, reward count, the
    slot table, Thompson sampling's pool), or a replay that relearns or skips rewards or draws
    other pools: the restarted candidates equal the uninterrupted ones bit for bit."""
    check_resumes_after_restart_and_crash(tmp_path, candidates, "joint")


@pytest.mark.parametrize("table, field", [
    ({"name": "j", "exploration": "joint", "dim": 100}, "candidates[0].dim"),
    ({"name": "j", "exploration": "joint", "l2": 0}, "candidates[0].l2"),
    ({"name": "j", "exploration": "joint", "max_dim": 1}, "candidates[0].max_dim"),
    ({"name": "j", "exploration": "joint", "forget": 1.5}, "candidates[0].forget"),
    ({"name": "j", "exploration": "joint", "epsilon": 0.1}, "candidates[0].epsilon"),
    ({"name": "j", "exploration": "joint", "context_keys": "segment"},
     "candidates[0].context_keys"),
    ({"name": "j", "exploration": "joint", "history": "none"}, "candidates[0].history"),
    ({"name": "j", "exploration": "joint", "thompson": 0.5, "thompson_final": 0.2,
      "thompson_halfway": 30, "thompson_counts": "own", "pool": "perturbed"},
     "candidates[0].thompson_counts"),
])
def test_bad_joint_settings_are_refused_naming_the_field(tmp_path, table, field):
    with pytest.raises(ConfigError, match="^" + re.escape(field)):
        make_engine(tmp_path / "s", candidates=[table])
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())


def test_a_checkpoint_of_another_joint_setting_is_refused(tmp_path):
    with make_engine(tmp_path, candidates=[{"name": "j", "exploration": "joint", "dim": 8}]):
        pass
    with pytest.raises(CheckpointError, match="learner_config"):
        make_engine(tmp_path, candidates=[{"name": "j", "exploration": "joint", "dim": 16}])


@KINDS
def test_a_snapshot_of_the_joint_candidate_serves_its_estimates_in_batch(tmp_path, candidates):
    """Catches a snapshot that does not reopen as the joint learner (the fleet and campaigns
    read it by its fingerprint), or a batch scorer that is not its estimates (one that hashed
    the features a table placed)."""
    from engine.candidate_learners import batch_scorer
    from engine.snapshots import learner_from, snapshot_of
    from tests.engine.engine_world import PROBES

    with make_engine(tmp_path, candidates=candidates) as eng:
        stream(eng, 0, 300)
        joint = eng._selection.learners["joint"]
        spec = eng.options.candidate("joint")
        snap = snapshot_of(joint, eng.catalog, spec.config, learned_seq=300, learner_name="joint")
        want = np.array([joint.estimates(p) for p in PROBES])
        with learner_from(snap, eng.catalog) as served:
            assert type(served).__name__ == "JointRidgeLearner"
            np.testing.assert_array_equal([served.estimates(p) for p in PROBES], want)
            np.testing.assert_array_equal([served.probabilities(p) for p in PROBES],
                                          [joint.probabilities(p) for p in PROBES])
            np.testing.assert_allclose(batch_scorer(served).scores(PROBES), want, rtol=0,
                                       atol=1e-12)


def test_the_default_is_chosen_by_the_catalogs_structure(tmp_path):
    """Catches a default that ignores the catalog: actions sharing a message or a channel get
    the joint ridge first, RegCB-opt beside it on a trial of 0.1 growing to 0.9; one message
    per action (nothing shared) and a catalog past the joint model's max_dim get the
    one-message default, without a trial; candidates given are never replaced, nor a trial or
    rule the caller set."""
    from engine import Engine
    from engine.candidates import DEFAULT_CANDIDATES, default_candidates
    from engine.catalog import Catalog
    from engine.features import action_feature_sets

    with make_engine(tmp_path / "grid") as eng:  # 2 messages x 2 channels: shared
        assert [c.name for c in eng.options.candidate_specs] == JOINT_REGCB
        assert eng.stats()["serving_learner"] == "joint"
        assert eng.options.candidate("regcb").config.exploration == "regcbopt"
        joint = eng.options.candidate("joint").config
        assert (joint.gamma_scale, joint.l2) == (30.0, 100.0)
        settings = eng.options.selection_settings
        assert (settings.trial_share, settings.trial_share_max) == (0.1, 0.9)
    with make_engine(tmp_path / "tuned", selection={"min_samples": 500}) as eng:
        settings = eng.options.selection_settings  # a field beside the trial keeps the trial
        assert (settings.min_samples, settings.trial_share, settings.trial_share_max) == (
            500, 0.1, 0.9)
    for i, named in enumerate(({"trial_share": 0.0}, {"rule": "unpaired"},
                               {"trial_share": 0.2})):
        with make_engine(tmp_path / f"named{i}", selection=named) as eng:
            settings = eng.options.selection_settings  # the trial or rule named is theirs
            assert settings.trial_share == named.get("trial_share", 0.0)
            assert settings.trial_share_max == 0.0
    with Engine(messages=["d0", "d1", "d2"], channels=["web"], timings=["now"],
                no_contact=False, state_dir=tmp_path / "one") as eng:  # nothing shared
        assert [c.name for c in eng.options.candidate_specs] == ["ridge", "squarecb"]
        assert eng.options.selection_settings.trial_share == 0.0
    with make_engine(tmp_path / "given", candidates=["ridge", "squarecb"]) as eng:
        assert eng.stats()["serving_learner"] == "ridge"
    big = Catalog.from_names([f"m{i}" for i in range(60)], ["email", "sms"], ["now"])
    assert default_candidates(action_feature_sets(big)) == DEFAULT_CANDIDATES  # 33 x 64 > 2048


def test_a_state_folder_made_under_the_earlier_default_resumes_with_it(tmp_path):
    """Catches an upgrade that refuses a state folder written by the catalog-independent
    default (["ridge", "squarecb"], what an engine without ``candidates`` ran before the joint
    ridge existed): opened without ``candidates`` it resumes those models bit for bit, while a
    fresh folder on the same catalog gets the joint ridge first."""
    with make_engine(tmp_path / "old", candidates=["ridge", "squarecb"]) as eng:
        stream(eng, 0, 300)
        before = probe(eng)
    with make_engine(tmp_path / "old") as again:  # no candidates: the default
        assert [c.name for c in again.options.candidate_specs] == ["ridge", "squarecb"]
        assert again.stats()["serving_learner"] == "ridge"
        assert again.stats()["replayed_on_start"] == 0
        np.testing.assert_array_equal(probe(again), before)
        stream(again, 300, 320)  # and goes on learning, checkpointing under that default
    with make_engine(tmp_path / "old") as third:
        assert [c.name for c in third.options.candidate_specs] == ["ridge", "squarecb"]
    with make_engine(tmp_path / "new") as fresh:
        assert [c.name for c in fresh.options.candidate_specs] == JOINT_REGCB


def _shape(joint) -> tuple:
    """What tells the shared defaults apart: penalty, Thompson scale, mix, pool, redraw and
    whether the model reads the contact history."""
    return (joint.l2, joint.thompson, joint.thompson_mix, joint.pool, joint.redraw,
            joint.history)


@pytest.mark.parametrize("earlier_joint, shape", [
    ({"name": "joint", "exploration": "joint", "gamma_scale": 30.0},
     (1.0, 0.0, 0.0, "redrawn", 100, "crossed")),
    ({"name": "joint", "exploration": "joint", "gamma_scale": 30.0, "l2": 100.0},
     (100.0, 0.0, 0.0, "redrawn", 100, "crossed")),
    ({"name": "joint", "exploration": "joint", "gamma_scale": 30.0, "l2": 100.0,
      "thompson": 0.5, "thompson_mix": 0.05}, (100.0, 0.5, 0.05, "redrawn", 100, "crossed")),
    ({"name": "joint", "exploration": "joint", "gamma_scale": 30.0, "l2": 100.0,
      "thompson": 0.5, "thompson_mix": 0.05, "pool": "perturbed", "redraw": 300},
     (100.0, 0.5, 0.05, "perturbed", 300, "crossed")),
    ({"name": "joint", "exploration": "joint", "gamma_scale": 30.0, "l2": 100.0,
      "thompson": 0.5, "thompson_mix": 0.05, "pool": "perturbed", "redraw": 300,
      "history": "left_out"}, (100.0, 0.5, 0.05, "perturbed", 300, "left_out")),
], ids=["before stop 7", "stops 7-13", "stop 14", "stops 15-27", "stops 28-42"])
def test_a_folder_made_under_an_earlier_shared_default_keeps_it(tmp_path, earlier_joint, shape):
    """Catches an upgrade that refuses a state folder written under an earlier shared-attribute
    default: before stop 7 the joint ridge at penalty 1, in stops 7-13 at penalty 100, both
    under inverse gap weighting at gamma_scale 30, in stop 14 under Thompson sampling 0.5 with
    inverse gap weighting mixed in, its pool redrawn every 100 rewards, in stops 15-27 the
    same with the pool perturbed, drawn afresh every 300, and the contact history crossed with
    every attribute, in stops 28-42 the history left out. Opened without ``candidates`` it
    resumes its models bit for bit, with that configuration and without the trial of today's
    default, while a fresh folder gets today's default (the joint ridge of stops 28-42 first,
    RegCB-opt beside it on trial)."""
    with make_engine(tmp_path / "old", candidates=[earlier_joint, "ridge", "squarecb"]) as eng:
        stream(eng, 0, 300)
        before = probe(eng)
    with make_engine(tmp_path / "old") as again:
        assert _shape(again.options.candidate("joint").config) == shape
        assert again.stats()["serving_learner"] == "joint"
        assert [c.name for c in again.options.candidate_specs] == JOINT_FIRST
        assert again.options.selection_settings.trial_share == 0.0
        assert again.stats()["replayed_on_start"] == 0
        np.testing.assert_array_equal(probe(again), before)
    with make_engine(tmp_path / "new") as fresh:
        assert [c.name for c in fresh.options.candidate_specs] == JOINT_REGCB
        assert fresh.options.selection_settings.trial_share == 0.1
        assert _shape(fresh.options.candidate("joint").config) == (100.0, 0.5, 0.05,
                                                                   "perturbed", 300,
                                                                   "left_out")


def test_the_default_given_explicitly_learns_as_the_default(tmp_path):
    """Catches a defaulted engine that builds or serves its candidates otherwise than one given
    the same candidates and the same trial (a config that pins a default by writing it out,
    as experiments/configs/long_history_capacity.toml does, must measure that default)."""
    from engine.candidates import SHARED_DEFAULT_CANDIDATES, SHARED_DEFAULT_SELECTION

    with make_engine(tmp_path / "defaulted") as defaulted, \
            make_engine(tmp_path / "given", candidates=list(SHARED_DEFAULT_CANDIDATES),
                        selection=dict(SHARED_DEFAULT_SELECTION)) as given:
        assert defaulted.options.candidate_specs == given.options.candidate_specs
        assert defaulted.options.selection_settings == given.options.selection_settings
        for eng in (defaulted, given):
            stream(eng, 0, 300)
        np.testing.assert_array_equal(probe(given), probe(defaulted))


def _one_message_engine(state_dir, **options):
    from engine import Engine

    return Engine(
        messages=["d0", "d1", "d2"], channels=["web"], timings=["now"], no_contact=False,
        state_dir=state_dir, rules=OPEN_RULES, clock=ManualClock(T0), seed=0, **options)


def _one_messagestream(eng, lo: int, hi: int) -> None:
    for i in range(lo, hi):
        ctx = {**context(i), "consent": {"web": True}}
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        eng.reward(d.decision_id, float(d.message == "d" + str(i % 3)), now=T0 + i)


@pytest.mark.parametrize("earlier, ucb, forget", [
    (["ridge", "squarecb"], 0.0, 1.0),
    ([{"name": "ridge", "exploration": "ridge", "ucb": 1.0, "gamma_scale": 100.0}, "squarecb"],
     1.0, 1.0),
])
def test_one_message_catalogs_get_the_optimistic_ridge_and_older_folders_keep_theirs(
        tmp_path, earlier, ucb, forget):
    """Catches a default that does not reach one-message catalogs (the optimistic ridge that
    forgets, ``ucb`` 1 at ``gamma_scale`` 100 and ``forget`` 0.999, serving first) and an
    upgrade that refuses a state folder written under an earlier one-message default (the
    plain ridge, then the optimistic one that did not forget): opened without ``candidates``
    that folder resumes its models bit for bit and keeps its ridge, while a fresh folder gets
    today's."""
    with _one_message_engine(tmp_path / "new") as fresh:
        ridge = fresh.options.candidate("ridge").config
        assert (ridge.ucb, ridge.gamma_scale, ridge.forget) == (1.0, 100.0, 0.999)
        assert fresh.stats()["serving_learner"] == "ridge"
        _one_messagestream(fresh, 0, 50)
    with _one_message_engine(tmp_path / "new") as again:  # its own default resumes too
        assert again.options.candidate("ridge").config.ucb == 1.0
        assert again.stats()["replayed_on_start"] == 0
    with _one_message_engine(tmp_path / "old", candidates=earlier) as old:
        _one_messagestream(old, 0, 200)
        before = probe(old)
    with _one_message_engine(tmp_path / "old") as upgraded:
        config = upgraded.options.candidate("ridge").config
        assert (config.ucb, config.forget) == (ucb, forget)
        assert upgraded.stats()["replayed_on_start"] == 0
        np.testing.assert_array_equal(probe(upgraded), before)


@pytest.mark.parametrize("cross_identity, told", [("untold", True), ("unshared", False)])
def test_the_default_tells_apart_messages_that_share_a_theme(tmp_path, cross_identity, told):
    """Catches the layout before stop 23 in the engine's default: on one channel, two messages
    of one theme, each answered by one segment only, beside a third of its own theme that
    pays 0.3 to both. The joint ridge had only the theme's response to the segment (and a
    constant per message), so at most one segment could be sent its message (200 and 1 of
    200 probes then; 200 and 200 now)."""
    from engine.candidates import JOINT_RIDGE
    from engine.catalog import Catalog, Message

    joint = {**JOINT_RIDGE, "cross_identity": cross_identity}
    msgs = [Message("m0", theme="t0"), Message("m1", theme="t0"), Message("m2", theme="t1")]
    catalog = Catalog.from_names(msgs, ["email"], ["now"], no_contact=False)
    suits = {"a": "m0", "b": "m1"}

    def pay(segment: str, message: str | None) -> float:
        return 1.0 if message == suits[segment] else 0.3 if message == "m2" else 0.0

    with make_engine(tmp_path, catalog=catalog, holdout_fraction=0.0,
                     candidates=[joint, "ridge", "squarecb"]) as eng:
        for i in range(1500):
            seg = "ab"[i % 2]
            d = eng.choose(f"c{i}", {"segment": seg, "consent": {"email": True}}, now=T0 + i)
            eng.reward(d.decision_id, pay(seg, d.message), now=T0 + i)
        assert eng.stats()["serving_learner"] == "joint"
        right = [sum(eng.choose(f"p{s}{k}", {"segment": s, "consent": {"email": True}},
                                now=T0 + 2000).message == suits[s] for k in range(200))
                 for s in "ab"]
    assert (min(right) > 160) is told, right
