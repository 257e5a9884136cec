"""The learning suite: worlds x learners x seeds on Ray, one table (issue 12, Deliver 1).

Worlds (``experiments/worlds/``): classification turned bandit on scikit-learn's digits, wine,
breast cancer and iris; a 60-class synthetic world; synthetic worlds of other structures
(per-action linear, low-rank, sparse high-cardinality categories, thresholds, sparse and delayed
rewards, a shift halfway, a 54-action marketing world); the example catalog with 0/1 rewards
through the Engine; every simulator scenario. Learners (``experiments/learning_suite/
contestants.py``): the Engine with each exploration it offers, plain VW loops, the policies
room's learners. Per cell: capture over the world's tail (or ``--metric reward``: progressive
reward; ``--metric capture_all``: capture over the whole run, what exploring early costs;
``--metric chosen``: the tail's mean exact expected reward of the actions played, the value
delivered; ``--metric oracle``: the tail's mean of each row's best eligible action) with a
95 % interval over seeds; per learner: its worst ratio to the best learner of a world.
Capture's random and oracle are each row's, over the actions eligible for it; where a
learner's own picks change what is eligible later (``capacity``: a channel full for the day is
ineligible), each learner is measured against a reference of its own, and ``chosen`` is the
figure to pair by seed (docs/engine.md, stop 53).

Each finished cell is appended to ``<out>/cells.jsonl`` as it finishes, and a cell already there
is not run again, so a long run can be made in parts (``--worlds``/``--learners``) and the table
rebuilt from everything in the folder (``--table-only``); ``--before FOLDER`` pairs each learner
with its own cells in another folder (the same run at an earlier commit); ``--paired LABEL``
prints every other learner minus ``LABEL`` per world, paired by seed, and ``LABEL``'s ratio to
each world's best (naming that best); ``--confirm SEEDS --paired LABEL`` judges ``LABEL`` on
held-out seeds: each world's best learner is chosen on ``--seeds`` (or named, ``--bests
world=label,...``) and measured on the ``--confirm`` seeds, where ``LABEL - 0.9 x best``
(``--bar``), paired by seed, says with its interval whether ``LABEL`` reaches 0.9 of that best
(the best's mean on the seeds that chose it is the largest of several noisy means, and
overstates it). ``--take FOLDER`` copies another folder's cells into this one first (a cell
already here is kept), ``--renamed "old=new,..."`` relabelling them on the way: a label such as
``engine default`` names another configuration once the default changes, and the cells of a run
made before are still the same code's. ``--half-width H`` (with ``--paired``) adds each
difference's standard deviation over the seeds and the seeds a 95 % interval of half-width
``H`` would take; ``--draws common`` runs the simulator's worlds with common random numbers
(cells named and read apart; ``benchmarks/pooled_bar.py`` pools both kinds of worlds for the
bar). Writes ``<out>/table.md`` (the wide table),
``<out>/table.csv`` (one row per world and learner, with intervals and ratios).

Run: ``python benchmarks/learning_suite.py --quick`` (a few minutes on 2 cores) or without
``--quick`` (every world and learner, 3 seeds: hours; run it in parts).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.learning_suite.contestants import (
    ENGINE_VARIANTS,
    FULL_LEARNERS,
    QUICK_LEARNERS,
    learner,
)
from experiments.learning_suite.suite_cell import SuiteCell, cell_id, run_suite_cell
from experiments.learning_suite.suite_table import (
    against_bar,
    bar_reading,
    bests,
    markdown,
    paired_difference,
    same_cells,
    seeds_for,
    summarise,
    wide,
    worst_ratios,
)
from experiments.ray_runner import run_tasks
from experiments.worlds import HORIZONS, WORLDS
from simulator.batch_env import DRAWS

QUICK_WORLDS = ("wine", "per_action_linear", "thresholds", "marketing54", "example_catalog")


def read_cells(path: Path) -> list[dict[str, Any]]:
    """The cell records of a ``cells.jsonl`` (none when the file is missing)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _cell_id(rec: dict[str, Any]) -> str:
    return cell_id(rec["world"], rec["learner"], rec["seed"], rec.get("draws", "sequence"))


def _current(rec: dict[str, Any], quick: bool, horizon: int | None,
             draws: str = "sequence") -> bool:
    """Whether a recorded cell ran at the horizon and with the draws this run asks for (a cell
    of another horizon or other draws is kept in the file but neither shown nor counted as
    done; a cell recorded before stop 54 drew in sequence)."""
    if rec.get("draws", "sequence") != draws:
        return False
    want = horizon or HORIZONS[rec["world"]][1 if quick else 0]
    return want is None or rec["horizon"] == want


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help=f"worlds {', '.join(QUICK_WORLDS)} at short horizons, 5 learners")
    p.add_argument("--worlds", default="", help="comma-separated world names (default: all, "
                   "or the quick ones)")
    p.add_argument("--learners", default="", help="comma-separated learner labels (default: "
                   "the issue's list, or the quick one); 'all' adds the engine variants")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--horizon", type=int, default=None, help="decisions per cell (default: "
                   "each world's own)")
    p.add_argument("--out", default="", help="results folder (default results/learning_suite"
                   "[_quick])")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--address", default=None, help="a Ray cluster address")
    p.add_argument("--metric", choices=("capture", "capture_all", "reward", "chosen",
                                         "oracle"),
                   default="capture")
    p.add_argument("--paired", default="", help="a learner label: print every other learner's "
                   "difference from it per world, paired by seed, with its 95 %% interval, "
                   "and its ratio to each world's best")
    p.add_argument("--before", default="", help="another results folder (the same suite run "
                   "at an earlier commit): print each learner's difference from its own cells "
                   "there, paired by world and seed (what a change of code did)")
    p.add_argument("--confirm", default="", help="held-out seeds (comma-separated): with "
                   "--paired, choose each world's best learner on --seeds and judge the "
                   "--paired learner against --bar times it on these seeds")
    p.add_argument("--bests", default="", help="with --confirm, each world's best named "
                   "instead of chosen: world=label,world=label")
    p.add_argument("--bar", type=float, default=0.9, help="with --confirm, the share of the "
                   "best to reach (default 0.9)")
    p.add_argument("--digits", type=int, default=2, choices=range(1, 6),
                   help="decimals of the paired differences (--paired, --before; "
                   "default 2)")
    p.add_argument("--draws", choices=DRAWS, default="sequence",
                   help="the simulator worlds' draws: 'sequence' (every draw in turn from one "
                   "generator, as every cell before stop 54) or 'common' (each learner of a "
                   "seed meets the same customers with the same dice until its actions change "
                   "them: common random numbers; on capacity they did not narrow the paired "
                   "intervals, stop 54); its cells are kept apart from the other's")
    p.add_argument("--half-width", type=float, default=0.0,
                   help="with --paired, also print each difference's standard deviation over "
                   "the seeds and how many seeds a 95 %% interval of this half-width would "
                   "take (what 'not separated' needs to become a verdict)")
    p.add_argument("--table-only", action="store_true",
                   help="rebuild the table from the folder, run nothing")
    p.add_argument("--take", action="append", default=[], metavar="FOLDER",
                   help="copy another results folder's cells into --out first (repeatable; a "
                   "cell already in --out is kept)")
    p.add_argument("--renamed", default="", help="with --take, relabel the taken cells: "
                   "'old label=new label,...' (all at once, so two labels can swap)")
    args = p.parse_args(argv)
    if args.renamed and not args.take:
        p.error("--renamed: expected --take FOLDER too")
    if args.half_width and not args.paired:
        p.error("--half-width: expected --paired LABEL too (the differences it reads)")
    if args.half_width < 0:
        p.error(f"--half-width: expected a number above 0, got {args.half_width!r}")
    if args.confirm and not args.paired:
        p.error("--confirm: expected --paired LABEL too (the learner judged)")
    if args.bests and not args.confirm:
        p.error("--bests: expected --confirm SEEDS too")
    return args


def _seed_list(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def _span(text: str) -> str:
    """Seeds as runs: ``"0,1,2,3,7"`` reads ``"0-3,7"``.

    >>> _span("20,21,22,23,5")
    '20-23,5'
    """
    runs: list[list[int]] = []
    for seed in _seed_list(text):
        if runs and seed == runs[-1][1] + 1:
            runs[-1][1] = seed
        else:
            runs.append([seed, seed])
    return ",".join(f"{a}-{b}" if b > a else f"{a}" for a, b in runs)


def _label_pairs(text: str, flag: str, shape: str) -> dict[str, str]:
    """``flag``'s ``a=b,c=d`` items as a dict; raises ``SystemExit`` naming the flag and the
    expected ``shape`` on a malformed item.

    >>> _label_pairs("engine default=old one,new one=engine default", "--renamed", "old=new")
    {'engine default': 'old one', 'new one': 'engine default'}
    """
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    bad = [item for item in pairs if len(item) != 2 or not all(x.strip() for x in item)]
    if bad:
        raise SystemExit(f"{flag}: expected {shape} items, got {'='.join(bad[0])!r}")
    return {a.strip(): b.strip() for a, b in pairs}


def _take(log: Path, folders: list[Path], renames: dict[str, str]) -> None:
    """Append the cells of each folder's ``cells.jsonl`` to ``log``, relabelled by
    ``renames``, except those whose cell (world, learner, seed, horizon) ``log`` already
    holds; raises ``SystemExit`` for a folder without cells."""
    have = {(_cell_id(r), r["horizon"]) for r in read_cells(log)}
    new = []
    for folder in folders:
        recs = read_cells(folder / "cells.jsonl")
        if not recs:
            raise SystemExit(f"--take: no cells in {folder / 'cells.jsonl'}")
        for r in recs:
            r = dict(r, learner=renames.get(r["learner"], r["learner"]))
            if (_cell_id(r), r["horizon"]) not in have:
                have.add((_cell_id(r), r["horizon"]))
                new.append(json.dumps(r) + "\n")
    if new:
        with log.open("a") as f:
            f.writelines(new)
        print(f"took {len(new)} cells from {', '.join(map(str, folders))}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    worlds = tuple(filter(None, args.worlds.split(","))) or (
        QUICK_WORLDS if args.quick else WORLDS)
    if args.learners == "all":
        specs = (*FULL_LEARNERS, *ENGINE_VARIANTS)
    elif args.learners:
        specs = tuple(learner(label) for label in args.learners.split(","))
    else:
        specs = QUICK_LEARNERS if args.quick else FULL_LEARNERS
    seeds = _seed_list(args.seeds)
    confirm = _seed_list(args.confirm)
    out = Path(args.out or ("results/learning_suite_quick" if args.quick
                            else "results/learning_suite"))
    out.mkdir(parents=True, exist_ok=True)
    log = out / "cells.jsonl"
    _take(log, [Path(f) for f in args.take],
          _label_pairs(args.renamed, "--renamed", "old=new"))
    have = {_cell_id(r) for r in read_cells(log)
            if _current(r, args.quick, args.horizon, args.draws)}
    cells = [SuiteCell(w, s, seed, quick=args.quick, horizon=args.horizon, draws=args.draws)
             for w in worlds for s in specs for seed in dict.fromkeys(seeds + confirm)]
    todo = [c for c in cells if c.cell_id not in have]
    failed = []
    if todo and not args.table_only:
        def write(cell: SuiteCell, record: dict[str, Any]) -> None:
            with log.open("a") as f:
                f.write(json.dumps(record) + "\n")

        ran = run_tasks(run_suite_cell, todo, address=args.address, workers=args.workers,
                        desc="learning suite", key=lambda c: c.cell_id, on_done=write)
        failed = [k for k, o in ran.items() if o.status == "failed"]
    labels = [s.label for s in specs]
    recs = [r for r in read_cells(log) if r["world"] in worlds and r["learner"] in labels
            and r["seed"] in seeds and _current(r, args.quick, args.horizon, args.draws)]
    if not recs:
        print("no finished cells yet", file=sys.stderr)
        return 1
    table = summarise(recs, args.metric)
    table.to_csv(out / "table.csv", index=False)
    shown = [w for w in worlds if w in set(table["world"])]
    text = markdown(wide(table, shown, [lab for lab in labels if lab in set(table["learner"])]))
    (out / "table.md").write_text(text + "\n")
    span = "the whole run" if args.metric == "capture_all" else "each world's tail"
    print(f"{args.metric} over {span}, mean±half-width of the 95 % interval over "
          f"seeds {_span(args.seeds)} (* best of the world); worst ratio = lowest mean / best "
          "mean")
    print(text)
    skipped = sorted(set(table["world"]) - set(table.dropna(subset=["ratio"])["world"]))
    if skipped:
        print(f"left out of the ratios (best learner under 0.05): {', '.join(skipped)}")
    worst = worst_ratios(table)
    engines = [lab for lab in worst.index if lab.startswith("engine")]
    if engines:
        best = max(engines, key=lambda lab: worst[lab])
        print(f"engine configuration with the best worst-case ratio: {best} "
              f"({worst[best]:.2f})")
    if args.paired:
        _print_paired(recs, shown, [lab for lab in labels if lab != args.paired], args.paired,
                      args.metric, args.digits)
        if args.half_width:
            _print_seeds_for(recs, shown, [lab for lab in labels if lab != args.paired],
                             args.paired, args.metric, args.half_width)
        _print_ratios(table, shown, args.paired)
    if args.before:
        _print_before(recs, Path(args.before), shown, labels, seeds, args)
    if confirm:
        held = [r for r in read_cells(log) if r["world"] in worlds and r["learner"] in labels
                and r["seed"] in confirm and _current(r, args.quick, args.horizon, args.draws)]
        named = _label_pairs(args.bests, "--bests", "world=label")
        _print_confirmed(held, shown, bests(recs, args.metric) | named, bool(named), args)
    if failed:
        print(f"FAILED cells: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _print_grid(title: str, worlds: list[str], labels: list[str],
                cell: Callable[[str, str], str]) -> None:
    """A markdown table under ``title``: a row per world, a column per learner."""
    print(f"\n{title}")
    print("| world | " + " | ".join(labels) + " |")
    print("| --- |" + " --- |" * len(labels))
    for w in worlds:
        print(f"| {w} | " + " | ".join(cell(w, lab) for lab in labels) + " |")


def _print_paired(recs: list[dict[str, Any]], worlds: list[str], labels: list[str], ref: str,
                  metric: str, digits: int = 2) -> None:
    def cell(w: str, lab: str) -> str:
        mean, lo, hi, n = paired_difference(recs, w, lab, ref, metric)
        d = digits
        return f"{mean:+.{d}f} [{lo:+.{d}f}, {hi:+.{d}f}] ({n})" if n else ""

    _print_grid(f"{metric}: learner - {ref}, paired by seed, mean [95 % interval] (pairs)",
                worlds, labels, cell)


def _print_seeds_for(recs: list[dict[str, Any]], worlds: list[str], labels: list[str],
                     ref: str, metric: str, half_width: float) -> None:
    """Per world and learner, the paired differences' standard deviation and the seeds a 95 %
    interval of half-width ``half_width`` would take at it (:func:`seeds_for`)."""
    def cell(w: str, lab: str) -> str:
        sd, n = seeds_for(recs, w, lab, ref, half_width, metric)
        return f"{sd:.3f}; {n}" if n else ""

    _print_grid(f"{metric}: learner - {ref}, the standard deviation of a pair's difference; "
                f"seeds for a 95 % interval of half-width {half_width:g}", worlds, labels, cell)


def _print_ratios(table: pd.DataFrame, worlds: list[str], ref: str) -> None:
    """Per world, ``ref``'s mean over the best learner's mean (the table's ``ratio``, blank
    where the world is left out of the ratios), and which learner that best is (the first of
    a tie): what the worst ratio is the lowest of."""
    print(f"\n{ref}: mean / each world's best mean")
    print("| world | best | ratio |")
    print("| --- | --- | --- |")
    for w in worlds:
        rows = table[table["world"] == w]
        mine = rows[rows["learner"] == ref]
        if mine.empty:
            continue
        best = rows[rows["best"]]["learner"].iloc[0]
        ratio = mine["ratio"].iloc[0]
        print(f"| {w} | {best} | {'' if pd.isna(ratio) else f'{ratio:.3f}'} |")


def _print_confirmed(held: list[dict[str, Any]], worlds: list[str], chosen: dict[str, str],
                     named: bool, args: argparse.Namespace) -> None:
    """The --paired learner against --bar times each world's best (chosen elsewhere) on the
    held-out seeds both ran: the means, their ratio and the interval on the same pairs."""
    ref, bar = args.paired, args.bar
    print(f"\nheld out: {args.metric} on seeds {_span(args.confirm)}; each world's best chosen "
          f"on seeds {_span(args.seeds)}{' or named (--bests)' * named}; {ref} - {bar:g} x "
          "best, paired by seed, mean [95 % interval] (pairs)")
    print(f"| world | best | best's mean | {ref}'s mean | ratio | {ref} - {bar:g} x best | "
          "reads |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for w in worlds:
        best = chosen.get(w)
        if best is None:
            continue
        mine = {r["seed"]: r[args.metric] for r in held if r["world"] == w and r["learner"] == ref}
        theirs = {r["seed"]: r[args.metric] for r in held
                  if r["world"] == w and r["learner"] == best}
        pairs = sorted(mine.keys() & theirs.keys())
        if not pairs:
            print(f"| {w} | {best} | | | | no held-out seed run by both (is {best} in "
                  f"--learners?) | |")
            continue
        a = sum(mine[s] for s in pairs) / len(pairs)
        b = sum(theirs[s] for s in pairs) / len(pairs)
        mean, lo, hi, n = against_bar(held, w, ref, best, bar, args.metric)
        reads = "is the best" if best == ref else bar_reading(lo, hi, bar)
        ratio = f"{a / b:.2f}" if b > 0 else ""
        print(f"| {w} | {best} | {b:.3f} | {a:.3f} | {ratio} | {mean:+.3f} [{lo:+.3f}, "
              f"{hi:+.3f}] ({n}) | {reads} |")


def _print_before(recs: list[dict[str, Any]], before: Path, worlds: list[str],
                  labels: list[str], seeds: list[int], args: argparse.Namespace) -> None:
    """Each learner here minus the same learner's cells in the folder ``before``."""
    then = [dict(r, learner=f"{r['learner']} (before)") for r in read_cells(before / "cells.jsonl")
            if r["learner"] in labels and r["seed"] in seeds
            and _current(r, args.quick, args.horizon, args.draws)]
    if not then:
        print(f"\n{before}: no cells of {', '.join(labels)} at these seeds", file=sys.stderr)
        return
    print(f"\n{args.metric}: this folder minus {before}, the same learner, paired by seed, "
          "mean [95 % interval] (pairs; of them, cells the same to the last bit in capture, the "
          "whole run's capture and the tail's expected and realised rewards; the cells' mean "
          "seconds)")
    print("| world | " + " | ".join(labels) + " |")
    print("| --- |" + " --- |" * len(labels))
    for w in worlds:
        cells = []
        for lab in labels:
            mean, lo, hi, n = paired_difference(recs + then, w, lab, f"{lab} (before)",
                                                args.metric)
            same, _ = same_cells(recs + then, w, lab, f"{lab} (before)")
            d = args.digits
            cells.append(f"{mean:+.{d}f} [{lo:+.{d}f}, {hi:+.{d}f}] ({n}; {same} the same "
                         f"to the last bit; {_seconds(then, w, lab + ' (before)'):.0f} s a "
                         f"cell before, {_seconds(recs, w, lab):.0f} s now)" if n else "")
        print(f"| {w} | " + " | ".join(cells) + " |")


def _seconds(recs: list[dict[str, Any]], world: str, label: str) -> float:
    """The mean of a learner's cells' own time in a world (their ``seconds``)."""
    times = [r["seconds"] for r in recs if r["world"] == world and r["learner"] == label]
    return sum(times) / len(times) if times else float("nan")


if __name__ == "__main__":
    raise SystemExit(main())
