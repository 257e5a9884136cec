"""Do the rewards a learner gets measure what the value measures, and how many are there? A
uniform-random log of a suite world: the logged rewards against the world's expected rewards of
the same actions (the value an experiment reports), overall and per value of each action
namespace (message, channel, timing), with the share of rewards above 0 (issue 12, stop 20).

    python benchmarks/reward_check.py baseline 3 --rows 60000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import cast

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from benchmarks.joint_penalty_offline import uniform_log  # noqa: E402
from experiments.metrics import mean_ci  # noqa: E402


def groups(sets: list[dict], namespace: str) -> dict[str, list[int]]:
    """Action indices by their features in ``namespace`` ("" for actions without it)."""
    out: dict[str, list[int]] = {}
    for a, s in enumerate(sets):
        key = ", ".join(f"{k}={v}" for k, v in sorted(s.get(namespace, {}).items()))
        out.setdefault(key, []).append(a)
    return out


def line(label: str, realised: np.ndarray, expected: np.ndarray) -> str:
    """One row: count, means, and the mean difference with its 95 % half-width."""
    mean, lo, hi = mean_ci(realised - expected)
    return (f"  {label[:48]:<48} n {realised.size:6d}  realised {realised.mean():+.4f}  "
            f"expected {expected.mean():+.4f}  difference {mean:+.4f} +- {(hi - lo) / 2:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("world")
    ap.add_argument("seed", type=int)
    ap.add_argument("--rows", type=int, default=60000)
    ap.add_argument("--max-groups", type=int, default=12,
                    help="namespaces with more distinct values than this are not broken down")
    args = ap.parse_args()
    log = uniform_log(args.world, args.seed, args.rows)
    chosen, rewards = np.asarray(log["chosen"]), np.asarray(log["rewards"])
    expected = np.asarray(log["expected"])[np.arange(chosen.size), chosen]
    print(f"{args.world} seed {args.seed}, {chosen.size:,} uniform decisions: rewards above 0 "
          f"{(rewards > 0).mean():.4f}, sd {rewards.std():.2f}, max {rewards.max():.1f}")
    print(line("every action", rewards, expected))
    sets = cast(list[dict], log["sets"])
    for ns in sorted({k for s in sets for k in s}):
        by_value = groups(sets, ns)
        if len(by_value) > args.max_groups:
            continue
        print(f" namespace {ns}")
        for key, actions in sorted(by_value.items()):
            rows = np.isin(chosen, actions)
            print(line(key or "(none)", rewards[rows], expected[rows]))


if __name__ == "__main__":
    main()
