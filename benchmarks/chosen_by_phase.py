"""What a learner's chosen actions are worth, phase by phase of one suite cell: per eighth of
the run, the mean expected reward of the chosen actions against uniform random's and the
oracle's over the same customers, the share of no contact, and (an engine) the serving
candidate's reward scale at the phase's start. A cell whose tail capture is near 0 shows here
whether it never learned, collapsed early, or learned and then lost it.

Run: ``python benchmarks/chosen_by_phase.py --world small --learner "engine default" --seed 0``
(seconds to a minute per cell on 2 cores).
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack

import numpy as np

from experiments.learning_suite.contestants import build_contestant, learner
from experiments.learning_suite.suite_cell import batch_values
from experiments.worlds import make_world


def phases(world_name: str, label: str, seed: int, quick: bool, n_phases: int) -> list[dict]:
    """One row per phase: ``chosen``, ``random``, ``oracle`` (mean expected reward per
    decision), ``no_contact`` (share of decisions playing action 0) and ``scale``."""
    world = make_world(world_name, seed, None, quick)
    per_batch: list[tuple[float, float, float, float, float]] = []
    with ExitStack() as stack:
        stack.callback(world.close)
        contestant = build_contestant(learner(label), world, seed, stack)
        engine = getattr(contestant, "engine", None)
        while not world.done:
            b = world.observe()
            picks, _ = contestant.act(b)
            played = world.served(picks, b.eligible)
            chosen, random, oracle = batch_values(b, played)
            sel = getattr(engine, "_selection", None)
            scale = sel.serving_scale if sel is not None else float("nan")
            per_batch.append((float(chosen.mean()), float(random.mean()), float(oracle.mean()),
                              float((played == 0).mean()), scale))
            contestant.learn(world.play(picks))
        contestant.learn(world.flush())
    names = ("chosen", "random", "oracle", "no_contact")
    return [{**dict(zip(names, part[:, :4].mean(axis=0), strict=True)), "scale": part[0, 4]}
            for part in np.array_split(np.asarray(per_batch), n_phases)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", default="small")
    p.add_argument("--learner", default="engine default")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--full", action="store_true", help="the world's full horizon (default: "
                   "the suite's quick one)")
    p.add_argument("--phases", type=int, default=8)
    args = p.parse_args(argv)
    rows = phases(args.world, args.learner, args.seed, not args.full, args.phases)
    print(f"{args.world}, {args.learner}, seed {args.seed}: expected reward per decision")
    print("| phase | chosen | random | oracle | capture | no contact | scale at start |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for i, r in enumerate(rows):
        gap = r["oracle"] - r["random"]
        capture = (r["chosen"] - r["random"]) / gap if gap > 0 else float("nan")
        print(f"| {i + 1} | {r['chosen']:.4f} | {r['random']:.4f} | {r['oracle']:.4f} | "
              f"{capture:+.3f} | {r['no_contact']:.2f} | {r['scale']:.3g} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
