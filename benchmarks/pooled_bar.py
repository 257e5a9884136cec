"""The 0.9 bar judged over the learning suite's cells of several folders, each world a pair: the
same seed in sequence and with common draws (``--draws common``) gives two independent worlds
of the same kind, so their pairs pool (issue 12, stop 54).

``benchmarks/learning_suite.py`` pairs by seed within one kind of draws; this reads the cells of
each ``--folder`` (every one of its draws, or the ones named after a colon), keys each pair by
its seed and its draws, and prints ``LEARNER - bar x BEST`` with its 95 % interval and what it
reads, per metric, as the suite's ``--confirm`` does.

Example (stop 54; the folders of stop 53's and stop 54's commands)::

    python benchmarks/pooled_bar.py --world capacity --learner "engine default" \\
        --best "vw regcb-opt costs declared" --metrics chosen,capture \\
        --folder results/s53/cap10 --folder results/s53/cap30 --folder results/s54/crn
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from benchmarks.learning_suite import read_cells
from experiments.learning_suite.suite_table import against_bar, bar_reading
from simulator.batch_env import DRAWS


def pooled_records(folders: list[str], world: str, labels: tuple[str, ...]
                   ) -> list[dict[str, Any]]:
    """The cells of ``world`` and ``labels`` in ``folders`` (``path`` or ``path:draws``), each
    ``seed`` replaced by ``"<seed> <draws>"`` so that a seed in sequence and the same seed with
    common draws are two pairs (``draws`` filled in where a cell made before stop 54 lacks
    it). A cell found twice (the same seed, draws and learner) counts once; cells at more
    than one horizon are refused."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for spec in folders:
        path, _, only = spec.partition(":")
        if only and only not in DRAWS:
            raise SystemExit(f"--folder: expected path or path:draws with draws one of "
                             f"{', '.join(DRAWS)}, got {spec!r}")
        cells = Path(path) / "cells.jsonl"
        if not cells.exists():
            raise SystemExit(f"--folder: no cells.jsonl in {path!r}")
        for rec in read_cells(cells):
            draws = rec.get("draws", "sequence")
            if rec["world"] != world or rec["learner"] not in labels or only not in ("", draws):
                continue
            key = (rec["learner"], rec["seed"], draws)
            seen.setdefault(key, {**rec, "seed": f"{rec['seed']} {draws}", "draws": draws})
    horizons = sorted({r["horizon"] for r in seen.values()})
    if len(horizons) > 1:  # a quick cell and a full one are not two worlds of one kind
        raise SystemExit(f"--folder: cells of {world!r} at several horizons {horizons}; give "
                         f"folders of one horizon")
    return list(seen.values())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", required=True)
    p.add_argument("--learner", required=True, help="the learner judged")
    p.add_argument("--best", required=True, help="the learner it is judged against")
    p.add_argument("--bar", type=float, default=0.9)
    p.add_argument("--metrics", default="chosen,capture",
                   help="comma-separated record fields (chosen, capture, ...)")
    p.add_argument("--folder", action="append", required=True,
                   help="a results folder, or folder:draws to read only those (repeatable)")
    args = p.parse_args(argv)
    recs = pooled_records(args.folder, args.world, (args.learner, args.best))
    kinds = sorted({r["draws"] for r in recs})
    print(f"{args.world}: {args.learner} - {args.bar:g} x {args.best}, paired by seed and "
          f"draws ({', '.join(kinds) or 'none'}), mean [95 % interval] (pairs)")
    worst = 0
    for metric in filter(None, args.metrics.split(",")):
        mean, lo, hi, n = against_bar(recs, args.world, args.learner, args.best, args.bar,
                                      metric)
        if n < 2:
            print(f"{metric}: fewer than two pairs", file=sys.stderr)
            worst = 1
            continue
        print(f"{metric}: {mean:+.3f} [{lo:+.3f}, {hi:+.3f}] ({n}): "
              f"{bar_reading(lo, hi, args.bar)}")
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
