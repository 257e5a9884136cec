"""Each decision reported as 0 when made and its conversion added as a correction later
(``reward_mode = "sum"``): the engine's ridge candidates end as the model that learned every
decision once, at its total; a restart and a crash change nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.catalog import Catalog
from engine.reward_scale import RewardScale
from tests.engine.engine_world import T0, context, make_engine, readout, reward_of

DELAY = 7  # a conversion is reported this many decisions after its decision


def provisional_stream(eng, lo: int, hi: int, unit: float = 1.0, pending=None) -> list:
    """Customers ``c{lo}``..: each decision rewarded 0 at once, its conversion (times
    ``unit``) added :data:`DELAY` decisions later; returns the decisions still pending."""
    pending = [] if pending is None else pending
    for i in range(lo, hi):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        eng.reward(d.decision_id, 0.0, now=T0 + i)
        pending.append((i + DELAY, d.decision_id, unit * reward_of(ctx, d.message, d.channel)))
        while pending and pending[0][0] <= i:
            _, did, value = pending.pop(0)
            if value:
                eng.reward(did, value, now=T0 + i)
    return pending


def once_each(eng, name: str) -> np.ndarray:
    """:func:`readout` of a fresh learner of candidate ``name`` taught each logged decision once,
    in the order decided, at its final total, scaled as the engine scales rewards."""
    from engine.candidate_learners import new_learner
    from engine.features import action_feature_sets
    from policies.hashed_ridge import HashedRidge

    spec = next(c for c in eng.options.candidate_specs if c.name == name)
    totals: dict[str, float] = {}
    first: dict[str, tuple] = {}
    for _, rec, value, _ in eng.log.rewards_since(0):
        totals[rec.decision_id] = totals.get(rec.decision_id, 0.0) + value
        first.setdefault(rec.decision_id, rec)
    scale = RewardScale()
    catalog = Catalog.from_names(["welcome", "winback"], ["email", "sms"], ["now"])
    with new_learner(spec.config, seed=0) as ref:
        ref.set_actions(action_feature_sets(catalog, eng.options.prune_features))
        for did, rec in first.items():
            if rec.holdout or rec.action_index < 0:
                continue
            before = scale.value
            scale.observe(totals[did])
            if isinstance(ref, HashedRidge) and scale.value != before:
                ref.rescale_rewards(before / scale.value)
            ref.learn(json.loads(rec.features_json), rec.eligible, rec.action_index,
                      rec.probability, scale.normalise(totals[did]))
        return readout(ref)


@pytest.mark.parametrize("unit", [1.0, 80.0])
def test_the_ridge_candidates_learn_each_decision_once_at_its_total(tmp_path, unit):
    with make_engine(tmp_path / "s", reward_mode="sum") as eng:
        pending = provisional_stream(eng, 0, 400, unit)
        provisional_stream(eng, 400, 400 + DELAY, unit, pending)  # the last ones reported
        names = [n for n in eng._selection.learners if n in ("joint", "ridge")]
        assert names == ["joint", "ridge"]  # the shared default's two ridge candidates
        assert eng.stats()["rewards"] > 400 + DELAY  # corrections were written and learned
        for name in names:
            np.testing.assert_allclose(readout(eng._selection.learners[name]),
                                       once_each(eng, name), atol=1e-8)


def test_corrected_candidates_resume_after_a_restart_and_a_crash(tmp_path):
    with make_engine(tmp_path / "clean", reward_mode="sum") as eng:
        provisional_stream(eng, 0, 300)
        before = [readout(eng._selection.learners[n]) for n in eng._selection.learners]
    with make_engine(tmp_path / "clean", reward_mode="sum") as again:
        assert again.stats()["replayed_on_start"] == 0
        for got, want in zip((readout(again._selection.learners[n])
                              for n in again._selection.learners), before, strict=True):
            np.testing.assert_array_equal(got, want)
    eng = make_engine(tmp_path / "crash", reward_mode="sum", checkpoint_every=100)
    provisional_stream(eng, 0, 300)
    expected = [readout(eng._selection.learners[n]) for n in eng._selection.learners]
    replayed = eng._learned_seq % 100
    eng.log.close()  # a crash: the rewards after the last checkpoint are replayed
    eng._selection.close()
    with make_engine(tmp_path / "crash", reward_mode="sum", checkpoint_every=100) as again:
        assert again.stats()["replayed_on_start"] == replayed > 0
        for got, want in zip((readout(again._selection.learners[n])
                              for n in again._selection.learners), expected, strict=True):
            np.testing.assert_array_equal(got, want)
