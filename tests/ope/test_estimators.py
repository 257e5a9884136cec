"""Every estimator on a four-row log whose values were computed by hand."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from statistics import NormalDist

import numpy as np
import pytest

from ope import ESTIMATORS, estimate

REWARDS = [1.0, 0.0, 1.0, 0.0]
ACTIONS = [0, 1, 1, 0]
PROPENSITIES = [0.5, 0.25, 0.75, 0.5]
TARGET = [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [0.5, 0.5]]
REWARD_HAT = [[0.6, 0.2], [0.4, 0.4], [0.5, 0.9], [0.1, 0.3]]
# weights w = 2, 2, 4/3, 1; model values 0.6, 0.4, 0.9, 0.2 (mean 0.525);
# residuals r - q(a) = 0.4, -0.4, 0.1, -0.1, so w * residual = 0.8, -0.8, 2/15, -0.1 (sum 1/30).
BY_HAND = {
    "ips": (2 + 0 + 4 / 3 + 0) / 4,
    "snips": (10 / 3) / (19 / 3),
    "dm": 0.525,
    "dr": 0.525 + (1 / 30) / 4,
    "sndr": 0.525 + (1 / 30) / (19 / 3),
}


def _run(name, **kw):
    return estimate(name, REWARDS, ACTIONS, PROPENSITIES, TARGET, REWARD_HAT, **kw)


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_value_by_hand(name):
    assert _run(name).value == pytest.approx(BY_HAND[name], abs=1e-12)


def test_switch_dr_drops_the_correction_above_tau():
    # tau = 1.2 keeps only row 3 (w = 1): 0.525 + (-0.1) / 4
    assert _run("switch_dr", tau=1.2).value == pytest.approx(0.5, abs=1e-12)
    assert _run("switch_dr", tau=np.inf).value == pytest.approx(BY_HAND["dr"], abs=1e-12)
    assert _run("switch_dr", tau=0.5).value == pytest.approx(BY_HAND["dm"], abs=1e-12)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_diagnostics_by_hand(name):
    r = _run(name)
    assert r.n == 4
    assert r.max_weight == pytest.approx(2.0)
    assert r.ess == pytest.approx(361 / 97)
    assert r.unsupported_mass == 0.0
    assert r.estimator == name
    assert r.ci[0] < r.value < r.ci[1]


def test_ips_interval_is_normal_on_the_per_row_terms():
    terms = np.array([2.0, 0.0, 4 / 3, 0.0])
    half = NormalDist().inv_cdf(0.95) * terms.std(ddof=1) / 2.0
    r = _run("ips", alpha=0.10)
    assert r.ci == pytest.approx((terms.mean() - half, terms.mean() + half))


def test_snips_interval_is_the_delta_method():
    w = np.array([2.0, 2.0, 4 / 3, 1.0])
    v = BY_HAND["snips"]
    influence = w * (np.array(REWARDS) - v) / w.mean()
    se = influence.std(ddof=1) / 2.0
    assert _run("snips").std_error == pytest.approx(se)


def test_unsupported_mass_counts_target_mass_on_never_logged_actions():
    r = estimate("ips", [1.0, 0.0], [0, 0], [0.5, 0.5], [[0.25, 0.75], [0.5, 0.5]])
    assert r.unsupported_mass == pytest.approx((0.75 + 0.5) / 2)


def test_target_equal_to_logger_gives_on_policy_mean():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=500)
    actions = (probs.cumsum(axis=1) < rng.random((500, 1))).sum(axis=1)
    rewards = rng.random(500)
    prop = probs[np.arange(500), actions]
    for name in ("ips", "snips"):
        r = estimate(name, rewards, actions, prop, probs)
        assert r.value == pytest.approx(rewards.mean())
        assert r.ess == pytest.approx(500)


def test_inputs_are_not_modified():
    rewards = np.array(REWARDS)
    target = np.array(TARGET)
    before = (rewards.copy(), target.copy())
    _run("dr")
    estimate("sndr", rewards, ACTIONS, PROPENSITIES, target, REWARD_HAT)
    assert np.array_equal(rewards, before[0]) and np.array_equal(target, before[1])


def test_result_is_frozen_and_serialisable():
    r = _run("dr")
    with pytest.raises(FrozenInstanceError):
        r.value = 0.0
    d = r.to_dict()
    assert d["ci_low"] == r.ci[0] and d["estimator"] == "dr" and "normal" in d["ci_method"]


def test_one_row_gives_an_infinite_interval():
    r = estimate("ips", [1.0], [0], [0.5], [[1.0, 0.0]])
    assert r.value == 2.0 and r.ci == (-np.inf, np.inf)


def test_the_lab_path_is_the_same_entry_point():
    """``experiments.ope.estimate`` is the documented public path: it must stay the estimator."""
    import experiments.ope
    import ope

    for name in experiments.ope.__all__:
        assert getattr(experiments.ope, name) is getattr(ope, name)
