"""How soon each switch rule hands serving to a better candidate, and how often it switches
between equals (issue 12: the paired rule; the anytime interval and the two estimates' agreement).

The better-candidate stream: two actions logged uniformly (propensity 0.5); action 1 pays
``--effect`` more on average; every reward carries Gaussian noise of sd ``--sd``. The serving
candidate is uniform (VW epsilon 1.0), the challenger VW epsilon-greedy (10 %), both real VW
learners inside :class:`engine.learner_selection.LearnerSelection`. Prints, per seed, the row
of the first switch under each rule (``--rows`` rows, ``min_samples`` 200, a check every 50, 2
in a row).

``--null``: equal candidates (effect 0) under the default settings, counting runs with a switch.
``--heavy``: equal candidates again, but scored on a log with heavy importance weights, as a
learner that has become confident logs: on half the rows action 1 is logged with probability
0.02; both actions pay 1 with probability 0.3; the candidates are fixed distributions, (0.5,
0.5) serving and (0.9, 0.1) challenging, worth the same. Every rule arm runs the same streams.

Run: ``python benchmarks/paired_switch.py --seeds 0,1,2``,
``python benchmarks/paired_switch.py --null --seeds 0,1,2,3,4,5,6,7,8,9 --rows 8000`` and
``python benchmarks/paired_switch.py --heavy --seeds 0-39 --rows 8000``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from engine.candidates import SelectionSettings
from engine.learner_selection import LearnerSelection, LoggedRow
from policies.vw_config import VWConfig
from policies.vw_learner import VWLearner

FAST = {"min_samples": 200, "check_every": 50, "confirm": 2}
#: the rule's arms: the default, with the anytime interval, as before, unpaired
ARMS: list[tuple[str, dict[str, bool | str]]] = [
    ("paired, DR and IPS agree (default)", {}),
    ("paired, agree, anytime interval", {"anytime": True}),
    ("paired, DR alone (before)", {"agree": False}),
    ("unpaired", {"rule": "unpaired", "agree": False}),
]


class FixedDistribution:
    """A candidate that never learns: the same distribution on every row."""

    def __init__(self, p: Sequence[float]) -> None:
        self.p = np.asarray(p, dtype=np.float64)

    def probabilities(self, shared: object, eligible: object = None) -> np.ndarray:
        return self.p.copy()

    def learn(self, *args: object) -> None:
        """Nothing to learn."""

    def close(self) -> None:
        """Nothing to release."""


def _first_switch(sel: LearnerSelection, rows: list[LoggedRow]) -> int | None:
    for row in rows:
        sel.process_all(row)
        if sel.check(row.seq, at=float(row.seq)) is not None:
            sel.close()
            return row.seq
    sel.close()
    return None


def better(rows: int, seed: int, effect: float, sd: float, settings: dict) -> int | None:
    """The row of the first switch to the better (epsilon-greedy) candidate, or None."""
    learners = {}
    for name, eps in (("uniform", 1.0), ("greedy", 0.1)):
        learners[name] = VWLearner(VWConfig(exploration="epsilon", epsilon=eps), seed=0)
        learners[name].set_actions([{"m": {"x": "a"}}, {"m": {"x": "b"}}])
    rng = np.random.default_rng(seed)
    stream = []
    for seq in range(1, rows + 1):
        a = int(rng.integers(2))
        reward = effect * a + sd * rng.standard_normal()
        stream.append(LoggedRow(seq, {"c": {"k": 1}}, (0, 1), a, 0.5, float(reward)))
    return _first_switch(LearnerSelection(learners, "uniform", SelectionSettings(**settings),
                                          n_actions=2), stream)


def heavy(rows: int, seed: int, settings: dict) -> int | None:
    """The row of the first (false) switch between equal candidates on a heavy-weight log."""
    rng = np.random.default_rng(seed)
    stream = []
    for seq in range(1, rows + 1):
        p1 = 0.02 if rng.random() < 0.5 else 0.5
        a = int(rng.random() < p1)
        reward = float(rng.random() < 0.3)
        stream.append(LoggedRow(seq, {"c": {"k": 1}}, (0, 1), a, p1 if a else 1.0 - p1,
                                reward))
    learners = {"even": FixedDistribution([0.5, 0.5]), "skewed": FixedDistribution([0.9, 0.1])}
    return _first_switch(LearnerSelection(learners, "even",  # type: ignore[arg-type]
                                          SelectionSettings(**settings), n_actions=2), stream)


def seed_list(text: str) -> list[int]:
    """``0-39`` (a range, both ends in) or ``1,5,9``."""
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1,2", help="comma-separated, or a range 0-39")
    p.add_argument("--rows", type=int, default=4000)
    p.add_argument("--effect", type=float, default=0.5)
    p.add_argument("--sd", type=float, default=2.0)
    p.add_argument("--null", action="store_true", help="equal candidates, default settings")
    p.add_argument("--heavy", action="store_true",
                   help="equal candidates on a log with heavy importance weights, every arm")
    args = p.parse_args(argv)
    seeds = seed_list(args.seeds)
    if args.null or args.heavy:
        print(f"runs with a false switch ({args.rows} rows each, default settings: a check "
              f"every {SelectionSettings().check_every}, {SelectionSettings().confirm} in a row)")
        for label, settings in ARMS if args.heavy else ARMS[:1]:
            got = [heavy(args.rows, s, settings) if args.heavy
                   else better(args.rows, s, 0.0, args.sd, settings) for s in seeds]
            print(f"{label}: {sum(g is not None for g in got)} of {len(seeds)} "
                  f"(at rows {[g for g in got if g is not None]})")
        return 0
    print("| seed | " + " | ".join(label for label, _ in ARMS) + " |")
    print("| --- |" + " --- |" * len(ARMS))
    for seed in seeds:
        firsts = [better(args.rows, seed, args.effect, args.sd, {**FAST, **settings})
                  for _, settings in ARMS]
        print(f"| {seed} | " + " | ".join("none" if f is None else str(f) for f in firsts)
              + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
