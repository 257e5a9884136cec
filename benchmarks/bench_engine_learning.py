"""Engine learning: share of the achievable lift the whole Engine captures on the simulator.

The Engine (rules, features, SQLite log, VW) decides, through the experiments' adapter
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
import tempfile
import time

import numpy as np

from engine.options import default_learner
from experiments.engine_policy import EnginePolicy
from experiments.sim_problem import problem_from_catalog
from policies import make_policy
from simulator import CustomerBatchEnv, load_scenario


class _Tail:
    """Expected reward of the chosen actions, of uniform random over the eligible ones and of
    the oracle, summed over the last quarter of the steps."""

    def __init__(self, n_steps: int) -> None:
        self.first = n_steps - n_steps // 4
        self.sums, self.rows = np.zeros(3), 0

    def add(self, step: int, env: CustomerBatchEnv, el: np.ndarray, actions: np.ndarray) -> None:
        if step < self.first:
            return
        r = env.expected_rewards()
        self.sums += (r[np.arange(len(actions)), actions].sum(),
                      (np.where(el, r, 0).sum(1) / el.sum(1)).sum(),
                      np.where(el, r, -np.inf).max(1).sum())
        self.rows += len(actions)

    def result(self, learned: int, start: float) -> dict[str, float]:
        engine, random, oracle = self.sums / self.rows
        return {"engine": engine, "random": random, "oracle": oracle,
                "capture": (engine - random) / (oracle - random), "learned": learned,
                "seconds": time.perf_counter() - start}


def run(learner: dict, n_decisions: int, batch: int, seed: int) -> dict[str, float]:
    """One run of the whole Engine through the experiments' adapter (``EnginePolicy``: the
    simulator's catalog in the same action order, rules = what the simulator enforces).

    ``learner`` holds VWConfig fields overriding the engine's default learner.
    """
    env = CustomerBatchEnv(load_scenario("baseline"), batch_size=batch, seed=seed)
    obs, info = env.reset(seed=seed)
    n_steps = n_decisions // batch
    tail, start = _Tail(n_steps), time.perf_counter()
    with tempfile.TemporaryDirectory() as d, EnginePolicy(env, d, seed=seed,
                                                          learner=learner) as pol:
        for step in range(n_steps):
            refs = np.arange(step * batch, (step + 1) * batch)
            actions, _ = pol.act_customers(obs, info["eligible"], info["customer_ids"],
                                           info["clock_hours"], refs)
            tail.add(step, env, info["eligible"], actions)
            obs, _, _, _, info = env.step(actions)
            assert (info["refs"] == refs).all()
            pol.learn_refs(info["matured_refs"], info["matured_rewards"], info["clock_hours"])
        learned = pol.engine.stats()["learned_seq"]
    return tail.result(learned, start)


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


def run_policy(name: str, n_decisions: int, batch: int, seed: int) -> dict[str, float]:
    """One of the policies room's learners (``policies.make_policy``) under the engine's protocol:
    the same world, batch and tail; each decision's total is learned when it matures."""
    env = CustomerBatchEnv(load_scenario("baseline"), batch_size=batch, seed=seed)
    obs, info = env.reset(seed=seed)
    policy = make_policy(name, problem_from_catalog(env), seed=seed)
    n_steps = n_decisions // batch
    tail, start = _Tail(n_steps), time.perf_counter()
    pending: dict[int, tuple[np.ndarray, int, float]] = {}
    for step in range(n_steps):
        actions, probs = policy.act(obs, info["eligible"])
        tail.add(step, env, info["eligible"], actions)
        shown = obs
        obs, _, _, _, info = env.step(actions)
        pending.update(zip(info["refs"].tolist(), zip(shown, actions.tolist(), probs.tolist())))
        if len(info["matured_refs"]):
            rows = [pending.pop(ref) for ref in info["matured_refs"].tolist()]
            x, a, p = (np.array(v) for v in zip(*rows))
            policy.learn(x, a, p, info["matured_rewards"])
    return tail.result(n_decisions, start)


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


def _print_row(name: str, r: dict[str, float]) -> None:
    print(f"{name:>14} {r['engine']:>9.4f} {r['random']:>9.4f} {r['oracle']:>9.4f} "
          f"{r['capture']:>8.2f} {r['learned']:>8d} {r['seconds']:>8.0f}")


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
    explorations = [default_learner().exploration] if args.quick else args.explorations.split(
        ",")
    print(f"baseline scenario, {n} decisions, tail = last quarter; default exploration: "
          f"{default_learner().exploration}")
    print(f"{'learner':>14} {'engine':>9} {'random':>9} {'oracle':>9} {'capture':>8} "
          f"{'learned':>8} {'seconds':>8}")
    for exploration in explorations:
        # SquareCB runs on VW's mtr only; epsilon and bag use the default's cb_type
        learner = {"exploration": exploration}
        if exploration == "squarecb":
            learner["cb_type"] = "mtr"
        r = run(learner, n, batch=100, seed=args.seed)
        _print_row(exploration, r)
    for name in filter(None, args.policies.split(",")):
        _print_row(name, run_policy(name, n, batch=100, seed=args.seed))
    if args.ceiling:
        linear = linear_ceiling(args.seed)
        print(f"ceiling: a per-action linear model on noise-free expected rewards captures "
              f"{linear:.2f}; with pairwise products of the context {linear_ceiling(args.seed, True):.2f}")
        eps = default_learner().epsilon
        print(f"         epsilon {eps:.0%} of uniform exploration earns the random value, so the "
              f"default captures at most {1 - eps:.2f} x its greedy capture: "
              f"{(1 - eps) * linear:.2f} with the noise-free linear model")
        print(f"ceiling: per-action ridge fitted offline on {3 * n // 4} uniform decisions' "
              f"realised rewards captures {uniform_data_ceiling(3 * n // 4, args.seed):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
