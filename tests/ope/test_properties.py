"""Properties every estimator must keep, on random logs (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ope import ESTIMATORS, Accumulator, estimate, make_estimator


@st.composite
def logs(draw):
    n = draw(st.integers(2, 40))
    k = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    logger = rng.dirichlet(np.ones(k), size=n) * 0.9 + 0.1 / k  # every action >= 0.1 / k
    actions = (logger.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1).clip(0, k - 1)
    target = rng.dirichlet(np.ones(k), size=n)
    rewards = rng.normal(size=n)
    reward_hat = rng.normal(size=(n, k))
    return rewards, actions, logger[np.arange(n), actions], target, reward_hat


@settings(max_examples=40, deadline=None)
@given(logs(), st.sampled_from(ESTIMATORS), st.integers(1, 39))
def test_any_split_merges_to_the_one_shot_result(log, name, cut):
    r, a, p, t, q = log
    cut = min(cut, len(r) - 1)
    whole = estimate(name, r, a, p, t, q)
    left, right = Accumulator(make_estimator(name), t.shape[1]), Accumulator(
        make_estimator(name), t.shape[1])
    left.add(r[:cut], a[:cut], p[:cut], t[:cut], q[:cut])
    right.add(r[cut:], a[cut:], p[cut:], t[cut:], q[cut:])
    merged = (left + right).get()
    assert merged.value == pytest.approx(whole.value, rel=1e-9, abs=1e-12)
    assert merged.std_error == pytest.approx(whole.std_error, rel=1e-6, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(logs())
def test_exact_reward_model_makes_dr_equal_dm(log):
    r, a, p, t, q = log
    q = q.copy()
    q[np.arange(len(r)), a] = r  # the model is right on every logged action: no correction
    dm = estimate("dm", r, a, p, t, q).value
    for name in ("dr", "sndr", "switch_dr"):
        assert estimate(name, r, a, p, t, q).value == pytest.approx(dm, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(logs(), st.floats(0.2, 0.99))
def test_self_normalised_estimates_ignore_a_common_propensity_scale(log, scale):
    r, a, p, t, q = log
    for name in ("snips", "sndr"):
        base = estimate(name, r, a, p, t, q).value
        assert estimate(name, r, a, p * scale, t, q).value == pytest.approx(base, rel=1e-9,
                                                                             abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(logs(), st.floats(-3, 3), st.floats(0.1, 10))
def test_affine_rewards_move_values_and_intervals_affinely(log, shift, scale):
    r, a, p, t, q = log
    for name in ("snips", "dr", "sndr", "dm"):
        base = estimate(name, r, a, p, t, q)
        moved = estimate(name, scale * r + shift, a, p, t, scale * q + shift)
        assert moved.value == pytest.approx(scale * base.value + shift, rel=1e-8, abs=1e-9)
        assert moved.std_error == pytest.approx(scale * base.std_error, rel=1e-6, abs=1e-9)
