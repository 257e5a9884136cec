"""Logs written by a policies/ logger in the simulator carry honest propensities and the truth."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.ope import OPEInputError, estimate
from experiments.ope.simulator_log import simulate_log


@pytest.fixture(scope="module")
def log():
    return simulate_log("small", logger="epsilon_greedy", n=3000, seed=1, batch_size=250,
                        logger_params={"epsilon": 0.3})


def test_shapes_and_propensities(log):
    assert log.n == 3000 and log.n_actions == 201
    assert np.all(log.eligible[np.arange(log.n), log.actions])
    # epsilon-greedy: every eligible action has at least epsilon / (number eligible)
    floor = 0.3 / log.eligible.sum(axis=1)
    assert np.all(log.propensities >= floor - 1e-12) and np.all(log.propensities <= 1)
    assert log.action_features is not None and log.expected_rewards.shape == (3000, 201)


def test_uniform_target_truth_and_estimate(log):
    uniform = log.eligible / log.eligible.sum(axis=1, keepdims=True)
    truth = log.true_value(uniform)
    r = estimate("snips", log.rewards, log.actions, log.propensities, uniform)
    assert r.ci[0] - 0.05 < truth < r.ci[1] + 0.05


def test_seeded(log):
    again = simulate_log("small", logger="epsilon_greedy", n=3000, seed=1, batch_size=250,
                         logger_params={"epsilon": 0.3})
    assert np.array_equal(again.actions, log.actions) and np.array_equal(again.rewards,
                                                                         log.rewards)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"logger": "nope"}, r"logger 'nope'.*unknown policy"),
    ({"scenario": "atlantis"}, r"simulated log \('atlantis'"),
    ({"n": 0}, r"n must be >= 1"),
])
def test_bad_input(kwargs, match):
    args = {"scenario": "small", "logger": "random", "n": 100}
    with pytest.raises(OPEInputError, match=match):
        simulate_log(**{**args, **kwargs})
