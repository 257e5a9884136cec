"""Engine learning: share of the achievable lift the whole Engine captures on the simulator.

The Engine (rules, features, SQLite log, VW) decides, in one cell of the experiments
(``experiments.cell.run_cell``, no holdout) through the experiments' adapter
``experiments.engine_policy.EnginePolicy``, for the customers of the simulator's ``baseline``
scenario, and learns each decision's total reward when the simulator reports it (conversions
arrive up to 72 simulated hours later). Over the last quarter of the decisions it
prints, per exploration, the mean expected reward of the engine's choices next to uniform random
over the eligible actions and the (myopic) oracle, both measured on the same customers in the
same run, and the capture ratio (engine - random) / (oracle - random). Target: >= 0.80 for the
default configuration. Run: ``python benchmarks/bench_engine_learning.py [--quick]``.

``--ceiling`` adds what bounds any learner here: per-action linear and pairwise models fitted on
the *noise-free* expected rewards, per-action ridge on uniform data's realised rewards, and what
the default's epsilon costs. ``--policies linucb,lints,...`` runs the policies room's learners
under the same protocol, so the engine is compared with every other learner in the house.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from engine.options import EngineOptions, default_learner
from experiments.cell import run_cell
from experiments.spec import ENGINE_POLICY, CellSpec, PolicyEntry
from simulator import CustomerBatchEnv, load_scenario


def tail_capture(policy: PolicyEntry, n_decisions: int, batch: int, seed: int
                 ) -> dict[str, float]:
    """One cell of the experiments (``experiments.cell.run_cell``: the world, the policy, late
    totals learned as they mature, exact expected rewards) on ``baseline`` with no holdout, and
    its last quarter: mean expected reward of the chosen actions, of uniform random over the
    eligible ones and of the oracle, and the capture."""
    start = time.perf_counter()
    quarter = n_decisions // 4 // batch * batch
    last = run_cell(CellSpec("baseline", policy, seed=seed, horizon=4 * quarter,
                             batch_size=batch, window=quarter, holdout_fraction=0.0))[-1]
    chosen, random, oracle = (last[k] / last["n_treated"] for k in
                              ("expected_treated", "random_treated", "oracle_treated"))
    return {"engine": chosen, "random": random, "oracle": oracle,
            "capture": (chosen - random) / (oracle - random),
            "seconds": time.perf_counter() - start}


def run(learner: dict, n_decisions: int, batch: int, seed: int) -> dict[str, float]:
    """:func:`tail_capture` of the whole Engine through the experiments' adapter
    (``EnginePolicy``: the simulator's catalog in the same action order, rules = what the
    simulator enforces); ``learner`` holds VWConfig fields overriding the default learner."""
    return tail_capture(PolicyEntry(ENGINE_POLICY, {"learner": learner}), n_decisions, batch,
                        seed)


def _pairwise(x: np.ndarray) -> np.ndarray:
    """The context, plus every product of two of its non-binary columns (and squares)."""
    cont = [j for j in range(x.shape[1]) if len(np.unique(x[:2000, j])) > 3]
    pairs = [x[:, i] * x[:, j] for a, i in enumerate(cont) for j in cont[a:]]
    return np.column_stack([x, *pairs])


def linear_ceiling(seed: int = 0, pairwise: bool = False) -> float:
    """Capture of a per-action linear model fitted on the simulator's *noise-free* expected
    rewards of 30,000 customers, greedy on 10,000 others: an upper bound for any learner that
    sees the same context linearly and learns from noisy rewards instead. With ``pairwise``, the
    model also sees every product of two non-binary context columns (~300 features): what a
    non-linear view of the same context adds."""
    env = CustomerBatchEnv(load_scenario("baseline"), batch_size=10_000, seed=seed)
    obs, info = env.reset(seed=seed)
    xs, rs, els = [], [], []
    for _ in range(4):
        xs.append(obs.copy())
        rs.append(env.expected_rewards().copy())
        els.append(info["eligible"].copy())
        obs, _, _, _, info = env.step(np.full(10_000, env.catalog.no_contact_action))
    x, r, el = np.vstack(xs), np.vstack(rs), np.vstack(els)
    x = np.hstack([_pairwise(x) if pairwise else x, np.ones((len(x), 1))])
    a, fit = x[:30_000], slice(0, 30_000)
    w = np.linalg.solve(a.T @ a + 0.1 * np.eye(a.shape[1]), a.T @ r[fit])
    rt, elt = r[30_000:], el[30_000:]
    pick = np.where(elt, x[30_000:] @ w, -np.inf).argmax(1)
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
        totals.update(zip(info["matured_refs"].tolist(), info["matured_rewards"].tolist(),
                          strict=True))
    totals.update(zip(*(v.tolist() for v in env.flush()), strict=True))
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


def _print_row(name: str, r: dict[str, float]) -> None:
    print(f"{name:>14} {r['engine']:>9.4f} {r['random']:>9.4f} {r['oracle']:>9.4f} "
          f"{r['capture']:>8.2f} {r['seconds']:>8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 decisions, default only")
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--explorations", default="squarecb,epsilon,bag")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ceiling", action="store_true",
                        help="also print the capture of linear and pairwise models fitted on "
                        "noise-free expected rewards (upper bounds) and of ridge on uniform data")
    parser.add_argument("--policies", default="",
                        help="also run these learners of the policies room under the same "
                        "protocol, comma-separated (e.g. linucb,lints,epsilon_greedy,"
                        "segment_rules)")
    args = parser.parse_args()
    n = 20_000 if args.quick else args.decisions
    explorations = [] if args.quick else args.explorations.split(",")
    default = [c.name for c in EngineOptions().candidate_specs]
    print(f"baseline scenario, {n} decisions, tail = last quarter; the engine's default: "
          f"candidates {', '.join(default)}, chosen online")
    print(f"{'learner':>14} {'engine':>9} {'random':>9} {'oracle':>9} {'capture':>8} "
          f"{'seconds':>8}")
    _print_row("default", tail_capture(PolicyEntry(ENGINE_POLICY), n, batch=100,
                                       seed=args.seed))
    for exploration in explorations:
        # SquareCB runs on VW's mtr only; epsilon and bag use the default's cb_type
        learner = {"exploration": exploration}
        if exploration == "squarecb":
            learner["cb_type"] = "mtr"
        r = run(learner, n, batch=100, seed=args.seed)
        _print_row(exploration, r)
    for name in filter(None, args.policies.split(",")):
        _print_row(name, tail_capture(PolicyEntry(name), n, batch=100, seed=args.seed))
    if args.ceiling:
        linear = linear_ceiling(args.seed)
        pairwise = linear_ceiling(args.seed, True)
        print(f"ceiling: a per-action linear model on noise-free expected rewards captures "
              f"{linear:.2f}; with pairwise products of the context {pairwise:.2f}")
        eps = default_learner().epsilon
        print(f"         epsilon {eps:.0%} of uniform exploration earns the random value, so the "
              f"default captures at most {1 - eps:.2f} x its greedy capture: "
              f"{(1 - eps) * linear:.2f} with the noise-free linear model")
        print(f"ceiling: per-action ridge fitted offline on {3 * n // 4} uniform decisions' "
              f"realised rewards captures {uniform_data_ceiling(3 * n // 4, args.seed):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
