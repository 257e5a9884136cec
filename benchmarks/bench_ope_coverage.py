"""Interval coverage and mean relative error of every OPE estimator where the truth is known.

Prints, per estimator, the share of 95% intervals that hold the true value of the target over
many seeds (target band for DR and SNIPS: 0.90-0.98), the mean relative error, and the ratio of
the reported standard error to the spread of the estimates over seeds (1.0 = honest intervals).
The reference line is the nominal coverage 0.95. Exits 0.

    python benchmarks/bench_ope_coverage.py                     # synthetic, 200 seeds x 20,000 rows
    python benchmarks/bench_ope_coverage.py --quick             # synthetic, 60 seeds x 4,000 rows
    python benchmarks/bench_ope_coverage.py --world simulator   # the simulator, 60 x 20,000

The synthetic world is a logistic contextual bandit with 10 actions; the simulator world is the
"baseline" scenario (201 actions, heavy-tailed revenue rewards) with a softmax logger and target
over its expected rewards (experiments/ope/simulator_world.py).
"""

from __future__ import annotations

import argparse
import time

from experiments.ope.coverage import coverage_study
from experiments.ope.simulator_world import SimulatorWorld
from experiments.ope.synthetic_world import SyntheticWorld


def main() -> int:
    """Run the study and print one line per estimator."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 seeds x 4,000 rows")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--world", choices=("synthetic", "simulator"), default="synthetic")
    args = parser.parse_args()
    sim = args.world == "simulator"
    seeds = args.seeds or (60 if args.quick or sim else 200)
    rows = args.rows or (4_000 if args.quick else 20_000)
    world = SimulatorWorld() if sim else SyntheticWorld(seed=0)
    start = time.perf_counter()
    study = coverage_study(world, n_rows=rows, seeds=range(seeds), folds=2 if sim else 5)
    took = time.perf_counter() - start
    print(f"{args.world} world: K={world.n_actions} actions, {seeds} seeds x {rows:,} rows, "
          f"mean truth={study[0].truth:.4f} ({took:.1f} s)")
    print(f"{'estimator':<10} {'coverage':>9} {'nominal':>8} {'ratio':>6} {'mean rel err':>13} "
          f"{'bias':>9} {'se/sd':>6}")
    for r in study:
        print(f"{r.estimator:<10} {r.coverage:>9.3f} {1 - 0.05:>8.2f} {r.coverage / 0.95:>6.3f} "
              f"{r.mean_relative_error:>13.4f} {r.bias:>+9.4f} "
              f"{r.mean_std_error / r.empirical_sd:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
