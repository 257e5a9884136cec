"""Calibration: the funnel rates a scenario produces under a uniform-random policy, and the
public benchmark figures ``baseline`` is tuned to (sources in docs/simulator.md).

Example:
    >>> rates = measure_funnel("small", decisions=2_000, seed=0)
    >>> round(rates["email"]["open_rate"], 3)  # of the emails sent (the benchmark's is 0.13)
    0.162
"""

from __future__ import annotations

import numpy as np

from simulator.batch_env import CustomerBatchEnv
from simulator.funnel_stats import FunnelCounter
from simulator.scenario import Scenario, load_scenario

__all__ = ["BASELINE_TARGETS", "measure_funnel", "uniform_random_actions"]

# Per channel: rate -> target. Rates are of delivered messages unless named otherwise.
BASELINE_TARGETS: dict[str, dict[str, float]] = {
    "email": {"open_rate": 0.13, "click_rate": 0.010, "conversion_per_click": 0.05,
              "unsubscribe_rate": 0.0015},
    "sms": {"open_rate": 0.90, "click_rate": 0.098, "conversion_per_click": 0.10,
            "unsubscribe_rate": 0.009},
    "push": {"open_rate": 0.03, "click_rate": 0.012, "conversion_per_click": 0.05,
             "unsubscribe_rate": 0.003},
    "inapp": {"open_rate": 0.85, "click_rate": 0.06, "conversion_per_click": 0.05,
              "unsubscribe_rate": 0.0002},
}


def uniform_random_actions(eligible: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One action per row, uniform over that row's eligible actions.

    Args:
        eligible: (N, K) bool, at least one True per row.
        rng: the generator.

    Returns:
        (N,) int64 actions.

    Example:
        >>> uniform_random_actions(np.array([[False, True, False]]), np.random.default_rng(0))
        array([1])
    """
    scores = rng.random(eligible.shape)
    scores[~eligible] = -1.0
    return scores.argmax(axis=1)


def measure_funnel(scenario: Scenario | str, decisions: int = 200_000, batch_size: int = 1000,
                   seed: int = 0) -> dict[str, dict[str, float]]:
    """Run a uniform-random policy and return the funnel rates per channel.

    Args:
        scenario: the scenario or its name.
        decisions: how many decisions to make (rounded up to whole batches).
        batch_size: customers per step (capped at the population size).
        seed: seed of the world and of the random policy.

    Returns:
        channel -> rate name -> value (see :meth:`FunnelCounter.rates`).
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    env = CustomerBatchEnv(sc, batch_size=min(batch_size, sc.n_customers), seed=seed)
    rng = np.random.default_rng([seed, 1])
    counter = FunnelCounter(env.catalog.channels)
    _, info = env.reset(seed=seed)
    for _ in range(-(-decisions // env.batch_size)):
        actions = uniform_random_actions(info["eligible"], rng)
        _, _, _, _, step_info = env.step(actions)
        counter.add(env.catalog.channel_of[actions], step_info)
        info = step_info
    return counter.rates()
