"""``offerbandit export``: the engine's decision log as one Parquet file (schema: docs/catalog.md).

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> add_parser(sub).parse_args(["--state-dir", "s", "--out", "log.parquet"]).since is None
    True
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["add_parser", "parse_since", "run"]


def parse_since(text: str) -> float:
    """Epoch seconds from an ISO 8601 date or time; without an offset it is taken as UTC.

    Example:
        >>> parse_since("1970-01-02"), parse_since("1970-01-01T01:00:00+01:00")
        (86400.0, 0.0)
    """
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--since: expected an ISO date or time such as "
                                         f"2026-03-01 or 2026-03-01T09:00:00+01:00, got {text!r}"
                                         ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``export`` and return its parser."""
    p = subparsers.add_parser("export", help="export the decision log as Parquet",
                              description="Write the decisions of a state directory, joined with "
                              "their summed rewards, to one Parquet file (the input of "
                              "off-policy evaluation; schema in docs/catalog.md).")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--state-dir", help="the engine's state directory (default: none; this "
                       "or --store is required)")
    where.add_argument("--store", help="a shared log: postgresql://user@host/db or "
                       "sqlite:///folder/ (default: none; this or --state-dir is required)")
    p.add_argument("--out", required=True, help="the Parquet file to write")
    p.add_argument("--since", type=parse_since, default=None,
                   help="only decisions made at or after this ISO date/time (UTC if no offset; "
                   "default: every decision)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Export; print the row count. Exit 2 when the state directory holds no log or the store
    cannot be opened."""
    from engine.errors import EngineError
    from engine.parquet_export import export_parquet
    from engine.store import FILE_NAME
    from engine.store_url import open_store

    if args.state_dir is not None and not (Path(args.state_dir) / FILE_NAME).is_file():
        print(f"--state-dir: expected a folder holding {FILE_NAME}, got {args.state_dir!r}",
              file=sys.stderr)
        return 2
    try:
        log = open_store(args.store, args.state_dir)
    except EngineError as exc:
        print(f"offerbandit export: {exc}", file=sys.stderr)
        return 2
    with log:
        n = export_parquet(log, args.out, since=args.since)
    print(f"{n} decisions -> {args.out}")
    return 0
