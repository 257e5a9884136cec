"""What a policy did, window by window, in an experiment's cells: the per-window counts every
cell records (expected value of the treated decisions, contacts, opens, clicks, conversions,
unsubscribes, picks the simulator replaced by no contact), summed over its seeds and divided by
their number, one row per window. It reads the parquet cells ``offerbandit experiment run``
writes under ``<out>/cells``.

    python benchmarks/window_counts.py results/s24/long_baseline "engine (default)" --seeds 0-7
    python benchmarks/window_counts.py results/s27/long_lints lints --seeds 0-7
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from benchmarks.paired_runs import cells_of  # noqa: E402
from benchmarks.paired_switch import seed_list  # noqa: E402

#: the counts printed, as the cells name them
COUNTS = ("expected_treated", "contacts", "no_contact", "opened", "clicked", "converted",
          "unsubscribed", "churned", "overrides")


def window_counts(out: Path, policy: str, seeds: list[int] | None = None) -> pd.DataFrame:
    """Each window's counts (rows) for ``policy``'s cells in ``out``, a mean over seeds."""
    cells = cells_of(out, policy)
    if seeds is not None:
        cells = cells[cells["seed"].isin(seeds)]
    if cells.empty:
        raise SystemExit(f"no cells of policy {policy!r} (seeds {seeds or 'all'}) in {out}")
    sums = cells.groupby(["window", "step"])[list(COUNTS)].sum()
    return (sums / cells["seed"].nunique()).round(0).astype(int)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="an experiment's output folder")
    ap.add_argument("policy", help="the policy's label in the cells")
    ap.add_argument("--seeds", default="", help="these seeds only: 0-7 or 0,3,5")
    args = ap.parse_args()
    seeds = seed_list(args.seeds) if args.seeds else None
    table = window_counts(args.out, args.policy, seeds)
    n = "all" if seeds is None else len(seeds)
    print(f"{args.policy} in {args.out}: per window, mean over seeds ({n})")
    print(table.to_string())


if __name__ == "__main__":
    main()
