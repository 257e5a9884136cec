"""What forgetting costs the ridge learner per learn (issue 12: ``RidgeConfig.forget``).

Each learn of a forgetting ridge first discounts the chosen action's statistics and keeps the
inverse exact by one solve on the hashed slots the contexts have touched, so its cost grows
with how many slots that is. Two contexts: 8 numbers (few slots), and 8 numbers plus a category
of 300 values (each action sees about 160 learns by default, enough to touch most of its
129 slots). Prints us per learn with forget 1.0 (the default) and 0.999, measured in the same
run, 49 actions, and their ratio.

Run: ``python benchmarks/bench_ridge_forget.py [--learns 8000]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from policies.ridge_learner import RidgeConfig, RidgeLearner

ACTIONS = [{"m": {"msg": f"m{i % 7}", "ch": f"c{i // 7 % 3}", "t": f"t{i // 21}"}}
           for i in range(49)]


def contexts(n: int, category: bool, seed: int = 0) -> list[dict]:
    """``n`` shared feature sets: 8 numbers, and with ``category`` one of 300 values."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        c: dict = {f"x{j}": float(v) for j, v in enumerate(rng.normal(size=8))}
        if category:
            c["city"] = f"city{int(rng.integers(300))}"
        out.append({"c": c})
    return out


def us_per_learn(forget: float, shared: list[dict]) -> float:
    """Mean us per learn over ``shared`` (after the first half, once the slots are touched)."""
    learner = RidgeLearner(RidgeConfig(forget=forget), seed=0)
    learner.set_actions(ACTIONS)
    rng = np.random.default_rng(1)
    half = len(shared) // 2
    elapsed = 0.0
    for i, s in enumerate(shared):
        a = int(rng.integers(len(ACTIONS)))
        start = time.perf_counter()
        learner.learn(s, None, a, 1.0 / len(ACTIONS), float(rng.random() < 0.1))
        if i >= half:
            elapsed += time.perf_counter() - start
    return elapsed / (len(shared) - half) * 1e6


def main() -> int:
    """Measure and print; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learns", type=int, default=8000, help="learns per cell (default 8000)")
    args = parser.parse_args()
    print("context                 forget 1.0 us/learn  forget 0.999 us/learn  ratio")
    for label, category in (("8 numbers", False), ("8 numbers + category", True)):
        shared = contexts(args.learns, category)
        base, forget = us_per_learn(1.0, shared), us_per_learn(0.999, shared)
        print(f"{label:22s}  {base:19.0f}  {forget:21.0f}  {forget / base:5.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
