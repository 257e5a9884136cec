"""The cross-fitted ridge reward model."""

from __future__ import annotations

import numpy as np
import pytest

from ope import OPEInputError
from ope.estimators.reward_model import fit_reward_model, stack_reward_models


def _linear_log(n=4000, k=4, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    a = rng.integers(0, k, n)
    feats = rng.normal(size=(k, 2))
    theta = rng.normal(size=(d + 1, 3))  # q(x, a) = [x, 1]' theta [f_a, 1]
    mean = np.column_stack([x, np.ones(n)]) @ theta @ np.column_stack([feats, np.ones(k)]).T
    r = mean[np.arange(n), a] + rng.normal(0, 0.1, n)
    return x, a, r, feats, mean


def test_per_action_ridge_recovers_linear_rewards():
    x, a, r, _, mean = _linear_log()
    q = fit_reward_model(x, a, r, 4, folds=5, seed=0, l2=1e-3)
    assert np.abs(q - mean).max() < 0.05


def test_action_features_recover_the_bilinear_model_and_generalise():
    x, a, r, feats, mean = _linear_log()
    q = fit_reward_model(x, a, r, feats, folds=5, seed=0, l2=1e-3)
    assert np.abs(q - mean).max() < 0.05
    # actions 0 and 1 never logged: the shared model still predicts them (no per-action data)
    keep = a >= 2
    rows = np.flatnonzero(keep)
    feats4 = np.vstack([feats, feats.mean(axis=0)])  # a 5th, never-logged action
    q5 = fit_reward_model(x[rows], a[rows], r[rows], feats4, folds=2, seed=0)
    assert q5.shape == (rows.size, 5) and np.isfinite(q5).all()
    # two logged actions cannot pin the model down, but it follows the truth of the others
    # (correlation 0.95 and 0.99 measured; a per-action model gives about 0 here)
    for j in (0, 1):
        assert np.corrcoef(q5[:, j], mean[rows, j])[0, 1] > 0.8


def test_cross_fitting_keeps_a_rows_own_reward_out():
    # pure noise rewards: in-sample fit chases the noise, cross-fit does not
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 35))
    a = np.zeros(60, dtype=np.int64)
    r = rng.normal(size=60)
    insample = fit_reward_model(x, a, r, 1, folds=1, l2=1e-6)[:, 0]
    crossfit = fit_reward_model(x, a, r, 1, folds=5, l2=1e-6)[:, 0]
    assert np.corrcoef(insample, r)[0, 1] > 0.5
    assert np.corrcoef(crossfit, r)[0, 1] < 0.3


def test_seeded_and_deterministic():
    x, a, r, _, _ = _linear_log(n=500)
    one = fit_reward_model(x, a, r, 4, folds=3, seed=7)
    assert np.array_equal(one, fit_reward_model(x, a, r, 4, folds=3, seed=7))
    assert not np.array_equal(one, fit_reward_model(x, a, r, 4, folds=3, seed=8))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"contexts": np.zeros((3, 2, 2))}, r"contexts must have shape \(n, d\)"),
    ({"actions": np.array([0, 1])}, r"actions must have shape \(3,\)"),
    ({"rewards": np.array([0.0, np.nan, 1.0])}, r"rewards must be finite"),
    ({"actions": np.array([0, 1, 5])}, r"actions must be integers in \[0, 2\)"),
    ({"action_features": 0}, r"action_features \(K\) must be >= 1"),
    ({"action_features": np.zeros(2)}, r"action_features must be an int K or a finite \(K, F\)"),
    ({"folds": 0}, r"folds must be in \[1, n=3\], got 0"),
    ({"l2": 0.0, "folds": 2}, r"l2 must be > 0"),
])
def test_bad_input(kwargs, match):
    args = {"contexts": np.zeros((3, 2)), "actions": np.array([0, 1, 1]),
                "rewards": np.array([0.0, 1.0, 1.0]), "action_features": 2}
    with pytest.raises(OPEInputError, match=match):
        fit_reward_model(**{**args, **kwargs})


def test_stack_puts_a_policys_scores_on_the_rewards_scale():
    """Scores off by a scale and a shift (a model's own units) come back on the rewards'; the
    weights are fitted on the other folds, so a fold's own rewards never set its predictions."""
    _, a, r, _, mean = _linear_log()
    q = stack_reward_models([3.0 * mean - 2.0], a, r, folds=5, seed=0)
    assert np.abs(q - mean).max() < 0.02
    rows = np.random.default_rng(0).permutation(len(a)) % 5 == 0  # the folds' own assignment
    moved = r.copy()
    moved[rows] += 100.0  # fold 0's rewards only
    q2 = stack_reward_models([3.0 * mean - 2.0], a, moved, folds=5, seed=0)
    assert np.array_equal(q2[rows], q[rows]) and not np.allclose(q2[~rows], q[~rows])


def test_stack_keeps_the_informative_prediction():
    """Stacked with noise, the true means get all the weight the data gives them."""
    _, a, r, _, mean = _linear_log()
    noise = np.random.default_rng(1).normal(size=mean.shape)
    q = stack_reward_models([noise, mean], a, r, folds=3, seed=0)
    assert np.abs(q - mean).max() < 0.05


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"predictions": []}, r"predictions must be one or more \(n, K\) arrays"),
    ({"predictions": [np.zeros((3, 2)), np.zeros((3, 3))]}, r"of one shape"),
    ({"predictions": [np.full((3, 2), np.nan)]}, r"predictions must be finite"),
    ({"actions": np.array([0, 1, 2])}, r"actions must be integers in \[0, 2\)"),
    ({"rewards": np.array([0.0, 1.0])}, r"rewards must have shape \(3,\)"),
])
def test_stack_bad_input(kwargs, match):
    args = {"predictions": [np.zeros((3, 2))], "actions": np.array([0, 1, 1]),
            "rewards": np.array([0.0, 1.0, 1.0]), "folds": 2}
    with pytest.raises(OPEInputError, match=match):
        stack_reward_models(**{**args, **kwargs})
