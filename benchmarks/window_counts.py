"""What a policy did, window by window, in an experiment's cells: the per-window counts every
cell records (expected value of the treated decisions, contacts, opens, clicks, conversions,
unsubscribes), summed over its seeds and divided by their number, one row per window. It reads
the parquet cells ``offerbandit experiment run`` writes under ``<out>/cells``.

    python benchmarks/window_counts.py results/s24/long_baseline "engine (default)" --seeds 0-7
    python benchmarks/window_counts.py results/s27/long_lints lints --seeds 0-7
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

#: the counts printed, as the cells name them
COUNTS = ("expected_treated", "contacts", "no_contact", "opened", "clicked", "converted",
          "unsubscribed", "churned")


def seed_range(text: str) -> set[int]:
    """``"0-7"`` or ``"0,3,5"`` as a set of seeds.

    Example:
        >>> sorted(seed_range("0-2")), sorted(seed_range("4,1"))
        ([0, 1, 2], [1, 4])
    """
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return set(range(lo, hi + 1))
    return {int(v) for v in text.split(",")}


def window_counts(out: Path, policy: str, seeds: set[int] | None = None) -> pd.DataFrame:
    """Each window's counts (rows) for ``policy``'s cells in ``out``, a mean over seeds."""
    files = sorted((out / "cells").glob("*.parquet"))
    cells = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    cells = cells[cells["policy"] == policy]
    if seeds is not None:
        cells = cells[cells["seed"].isin(seeds)]
    if cells.empty:
        raise SystemExit(f"no cells of policy {policy!r} (seeds {sorted(seeds or [])}) in {out}")
    sums = cells.groupby(["window", "step"])[list(COUNTS)].sum()
    return (sums / cells["seed"].nunique()).round(0).astype(int)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="an experiment's output folder")
    ap.add_argument("policy", help="the policy's label in the cells")
    ap.add_argument("--seeds", default="", help="these seeds only: 0-7 or 0,3,5")
    args = ap.parse_args()
    seeds = seed_range(args.seeds) if args.seeds else None
    table = window_counts(args.out, args.policy, seeds)
    n = "all" if seeds is None else len(seeds)
    print(f"{args.policy} in {args.out}: per window, mean over seeds ({n})")
    print(table.to_string())


if __name__ == "__main__":
    sys.exit(main())
