"""``partially_identified_dr``: what a log cannot identify is bounded, not extrapolated.

The defect: a first-come log never played a full channel for the customers who came after it
filled; a campaign that gives that channel to them has mass the log says nothing about, DR
values it by the reward model alone, and its normal interval ignores how wrong the model may be
there. The world here: two channels (actions 0-1 on channel 0, 2-3 on channel 1); the logger
never played channel 1 on the second half of the rows; the reward model is wrong there by a
constant.
"""

from __future__ import annotations

import numpy as np
import pytest

from ope import (
    OPEInputError,
    estimate,
    observed_reward_range,
    partially_identified_dr,
    predicted_reward_range,
)

K = 4
CHANNEL = np.array([0, 0, 1, 1])


def _world(seed: int, n: int = 4000, model_error: float = 0.4):
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.0, 1.0, (n, K))
    logger = np.full((n, K), 0.25)
    late = np.arange(n) >= n // 2
    logger[late] = [0.5, 0.5, 0.0, 0.0]  # channel 1 full: never played
    a = (logger.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    rewards = (rng.random(n) < truth[np.arange(n), a]).astype(float)  # 0/1, mean = truth
    target = np.tile([0.1, 0.1, 0.4, 0.4], (n, 1))
    q = truth.copy()
    q[late, 2:] += model_error  # the model is wrong exactly where the log cannot check it
    return {"rewards": rewards, "actions": a, "propensities": logger[np.arange(n), a],
            "target_probs": target, "reward_hat": q, "support": logger > 0}, truth


def test_unplayed_channel_is_bounded_and_the_interval_holds_the_truth():
    """Plain DR sits ~0.8 * 0.5 * 0.4 = 0.16 above the truth with a half-width of ~0.02: it
    misses; the combined interval holds the truth and is wider than the DR part by exactly the
    unsupported mass times the distance from the model to the range."""
    arrays, truth = _world(0)
    true_value = float(np.einsum("ij,ij->i", arrays["target_probs"], truth).mean())
    dr = estimate("dr", arrays["rewards"], arrays["actions"], arrays["propensities"],
                  arrays["target_probs"], reward_hat=np.clip(arrays["reward_hat"], 0, 1))
    assert not dr.ci[0] <= true_value <= dr.ci[1]  # the defect
    got = partially_identified_dr(**arrays, reward_low=np.zeros(K), reward_high=np.ones(K))
    assert got.mass == pytest.approx(0.4)  # 0.8 of the target on half the rows
    assert got.ci[0] <= true_value <= got.ci[1]
    assert got.supported.value == pytest.approx(dr.value)
    late = np.arange(arrays["rewards"].size) >= arrays["rewards"].size // 2
    q = np.clip(arrays["reward_hat"], 0, 1)
    want_low = -(0.4 * q[late, 2:].sum(1)).sum() / late.size
    want_high = (0.4 * (1 - q[late, 2:]).sum(1)).sum() / late.size
    assert got.bound == pytest.approx((want_low, want_high))
    width, dr_width = got.ci[1] - got.ci[0], got.supported.ci[1] - got.supported.ci[0]
    assert width - dr_width == pytest.approx(want_high - want_low)
    assert width - dr_width > 0.3  # mass 0.4 times a range of ~1


def test_bound_is_zero_when_everything_is_supported():
    arrays, _ = _world(1)
    arrays["support"] = np.ones_like(arrays["support"])
    arrays["propensities"] = np.full(arrays["rewards"].size, 0.25)
    got = partially_identified_dr(**arrays, reward_low=np.zeros(K), reward_high=np.ones(K))
    dr = estimate("dr", arrays["rewards"], arrays["actions"], arrays["propensities"],
                  arrays["target_probs"], reward_hat=np.clip(arrays["reward_hat"], 0, 1))
    assert got.mass == 0.0 and got.bound == (0.0, 0.0)
    assert got.ci == pytest.approx(dr.ci) and got.supported.value == pytest.approx(dr.value)


def test_floor_drops_the_weights_of_barely_logged_actions():
    """With a floor, a row whose logged action the logger played below it carries no weight:
    the largest weight is at most target / floor, and that mass moves into the bound."""
    arrays, _ = _world(2)
    arrays["propensities"] = np.where(arrays["actions"] == 0, 0.001, arrays["propensities"])
    support = arrays["support"].copy()
    support[:, 0] = False  # logged with probability 0.001 < floor 0.01
    arrays["support"] = support
    got = partially_identified_dr(**arrays, reward_low=np.zeros(K), reward_high=np.ones(K),
                                  floor=0.01)
    assert got.supported.max_weight <= 0.4 / 0.25
    assert got.mass == pytest.approx(0.1 + 0.4)
    assert got.floor == 0.01 and "0.01" in got.supported.ci_method


def test_ranges_per_group():
    lo, hi = observed_reward_range([0.0, 5.0, 1.0], [0, 1, 2], CHANNEL)
    assert lo.tolist() == [0.0, 0.0, 1.0, 1.0] and hi.tolist() == [5.0, 5.0, 1.0, 1.0]
    q = np.array([[0.1, 0.2, 0.9, 0.3], [0.5, 0.4, 0.7, 0.6]])
    lo, hi = predicted_reward_range(q, [[1, 1, 0, 1], [1, 1, 0, 0]], CHANNEL)
    assert lo.tolist() == [0.1, 0.1, 0.3, 0.3] and hi.tolist() == [0.5, 0.5, 0.3, 0.3]


def test_bad_input_names_the_array():
    arrays, _ = _world(3, n=10)
    with pytest.raises(OPEInputError, match="support"):
        partially_identified_dr(**{**arrays, "support": np.ones((10, 3), bool)},
                                reward_low=np.zeros(K), reward_high=np.ones(K))
    with pytest.raises(OPEInputError, match="reward_low"):
        partially_identified_dr(**arrays, reward_low=np.ones(K), reward_high=np.zeros(K))
