"""Price-based allocation against first come, first served on the simulator's campaign mode.

The ``capacity`` scenario (60 SMS and 300 emails a day across 10,000 customers) in campaign mode:
each day its ~1,430 customers are decided at once, by both allocations on the same customers,
the same scores and the same 5% exploration (``experiments/campaign_days.py``); the world steps
with the price-based choice. Each allocation's value is exact (the world's expected rewards of the
actions drawn), per 1,000 customers. Per seed the days are averaged; the paired difference
(price - first come) gets a Student-t 95% interval over seeds. Violations (sends beyond a cap,
spend beyond the budget) are counted for both.

Two models score the actions: the exact expected rewards, and the same plus normal noise of half
their standard deviation (a model that is often wrong). A third run adds a daily budget on
channel cost (1.0 a day, which binds: the spend is near 2 without it).

Run: ``python benchmarks/bench_campaign_allocation.py [--seeds 20] [--days 5]``. Exits 0.
"""

from __future__ import annotations

import argparse

import numpy as np

from experiments.campaign_days import campaign_days
from experiments.metrics import mean_ci


def main() -> int:
    """Measure and print; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="worlds (default 20)")
    parser.add_argument("--days", type=int, default=5, help="campaign days per world (default 5)")
    args = parser.parse_args()
    print(f"capacity scenario, campaign mode: {args.seeds} seeds x {args.days} days, 5% "
          f"exploration; value = exact expected reward per 1,000 customers")
    print(f"{'scores':<26} {'price':>8} {'first come':>11} {'difference [95% CI]':>28} "
          f"{'violations':>11}")
    for label, noise, budget in (("exact expected rewards", 0.0, None),
                                 ("+ noise (0.5 sd)", 0.5, None),
                                 ("+ noise, budget 1.0/day", 0.5, 1.0)):
        price, fcfs, bad = [], [], 0
        for seed in range(args.seeds):
            days = campaign_days("capacity", seed=seed, days=args.days, score_noise=noise,
                                 daily_budget=budget)
            price.append(np.mean([d["price_value"] for d in days]))
            fcfs.append(np.mean([d["fcfs_value"] for d in days]))
            bad += sum(d["price_violations"] + d["fcfs_violations"] for d in days)
        p, f = np.array(price), np.array(fcfs)
        diff, lo, hi = mean_ci(p - f)
        word = "price wins" if lo > 0 else ("first come wins" if hi < 0 else "not separated")
        print(f"{label:<26} {p.mean():8.1f} {f.mean():11.1f} {diff:+10.1f} [{lo:+.1f}, "
              f"{hi:+.1f}] {bad:11d}  {word}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
