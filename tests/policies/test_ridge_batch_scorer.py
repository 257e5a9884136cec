"""Batch prediction for the ridge learner (policies/ridge_batch_scorer.py): a batch's scores are
the learner's own per-customer estimates, whatever the features (numbers, categories, lists of
strings, booleans, zeros, slots shared by several features), and they do not move when the
learner learns more."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.ridge_batch_scorer import RidgeBatchScorer
from policies.ridge_learner import RidgeConfig, RidgeLearner

ACTIONS = [{"m": {"msg": f"m{a}"}} for a in range(5)]


def _shared(rng: np.random.Generator) -> dict:
    """Every kind of value the engine's shared features hold, and some that repeat."""
    return {"c": {"x": float(rng.normal()), "n": int(rng.integers(0, 3)),
                  "seg": str(rng.choice(["a", "b", "c", "d"])),
                  "tags": [str(t) for t in rng.choice(["p", "q", "r"], int(rng.integers(0, 3)))],
                  "vip": bool(rng.random() < 0.5)},
            "h": {"contacts_1d": int(rng.integers(0, 2)), "days_email": float(rng.integers(9))}}


def _trained(dim: int, rng: np.random.Generator) -> RidgeLearner:
    r = RidgeLearner(RidgeConfig(dim=dim))
    r.set_actions(ACTIONS)
    for _ in range(400):
        s = _shared(rng)
        a = int(rng.integers(5))
        truth = s["c"]["x"] * (a - 2) + (1.0 if s["c"]["seg"] == "abcd"[a % 4] else 0.0)
        r.learn(s, None, a, 0.2, truth + 0.1 * rng.normal())
    return r


@pytest.mark.parametrize("dim", [8, 128])  # 8 slots: many features share a slot
def test_batch_scores_are_the_learners_own_estimates(dim):
    """Catches a hash, a value or the constant that differs from the learner's own features,
    a feature dropped or counted twice, and scores transposed (actions for customers)."""
    rng = np.random.default_rng(dim)
    r = _trained(dim, rng)
    batch = [_shared(rng) for _ in range(300)] + [{}, {"c": {}, "h": {"x": 0.0}}]
    scores = RidgeBatchScorer(r).scores(batch)
    own = np.array([r.estimates(s) for s in batch])
    assert scores.shape == (len(batch), len(ACTIONS))
    assert np.abs(own).max() > 0.5 and own.std(axis=0).min() > 0.05  # it learned, per customer
    np.testing.assert_allclose(scores, own, rtol=0, atol=1e-9)
    np.testing.assert_allclose(RidgeBatchScorer(r).features(batch[:20]),
                               [r.features(s) for s in batch[:20]], rtol=0, atol=1e-12)


def test_the_scorer_keeps_the_weights_it_was_built_with():
    """Catches a scorer that reads the learner's live weights (a campaign scored half with one
    model, half with another)."""
    rng = np.random.default_rng(3)
    r = _trained(32, rng)
    batch = [_shared(rng) for _ in range(20)]
    scorer = RidgeBatchScorer(r)
    before = scorer.scores(batch)
    for _ in range(50):
        r.learn(batch[0], None, 0, 0.2, 10.0)
    np.testing.assert_array_equal(scorer.scores(batch), before)
    assert not np.allclose(RidgeBatchScorer(r).scores(batch), before)


def test_a_learner_without_actions_is_refused():
    with pytest.raises(PolicyConfigError, match="learner: expected actions set"):
        RidgeBatchScorer(RidgeLearner(RidgeConfig(dim=8)))
