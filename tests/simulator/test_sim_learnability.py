"""The world is learnable from what a policy sees, and segment rules leave value on the table.

A ridge regression on context x action-feature products, fitted on 40,000 realized rewards of a
uniform-random policy on baseline, must capture a good share of (oracle - random); the best
action per segment (known exactly, from the true expected rewards) must capture less than the
noise-free linear fit.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator import CustomerBatchEnv
from simulator.calibration import uniform_random_actions


def _products(obs: np.ndarray, action_rows: np.ndarray) -> np.ndarray:
    x = np.c_[obs, np.ones(len(obs))]
    return (x[:, :, None] * action_rows[:, None, :]).reshape(len(obs), -1)


@pytest.fixture(scope="module")
def world():
    env = CustomerBatchEnv("baseline", batch_size=2000, seed=0)
    feats = np.c_[env.catalog.action_features, np.ones(env.catalog.n_actions)]
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=0)
    xtx = np.zeros((2,) + (_products(obs[:1], feats[:1]).shape[1],) * 2)
    xty = np.zeros(xtx.shape[:2])
    pending, realized = {}, {}
    for _ in range(20):  # 40,000 decisions
        truth = env.expected_rewards()
        a = uniform_random_actions(info["eligible"], rng)
        f = _products(obs, feats[a])
        xtx[0] += f.T @ f
        xty[1] += f.T @ truth[np.arange(len(a)), a]
        obs, _, _, _, info = env.step(a)
        pending.update(zip(info["refs"].tolist(), f, strict=True))
        realized.update(zip(info["matured_refs"].tolist(), info["matured_rewards"].tolist(),
                            strict=True))
    realized.update(zip(*(x.tolist() for x in env.flush()), strict=True))
    f = np.array([pending[r] for r in sorted(pending)])
    y = np.array([realized[r] for r in sorted(pending)])
    xty[0] = f.T @ y
    ridge = 10.0 * np.eye(xtx.shape[1])
    weights = [np.linalg.solve(xtx[0] + ridge, xty[0]), np.linalg.solve(xtx[0] + ridge, xty[1])]
    return env, feats, weights, obs, info


def _share(env, feats, w, obs, info) -> float:
    truth, el = env.expected_rewards(), info["eligible"]
    x = np.c_[obs, np.ones(len(obs))]
    pred = x @ w.reshape(x.shape[1], feats.shape[1]) @ feats.T
    pick = np.where(el, pred, -np.inf).argmax(axis=1)
    oracle = np.where(el, truth, -np.inf).max(axis=1).mean()
    random = (np.where(el, truth, 0).sum(axis=1) / el.sum(axis=1)).mean()
    return (truth[np.arange(len(pick)), pick].mean() - random) / (oracle - random)


def _segment_share(env, obs, info) -> float:
    """Best single action per segment, chosen with the true expected rewards."""
    truth, el = env.expected_rewards(), info["eligible"]
    seg_cols = [i for i, n in enumerate(env.context_names) if n.startswith("segment=")]
    segment = obs[:, seg_cols].argmax(axis=1)
    pick = np.empty(len(obs), dtype=int)
    for s in np.unique(segment):
        rows = segment == s
        mean = np.where(el[rows], truth[rows], np.nan)
        pick[rows] = np.nanargmax(np.nanmean(mean, axis=0))
    value = np.where(el[np.arange(len(pick)), pick], truth[np.arange(len(pick)), pick], 0.0)
    oracle = np.where(el, truth, -np.inf).max(axis=1).mean()
    random = (np.where(el, truth, 0).sum(axis=1) / el.sum(axis=1)).mean()
    return (value.mean() - random) / (oracle - random)


def test_linear_learner_on_realized_rewards_captures_a_good_share(world):
    env, feats, (w_real, _), obs, info = world
    assert _share(env, feats, w_real, obs, info) > 0.35


def test_segment_rules_leave_value_on_the_table(world):
    env, feats, (_, w_truth), obs, info = world
    linear = _share(env, feats, w_truth, obs, info)
    segment = _segment_share(env, obs, info)
    assert 0 < segment < linear - 0.1
