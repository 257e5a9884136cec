"""Which worlds the ridge learners' number scale (``number_scale = "spread"``,
``policies/number_scale.py``) reads differently from the numbers as they come: the factor each
context number gets from its first values, per world. Every suite world is checked at seed 0
(its numbers' distribution does not depend on the seed but in ``random_catalog``, whose seeds
in the range given are listed).

    python benchmarks/number_scales.py --seeds 0-99
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


def factors(world: str, seed: int) -> dict[str, float]:
    """The factors above 1 the scale fixes on ``world``'s first contexts (the learner meets a
    sample of them; all of the first ones is the same distribution)."""
    horizon = None if world in DATASETS else 4000  # a multiple of every world's batch
    w = make_world(world, seed, horizon)
    scale = NumberScale()
    try:
        seen = 0
        while not w.done and seen < 4 * WARMUP:
            batch = w.observe()
            seen += len(batch.refs)
            for ctx in w.engine_contexts(batch):
                for ns, name, value in feature_items({"c": context_namespace(ctx)}):
                    scale.read(ns, name, value, learning=True)
            w.play(np.argmax(batch.eligible, axis=1))
    finally:
        w.close()
    return {k: v for k, v in scale.factors.items() if v != 1.0}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0-99", help="random_catalog seeds: 0-999 or 1,5,9")
    args = p.parse_args(argv)
    for world in WORLDS:
        if world == "random_catalog":
            continue
        got = factors(world, 0)
        print(f"{world}: " + (f"{len(got)} numbers scaled, factors "
                              f"{sorted(set(got.values()))}" if got else "every number raw"))
    seeds = seed_list(args.seeds)
    changed = [s for s in seeds if factors("random_catalog", s)]
    print(f"random_catalog: numbers scaled on {len(changed)} of {len(seeds)} seeds: "
          f"{','.join(map(str, changed))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
