"""The suite's variants of the engine's own default (``ridge_fields``, ``joint_fields``,
``extra_candidates``, ``first_candidates`` of the engine contestant): each setting lands on
the candidates it names, both field settings together compose (the second no longer replaces
the first's candidates), extra candidates come after the default's own and first ones before
them."""

from __future__ import annotations

import numpy as np
import pytest

from engine.catalog import Catalog, Message
from experiments.errors import SpecError
from experiments.learning_suite.engine_contestant import EngineContestant, _default_with
from experiments.worlds import make_world

#: two messages of one theme beside one of its own: the actions share a category, so the
#: variants' base is the joint ridge, the ridge and SquareCB (the default of stops 28-42)
THEMED = Catalog.from_names([Message("m0", theme="t0"), Message("m1", theme="t0"),
                             Message("m2", theme="t1")], ["email"], ["now"], no_contact=False)


def _by_name(candidates: list) -> dict:
    return {c["name"] if isinstance(c, dict) else c: c for c in candidates}


def test_ridge_and_joint_fields_compose_on_the_defaults_candidates():
    got = _by_name(_default_with(THEMED, {"number_scale": "raw"},
                                 {"cross_identity": "unshared"}))
    assert got["joint"]["number_scale"] == "raw"
    assert got["joint"]["cross_identity"] == "unshared"
    assert got["ridge"]["number_scale"] == "raw" and "cross_identity" not in got["ridge"]
    assert got["squarecb"] == "squarecb"  # a VW candidate is left as the default names it


def test_joint_fields_alone_leave_the_ridge_candidate_as_it_was():
    got = _by_name(_default_with(THEMED, {}, {"cross_identity": "unshared"}))
    assert got["joint"]["cross_identity"] == "unshared"
    assert set(got["ridge"]) == {"name", "exploration"}


def test_extra_candidates_follow_the_defaults_own():
    extra = {"name": "regcbopt", "exploration": "regcbopt", "history": "left_out"}
    got = _default_with(THEMED, {}, {}, (extra,))
    assert [c["name"] if isinstance(c, dict) else c for c in got] == [
        "joint", "ridge", "squarecb", "regcbopt"]
    assert got[-1] == extra


def test_first_candidates_come_before_the_defaults_own_and_serve_first(tmp_path):
    first = {"name": "regcbloop", "exploration": "regcbopt", "history": "left_out"}
    got = _default_with(THEMED, {}, {}, first=(first,))
    assert [c["name"] if isinstance(c, dict) else c for c in got] == [
        "regcbloop", "joint", "ridge", "squarecb"]
    world = make_world("example_catalog", seed=0, horizon=100)
    with EngineContestant(world, tmp_path, 0, first_candidates=(first,)) as eng:
        stats = eng.engine.stats()
        assert stats["serving_learner"] == "regcbloop"
        assert list(stats["candidates"]) == ["regcbloop", "joint", "ridge", "squarecb"]


def test_the_contestant_reports_provisional_zeros_and_refuses_what_it_cannot_run(tmp_path):
    # rewards_at = "provisional": each decision rewarded 0 as made, a reward other than 0 added
    world = make_world("example_catalog", seed=0, horizon=400)
    with EngineContestant(world, tmp_path / "p", 0, rewards_at="provisional") as eng:
        assert eng.engine.options.reward_mode == "sum"
        nonzero = 0
        while not world.done:
            picks, _ = eng.act(world.observe())
            matured = world.play(picks)
            nonzero += int(np.count_nonzero(matured.rewards))
            eng.learn(matured)
        assert 0 < nonzero < 400
        assert eng.engine.stats()["rewards"] == 400 + nonzero  # a zero each, then corrections
    with pytest.raises(SpecError, match="rewards_at: expected one of due, provisional; got "
                                        "'window_end'"):
        EngineContestant(world, tmp_path / "w", 0, rewards_at="window_end")
    with pytest.raises(SpecError, match=r"reward_mode: .* needs \"sum\"; got 'refuse'"):
        EngineContestant(world, tmp_path / "r", 0, rewards_at="provisional",
                         reward_mode="refuse")
    assert not (tmp_path / "w").exists() and not (tmp_path / "r").exists()


def test_every_learner_of_the_suite_names_a_cell_of_its_own():
    # a cell is found by its label with spaces made underscores: two labels that differ only
    # there would share every cell, and the table would show one's cells as the other's
    from experiments.learning_suite.contestants import ALL_LEARNERS, label_id

    labels = [spec.label for spec in ALL_LEARNERS]
    assert len(set(labels)) == len(labels)
    assert len({label_id(label) for label in labels}) == len(labels)


def test_the_variants_keep_the_default_of_stops_28_to_42_and_the_label_for_it_runs_it(tmp_path):
    """Catches variants that moved with the default (a label measured at an earlier stop would
    measure something else) and an ``earlier_default`` that is not that default as it ran:
    the joint ridge, the ridge and SquareCB, no trial; the engine's own default has the joint
    ridge first and RegCB-opt beside it on a trial; one-message catalogs get their own default
    either way."""
    from engine.candidates import DEFAULT_CANDIDATES, JOINT_RIDGE_SQUARECB
    from experiments.learning_suite.engine_contestant import variants_base

    assert variants_base(THEMED) == JOINT_RIDGE_SQUARECB
    one = Catalog.from_names(["a", "b", "c"], ["web"], ["now"], no_contact=False)
    assert variants_base(one) == DEFAULT_CANDIDATES
    world = make_world("example_catalog", seed=0, horizon=100)
    with EngineContestant(world, tmp_path / "earlier", 0, earlier_default=True) as eng:
        assert eng.engine.stats()["serving_learner"] == "joint"
        assert list(eng.engine.stats()["candidates"]) == ["joint", "ridge", "squarecb"]
        assert eng.engine.options.selection_settings.trial_share == 0.0
    with EngineContestant(world, tmp_path / "own", 0) as eng:
        assert list(eng.engine.stats()["candidates"]) == ["joint", "regcb"]
        assert eng.engine.options.selection_settings.trial_share == 0.1


def test_stop_51s_labels_run_the_defaults_candidates_reordered_or_on_dm(tmp_path):
    """``engine regcb first joint on trial`` serves RegCB-opt first with the joint ridge on the
    default's trial; ``engine default regcb dm`` is the default with its RegCB-opt on dm."""
    from engine.candidates import SHARED_DEFAULT_SELECTION
    from experiments.learning_suite.contestants import learner

    world = make_world("example_catalog", seed=0, horizon=100)
    first = learner("engine regcb first joint on trial").params
    with EngineContestant(world, tmp_path / "first", 0, **dict(first)) as eng:
        stats = eng.engine.stats()
        assert stats["serving_learner"] == "regcb"
        assert list(stats["candidates"]) == ["regcb", "joint"]
        assert eng.engine.options.selection.trial_share == SHARED_DEFAULT_SELECTION[
            "trial_share"] > 0
    dm = learner("engine default regcb dm").params
    with EngineContestant(world, tmp_path / "dm", 0, **dict(dm)) as eng:
        assert eng.engine.stats()["serving_learner"] == "joint"
        specs = {c.name: c for c in eng.engine.options.candidate_specs}
        assert specs["regcb"].config.cb_type == "dm"


def test_stop_52s_label_runs_the_defaults_candidates_on_an_even_trial(tmp_path):
    """``engine default even trial`` is the default's joint ridge serving first, its RegCB-opt
    on trial at a half from the first decision (``trial_growth = "even"``)."""
    from experiments.learning_suite.contestants import learner

    world = make_world("example_catalog", seed=0, horizon=100)
    even = learner("engine default even trial").params
    with EngineContestant(world, tmp_path, 0, **dict(even)) as eng:
        stats = eng.engine.stats()
        assert stats["serving_learner"] == "joint"
        assert list(stats["candidates"]) == ["joint", "regcb"]
        assert stats["candidate_share"] == {"joint": 0.5, "regcb": 0.5}
        assert eng.engine.options.selection.trial_growth == "even"


def _first_decision(eng: EngineContestant, world) -> object:
    """``Engine.choose`` for the first customer of the world's first batch."""
    b = world.observe()
    ctx = world.engine_contexts(b)[0]
    return eng.engine.choose(str(b.customer_ids[0]), ctx, now=b.now)


def test_stop_53s_label_prices_the_capped_channels_and_is_the_default_elsewhere(tmp_path):
    """``engine default priced`` decides at channel prices where the world declares a daily
    capacity (``capacity``'s sms and email), and is the default's trial where none is
    (``small``: no channel has a cap)."""
    from experiments.learning_suite.contestants import learner

    priced = dict(learner("engine default priced").params)
    world = make_world("capacity", seed=0, horizon=100)
    with EngineContestant(world, tmp_path / "capacity", 0, **priced) as eng:
        decision = _first_decision(eng, world)
        # day 0 has no forecast: the prices are 0, but they are there, one per capped channel
        assert decision.explain().prices == {"sms": 0.0, "email": 0.0}
        assert eng.engine.options.provisional_after is not None  # zeros after 12 hours
    world = make_world("small", seed=0, horizon=100)
    with EngineContestant(world, tmp_path / "small", 0, **priced) as eng, \
            EngineContestant(world, tmp_path / "default", 0) as default:
        assert _first_decision(eng, world).explain().prices == {}
        assert eng.engine.stats()["candidate_share"] == default.engine.stats()["candidate_share"]
