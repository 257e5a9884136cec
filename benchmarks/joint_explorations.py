"""One joint linear model, several explorations: is LinTS's lead over the engine's default on a
world its model or its exploration? (issue 12, stop 10; docs/engine.md, "Features in slots of
their own, and Thompson sampling on the joint ridge").

Runs suite cells (``--quick`` horizons) of the policies room's joint ridge (the one LinTS and
LinUCB use: every context column its own) under Thompson sampling at two penalties and two
scales, greedy, and epsilon-greedy, and prints each one's mean capture, the half-width of its
95 % interval and the per-seed captures. With ``--floors``, the engine's shared default under
Thompson sampling (``engine default ts0.5``) with ``THOMPSON_FLOOR`` set to each value given,
for a diagnosis only (the engine's floor is a constant).

    python benchmarks/joint_explorations.py --worlds marketing54,drift,small --seeds 10
    python benchmarks/joint_explorations.py --worlds marketing54 --seeds 10 --floors 0,0.01
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

import policies.joint_ridge_learner as joint_ridge  # noqa: E402
from experiments.learning_suite.contestants import LearnerSpec, learner  # noqa: E402
from experiments.learning_suite.suite_cell import SuiteCell, run_suite_cell  # noqa: E402

#: label -> the policy and its parameters (``policies.registry``)
VARIANTS = {
    "lints": {"name": "lints"},
    "lints ridge 100": {"name": "lints", "ridge": 100.0},
    "lints scale 0 (greedy)": {"name": "lints", "scale": 0.0},
    "lints scale 0.5": {"name": "lints", "scale": 0.5},
    "epsilon greedy": {"name": "epsilon_greedy"},
}


def _line(label: str, caps: list[float]) -> str:
    half = 1.96 * statistics.stdev(caps) / len(caps) ** 0.5 if len(caps) > 1 else float("nan")
    return (f"{label:32s} {statistics.mean(caps):.3f} ±{half:.3f}   "
            + " ".join(f"{c:.2f}" for c in caps))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worlds", default="marketing54")
    ap.add_argument("--seeds", type=int, default=10, help="seeds 0..n-1")
    ap.add_argument("--floors", default="", help="comma-separated THOMPSON_FLOOR values: run "
                    "the engine's 'engine default ts0.5' with each instead of the policies")
    args = ap.parse_args()
    for world in args.worlds.split(","):
        print(f"{world}: capture over the tail, mean ±95 % half-width, then seeds "
              f"0-{args.seeds - 1}")
        if args.floors:
            for floor in (float(f) for f in args.floors.split(",")):
                joint_ridge.THOMPSON_FLOOR = floor
                caps = [run_suite_cell(SuiteCell(world, learner("engine default ts0.5"), s,
                                                 quick=True))["capture"]
                        for s in range(args.seeds)]
                print(_line(f"engine default ts0.5, floor {floor:g}", caps), flush=True)
            continue
        for label, params in VARIANTS.items():
            spec = LearnerSpec("policy", label, params)
            caps = [run_suite_cell(SuiteCell(world, spec, s, quick=True))["capture"]
                    for s in range(args.seeds)]
            print(_line(label, caps), flush=True)


if __name__ == "__main__":
    main()
