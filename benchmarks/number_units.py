"""The same data in other units: what the ridge learners' greedy choice is worth when a context
number (a spend) comes in units, thousands, millions or billions, with the numbers on their
scale (``number_scale = "spread"``, the default) and raw.

Each learner (the default's joint ridge and its ridge) learns ``--rows`` uniformly logged
decisions over four actions: action 0 pays ``spend - 1.5`` (spend 0.5 to 3 of the unit),
action 1 ``0.3 x`` (a unit normal number), the others nothing, noise sd 0.3; beside the two
numbers, a category. Then it chooses greedily for ``--test`` fresh customers; printed: the mean
true value of its choices, the oracle's, and the ratio to the same learner in unit 1 (the
reference, measured in the same run).

    python benchmarks/number_units.py
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
from engine.candidates import JOINT_RIDGE  # noqa: E402
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner  # noqa: E402
from policies.ridge_learner import RidgeConfig, RidgeLearner  # noqa: E402

ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}, "a": {"id": f"{m}/{c}"}}
           for m in ("m0", "m1") for c in ("email", "sms")]
#: The default's joint ridge settings (a candidate of the shared-attribute default).
DEFAULT_JOINT = {k: v for k, v in JOINT_RIDGE.items() if k not in ("name", "exploration")}
LEARNERS: dict[str, Callable[[str], Any]] = {
    "joint (the default's)": lambda scale: JointRidgeLearner(
        JointRidgeConfig(**DEFAULT_JOINT, number_scale=scale)),
    "ridge": lambda scale: RidgeLearner(RidgeConfig(number_scale=scale)),
}


def _truth(spend: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(n, 4): each action's expected reward."""
    zero = np.zeros_like(spend)
    return np.stack([spend - 1.5, 0.3 * x, zero, zero], axis=1)


def greedy_value(make: Callable[[str], Any], scale: str, unit: float, rows: int, test: int,
                 seed: int) -> tuple[float, float]:
    """The mean true value of the learner's greedy choices after ``rows`` logged decisions,
    and the oracle's."""
    rng = np.random.default_rng(seed)
    with make(scale) as learner:
        learner.set_actions(ACTIONS)
        spend, x = rng.uniform(0.5, 3.0, rows), rng.normal(size=rows)
        actions = rng.integers(0, len(ACTIONS), rows)
        rewards = _truth(spend, x)[np.arange(rows), actions] + 0.3 * rng.normal(size=rows)
        for i in range(rows):
            shared = {"c": {"spend": float(spend[i] * unit), "x": float(x[i]),
                            "seg": "ab"[i % 2]}}
            learner.learn(shared, None, int(actions[i]), 0.25, float(rewards[i]))
        spend, x = rng.uniform(0.5, 3.0, test), rng.normal(size=test)
        truth = _truth(spend, x)
        picks = [int(np.argmax(learner.estimates(
            {"c": {"spend": float(spend[i] * unit), "x": float(x[i]), "seg": "a"}})))
            for i in range(test)]
    return float(truth[np.arange(test), picks].mean()), float(truth.max(axis=1).mean())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=2000)
    p.add_argument("--test", type=int, default=400)
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..n-1, averaged")
    args = p.parse_args(argv)
    print("| learner | number_scale | unit | greedy value | oracle | ratio to unit 1 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, build in LEARNERS.items():
        for scale in ("spread", "raw"):
            ref = None
            for unit in (1.0, 1e3, 1e6, 1e9):
                got = np.array([greedy_value(build, scale, unit, args.rows, args.test, s)
                                for s in range(args.seeds)]).mean(axis=0)
                ref = got[0] if ref is None else ref
                print(f"| {name} | {scale} | {unit:g} | {got[0]:.3f} | {got[1]:.3f} | "
                      f"{got[0] / ref:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
