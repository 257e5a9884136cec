"""Where an engine's choose+reward pair spends its time, part by part.

The loop of ``benchmarks/bench_engine.py`` (49 actions, the default candidates, ``follow_every``
0 unless ``--inline``), with the real engine's parts wrapped in timers: the serving learner's
``probabilities``, ``learn`` and ``features``, the contact rules, the log's reads and writes,
the housekeeping of ``_settle_some`` and the drift monitor. Prints microseconds per pair of each
part (parts nest: ``learn`` includes ``features``) next to the whole pair's, after ``--warm``
pairs. Run: ``python benchmarks/engine_pair_parts.py [--pairs 3000] [--warm 500]``. The
wrappers add about a microsecond a call, so the parts are a little high; ``bench_engine.py``
gives the pair's cost against the VW text loop.
"""

from __future__ import annotations

import argparse
import collections
import functools
import tempfile
import time
from typing import Any

from benchmarks.bench_engine import T0, contexts, make_engine

_LEARNER_PARTS = ("probabilities", "learn", "features")
_LOG_PARTS = ("get_decision", "write_reward", "write_client_reward", "write_decision",
              "history", "rewards_of")
_ENGINE_PARTS = ("_settle_some", "_follow_drift")


def timed(spent: collections.Counter, calls: collections.Counter, owner: Any, name: str,
          label: str) -> None:
    """Replace ``owner.name`` by the same callable, timed into ``spent[label]``."""
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - start
            calls[label] += 1

    setattr(owner, name, wrapper)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3000, help="timed pairs (default 3000)")
    parser.add_argument("--warm", type=int, default=500, help="pairs before timing")
    parser.add_argument("--inline", action="store_true", help="follow_every = 1 (every "
                        "candidate learns on the reward's path)")
    args = parser.parse_args()
    ctxs = contexts(args.warm + args.pairs)
    spent: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as d, make_engine(
            4, d, follow_every=1 if args.inline else 0) as eng:
        for i, ctx in enumerate(ctxs[:args.warm]):
            dec = eng.choose(f"w{i}", ctx, now=T0 + i)
            eng.reward(dec.decision_id, float(dec.action_index % 3 == 0), now=T0 + i + 1)
        learner = eng._selection.learner
        for name in _LEARNER_PARTS:
            timed(spent, calls, learner, name, f"serving learner.{name}")
        for name in _LOG_PARTS:
            timed(spent, calls, eng.log, name, f"log.{name}")
        for name in _ENGINE_PARTS:
            timed(spent, calls, eng, name, f"engine.{name}")
        timed(spent, calls, eng.rules, "apply", "rules.apply")
        choose_s = reward_s = 0.0
        for i, ctx in enumerate(ctxs[args.warm:], start=args.warm):
            start = time.perf_counter()
            dec = eng.choose(f"c{i}", ctx, now=T0 + i)
            middle = time.perf_counter()
            eng.reward(dec.decision_id, float(dec.action_index % 3 == 0), now=T0 + i + 1)
            choose_s += middle - start
            reward_s += time.perf_counter() - middle
    n = args.pairs
    print(f"{eng.catalog.n_actions} actions, serving {type(learner).__name__}, follow_every "
          f"{1 if args.inline else 0}: pair {(choose_s + reward_s) / n * 1e6:.0f} us (choose "
          f"{choose_s / n * 1e6:.0f}, reward {reward_s / n * 1e6:.0f})")
    print(f"{'part':32} {'us/pair':>8} {'calls/pair':>10}")
    for label, seconds in spent.most_common():
        print(f"{label:32} {seconds / n * 1e6:>8.1f} {calls[label] / n:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
