"""The ``offerbandit`` command line.

Each subcommand lives in its own module under ``experiments/commands/`` and exposes
``add_parser(subparsers)`` (which registers the subcommand and sets ``func``). A subcommand that is
not built yet is simply not listed here.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# One line per built subcommand, in the order --help shows them.
COMMANDS: tuple[str, ...] = (
    "simulate",
    "experiment",
    "ope",
    "serve",
    "export",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every built subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="offerbandit",
        description="Decide which message to send, on which channel, and when; learn from what "
        "happens next.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"experiments.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``offerbandit`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
