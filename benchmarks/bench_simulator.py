"""Simulator speed, each figure next to a bare-numpy reference measured in the same run.

(1) Stepping a batch of N customers of ``baseline`` (~200 actions), answers for the chosen
    actions only: customer-decisions per second of ``CustomerBatchEnv.step`` (the answer, the
    state update, the late-reward ledger and the next batch's context and eligibility), against a
    bare kernel that computes one logistic answer per customer for the chosen action from a
    precomputed (customers x actions) affinity matrix and draws it. Target: ratio >= 0.2.
    Next to it, the floor: what every step must do whatever its funnel costs (gather the next
    batch's (N, d) observation rows, draw the batch, draw the funnel's uniforms), timed alone,
    and the ratio that floor by itself would allow, for the float64 observation the env returns
    and for a float32 one.
(2) The whole N x K expected-reward matrix plus its argmax (the oracle), customers per second,
    float64 and float32, against a bare kernel computing N x K logits as one matmul of the
    context (N x d) with a weight matrix (d x K) and their argmax. Target: ratio >= 0.5 and
    >= 1 million customers/s. BLAS runs the reference on every core it may use; the simulator
    splits the batch into blocks on as many threads (``simulator/row_threads.py``).

(3) With --learnability: the share of (oracle - uniform random) that a greedy linear model on
    context x action-feature products captures on ``baseline``, fitted by ridge regression on
    the noise-free expected rewards of 100,000 random decisions (the ceiling of that model class)
    and on the realized rewards of 40,000 random decisions; next to the best action per segment
    (chosen knowing the true expected rewards). Oracle and random are measured in the same run.

Usage: python benchmarks/bench_simulator.py [--quick] [--n 100000] [--learnability]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulator import CustomerBatchEnv, load_scenario
from simulator.calibration import uniform_random_actions
from simulator.row_threads import default_threads


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


def bench_step_floor(n: int, repeats: int) -> dict[str, float]:
    """Seconds of the parts of a step that do not depend on the funnel: the (N, d) row gather
    of the next observation (float64 as returned, and float32), the batch draw, the uniforms."""
    env = CustomerBatchEnv(load_scenario("baseline", n_customers=n), batch_size=n, seed=0)
    env.reset(seed=0)
    rng = np.random.default_rng(3)
    table64 = env._table
    table32 = table64.astype(np.float32)
    slots = np.sort(rng.choice(env.scenario.n_customers, size=n, replace=False))
    draw = _best_of(lambda: np.sort(rng.choice(env.scenario.n_customers, size=n,
                                               replace=False)), repeats)
    uniforms = _best_of(lambda: rng.random((7, n), dtype=np.float32), repeats)
    return {"float64": _best_of(lambda: table64.take(slots, axis=0), repeats) + draw + uniforms,
            "float32": _best_of(lambda: table32.take(slots, axis=0), repeats) + draw + uniforms}


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


def _products(obs: np.ndarray, action_rows: np.ndarray) -> np.ndarray:
    x = np.c_[obs, np.ones(len(obs))]
    return (x[:, :, None] * action_rows[:, None, :]).reshape(len(obs), -1)


def bench_learnability(decisions: int, seed: int = 0) -> dict[str, float]:
    """Shares of (oracle - random) captured; see the module docstring, figure (3)."""
    env = CustomerBatchEnv("baseline", batch_size=2000, seed=seed)
    feats = np.c_[env.catalog.action_features, np.ones(env.catalog.n_actions)]
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    dim = _products(obs[:1], feats[:1]).shape[1]
    xtx, xty_truth = np.zeros((dim, dim)), np.zeros(dim)
    rows, realized = {}, {}
    for _ in range(-(-decisions // env.batch_size)):
        truth = env.expected_rewards()
        a = uniform_random_actions(info["eligible"], rng)
        f = _products(obs, feats[a])
        xtx += f.T @ f
        xty_truth += f.T @ truth[np.arange(len(a)), a]
        obs, _, _, _, info = env.step(a)
        if len(rows) < 40_000:
            rows.update(zip(info["refs"].tolist(), f, strict=True))
        realized.update(zip(info["matured_refs"].tolist(), info["matured_rewards"].tolist(),
                            strict=True))
    realized.update(zip(*(x.tolist() for x in env.flush()), strict=True))
    refs = sorted(rows)
    f40 = np.array([rows[r] for r in refs])
    y40 = np.array([realized[r] for r in refs])
    ridge = 10.0 * np.eye(dim)
    w_truth = np.linalg.solve(xtx + ridge, xty_truth)
    w_real = np.linalg.solve(f40.T @ f40 + ridge, f40.T @ y40)
    out = {"linear ceiling (noise-free, all decisions)": [], "linear on 40k realized": [],
           "best action per segment": []}
    seg = [i for i, n in enumerate(env.context_names) if n.startswith("segment=")]
    values = {"oracle": [], "random": []}
    for _ in range(5):
        truth, el = env.expected_rewards(), info["eligible"]
        oracle = np.where(el, truth, -np.inf).max(axis=1).mean()
        random = (np.where(el, truth, 0).sum(axis=1) / el.sum(axis=1)).mean()
        values["oracle"].append(oracle)
        values["random"].append(random)
        x = np.c_[obs, np.ones(len(obs))]
        for key, w in (("linear ceiling (noise-free, all decisions)", w_truth),
                       ("linear on 40k realized", w_real)):
            pred = x @ w.reshape(x.shape[1], feats.shape[1]) @ feats.T
            pick = np.where(el, pred, -np.inf).argmax(axis=1)
            got = truth[np.arange(len(pick)), pick].mean()
            out[key].append((got - random) / (oracle - random))
        segment = obs[:, seg].argmax(axis=1)
        got = np.empty(len(obs))
        for s_ in np.unique(segment):
            r = segment == s_
            best = np.nanargmax(np.nanmean(np.where(el[r], truth[r], np.nan), axis=0))
            got[r] = np.where(el[r, best], truth[r, best], 0.0)
        out["best action per segment"].append((got.mean() - random) / (oracle - random))
        obs, _, _, _, info = env.step(np.full(len(obs), env.catalog.no_contact_action))
    return {**{k: float(np.mean(v)) for k, v in out.items()},
            **{k: float(np.mean(v)) for k, v in values.items()}}


def main(argv: list[str] | None = None) -> int:
    """Print each figure, its reference and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, N = 20,000")
    parser.add_argument("--n", type=int, default=100_000, help="customers per batch")
    parser.add_argument("--learnability", action="store_true",
                        help="also figure (3): what a linear learner can capture (~30 s)")
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else args.n
    repeats = 3 if args.quick else 10
    print(f"simulator benchmarks, baseline scenario, N = {n:,} customers per batch, best of "
          f"{repeats}; matrix on {default_threads()} thread(s) (OMP_NUM_THREADS, else cores), "
          f"numpy's BLAS on its own")
    ours, ref = bench_step(n, repeats)
    print(f"(1) step, chosen actions only : {ours / 1e6:8.2f} M decisions/s | reference "
          f"{ref / 1e6:8.2f} M/s | ratio {ours / ref:.3f} (target >= 0.2)")
    floor = bench_step_floor(n, repeats)
    ref_s = n / ref
    print(f"    floor (obs gather + batch draw + uniforms, no funnel): float64 obs "
          f"{floor['float64'] * 1e3:.2f} ms = ratio cap {ref_s / floor['float64']:.3f}; float32 "
          f"obs {floor['float32'] * 1e3:.2f} ms = ratio cap {ref_s / floor['float32']:.3f} "
          f"(reference {ref_s * 1e3:.2f} ms)")
    for dtype in (np.float64, np.float32):
        ours, ref = bench_matrix(n, repeats, dtype)
        print(f"(2) N x K matrix + argmax {np.dtype(dtype).name:7s}: {ours / 1e6:8.2f} M "
              f"customers/s | reference {ref / 1e6:8.2f} M/s | ratio {ours / ref:.3f} "
              f"(target >= 0.5 and >= 1 M/s)")
    if args.learnability:
        fig = bench_learnability(40_000 if args.quick else 100_000)
        print(f"(3) baseline values per decision: oracle {fig.pop('oracle'):.3f}, uniform "
              f"random {fig.pop('random'):.3f}; share of (oracle - random) captured:")
        for key, share in fig.items():
            print(f"    {key:44s} {share:6.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
