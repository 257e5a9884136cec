"""Priced live choose against first come, first served: value on the simulator's campaign days.

The ``capacity`` scenario (60 SMS and 300 emails a day for ~1,430 customers a day) with the
whole engine deciding each customer through ``Engine.choose`` in arrival order
(``experiments/live_price_days.py``): one engine with ``[engine.prices] enabled = true`` (default
settings), one without, on the same world seed, each stepping its own copy of the world with its
own decisions and learning from them. Day 0 has no forecast (the log is empty), so both arms are
first come that day; the value compared is the mean over days 1.. of the exact expected reward of
the actions chosen, per 1,000 customers. The paired difference (priced - first come) gets a
Student-t 95% interval over seeds. Violations: sends beyond a channel's daily cap, both arms.

The engine's default serves SquareCB, whose exploration differs from the priced distribution's
(5% uniform over the eligible actions); ``--exploration epsilon`` makes both arms serve the one
epsilon-greedy learner (5%, VW's own draw on the first-come arm), so that they differ by the
prices alone.

Run: ``python benchmarks/bench_live_prices_value.py [--seeds 8] [--days 4] [--exploration
epsilon]``. Exits 0.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from experiments.live_price_days import live_days
from experiments.metrics import mean_ci


def main() -> int:
    """Measure and print; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8, help="worlds (default 8)")
    parser.add_argument("--days", type=int, default=4, help="days per world (default 4)")
    parser.add_argument("--exploration", choices=("epsilon",), default=None,
                        help="both arms serve this learner alone (default: the engine's)")
    args = parser.parse_args()
    print(f"capacity scenario, the engine in arrival order: {args.seeds} seeds x {args.days} "
          f"days, learners: {args.exploration or 'the default'}; value = exact expected reward "
          f"per 1,000 customers, days 1..{args.days - 1}")
    extra = {} if args.exploration is None else {"exploration": args.exploration}
    priced, fcfs, bad = [], [], 0
    for seed in range(args.seeds):
        t = time.perf_counter()
        runs = {}
        for arm in (False, True):
            with tempfile.TemporaryDirectory() as d:
                runs[arm] = live_days("capacity", seed=seed, days=args.days, priced=arm,
                                      state_dir=d, **extra)
        fcfs.append(np.mean([r["value"] for r in runs[False][1:]]))
        priced.append(np.mean([r["value"] for r in runs[True][1:]]))
        bad += sum(r["violations"] for arm in runs.values() for r in arm)
        last = runs[True][-1]
        print(f"seed {seed}: priced {priced[-1]:7.1f}  first come {fcfs[-1]:7.1f}  "
              f"(last day's sends priced {last['sends']} first come {runs[False][-1]['sends']}, "
              f"prices {({k: round(v, 3) for k, v in last['prices'].items()})}; "
              f"{time.perf_counter() - t:.0f} s)", flush=True)
    p, f = np.array(priced), np.array(fcfs)
    diff, lo, hi = mean_ci(p - f)
    word = "priced wins" if lo > 0 else ("first come wins" if hi < 0 else "not separated")
    print(f"priced {p.mean():.1f}  first come {f.mean():.1f}  difference {diff:+.1f} "
          f"[{lo:+.1f}, {hi:+.1f}] (95%, paired over {args.seeds} seeds)  {word}; "
          f"violations {bad}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
