"""What the engine's exploration costs on a simulator world, window by window: the expected value
of the actions it chose against that of the action its policy held most probable (its greedy
choice), the mass it put there, and the best and a random eligible action's values, all from
the simulator's ground truth (``expected_rewards``), per 1,000 treated customers.

Where the greedy value is far above the chosen one late in a run, the policy knows better than
it acts: the cost is exploration, not learning (issue 12, stop 11: the long horizon on
``baseline``, 201 actions). ``--names N`` adds each window's N most frequent greedy choices
(their share of the window's watched rows and their true value there), and ``--taught N`` the
N actions whose reported totals summed highest (sends reported, reward sum, rewards above 0,
mean; with the default ``--rewards-at due`` each is learned as it is reported): a window
where the greedy value falls shows which favourite the model held and on how few rewards
above 0 (issue 12, stop 30). It ends with how many decisions were made between a
decision and the simulator's report of its total (its delay in decisions).

    python benchmarks/exploration_cost.py --scenario baseline --seed 3 --horizon 40000
    python benchmarks/exploration_cost.py --seed 7 --horizon 18000 --window 2000 --names 3 \\
        --taught 6
    python benchmarks/exploration_cost.py --seed 7 --horizon 18000 --window 2000 --names 3 \\
        --taught 6 --rewards-at window_end
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
from experiments.engine_policy import REWARDS_AT, EnginePolicy  # noqa: E402
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
        self.greedy: list[str] = []  # the greedy action's name at each watched row
        self._played: dict[int, int] = {}  # ref -> action index, until its total is reported
        #: action name -> [sends reported, reward sum, rewards above 0]
        self.taught: dict[str, list[float]] = {}
        #: (decisions made since the reported one, total) of every reported total
        self.delays: list[tuple[int, float]] = []
        self._decided = 0  # decisions handed to the policy so far (refs below it are made)

    def see_expected(self, expected: np.ndarray) -> None:
        self._expected = expected

    def act_customers(self, contexts: np.ndarray, eligible: np.ndarray, customer_ids: np.ndarray,
                      clock_hours: float, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        actions, probs = self.inner.act_customers(contexts, eligible, customer_ids, clock_hours,
                                                  refs)
        self._played.update(zip(refs.tolist(), actions.tolist(), strict=True))
        self._decided = int(refs.max()) + 1
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
            self.greedy.append(top)
        return actions, probs

    def learn_refs(self, refs: np.ndarray, rewards: np.ndarray, clock_hours: float) -> None:
        names = self.inner.engine.catalog.actions
        for ref, value in zip(refs.tolist(), rewards.tolist(), strict=True):
            tally = self.taught.setdefault(names[self._played.pop(ref)].name, [0, 0.0, 0])
            tally[0] += 1
            tally[1] += value
            tally[2] += value > 0
            self.delays.append((self._decided - ref, value))
        self.inner.learn_refs(refs, rewards, clock_hours)


def run(scenario: str, seed: int, horizon: int, every: int, window: int,
        options: dict[str, Any], rewards_at: str = "due") -> WatchedEngine:
    """One engine cell, watched: its rows (ref, mass on the greedy action, greedy / chosen /
    best / random expected values), the candidate that served each, the greedy action's
    name at each, and the totals reported for each action."""
    import tempfile

    from simulator import CustomerBatchEnv, load_scenario

    cell = CellSpec(scenario, PolicyEntry("engine", options), seed, horizon, 500, window, 0.05)
    env = CustomerBatchEnv(load_scenario(scenario), batch_size=cell.batch_size, seed=seed)
    with tempfile.TemporaryDirectory() as d, EnginePolicy(env, d, seed, rewards_at=rewards_at,
                                                          **options) as pol:
        watched = WatchedEngine(pol, every)
        _loop(cell, env, watched)
    return watched


def _favourites(rows: np.ndarray, greedy: np.ndarray, inside: np.ndarray, n: int) -> str:
    """The window's ``n`` most frequent greedy choices: share of its watched rows, and the
    mean true value (per 1,000) of choosing it there."""
    names, counts = np.unique(greedy[inside], return_counts=True)
    order = np.argsort(-counts, kind="stable")[:n]
    value = [1000 * rows[inside & (greedy == names[k]), 2].mean() for k in order]
    return "; ".join(f"{names[k]} {counts[k] / inside.sum():.0%} ({v:.0f})"
                     for k, v in zip(order, value, strict=True))


def _print_delays(delays: list[tuple[int, float]]) -> None:
    """How many decisions were made between a decision and the report of its total (the
    simulator's; ``--rewards-at window_end`` holds them after that, inside the adapter)."""
    d = np.asarray(delays, dtype=float)
    for label, rows in (("every reward", d), ("rewards above 0", d[d[:, 1] > 0])):
        q = np.percentile(rows[:, 0], [10, 50, 90]) if len(rows) else [np.nan] * 3
        print(f"decisions made before a total was reported, {label} ({len(rows):,}): "
              f"10th percentile {q[0]:,.0f}, median {q[1]:,.0f}, 90th {q[2]:,.0f}")


def _print_taught(taught: dict[str, list[float]], n: int) -> None:
    print(f"the {n} actions whose reported totals summed highest:")
    print("action   sends reported   reward sum   rewards above 0   mean")
    for name, (sends, total, positive) in sorted(taught.items(), key=lambda kv: -kv[1][1])[:n]:
        print(f"{name}   {sends:,.0f}   {total:.1f}   {positive:.0f}   {total / sends:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--horizon", type=int, default=40000)
    ap.add_argument("--window", type=int, default=4000)
    ap.add_argument("--every", type=int, default=10, help="read every n-th decision's explanation")
    ap.add_argument("--candidates", default=None, help="the engine's candidates, as JSON")
    ap.add_argument("--names", type=int, default=0,
                    help="each window's n most frequent greedy choices, with their true value")
    ap.add_argument("--taught", type=int, default=0,
                    help="the n actions whose reported totals summed highest")
    ap.add_argument("--rewards-at", default="due", choices=REWARDS_AT,
                    help="when the adapter hands each total to the engine")
    args = ap.parse_args()
    options = {} if args.candidates is None else {"candidates": json.loads(args.candidates)}
    watched = run(args.scenario, args.seed, args.horizon, args.every, args.window, options,
                  args.rewards_at)
    rows, learners = np.asarray(watched.rows), watched.learners
    greedy = np.asarray(watched.greedy)
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
            if args.names:
                top = _favourites(rows, greedy, inside, args.names)
                print(f"            greedy choices: {top}")
    _print_delays(watched.delays)
    if args.taught:
        _print_taught(watched.taught, args.taught)


if __name__ == "__main__":
    main()
