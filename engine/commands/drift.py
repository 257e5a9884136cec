"""``offerbandit drift``: what the drift monitor of a state directory says, as tables.

It reads the log (read-only, beside a running service: SQLite's WAL lets it; or a shared
PostgreSQL log with ``--store``) from the monitor's saved state on to the end, so the figures are
up to the last row logged; it writes nothing. Without a saved state it rebuilds the monitor from
the whole log, with the ``[engine.drift]`` settings of ``--catalog`` (or the defaults).

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> add_parser(sub).parse_args(["--state-dir", "s"]).events
    20
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "format_report", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``drift`` and return its parser."""
    p = subparsers.add_parser("drift", help="print what the drift monitor found",
                              description="Print, as tables, which context features moved "
                              "(PSI against the reference window), the reward streams' change "
                              "detectors, the lift's trend and the latest drift events of a "
                              "state directory, read from its log (nothing is written).")
    p.add_argument("--state-dir", default=None,
                   help="the engine's state directory: its saved monitor (drift.json) and, "
                   "without --store, its log (default: none; this or --store is required)")
    p.add_argument("--store", default=None,
                   help="the log when it is shared: postgresql://user@host/db or "
                   "sqlite:///folder/ (default: the SQLite log of --state-dir)")
    p.add_argument("--catalog", default=None,
                   help="catalog TOML whose [engine.drift] settings to use when the state "
                   "directory has no saved monitor (default: the saved monitor's settings, "
                   "else the defaults)")
    p.add_argument("--events", type=int, default=20,
                   help="how many of the latest events to list (default 20)")
    p.add_argument("--json", action="store_true",
                   help="print the report as JSON instead of tables (default: tables)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Print the report. Exit 2 when there is no log to read or a bad catalog."""
    from engine.drift.drift_view import drift_view
    from engine.drift.log_follower import LogFollower, saved_options
    from engine.drift.options import DriftOptions
    from engine.errors import EngineError
    from engine.store import FILE_NAME
    from engine.store_url import open_store

    state = None if args.state_dir is None else Path(args.state_dir)
    if state is None and args.store is None:
        print("offerbandit drift: expected --state-dir or --store, got neither", file=sys.stderr)
        return 2
    if args.store is None and state is not None and not (state / FILE_NAME).is_file():
        print(f"--state-dir: expected a folder holding {FILE_NAME}, got {str(state)!r}",
              file=sys.stderr)
        return 2
    options = None if state is None else saved_options(state)
    try:
        if options is None:
            options = _catalog_options(args.catalog) if args.catalog else DriftOptions()
        log = open_store(args.store, state)
    except EngineError as exc:
        print(f"offerbandit drift: {exc}", file=sys.stderr)
        return 2
    with log:
        follower = LogFollower(log, state, options, write=False)
        unlogged = follower.catch_up()
        snap = follower.snapshot(events=max(args.events, 1))
    report = {**drift_view(snap, time.time()), "snapshot": snap,
              "unlogged": [e.to_dict() for e in unlogged]}
    if args.json:
        print(json.dumps(report, indent=1, default=str))
    else:
        print(format_report(report, args.events))
    return 0


def _catalog_options(path: str) -> Any:
    from engine.config import load_config
    from engine.options import EngineOptions

    return EngineOptions.from_dict(load_config(path)[2]).drift_options


def _when(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def _num(v: float | None, fmt: str = ".3f") -> str:
    return "-" if v is None else format(v, fmt)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    return [line.format(*header).rstrip(), *(line.format(*r).rstrip() for r in rows)]


def format_report(report: dict[str, Any], events: int = 20) -> str:
    """The report as text: the verdict, then features, reward streams, lift and events."""
    snap = report["snapshot"]
    ctx = snap["context"]
    out = [f"drift: {report['verdict']['text']} ({report['verdict']['level']})",
           f"read {snap['decisions_seen']:,} decisions and {snap['rewards_seen']:,} rewards "
           f"from the log (monitor state: {snap['resumed']}); times in UTC", ""]
    span = ctx["reference_span"]
    out.append(f"context: {ctx['phase']}; the last {ctx['window']:,} decisions against "
               + ("a reference not built yet" if span is None else
                  f"the reference of {ctx['reference_size']:,} decisions from "
                  f"{_when(span[0])} to {_when(span[1])}")
               + f"; warn at PSI >= {ctx['psi_warn']:g}, alert at >= {ctx['psi_alert']:g}")
    rows = []
    for f in report["features"]:
        last = f.get("last_moved")
        rows.append([f["name"], f["kind"] or "", _num(f["psi"]), f["level"],
                     "" if not last else f"{_when(last['at'])} (PSI {last['psi']:.3f}, "
                                         f"{last['level']})",
                     "" if f.get("chi2_p") is None else f"{f['chi2_p']:.3g}"])
    out += _table(["feature", "kind", "PSI", "level", "last moved", "chi2 p"], rows) if rows \
        else ["(no feature watched yet)"]
    rw = snap["reward"]
    out += ["", f"reward streams: blocks of {rw['block']:,} rewards in log order; Page-Hinkley "
                f"for a {100 * rw['shift']:g}% change, threshold {rw['threshold']:g} "
                f"(log-likelihood)"]
    rows = [[s["name"], s["state"], f"{s['blocks']:,}", _num(s["last_mean"], ".4g"),
             _num(s["reference_mean"], ".4g"),
             _num(s["statistic"], ".2f"), str(s["alarms"]),
             "" if not s["last_change"] else f"{s['last_change']['direction']} from "
                                             f"{_when(s['last_change']['change_at'])}"]
            for s in report["streams"]]
    out += _table(["stream", "state", "blocks", "last block", "reference", "statistic",
                   "alarms", "last change"], rows) if rows else ["(no reward yet)"]
    resp = snap.get("response")
    out += ["", report["response"]]
    if resp and resp["phase"] == "watching" and resp.get("test") == "count":
        out += _table(["stream", "reference rewards", "answers in it", "statistic"],
                      [[m["name"], f"{m['rewards']:,}", f"{m['answers']:,}",
                        f"{m['statistic']:.2f}"] for m in resp["messages"]])
    elif resp and resp["phase"] == "watching":
        out += _table(["stream", "reference rewards", "residual sd", "step", "statistic"],
                      [[m["name"], f"{m['rewards']:,}", f"{m['sd']:.4g}", f"{m['delta']:.4g}",
                        f"{m['statistic']:.2f}"] for m in resp["messages"]])
    lift = report["lift"]
    out += ["", "lift (treatment - holdout): " + (
        f"{lift['direction']}, slope {lift['slope']:+.4g} per window of {lift['window']:,} "
        f"rewards (95% CI {lift['slope_lo']:+.4g} to {lift['slope_hi']:+.4g}), last window "
        f"{lift['lift']:+.4g}" if lift.get("slope") is not None else
        f"not enough windows with both groups yet ({lift['windows']} of 3)")]
    logged = report["events"][:events]
    out += ["", f"events (latest {len(logged)}, newest first):"]
    out += _table(["time", "level", "kind", "what"],
                  [[_when(e["at"]), e["level"], e["kind"], e["message"]] for e in logged]) \
        if logged else ["(none)"]
    if report["unlogged"]:
        out += ["", f"{len(report['unlogged'])} more found in the log's newest rows, not yet "
                    f"logged by the engine (it reads the log every few calls):"]
        out += [f"  {_when(e['at'])}  {e['level']}  {e['message']}" for e in report["unlogged"]]
    return "\n".join(out)
