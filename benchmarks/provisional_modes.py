"""``provisional_after`` in either reward mode, cell by cell: the same suite cells run with
``reward_mode = "sum"`` (the default's correction added to it) and ``"refuse"`` (the client's
one reward in its place, stop 34), and each pair's capture printed side by side. With
``default_reward = 0`` and one total reported per decision the two write the same rows, so
every pair should be equal to the last digit; a difference names a cell to look at.

    python benchmarks/provisional_modes.py --worlds small,capacity --seeds 0,1 --after 24h
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from experiments.learning_suite.contestants import LearnerSpec  # noqa: E402
from experiments.learning_suite.suite_cell import SuiteCell, run_suite_cell  # noqa: E402
from experiments.worlds import HORIZONS  # noqa: E402

MODES = ("sum", "refuse")


def capture_by_mode(world: str, seed: int, after: str) -> dict[str, float]:
    """Capture of one quick-horizon cell of ``world`` in each reward mode."""
    out = {}
    for mode in MODES:
        spec = LearnerSpec("engine", f"provisional_after ({after}, {mode})",
                           {"reward_mode": mode, "provisional_after": after})
        cell = run_suite_cell(SuiteCell(world, spec, seed=seed, horizon=HORIZONS[world][1]))
        out[mode] = float(cell["capture"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worlds", default="small")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--after", default="24h", help="provisional_after (default 24h)")
    args = parser.parse_args()
    equal = total = 0
    print("| world | seed | capture, sum | capture, refuse | equal |")
    print("| --- | --- | --- | --- | --- |")
    for world in args.worlds.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            got = capture_by_mode(world, seed, args.after)
            same = got["sum"] == got["refuse"]
            equal, total = equal + same, total + 1
            print(f"| {world} | {seed} | {got['sum']:.6f} | {got['refuse']:.6f} | "
                  f"{'yes' if same else 'NO'} |", flush=True)
    print(f"{equal} of {total} cells equal in both modes")


if __name__ == "__main__":
    main()
