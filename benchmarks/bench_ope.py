"""Seconds to evaluate one target policy with DR, reward model included, on 1,000,000 logged
decisions with 50 actions, printed next to plain IPS in numpy (the floor) in the same run.

"DR total" = cross-fitted ridge reward model (5 folds) + validation + DR value and interval.
"plain IPS" = ``(target[rows, a] / p * r).mean()``, no checks, no interval. Exits 0.

    python benchmarks/bench_ope.py            # 1,000,000 rows x 50 actions
    python benchmarks/bench_ope.py --quick    # 100,000 rows
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from experiments.ope import estimate
from experiments.ope.synthetic_world import SyntheticWorld
from ope.estimators.reward_model import fit_reward_model


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> int:
    """Build the log, time plain IPS and DR, print both and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--actions", type=int, default=50)
    args = parser.parse_args()
    n = args.rows or (100_000 if args.quick else 1_000_000)
    world = SyntheticWorld(n_actions=args.actions, context_dim=10, seed=0)
    log = world.sample_log(n, seed=1)
    r, a, p, t = log.rewards, log.actions, log.propensities, log.target_probs

    plain, t_plain = _timed(lambda: float((t[np.arange(n), a] / p * r).mean()))
    ips, t_ips = _timed(lambda: estimate("ips", r, a, p, t))
    q, t_model = _timed(lambda: fit_reward_model(log.contexts, a, r, args.actions, folds=5))
    dr, t_dr = _timed(lambda: estimate("dr", r, a, p, t, q))
    total = t_model + t_dr

    print(f"{n:,} logged decisions x {args.actions} actions, d={world.context_dim}, "
          f"truth={world.true_value(200_000):.4f}")
    print(f"plain IPS in numpy       {t_plain:8.3f} s   value {plain:.4f}")
    print(f"estimate('ips') checked  {t_ips:8.3f} s   value {ips.value:.4f} "
          f"ci [{ips.ci[0]:.4f}, {ips.ci[1]:.4f}]")
    print(f"reward model (5 folds)   {t_model:8.3f} s")
    print(f"estimate('dr')           {t_dr:8.3f} s   value {dr.value:.4f} "
          f"ci [{dr.ci[0]:.4f}, {dr.ci[1]:.4f}]  ess {dr.ess:,.0f}")
    print(f"DR total                 {total:8.3f} s   = {total / t_plain:.1f}x plain IPS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
