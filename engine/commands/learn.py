"""``offerbandit learn``: the one learner of a shared log (``engine.learner_loop``).

Follows the rewards that ``offerbandit serve --store URL`` replicas write, learns each exactly
once in sequence order, writes the default reward of expired decisions, and publishes model
snapshots to the log for the replicas. Runs until SIGINT/SIGTERM, publishing what is pending on
the way out; prints a status line every ``--status-every-s`` seconds.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> args = add_parser(sub).parse_args(["--store", "postgresql://db/log", "--catalog", "c.toml"])
    >>> args.publish_every, args.publish_every_s
    (1000, 5.0)
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.learner_loop import LearnerLoop

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``learn`` and return its parser."""
    p = subparsers.add_parser("learn", help="run the one learner of a shared log",
                              description="Follow the rewards choose replicas write to a shared "
                              "log, learn each once, and publish model snapshots there.")
    p.add_argument("--store", required=True,
                   help="the shared log: postgresql://user@host/db or sqlite:///folder/")
    p.add_argument("--catalog", required=True, help="catalog TOML (the replicas' own)")
    p.add_argument("--seed", type=int, default=0,
                   help="the learner's seed when none published (default 0)")
    p.add_argument("--publish-every", type=int, default=1000,
                   help="publish a snapshot after this many rewards learned (default 1000)...")
    p.add_argument("--publish-every-s", type=float, default=5.0,
                   help="...or this many seconds after the last, if anything is new (default 5)")
    p.add_argument("--settle-every-s", type=float, default=60.0,
                   help="how often to write the default reward of expired decisions (default 60)")
    p.add_argument("--status-every-s", type=float, default=30.0,
                   help="seconds between status lines on stderr (default 30; 0: none)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Learn until SIGINT/SIGTERM. Exit 2 on a bad store, catalog or snapshot."""
    from engine.errors import EngineError
    from engine.learner_loop import LearnerLoop

    try:
        loop = LearnerLoop.from_catalog(args.catalog, args.store, seed=args.seed,
                                        publish_every=args.publish_every,
                                        publish_every_s=args.publish_every_s,
                                        settle_every_s=args.settle_every_s)
    except (EngineError, FileNotFoundError, ValueError) as exc:
        print(f"offerbandit learn: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    status = loop.status()
    print(f"offerbandit learn: {loop.log.url}: learned_seq {status.learned_seq} "
          f"({status.replayed_on_start} replayed), log at {status.last_seq}", file=sys.stderr)
    reporter = threading.Thread(target=_report, args=(loop, stop, args.status_every_s),
                                daemon=True)
    if args.status_every_s > 0:
        reporter.start()
    try:
        loop.run(stop)
    finally:
        loop.close()
    return 0


def _report(loop: LearnerLoop, stop: threading.Event, every_s: float) -> None:
    start = time.monotonic()
    while not stop.wait(every_s):
        s = loop.status()
        print(f"offerbandit learn: learned_seq {s.learned_seq} of {s.last_seq}, "
              f"{s.learned / (time.monotonic() - start):.0f}/s, snapshot {s.published_version}, "
              f"defaults {s.defaults_written}", file=sys.stderr, flush=True)
