"""One policy of an experiment grid, run twice (at two commits, say): this run minus the other,
paired by scenario and seed, value per 1,000 customers with its 95 % interval.

Run: ``python benchmarks/paired_runs.py results/long_rescale results/long_joint_l100
--policy "engine (default)"`` (both folders made by ``offerbandit experiment run``). With
``--other-policy``, this run's ``--policy`` minus another policy of the other run (two grids
over the same scenarios and seeds: ``python benchmarks/paired_runs.py results/long_exploration
results/long_rescale --policy "engine (joint ts0.5)" --other-policy "segment rules"``). With
``--seeds 0-7``, those seeds only (to pair a 20-seed run with an 8-seed one on the same seeds).
With ``--this-also FOLDER`` / ``--other-also FOLDER`` (repeatable), the same policy's cells of
further runs join each side (more seeds run later: ``python benchmarks/paired_runs.py
results/s33/long_engine_provisional results/s28/long_default_baseline --this-also
results/s33/long_more_seeds --other-also results/s33/long_more_seeds --policy "engine
(provisional_after 24h)" --other-policy "segment rules"``); a seed found twice on one side is
refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from benchmarks.paired_switch import seed_list
from experiments.metrics import paired
from experiments.results_io import read_results


def cells_of(folder: Path, policy: str, also: list[Path] | None = None) -> pd.DataFrame:
    """Every cell row of ``policy`` in the results folder ``folder`` and in each of ``also``;
    raises ``SystemExit`` when two of them hold one (scenario, seed)."""
    parts, seen = [], set()
    for f in (folder, *(also or ())):
        rows = read_results(f)
        rows = rows[rows["policy"] == policy]
        keys = set(zip(rows["scenario"], rows["seed"], strict=True))
        if keys & seen:
            raise SystemExit(f"{f}: {policy!r} has seeds another folder of that side has: "
                             f"{sorted(keys & seen)[:3]}")
        seen |= keys
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("this", type=Path, help="a results folder")
    p.add_argument("other", type=Path, help="the same grid's results folder from another run")
    p.add_argument("--policy", required=True, help="the policy's label in both")
    p.add_argument("--other-policy", default=None,
                   help="the other run's policy to subtract (default: --policy)")
    p.add_argument("--this-also", action="append", type=Path, default=[], metavar="FOLDER",
                   help="another results folder whose cells of --policy join this side")
    p.add_argument("--other-also", action="append", type=Path, default=[], metavar="FOLDER",
                   help="another results folder whose cells of the other policy join that side")
    p.add_argument("--seeds", default="", help="these seeds only: 0-7 or 0,3,5 (default: "
                   "every seed both runs have)")
    args = p.parse_args(argv)
    other_policy = args.other_policy or args.policy
    now = cells_of(args.this, args.policy, args.this_also)
    then = cells_of(args.other, other_policy, args.other_also)
    if args.seeds:
        keep = seed_list(args.seeds)
        now, then = now[now["seed"].isin(keep)], then[then["seed"].isin(keep)]
    if now.empty or then.empty:
        p.error(f"--policy: no cells of {args.policy if now.empty else other_policy!r} in "
                f"{args.this if now.empty else args.other}")
    then = then.assign(policy=f"{other_policy} ({args.other.name})")
    table = paired(pd.concat([now, then], ignore_index=True), args.policy)
    print(f"{args.policy} ({args.this.name}) minus {other_policy} ({args.other.name}), "
          f"paired by seed")
    print(table[["scenario", "seeds", "diff_per_1000", "diff_lo", "diff_hi"]]
          .round(1).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
