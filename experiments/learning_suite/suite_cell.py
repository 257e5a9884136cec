"""One cell of the learning suite: one learner meets one world for one seed.

The loop: the world presents a batch, the learner picks one action per row, the world plays
them (the simulator turns a pick it cannot serve into no contact) and returns the rewards that
matured, which the learner learns; at the end every pending reward is flushed and learned.

The record (plain numbers, one per cell) scores the *tail* (the world's ``tail_fraction`` at the
end of the run: the last pass of a classification, the last quarter elsewhere) and the first
tenth (``early``: does a fresh learner collapse?):

- ``capture``: (chosen - random) / (oracle - random) of the exact expected rewards over the
  tail; random = uniform over the eligible actions, oracle = the best eligible action;
- ``reward``: the mean realised reward over the tail (progressive reward, the cbify figure);
- ``chosen, random, oracle``: the three means over the tail; ``capture_early``, ``capture_all``;
- ``seconds`` (wall clock of the whole cell) and ``overrides`` (picks the world could not serve).
- for an engine, ``serving`` (the candidate serving at the end), ``switches`` (how many
  times the serving candidate changed: a cell far below its neighbours often switched) and
  ``switch_log`` (each switch's row, from, to, and under the paired rule the difference's DR
  and IPS intervals and effective sample size, oldest first), ``shares`` (the share of each
  decision each candidate drew at the end: ``selection.trial_share``) and ``relearned`` (the
  Vowpal Wabbit candidates' relearns on a moved reward scale).

Example:
    >>> from experiments.learning_suite.contestants import learner
    >>> r = run_suite_cell(SuiteCell("iris", learner("linucb"), seed=0))
    >>> r["world"], r["learner"], r["n_tail"], 0.0 < r["capture"] <= 1.0
    ('iris', 'linucb', 150, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.learning_suite.contestants import LearnerSpec, build_contestant, label_id
from experiments.worlds import make_world
from experiments.worlds.world import Batch, World

__all__ = ["BatchWatch", "SuiteCell", "batch_values", "capture", "cell_id", "run_suite_cell"]


@dataclass(frozen=True)
class SuiteCell:
    """Everything a worker needs for one cell, and nothing live.

    Attributes:
        world: a world name (:data:`experiments.worlds.WORLDS`).
        learner: the contestant.
        seed: seeds the world and the learner.
        quick: the world's quick horizon.
        horizon: decisions, overriding the world's own (None: its default).
        draws: the world's ``draws`` (:func:`experiments.worlds.make_world`): ``"common"``
            gives every learner of a seed the simulator's customers and dice in the same order
            (common random numbers), and names its cell apart.
    """

    world: str
    learner: LearnerSpec
    seed: int
    quick: bool = False
    horizon: int | None = None
    draws: str = "sequence"

    @property
    def cell_id(self) -> str:
        """``world__learner__seedN`` (spaces in labels become ``_``), ``__common`` after it
        for common draws."""
        return cell_id(self.world, self.learner.label, self.seed, self.draws)


def cell_id(world: str, label: str, seed: int, draws: str = "sequence") -> str:
    """The name of a cell (and of its record: :func:`run_suite_cell`'s ``draws`` field).

    Example:
        >>> cell_id("capacity", "engine default", 3), cell_id("capacity", "x", 3, "common")
        ('capacity__engine_default__seed3', 'capacity__x__seed3__common')
    """
    tail = "" if draws == "sequence" else f"__{draws}"
    return f"{world}__{label_id(label)}__seed{seed}{tail}"


def capture(chosen: np.ndarray, random: np.ndarray, oracle: np.ndarray) -> float:
    """The share of the oracle's lead over random that the chosen actions took (NaN when the
    oracle is no better than random)."""
    gap = oracle.mean() - random.mean()
    return float((chosen.mean() - random.mean()) / gap) if gap > 0 else float("nan")


def batch_values(batch: Batch, played: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``batch``, the exact expected reward of the action ``played``, of uniform
    random over the eligible actions, and of the best eligible action (the oracle)."""
    rows = np.arange(batch.refs.size)
    chosen = batch.expected[rows, played]
    random = np.where(batch.eligible, batch.expected, 0.0).sum(axis=1) / batch.eligible.sum(1)
    oracle = np.where(batch.eligible, batch.expected, -np.inf).max(axis=1)
    return chosen, random, oracle


#: Called with the world, each batch and the actions the world will play for it, before it
#: plays them (the world's state is still the batch's): what a diagnosis of a cell reads
#: beside the record (``benchmarks/capped_channels.py``).
BatchWatch = Callable[[World, Batch, np.ndarray], None]


def run_suite_cell(cell: SuiteCell, watch: BatchWatch | None = None) -> dict[str, Any]:
    """Run one cell and return its record (see the module docstring); ``watch`` sees each
    batch as it is played."""
    start = time.perf_counter()
    world = make_world(cell.world, cell.seed, cell.horizon, cell.quick, cell.draws)
    h = world.horizon
    chosen, oracle, random = np.zeros(h), np.zeros(h), np.zeros(h)
    realised = np.zeros(h)
    overrides = 0
    with ExitStack() as stack:
        stack.callback(world.close)
        contestant = build_contestant(cell.learner, world, cell.seed, stack)
        while not world.done:
            b = world.observe()
            picks, _ = contestant.act(b)
            played = world.served(picks, b.eligible)
            overrides += int((played != picks).sum())
            if watch is not None:
                watch(world, b, played)
            chosen[b.refs], random[b.refs], oracle[b.refs] = batch_values(b, played)
            matured = world.play(picks)
            realised[matured.refs] = matured.rewards
            contestant.learn(matured)
        matured = world.flush()
        realised[matured.refs] = matured.rewards
        contestant.learn(matured)
        serving = _serving(contestant)
    tail = slice(h - round(h * world.tail_fraction), h)
    early = slice(0, max(1, h // 10))
    return {
        "world": cell.world, "learner": cell.learner.label, "kind": cell.learner.kind,
        "seed": cell.seed, "horizon": h, "draws": cell.draws, "n_tail": tail.stop - tail.start,
        "capture": capture(chosen[tail], random[tail], oracle[tail]),
        "reward": float(realised[tail].mean()), "chosen": float(chosen[tail].mean()),
        "random": float(random[tail].mean()), "oracle": float(oracle[tail].mean()),
        "capture_early": capture(chosen[early], random[early], oracle[early]),
        "capture_all": capture(chosen, random, oracle),
        "overrides": overrides, "seconds": time.perf_counter() - start, **serving,
    }


def _serving(contestant: Any) -> dict[str, Any]:
    """An engine's serving candidate and switch count; nothing for other contestants."""
    engine = getattr(contestant, "engine", None)
    if engine is None:
        return {}
    stats = engine.stats()
    return {"serving": stats.get("serving_learner"), "switches": stats.get("learner_switches"),
            "shares": stats.get("candidate_share"), "relearned": stats.get("relearned"),
            "switch_log": [_switch_summary(s) for s in engine.log.switches()[::-1]]}


def _switch_summary(switch: dict[str, Any]) -> dict[str, Any]:
    out = {"seq": switch["seq"], "from": switch["from"], "to": switch["to"]}
    for est, r in switch["evidence"].get("difference", {}).items():
        out[est] = [r["ci_low"], r["value"], r["ci_high"]]
        out[f"{est}_ess"] = r["ess"]
    return out
