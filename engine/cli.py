"""The ``offerbandit`` command line: one entry point for every room's commands.

Each subcommand is a module with ``add_parser(subparsers)`` (which registers the subcommand and
sets ``func``), declared as an entry point of the group ``offerbandit.commands`` in
``pyproject.toml``: the production commands live in ``engine/commands/``, the lab's in
``experiments/commands/``. The dispatcher names no module itself, so the engine never imports
the lab, and a command is added by declaring it, not by editing this file.

Example:
    >>> sorted(COMMAND_GROUP.split("."))
    ['commands', 'offerbandit']
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import EntryPoint, entry_points

__all__ = ["COMMAND_GROUP", "build_parser", "commands", "main"]

COMMAND_GROUP = "offerbandit.commands"


def commands() -> list[EntryPoint]:
    """The declared subcommands, in the order ``pyproject.toml`` lists them.

    Raises:
        SystemExit: none is declared (the package was not installed: ``pip install -e .``).
    """
    found = list(entry_points(group=COMMAND_GROUP))
    if not found:
        raise SystemExit(f"offerbandit: no command is declared under the entry point group "
                         f"{COMMAND_GROUP!r}; install the package (pip install -e .)")
    return found


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every declared subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="offerbandit",
        description="Decide which message to send, on which channel, and when; learn from what "
        "happens next.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in commands():
        command.load().add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``offerbandit`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
