"""How learners spend a world's capped channels (issue 12, stop 53): over the tail of learning-
suite cells on a simulator world with daily caps (``capacity``: 60 SMS and 300 emails a day),
per channel, the sends per seed, the exact expected reward per send, and the share of the
tail's batches that met the channel with room left, beside the tail's value delivered
(``chosen``) and the mean of each row's best eligible action (``oracle``). A second table splits
the tail's regret against that best action by the channel of the best action and of the one
played (stop 55): where a learner's choice of channel loses what it loses.

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
from pathlib import Path

import numpy as np
from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from experiments.learning_suite.contestants import learner  # noqa: E402
from experiments.learning_suite.suite_cell import (  # noqa: E402
    SuiteCell,
    batch_values,
    run_suite_cell,
)
from experiments.worlds import make_world  # noqa: E402
from experiments.worlds.simulator_world import SimulatorWorld  # noqa: E402
from experiments.worlds.world import Batch, World  # noqa: E402
from simulator.batch_env import DRAWS  # noqa: E402


class _TailSpend:
    """A suite cell's :data:`BatchWatch`: over the world's tail, per channel, the sends, their
    summed expected reward and the batches that met the channel with room left."""

    def __init__(self) -> None:
        self.sends = self.value = self.roomy = np.zeros(0)
        self.batches = self.rows = 0
        #: [best's channel + 1, played channel + 1] (0: no contact): the tail's summed regret
        #: against each row's best eligible action, and its rows.
        self.regret = self.pairs = np.zeros((0, 0))

    def __call__(self, world: World, b: Batch, played: np.ndarray) -> None:
        assert isinstance(world, SimulatorWorld)  # main refused any other world
        c = len(world.channels)
        if not self.sends.size:
            self.sends, self.value, self.roomy = np.zeros(c), np.zeros(c), np.zeros(c)
            self.regret, self.pairs = np.zeros((c + 1, c + 1)), np.zeros((c + 1, c + 1))
        if b.refs[0] < world.horizon - round(world.horizon * world.tail_fraction):
            return
        worth, _, oracle = batch_values(b, played)
        ch = world.channel_of(played)
        self.sends += np.bincount(ch[ch >= 0], minlength=c)
        self.value += np.bincount(ch[ch >= 0], weights=worth[ch >= 0], minlength=c)
        self.roomy += world.room_left() > 0
        self.batches += 1
        best = np.where(b.eligible, b.expected, -np.inf).argmax(axis=1)
        cell = (world.channel_of(best) + 1) * (c + 1) + ch + 1
        lost = oracle - worth
        self.regret += np.bincount(cell, weights=lost, minlength=(c + 1) ** 2).reshape(c + 1, -1)
        self.pairs += np.bincount(cell, minlength=(c + 1) ** 2).reshape(c + 1, -1)
        self.rows += played.size


def spend(world_name: str, label: str, seed: int, horizon: int | None = None,
          draws: str = "sequence") -> dict[str, np.ndarray | float]:
    """One quick suite cell (:func:`run_suite_cell`: its record's tail ``chosen`` and
    ``oracle``) and its tail's spend per channel (``sends``, ``value``, ``roomy``, over
    ``batches``), and its regret by channel (``regret`` and ``pairs``, over ``rows``)."""
    tail = _TailSpend()
    record = run_suite_cell(SuiteCell(world_name, learner(label), seed, quick=True,
                                      horizon=horizon, draws=draws), tail)
    return {"sends": tail.sends, "value": tail.value, "roomy": tail.roomy,
            "batches": float(tail.batches), "chosen": record["chosen"],
            "oracle": record["oracle"], "regret": tail.regret, "pairs": tail.pairs,
            "rows": float(tail.rows)}


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
    _report_regret(channels, cells)


def _report_regret(channels: tuple[str, ...], cells: list[dict]) -> None:
    """Regret a decision against the best eligible action, and the share of the rows, by the
    best action's channel (rows) and the played one's (columns)."""
    rows = sum(x["rows"] for x in cells)
    regret = np.sum([x["regret"] for x in cells], axis=0) / rows
    share = np.sum([x["pairs"] for x in cells], axis=0) / rows
    names = ("none", *channels)
    print(f"\nregret a decision {regret.sum():.4f}, by the best action's channel (rows) and "
          "the played one's (columns): regret a decision (share of the rows)")
    print("| best \\ played | " + " | ".join(names) + " |")
    print("| --- " * (len(names) + 1) + "|")
    for i, name in enumerate(names):
        print(f"| {name} | " + " | ".join(f"{regret[i, j]:.4f} ({share[i, j]:.3f})"
                                          for j in range(len(names))) + " |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--world", default="capacity", help="a simulator world (default capacity)")
    p.add_argument("--seeds", default="10,11,13,15")
    p.add_argument("--learners", default="engine default,vw regcb-opt costs declared")
    p.add_argument("--horizon", type=int, default=None, help="decisions (default: quick)")
    p.add_argument("--draws", choices=DRAWS, default="sequence",
                   help="the simulator's draws (the learning suite's --draws)")
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
                cells[lab].append(spend(args.world, lab, seed, args.horizon, args.draws))
                bar.update()
    print(f"{args.world}, the tail of runs of {first.horizon} decisions, seeds {args.seeds}, "
          f"draws {args.draws}")
    for lab in labels:
        _report(lab, first.channels, cells[lab])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
