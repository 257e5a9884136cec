"""Which worlds the ridge learners' number scale (``number_scale = "spread"``,
``policies/number_scale.py``) reads differently from the numbers as they come: for each suite
world, on how many of the seeds given any context number gets a factor other than 1, and which
factors (a world draws its numbers per seed, and the spread is read from 32 values); for
``random_catalog``, which seeds. With ``--held``: how many of the values of every context
of each world's horizon a fixed scale holds at its number's limit (stop 23; a world with
none learns as it did before the limits).

    python benchmarks/number_scales.py --seeds 0-19
    python benchmarks/number_scales.py --worlds random_catalog --seeds 0-99
    python benchmarks/number_scales.py --held --seeds 0-9
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from benchmarks.paired_switch import seed_list  # noqa: E402
from engine.features import context_namespace  # noqa: E402
from experiments.worlds import WORLDS, make_world  # noqa: E402
from experiments.worlds.classification import DATASETS  # noqa: E402
from policies.number_scale import WARMUP, NumberScale  # noqa: E402
from policies.vw_format import feature_items  # noqa: E402


def _read(world: str, seed: int, contexts: int | None) -> tuple[NumberScale, int, int]:
    """A scale fed the numbers of ``world``'s first ``contexts`` contexts at ``seed`` (every
    one of its horizon if None), in decision order (the learner meets them as their rewards
    come: a sample of the same distribution); with the values read and those held at a
    number's limit."""
    horizon = None if world in DATASETS else 4000  # a multiple of every world's batch
    w = make_world(world, seed, horizon)
    scale = NumberScale()
    read = held = seen = 0
    try:
        while not w.done and (contexts is None or seen < contexts):
            batch = w.observe()
            seen += len(batch.refs)
            for ctx in w.engine_contexts(batch):
                for ns, name, value in feature_items({"c": context_namespace(ctx)}):
                    scale.read(ns, name, value, learning=True)
                    read += 1
                    held += scale.held(name, value)
            w.play(np.argmax(batch.eligible, axis=1))
    finally:
        w.close()
    return scale, read, held


def factors(world: str, seed: int) -> dict[str, float]:
    """The factors other than 1 the scale fixes on ``world``'s first contexts at ``seed``."""
    scale = _read(world, seed, 4 * WARMUP)[0]
    return {k: v for k, v in scale.factors.items() if v != 1.0}


def held(world: str, seeds: list[int]) -> str:
    """One line: the values of ``world``'s whole horizons held at a limit, out of those read,
    and the seeds with any."""
    counts = {s: _read(world, s, None)[1:] for s in seeds}
    total, hit = (sum(c[i] for c in counts.values()) for i in (0, 1))
    where = [s for s, c in counts.items() if c[1]]
    return (f"{world}: {hit} of {total} values held at a limit"
            + (f", on seeds {','.join(map(str, where))}" if where else ""))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0-19", help="seeds: 0-99 or 1,5,9")
    p.add_argument("--worlds", default=",".join(WORLDS), help="comma-separated suite worlds")
    p.add_argument("--held", action="store_true",
                   help="count the values held at a number's limit over whole horizons")
    args = p.parse_args(argv)
    seeds = seed_list(args.seeds)
    for world in args.worlds.split(","):
        if args.held:
            print(held(world, seeds), flush=True)
            continue
        got = {s: f for s in seeds if (f := factors(world, s))}
        if not got:
            print(f"{world}: every number raw on seeds {args.seeds}", flush=True)
            continue
        kinds = sorted({v for f in got.values() for v in f.values()})
        listed = f": {','.join(map(str, got))}" if world == "random_catalog" else ""
        print(f"{world}: numbers scaled on {len(got)} of {len(seeds)} seeds, factors "
              f"{kinds}{listed}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
