"""What the engine's exploration costs on a simulator world, window by window: the expected value
of the actions it chose against that of the action its policy held most probable (its greedy
choice), the mass it put there, and the best and a random eligible action's values, all from
the simulator's ground truth (``expected_rewards``), per 1,000 treated customers.

Where the greedy value is far above the chosen one late in a run, the policy knows better than
it acts: the cost is exploration, not learning (issue 12, stop 11: the long horizon on
``baseline``, 201 actions).

    python benchmarks/exploration_cost.py --scenario baseline --seed 3 --horizon 40000
    python benchmarks/exploration_cost.py --scenario baseline --seed 3 --horizon 40000 \\
        --candidates '[{"name": "joint", "exploration": "joint", "thompson": 0.5,
        "gamma_scale": 30.0, "l2": 100.0}, "ridge", "squarecb"]'
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from experiments.cell import _loop  # noqa: E402
from experiments.engine_policy import EnginePolicy  # noqa: E402
from experiments.spec import CellSpec, PolicyEntry  # noqa: E402


class WatchedEngine:
    """The engine cell's policy, reading the explanation of every ``every``-th decision with
    the batch's ground truth (the cell shows it to a policy that asks: ``see_expected``)."""

    def __init__(self, inner: EnginePolicy, every: int) -> None:
        self.inner, self.every = inner, every
        self.name = inner.name
        self._expected = np.zeros((0, 0))
        names = [a.name for a in inner.engine.catalog.actions]
        self._index = {n: i for i, n in enumerate(names)}
        self.rows: list[tuple[int, float, float, float, float, float]] = []
        self.learners: list[str] = []  # the candidate that served each watched row

    def see_expected(self, expected: np.ndarray) -> None:
        self._expected = expected

    def act_customers(self, contexts: np.ndarray, eligible: np.ndarray, customer_ids: np.ndarray,
                      clock_hours: float, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        actions, probs = self.inner.act_customers(contexts, eligible, customer_ids, clock_hours,
                                                  refs)
        for i in range(0, len(actions), self.every):
            ex = self.inner.last_decisions[i].explain()
            if not ex.top_actions:  # forced (nothing but no contact eligible)
                continue
            top, mass = ex.top_actions[0]
            row = self._expected[i]
            ok = eligible[i]
            self.rows.append((int(refs[i]), mass, row[self._index[top]], row[actions[i]],
                              row[ok].max(), row[ok].mean()))
            self.learners.append(ex.learner or "not asked")
        return actions, probs

    def learn_refs(self, refs: np.ndarray, rewards: np.ndarray, clock_hours: float) -> None:
        self.inner.learn_refs(refs, rewards, clock_hours)


def run(scenario: str, seed: int, horizon: int, every: int, window: int,
        options: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    """The watched rows (ref, mass on the greedy action, greedy / chosen / best / random
    expected values) of one engine cell, and the candidate that served each."""
    import tempfile

    from simulator import CustomerBatchEnv, load_scenario

    cell = CellSpec(scenario, PolicyEntry("engine", options), seed, horizon, 500, window, 0.05)
    env = CustomerBatchEnv(load_scenario(scenario), batch_size=cell.batch_size, seed=seed)
    with tempfile.TemporaryDirectory() as d, EnginePolicy(env, d, seed, **options) as pol:
        watched = WatchedEngine(pol, every)
        _loop(cell, env, watched)
    return np.asarray(watched.rows), watched.learners


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--horizon", type=int, default=40000)
    ap.add_argument("--window", type=int, default=4000)
    ap.add_argument("--every", type=int, default=10, help="read every n-th decision's explanation")
    ap.add_argument("--candidates", default=None, help="the engine's candidates, as JSON")
    args = ap.parse_args()
    options = {} if args.candidates is None else {"candidates": json.loads(args.candidates)}
    rows, learners = run(args.scenario, args.seed, args.horizon, args.every, args.window, options)
    print(f"{args.scenario} seed {args.seed}, {args.horizon} decisions, every {args.every}th "
          f"treated decision read; expected value per 1,000 customers")
    print("decisions   mass on greedy   greedy   chosen   best   random   served by")
    for lo in range(0, args.horizon, args.window):
        inside = (rows[:, 0] >= lo) & (rows[:, 0] < lo + args.window)
        if inside.any():
            m = rows[inside, 1:].mean(axis=0)
            names, counts = np.unique(np.asarray(learners)[inside], return_counts=True)
            served = ", ".join(f"{n} {c / inside.sum():.0%}"
                               for n, c in zip(names, counts, strict=True))
            print(f"{lo + args.window:>9,}   {m[0]:>14.2f}   {1000 * m[1]:>6.0f}   "
                  f"{1000 * m[2]:>6.0f}   {1000 * m[3]:>4.0f}   {1000 * m[4]:>6.0f}   {served}")


if __name__ == "__main__":
    main()
