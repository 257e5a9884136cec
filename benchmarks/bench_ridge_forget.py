"""What forgetting costs the ridge learner per learn (issue 12: ``RidgeConfig.forget``).

Each learn of a forgetting ridge first discounts the chosen action's statistics (a scaling of
its inverse) and, once half of its penalty has gone, puts the penalty back by one solve on the
hashed slots the contexts have touched (every 693 of its updates at 0.999, every 69 at 0.99).
Two contexts: 8 numbers (few slots), and 8 numbers plus a category of 300 values (each action
sees about 820 learns by default, enough to touch most of its 129 slots, and to put the
penalty back once at 0.999 in the timed second half). Prints us per learn with forget 1.0 (the
default), 0.999 and 0.99, measured in the same run on the same rows in turn, 49 actions, and
the ratios.

Run: ``python benchmarks/bench_ridge_forget.py [--learns 40000]``.
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


def us_per_learn(forgets: tuple[float, ...], shared: list[dict]) -> list[float]:
    """Mean us per learn over ``shared`` for a learner at each forget factor, fed the same
    rows in turn (one learn of each per row, so load on a shared machine falls on all alike),
    timed after the first half, once the slots are touched."""
    learners = []
    for forget in forgets:
        learner = RidgeLearner(RidgeConfig(forget=forget), seed=0)
        learner.set_actions(ACTIONS)
        learners.append(learner)
    rng = np.random.default_rng(1)
    half = len(shared) // 2
    elapsed = np.zeros(len(forgets))
    for i, s in enumerate(shared):
        a = int(rng.integers(len(ACTIONS)))
        r = float(rng.random() < 0.1)
        for j, learner in enumerate(learners):
            start = time.perf_counter()
            learner.learn(s, None, a, 1.0 / len(ACTIONS), r)
            if i >= half:
                elapsed[j] += time.perf_counter() - start
    return (elapsed / (len(shared) - half) * 1e6).tolist()


def main() -> int:
    """Measure and print; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learns", type=int, default=40_000,
                        help="learns per cell (default 40,000)")
    args = parser.parse_args()
    print("context                 forget 1.0 us/learn  0.999 us/learn  ratio  0.99 us/learn  "
          "ratio")
    for label, category in (("8 numbers", False), ("8 numbers + category", True)):
        shared = contexts(args.learns, category)
        base, slow, fast = us_per_learn((1.0, 0.999, 0.99), shared)
        print(f"{label:22s}  {base:19.0f}  {slow:14.0f}  {slow / base:5.2f}  {fast:13.0f}  "
              f"{fast / base:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
