"""Where the trial ended, per world, from a learning suite's results folder: the mean share of
each decision the challengers drew at the end of each cell (the ``shares`` a cell records), on
how many cells it ended at the trial's floor and on how many with no challenger on trial (one
put behind the serving candidate, or a world whose default has no trial), and the switches;
with ``--before``, the same cells of another folder beside it (the seeds both hold); with
``--against`` (another learner of the same folder), the cells split by whether ``--candidate``
drew at least half of each decision at the end, each group's mean capture beside the other
learner's on the same seeds (a split by where the trial ended, not randomised: a reading).

    python benchmarks/trial_shares.py results/s50/a_after --before results/s48/f40 \\
        --worlds capacity,fatigue_unrecorded --seeds 10-29
    python benchmarks/trial_shares.py results/s52/a --learner "engine default even trial" \\
        --against "vw regcb-opt costs declared" --candidate regcb
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.learning_suite import read_cells
from benchmarks.paired_switch import seed_list


def cells(folder: Path, learner: str) -> dict[tuple[str, int], dict[str, Any]]:
    """The learner's cells of a results folder, by (world, seed)."""
    return {(r["world"], int(r["seed"])): r for r in read_cells(folder / "cells.jsonl")
            if r["learner"] == learner}


def summary(recs: list[dict[str, Any]], floor: float) -> str:
    """Mean challenger share at the end (all but the share of the candidate serving then),
    cells at the floor and with none on trial, switches."""
    shares = np.array([1.0 - r["shares"].get(r["serving"], 1.0) for r in recs])
    at_floor = int(np.sum(np.abs(shares - floor) <= 1e-9))
    none = int(np.sum(shares <= 1e-9))
    return (f"challengers' share {shares.mean():.3f}, at the floor on {at_floor} of "
            f"{len(recs)}, none on trial on {none}, "
            f"{sum(r['switches'] for r in recs)} switches")


def split_by_share(recs: list[dict[str, Any]], against: list[dict[str, Any]],
                   candidate: str) -> str:
    """The cells where ``candidate`` drew at least half of each decision at the end, and the
    rest: how many, the learner's mean capture and the ``against`` cells' on the same seeds."""
    parts = []
    for label, want in ((f"{candidate} at least half", True), ("the rest", False)):
        pairs = [(r["capture"], a["capture"]) for r, a in zip(recs, against, strict=True)
                 if (r["shares"].get(candidate, 0.0) >= 0.5) == want]
        if pairs:
            mine, theirs = np.mean(pairs, axis=0)
            parts.append(f"{label}: {len(pairs)} cells, {mine:.3f} against {theirs:.3f}")
        else:
            parts.append(f"{label}: 0 cells")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--before", type=Path, default=None)
    ap.add_argument("--learner", default="engine default")
    ap.add_argument("--worlds", default=None, help="comma-separated (default: every world)")
    ap.add_argument("--seeds", default=None, help="a range 10-29 or a list (default: all)")
    ap.add_argument("--floor", type=float, default=0.1, help="the trial's floor share")
    ap.add_argument("--against", default=None,
                    help="another learner of the folder: split by --candidate's share")
    ap.add_argument("--candidate", default="regcb", help="the candidate --against splits by")
    args = ap.parse_args(argv)
    now = cells(args.folder, args.learner)
    other = cells(args.folder, args.against) if args.against else None
    then = cells(args.before, args.learner) if args.before else None
    worlds = args.worlds.split(",") if args.worlds else sorted({w for w, _ in now})
    seeds = set(seed_list(args.seeds)) if args.seeds else None
    for world in worlds:
        keys = sorted(k for k in now if k[0] == world and (seeds is None or k[1] in seeds)
                      and (then is None or k in then) and (other is None or k in other))
        if not keys:
            continue
        mine = summary([now[k] for k in keys], args.floor)
        line = f"{world} ({len(keys)} cells): {mine}"
        if then is not None:
            line += f"; before: {summary([then[k] for k in keys], args.floor)}"
        if other is not None:
            line += "\n  " + split_by_share([now[k] for k in keys], [other[k] for k in keys],
                                             args.candidate)
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
