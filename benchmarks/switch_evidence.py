"""How far each challenger is from winning the switch rule, through one suite cell: every
``--every`` decisions, the serving candidate, each challenger's paired difference from it (the
estimate the rule reads, its interval and rows: ``stats()["candidates"]``) and the share of each
decision it draws; at the end, the rows each difference would need for its interval to exclude
0 if its estimate held (rows x (half-width / estimate)^2: a reading of how far the horizon falls
short, not a prediction).

Run: ``python benchmarks/switch_evidence.py --world small --learner "engine
default+regcbloop scaled trial 0.3" --seed 14`` (about 30 seconds on 2 cores).
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from typing import Any

from experiments.learning_suite.contestants import build_contestant, learner
from experiments.worlds import make_world


def standing(stats: dict[str, Any]) -> list[str]:
    """One line per challenger with a paired difference: estimate [interval] rows, share."""
    out = []
    for name, c in stats["candidates"].items():
        if c["serving"] or c["difference"] is None:
            continue
        out.append(f"  {name}: {c['difference']:+.4f} [{c['difference_low']:+.4f}, "
                   f"{c['difference_high']:+.4f}] on {c['difference_n']} rows, share "
                   f"{c['share']:.2f}")
    return out


def rows_needed(c: dict[str, Any]) -> float:
    """Rows for the interval to exclude 0 at the same estimate and per-row spread."""
    half = (c["difference_high"] - c["difference_low"]) / 2.0
    value = abs(c["difference"])
    return float("inf") if value == 0.0 else c["difference_n"] * (half / value) ** 2


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", default="small")
    p.add_argument("--learner", default="engine default+regcbloop scaled trial 0.3")
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--every", type=int, default=1000, help="decisions between two readings")
    p.add_argument("--horizon", type=int, default=None, help="decisions (default: quick)")
    args = p.parse_args(argv)
    world = make_world(args.world, args.seed, args.horizon, quick=True)
    print(f"{args.world}, {args.learner}, seed {args.seed}, {world.horizon} decisions; "
          f"each challenger minus the serving candidate, paired")
    with ExitStack() as stack:
        stack.callback(world.close)
        contestant = build_contestant(learner(args.learner), world, args.seed, stack)
        engine = contestant.engine
        decided, next_reading = 0, args.every
        while not world.done:
            batch = world.observe()
            picks, _ = contestant.act(batch)
            world.served(picks, batch.eligible)
            contestant.learn(world.play(picks))
            decided += len(picks)
            if decided >= next_reading:
                next_reading += args.every
                stats = engine.stats()
                print(f"{decided} decisions, {stats['learned_seq']} rewards learned, serving "
                      f"{stats['serving_learner']}, switches {stats['learner_switches']}")
                print("\n".join(standing(stats)), flush=True)
        contestant.learn(world.flush())
        stats = engine.stats()
    print("rows each difference would need to exclude 0 at its estimate:")
    for name, c in stats["candidates"].items():
        if not c["serving"] and c["difference"] is not None:
            print(f"  {name}: {rows_needed(c):,.0f} (has {c['difference_n']:,})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
