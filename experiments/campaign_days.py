"""Price-based allocation against first come, first served, on the simulator's campaign mode.

Each simulated day the world presents its whole day of customers at once
(``CustomerBatchEnv(..., mode="campaign")``). Both allocations see the same customers, the same
scores and the same exploration (``epsilon`` uniform over each customer's feasible actions):

- **price**: dual prices fitted to the day's room (:func:`policies.dual_prices.find_prices`), the
  customers drawn in a random order (:func:`policies.allocation.allocate`);
- **first come, first served**: no prices, the customers drawn in the order a stream would have
  met them (``info["arrival_order"]``): each takes their best action among those still open.

Each allocation's value is exact: the sum of the world's expected rewards of the actions drawn
(``env.expected_rewards()``), per 1,000 customers. The world then steps with the price-based
actions (``ineligible="raise"``: a cap or budget exceeded would raise), so both are compared on
the same customers in the same state every day. Violations (sends beyond a cap, spend beyond the
budget) are counted for both; the allocator guarantees zero.

Example:
    >>> day = campaign_days("capacity", seed=0, days=1, n_customers=2000)[0]
    >>> day["price_violations"], day["fcfs_violations"], day["price_value"] > day["fcfs_value"]
    (0, 0, True)
"""

from __future__ import annotations

import numpy as np

from policies.allocation import Allocation, Resources, allocate
from policies.dual_prices import find_prices
from simulator import CustomerBatchEnv, load_scenario

__all__ = ["campaign_days", "day_resources"]


def day_resources(env: CustomerBatchEnv, info: dict) -> Resources:
    """The room left today: each channel's cap and the budget, as allocation resources."""
    return Resources(env.catalog.channel_of, info["capacity_left"], env.action_costs,
                     info["budget_left"])


def _violations(alloc: Allocation, res: Resources) -> int:
    sends, spent = res.usage(alloc.actions)
    return int((sends > res.capacity).sum()) + int(spent > res.budget * (1 + 1e-12))


def campaign_days(scenario: str, *, seed: int, days: int, epsilon: float = 0.05,
                  score_noise: float = 0.0, daily_budget: float | None = None,
                  n_customers: int | None = None) -> list[dict]:
    """Run ``days`` campaign days; one record per day with both allocations' exact values.

    Args:
        scenario: a scenario name or path (``capacity`` has the caps).
        seed: the world's seed (the allocations draw from a generator seeded by it too).
        days: how many days.
        epsilon: exploration of both allocations.
        score_noise: the scores are the exact expected rewards plus normal noise of this many
            standard deviations of the day's expected rewards (0: the exact values).
        daily_budget: the day's budget on channel cost (None: none).
        n_customers: override the scenario's population (smaller for quick runs).

    Returns:
        Records with ``day``, ``customers``, ``price_value`` and ``fcfs_value`` (exact expected
        reward per 1,000 customers), ``*_violations``, ``*_sends`` (per channel) and the prices.
    """
    sc = load_scenario(scenario, **({} if n_customers is None else
                                    {"n_customers": n_customers}))
    env = CustomerBatchEnv(sc, mode="campaign", seed=seed, daily_budget=daily_budget)
    rng = np.random.default_rng([seed, 1])
    _, info = env.reset(seed=seed)
    nc = env.catalog.no_contact_action
    out = []
    for day in range(days):
        truth = env.expected_rewards()
        scores = truth
        if score_noise:
            scores = truth + rng.normal(0.0, score_noise * truth.std(), truth.shape)
        res = day_resources(env, info)
        eligible = info["eligible"]
        prices = find_prices(scores, eligible, res, epsilon=epsilon)
        n = env.batch_size
        price = allocate(scores, eligible, res, prices, epsilon=epsilon, rng=rng,
                         order=rng.permutation(n), no_contact=nc)
        fcfs = allocate(scores, eligible, res, epsilon=epsilon, rng=rng,
                        order=info["arrival_order"], no_contact=nc)
        rows = np.arange(n)
        out.append({
            "day": day, "customers": n,
            "price_value": float(truth[rows, price.actions].sum()) * 1000 / n,
            "fcfs_value": float(truth[rows, fcfs.actions].sum()) * 1000 / n,
            "price_violations": _violations(price, res), "fcfs_violations": _violations(fcfs, res),
            "price_sends": price.channel_used.tolist(), "fcfs_sends": fcfs.channel_used.tolist(),
            "channel_prices": prices.channel.tolist(), "budget_price": prices.budget})
        _, _, _, _, info = env.step(price.actions)
    return out
