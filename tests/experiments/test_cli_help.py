"""Every optional flag of every command says its default in --help (store-true flags say what
happens without them)."""

from __future__ import annotations

import argparse

import pytest

from engine.cli import build_parser


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub
                for inner, deeper in _subparsers(sub):
                    yield f"{name} {inner}", deeper


COMMANDS = dict(_subparsers(build_parser()))


@pytest.mark.parametrize("command", ["simulate", "experiment run", "experiment report", "ope",
                                     "serve", "export"])
def test_every_flag_shows_its_default(command):
    missing = [a.option_strings[-1] for a in COMMANDS[command]._actions
               if a.option_strings and not a.required
               and not isinstance(a, argparse._HelpAction)
               and "default" not in (a.help or "")]
    assert missing == []
