"""One absurd number among thousands of rows: what it costs the learners' greedy choice.

A caller types an age of 1e9, or a spend in cents: the engine accepts numbers up to 1e15, and
each of its learners reads that row once. A ridge learns a row of a huge value as an exact
fit in that number's direction, and from then on holds that direction as known: what it had
learned from the number is gone, and the rows that follow barely move it. With the numbers
on their scale (``number_scale = "spread"``, the default) a value out of line is held at its
number's limit (``policies/number_scale.py``); raw, it is read as it comes.

Each learner learns ``--rows`` uniformly logged decisions over four actions (action 0 pays
``0.3 x``, action 1 ``-0.3 x``, ``x`` a unit normal number; action 2 pays ``spend / 100 -
1.5``, ``spend`` 50 to 300 euros; action 3 nothing; noise sd 0.3). Row ``--at`` (and ``--count -
1`` more, 7 rows apart) carries the absurd value in ``--key`` and plays action 0 or 1, in
turn (its reward as the world gives it for the true value). Then the
learner chooses greedily for ``--test`` fresh customers; printed: the mean true value of its
choices over the seeds, and the ratio to the same learner on the same rows without the absurd
one (the reference, measured in the same run).

    python benchmarks/number_limits.py
    python benchmarks/number_limits.py --count 20 --values 1e3
    python benchmarks/number_limits.py --key spend --values 1e5,1e9
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from benchmarks.number_units import ACTIONS, DEFAULT_JOINT  # noqa: E402
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner  # noqa: E402
from policies.ridge_learner import RidgeConfig, RidgeLearner  # noqa: E402
from policies.vw_config import VWConfig  # noqa: E402
from policies.vw_learner import VWLearner  # noqa: E402

LEARNERS: dict[str, Callable[[], Any]] = {
    "joint (the default's), spread": lambda: JointRidgeLearner(JointRidgeConfig(**DEFAULT_JOINT)),
    "joint (the default's), raw": lambda: JointRidgeLearner(
        JointRidgeConfig(**DEFAULT_JOINT, number_scale="raw")),
    "ridge, spread": lambda: RidgeLearner(RidgeConfig()),
    "ridge, raw": lambda: RidgeLearner(RidgeConfig(number_scale="raw")),
    "squarecb (VW, raw)": lambda: VWLearner(VWConfig(exploration="squarecb", cb_type="mtr")),
}


def _truth(x: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """(n, 4): each action's expected reward."""
    return np.stack([0.3 * x, -0.3 * x, spend / 100 - 1.5, np.zeros_like(x)], axis=1)


def _best(learner: Any, shared: dict) -> int:
    score = learner.estimates(shared) if hasattr(learner, "estimates") else (
        learner.probabilities(shared))
    return int(np.argmax(score))


def greedy_value(make: Callable[[], Any], absurd: float | None, key: str, at: range,
                 rows: int, test: int, seed: int) -> float:
    """The mean true value of the learner's greedy choices after ``rows`` logged decisions,
    the rows ``at`` carrying ``absurd`` in ``key`` (none if ``absurd`` is None)."""
    rng = np.random.default_rng(seed)
    x, spend = rng.normal(size=rows + test), rng.uniform(50.0, 300.0, rows + test)
    actions = rng.integers(0, len(ACTIONS), rows)
    actions[at] = np.arange(len(at)) % 2  # the actions whose pay the number decides
    truth = _truth(x, spend)
    rewards = truth[np.arange(rows), actions] + 0.3 * rng.normal(size=rows)
    with make() as learner:
        learner.set_actions(ACTIONS)
        for i in range(rows):
            c = {"x": float(x[i]), "spend": float(spend[i]), "seg": "ab"[i % 2]}
            if i in at and absurd is not None:
                c[key] = absurd
            learner.learn({"c": c}, None, int(actions[i]), 0.25, float(rewards[i]))
        picks = [_best(learner, {"c": {"x": float(x[j]), "spend": float(spend[j]), "seg": "a"}})
                 for j in range(rows, rows + test)]
    return float(truth[np.arange(rows, rows + test), picks].mean())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=3000)
    p.add_argument("--at", type=int, default=500, help="the first row of an absurd value")
    p.add_argument("--count", type=int, default=1, help="rows of an absurd value, 7 apart")
    p.add_argument("--test", type=int, default=500)
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..n-1, averaged")
    p.add_argument("--key", choices=("x", "spend"), default="x")
    p.add_argument("--values", default="1e3,1e9,1e15", help="absurd values, comma-separated")
    args = p.parse_args(argv)
    values = [float(v) for v in args.values.split(",")]
    at = range(args.at, args.at + 7 * args.count, 7)
    print(f"| learner | {args.key} on {args.count} row(s) from {args.at} | greedy value | "
          f"ratio to none |")
    print("| --- | --- | --- | --- |")
    for name, build in LEARNERS.items():
        ref = None
        for absurd in (None, *values):
            got = float(np.mean([greedy_value(build, absurd, args.key, at, args.rows,
                                              args.test, s) for s in range(args.seeds)]))
            ref = got if ref is None else ref
            shown = "none" if absurd is None else f"{absurd:g}"
            print(f"| {name} | {shown} | {got:.3f} | {got / ref:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
