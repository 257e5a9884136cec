"""How learners spend a world's capped channels (issue 12, stop 53): over the tail of learning-
suite cells on a simulator world with daily caps (``capacity``: 60 SMS and 300 emails a day),
per channel, the sends per seed, the exact expected reward per send, and the share of the
tail's batches that met the channel with room left, beside the tail's value delivered
(``chosen``) and the mean of each row's best eligible action (``oracle``).

A learner that fills a cap early in the day leaves the later customers without that channel:
their best eligible action, the oracle that capture divides by, is lower for it than for a
learner that keeps the room, so on such a world capture is measured against a reference of
each learner's own, and the value delivered is the figure to pair.

    python benchmarks/capped_channels.py --seeds 10,11,13,15 \\
        --learners "engine default,vw regcb-opt costs declared,engine default priced"
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path

import numpy as np
from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from experiments.learning_suite.contestants import build_contestant, learner  # noqa: E402
from experiments.learning_suite.suite_cell import batch_values  # noqa: E402
from experiments.worlds import make_world  # noqa: E402
from experiments.worlds.simulator_world import SimulatorWorld  # noqa: E402


def spend(world_name: str, label: str, seed: int, horizon: int | None = None
          ) -> dict[str, np.ndarray | float]:
    """One quick cell's tail: per channel, sends, summed expected reward of the sends, and
    batches met with room left; the tail's mean chosen and oracle values and its batches."""
    world = make_world(world_name, seed, horizon, quick=True)
    assert isinstance(world, SimulatorWorld)  # main refused any other world
    c = len(world.channels)
    sends, value, roomy = np.zeros(c), np.zeros(c), np.zeros(c)
    chosen, oracle, batches = 0.0, 0.0, 0
    start = world.horizon - round(world.horizon * world.tail_fraction)
    with ExitStack() as stack:
        stack.callback(world.close)
        contestant = build_contestant(learner(label), world, seed, stack)
        while not world.done:
            b = world.observe()
            room = world.room_left()
            picks, _ = contestant.act(b)
            played = world.served(picks, b.eligible)
            if b.refs[0] >= start:
                worth, _, best = batch_values(b, played)
                ch = world.channel_of(played)
                sends += np.bincount(ch[ch >= 0], minlength=c)
                value += np.bincount(ch[ch >= 0], weights=worth[ch >= 0], minlength=c)
                roomy += room > 0
                chosen, oracle, batches = chosen + worth.sum(), oracle + best.sum(), batches + 1
            contestant.learn(world.play(picks))
        contestant.learn(world.flush())
    rows = world.horizon - start
    return {"sends": sends, "value": value, "roomy": roomy, "batches": float(batches),
            "chosen": chosen / rows, "oracle": oracle / rows}


def _report(label: str, channels: tuple[str, ...], cells: list[dict]) -> None:
    sends = np.sum([x["sends"] for x in cells], axis=0)
    value = np.sum([x["value"] for x in cells], axis=0)
    roomy = np.sum([x["roomy"] for x in cells], axis=0) / sum(x["batches"] for x in cells)
    print(f"\n{label}: chosen {np.mean([x['chosen'] for x in cells]):.4f}, oracle "
          f"{np.mean([x['oracle'] for x in cells]):.4f} (tail means over {len(cells)} seeds)")
    print("| channel | sends a seed | value a send | tail batches with room left |")
    print("| --- | --- | --- | --- |")
    for j, name in enumerate(channels):
        per = value[j] / sends[j] if sends[j] else float("nan")
        print(f"| {name} | {sends[j] / len(cells):.1f} | {per:.3f} | {roomy[j]:.3f} |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--world", default="capacity", help="a simulator world (default capacity)")
    p.add_argument("--seeds", default="10,11,13,15")
    p.add_argument("--learners", default="engine default,vw regcb-opt costs declared")
    p.add_argument("--horizon", type=int, default=None, help="decisions (default: quick)")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    labels = [lab.strip() for lab in args.learners.split(",") if lab.strip()]
    for lab in labels:
        learner(lab)  # an unknown label is refused before any cell runs
    first = make_world(args.world, seeds[0], args.horizon, quick=True)
    first.close()
    if not isinstance(first, SimulatorWorld):
        raise SystemExit(f"--world: expected a simulator world with channels, got {args.world!r}")
    cells = {lab: [] for lab in labels}
    with tqdm(total=len(labels) * len(seeds), desc="capped channels", unit="cell") as bar:
        for lab in labels:
            for seed in seeds:
                cells[lab].append(spend(args.world, lab, seed, args.horizon))
                bar.update()
    print(f"{args.world}, tail of the quick horizon, seeds {args.seeds}")
    for lab in labels:
        _report(lab, first.channels, cells[lab])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
