"""Engine learning: share of the achievable lift the whole Engine captures on the simulator.

The Engine (rules, features, SQLite log, VW) decides, through the experiments' adapter
``experiments.engine_policy.EnginePolicy``, for the customers of the simulator's ``baseline``
scenario, and learns each decision's total reward when the simulator reports it (conversions
arrive up to 72 simulated hours later). Over the last quarter of the decisions it
prints, per exploration, the mean expected reward of the engine's choices next to uniform random
over the eligible actions and the (myopic) oracle, both measured on the same customers in the
same run, and the capture ratio (engine - random) / (oracle - random). Target: >= 0.80 for the
default configuration. Run: ``python benchmarks/bench_engine_learning.py [--quick]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from engine.options import default_learner
from experiments.engine_policy import EnginePolicy
from simulator import CustomerBatchEnv, load_scenario


def run(learner: dict, n_decisions: int, batch: int, seed: int) -> dict[str, float]:
    """One run of the whole Engine through the experiments' adapter (``EnginePolicy``: the
    simulator's catalog in the same action order, rules = what the simulator enforces).

    ``learner`` holds VWConfig fields overriding the engine's default learner.
    """
    env = CustomerBatchEnv(load_scenario("baseline"), batch_size=batch, seed=seed)
    obs, info = env.reset(seed=seed)
    n_steps = n_decisions // batch
    tail_from = n_steps - n_steps // 4
    sums = np.zeros(3)  # engine, random, oracle expected reward over the last quarter
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as d, EnginePolicy(env, d, seed=seed,
                                                          learner=learner) as pol:
        for step in range(n_steps):
            refs = np.arange(step * batch, (step + 1) * batch)
            actions, _ = pol.act_customers(obs, info["eligible"], info["customer_ids"],
                                           info["clock_hours"], refs)
            if step >= tail_from:
                r, el = env.expected_rewards(), info["eligible"]
                sums += (r[np.arange(batch), actions].sum(),
                         (np.where(el, r, 0).sum(1) / el.sum(1)).sum(),
                         np.where(el, r, -np.inf).max(1).sum())
            obs, _, _, _, info = env.step(actions)
            assert (info["refs"] == refs).all()
            pol.learn_refs(info["matured_refs"], info["matured_rewards"], info["clock_hours"])
        learned = pol.engine.stats()["learned_seq"]
    tail = sums / ((n_steps - tail_from) * batch)
    return {"engine": tail[0], "random": tail[1], "oracle": tail[2],
            "capture": (tail[0] - tail[1]) / (tail[2] - tail[1]), "learned": learned,
            "seconds": time.perf_counter() - start}


def linear_ceiling(seed: int = 0) -> float:
    """Capture of a per-action linear model fitted on the simulator's *noise-free* expected
    rewards of 20,000 customers, greedy on 10,000 others: an upper bound for any learner that
    sees the same context linearly and learns from noisy rewards instead."""
    env = CustomerBatchEnv(load_scenario("baseline"), batch_size=10_000, seed=seed)
    obs, info = env.reset(seed=seed)
    xs, rs, els = [], [], []
    for _ in range(3):
        xs.append(np.hstack([obs, np.ones((len(obs), 1))]))
        rs.append(env.expected_rewards().copy())
        els.append(info["eligible"].copy())
        obs, _, _, _, info = env.step(np.full(10_000, env.catalog.no_contact_action))
    x, r, el = np.vstack(xs), np.vstack(rs), np.vstack(els)
    a = x[:20_000]
    w = np.linalg.solve(a.T @ a + 0.1 * np.eye(a.shape[1]), a.T @ r[:20_000])
    rt, elt = r[20_000:], el[20_000:]
    pick = np.where(elt, x[20_000:] @ w, -np.inf).argmax(1)
    got = rt[np.arange(len(rt)), pick].mean()
    rnd = (np.where(elt, rt, 0).sum(1) / elt.sum(1)).mean()
    return (got - rnd) / (np.where(elt, rt, -np.inf).max(1).mean() - rnd)


def uniform_data_ceiling(n_decisions: int, seed: int = 0, lam: float = 10.0) -> float:
    """Capture of per-action ridge models fitted offline on ``n_decisions`` uniformly random
    decisions' *realised* rewards, greedy on fresh customers: what this much noisy data can
    teach a per-action linear model, with no exploration cost paid during the test."""
    env = CustomerBatchEnv(load_scenario("baseline"), batch_size=500, seed=seed)
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    xs, acts, totals = [], [], {}
    for _ in range(n_decisions // 500):
        el = info["eligible"]
        a = np.array([rng.choice(np.flatnonzero(row)) for row in el])
        xs.append(np.hstack([obs, np.ones((len(obs), 1))]))
        acts.append(a)
        obs, _, _, _, info = env.step(a)
        totals.update(zip(info["matured_refs"].tolist(), info["matured_rewards"].tolist()))
    totals.update(zip(*(v.tolist() for v in env.flush())))
    x, a = np.vstack(xs), np.concatenate(acts)
    y = np.array([totals[i] for i in range(len(a))])
    test = CustomerBatchEnv(load_scenario("baseline"), batch_size=5000, seed=seed + 1)
    obs2, info2 = test.reset(seed=seed + 1)
    r, el = test.expected_rewards(), info2["eligible"]
    x2 = np.hstack([obs2, np.ones((len(obs2), 1))])
    pred = np.zeros_like(r)
    for k in np.unique(a):
        xa = x[a == k]
        w = np.linalg.solve(xa.T @ xa + lam * np.eye(xa.shape[1]), xa.T @ y[a == k])
        pred[:, k] = x2 @ w
    got = r[np.arange(len(r)), np.where(el, pred, -np.inf).argmax(1)].mean()
    rnd = (np.where(el, r, 0).sum(1) / el.sum(1)).mean()
    return (got - rnd) / (np.where(el, r, -np.inf).max(1).mean() - rnd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 decisions, default only")
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--explorations", default="squarecb,epsilon,bag")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ceiling", action="store_true",
                        help="also print the capture of a linear model fitted on noise-free "
                        "expected rewards (an upper bound)")
    args = parser.parse_args()
    n = 20_000 if args.quick else args.decisions
    explorations = [default_learner().exploration] if args.quick else args.explorations.split(
        ",")
    print(f"baseline scenario, {n} decisions, tail = last quarter; default exploration: "
          f"{default_learner().exploration}")
    print(f"{'exploration':>12} {'engine':>9} {'random':>9} {'oracle':>9} {'capture':>8} "
          f"{'learned':>8} {'seconds':>8}")
    for exploration in explorations:
        # SquareCB runs on VW's mtr only; epsilon and bag use the default's cb_type
        learner = {"exploration": exploration}
        if exploration == "squarecb":
            learner["cb_type"] = "mtr"
        r = run(learner, n, batch=100, seed=args.seed)
        print(f"{exploration:>12} {r['engine']:>9.4f} {r['random']:>9.4f} {r['oracle']:>9.4f} "
              f"{r['capture']:>8.2f} {r['learned']:>8d} {r['seconds']:>8.0f}")
    if args.ceiling:
        print(f"ceiling: a per-action linear model on noise-free expected rewards captures "
              f"{linear_ceiling(args.seed):.2f}")
        print(f"ceiling: per-action ridge fitted offline on {3 * n // 4} uniform decisions' "
              f"realised rewards captures {uniform_data_ceiling(3 * n // 4, args.seed):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
