"""Simulator speed, each figure next to a bare-numpy reference measured in the same run.

(1) Stepping a batch of N customers of ``baseline`` (~200 actions), answers for the chosen
    actions only: customer-decisions per second of ``CustomerBatchEnv.step`` (the answer, the
    state update, the late-reward ledger and the next batch's context and eligibility), against a
    bare kernel that computes one logistic answer per customer for the chosen action from a
    precomputed (customers x actions) affinity matrix and draws it. Target: ratio >= 0.2.
(2) The whole N x K expected-reward matrix plus its argmax (the oracle), customers per second,
    float64 and float32, against a bare kernel computing N x K logits as one matmul of the
    context (N x d) with a weight matrix (d x K) and their argmax. Target: ratio >= 0.5 and
    >= 1 million customers/s.

Usage: python benchmarks/bench_simulator.py [--quick] [--n 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulator import CustomerBatchEnv, load_scenario
from simulator.calibration import uniform_random_actions


def _best_of(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls (the least disturbed by other work on the machine)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_step(n: int, repeats: int) -> tuple[float, float]:
    """(simulator, reference) customer-decisions per second."""
    env = CustomerBatchEnv(load_scenario("baseline", n_customers=n), batch_size=n, seed=0)
    _, info = env.reset(seed=0)
    rng = np.random.default_rng(1)
    times = []
    for _ in range(repeats):
        actions = uniform_random_actions(info["eligible"], rng)
        t0 = time.perf_counter()
        _, _, _, _, info = env.step(actions)
        times.append(time.perf_counter() - t0)
    k = env.catalog.n_actions
    affinity = rng.normal(size=(n, k))
    slots = rng.permutation(n)
    actions = rng.integers(0, k, size=n)

    def kernel() -> np.ndarray:
        z = affinity[slots, actions]
        return rng.random(n) < 1.0 / (1.0 + np.exp(-z))

    return n / min(times), n / _best_of(kernel, repeats)


def bench_matrix(n: int, repeats: int, dtype: type) -> tuple[float, float]:
    """(simulator, reference) customers per second for the N x K matrix and its argmax."""
    env = CustomerBatchEnv(load_scenario("baseline", n_customers=n), batch_size=n, seed=0)
    env.reset(seed=0)
    out = np.empty((n, env.catalog.n_actions), dtype=dtype)

    def ours() -> np.ndarray:
        return env.expected_rewards(dtype=dtype, out=out).argmax(axis=1)

    rng = np.random.default_rng(2)
    x = rng.normal(size=(n, len(env.context_names))).astype(dtype)
    w = rng.normal(size=(x.shape[1], env.catalog.n_actions)).astype(dtype)

    def kernel() -> np.ndarray:
        return (x @ w).argmax(axis=1)

    return n / _best_of(ours, repeats), n / _best_of(kernel, repeats)


def main(argv: list[str] | None = None) -> int:
    """Print each figure, its reference and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, N = 20,000")
    parser.add_argument("--n", type=int, default=100_000, help="customers per batch")
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else args.n
    repeats = 3 if args.quick else 7
    print(f"simulator benchmarks, baseline scenario, N = {n:,} customers per batch, best of "
          f"{repeats}")
    ours, ref = bench_step(n, repeats)
    print(f"(1) step, chosen actions only : {ours / 1e6:8.2f} M decisions/s | reference "
          f"{ref / 1e6:8.2f} M/s | ratio {ours / ref:.3f} (target >= 0.2)")
    for dtype in (np.float64, np.float32):
        ours, ref = bench_matrix(n, repeats, dtype)
        print(f"(2) N x K matrix + argmax {np.dtype(dtype).name:7s}: {ours / 1e6:8.2f} M "
              f"customers/s | reference {ref / 1e6:8.2f} M/s | ratio {ours / ref:.3f} "
              f"(target >= 0.5 and >= 1 M/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
