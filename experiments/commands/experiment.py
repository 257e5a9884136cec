"""``offerbandit experiment``: run a grid of policies x scenarios x seeds on Ray, and report.

    offerbandit experiment run experiments/configs/standard.toml --out results/standard
    offerbandit experiment report results/standard

``run`` runs every unfinished cell (a cell whose Parquet file exists is skipped), writes the
report and the regret curves the dashboard reads, and prints the report's path; it exits 1 when
a cell failed (the report lists it). ``report`` rebuilds both from a results folder.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> args = add_parser(sub).parse_args(["run", "spec.toml", "--workers", "2"])
    >>> args.out, args.workers, args.retries
    (None, 2, 1)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.commands.arg_types import positive_int

__all__ = ["add_parser", "report", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``experiment`` (with ``run`` and ``report``) and return its parser."""
    p = subparsers.add_parser("experiment", help="run and report experiment grids",
                              description="Evaluate policies on simulated scenarios, in "
                              "parallel on Ray, with regret, lift and guardrails.")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = sub.add_parser("run", help="run a spec (resumable) and write the report")
    r.add_argument("spec", help="the experiment spec (TOML)")
    r.add_argument("--out", default=None,
                   help="results folder (default: results/<spec name>)")
    r.add_argument("--address", default=None,
                   help="Ray cluster address (default: start Ray locally)")
    r.add_argument("--workers", type=positive_int, default=None,
                   help="cells run at once (default: every CPU)")
    r.add_argument("--retries", type=int, default=1,
                   help="extra attempts of a cell that raised (default 1)")
    r.add_argument("--quiet", action="store_true",
                   help="no progress bar (default: a bar over cells)")
    r.set_defaults(func=run)
    rep = sub.add_parser("report", help="write report.html from a results folder")
    rep.add_argument("results", help="the results folder")
    rep.add_argument("--currency", default=None,
                     help="label of the money unit (default: the spec's currency, else EUR)")
    rep.set_defaults(func=report)
    return p


def run(args: argparse.Namespace) -> int:
    """Run the grid, write the report, print its path; 1 if a cell failed, 2 on a bad spec."""
    from experiments.errors import ExperimentError
    from experiments.ray_runner import run_grid
    from experiments.regret_curves import write_regret_curves
    from experiments.report import write_report
    from experiments.spec import load_spec

    try:
        spec = load_spec(args.spec)
    except ExperimentError as exc:
        print(exc, file=sys.stderr)
        return 2
    out = Path(args.out or Path("results") / spec.name)
    outcomes = run_grid(spec, out, address=args.address, workers=args.workers,
                        retries=args.retries, progress=not args.quiet)
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        print(f"failed: {o.cell_id}: {o.error}", file=sys.stderr)
    if len(failed) == len(outcomes):
        print("every cell failed; no report", file=sys.stderr)
        return 1
    print(write_report(out))
    write_regret_curves(out)
    return 1 if failed else 0


def report(args: argparse.Namespace) -> int:
    """Write the report of a results folder and print its path; 2 if it holds no results."""
    from experiments.errors import ResultsError
    from experiments.regret_curves import write_regret_curves
    from experiments.report import write_report

    try:
        print(write_report(args.results, currency=args.currency))
        write_regret_curves(args.results)
    except ResultsError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
