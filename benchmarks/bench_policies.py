"""Policy speed at the simulator's size: act + learn cost per decision of every registered policy.

The problem has the shape of the simulator's baseline scenario (42 context columns in [-1, 1],
201 actions described by 22 attributes, about 60% of them eligible per customer), the data are
synthetic. Batches of 500 decisions: ``act`` on the batch, then ``learn`` on it.

The reference, measured in the same run, is LinUCB written the textbook way: one customer at a
time, one joint feature vector per eligible action, ``theta.phi + alpha sqrt(phi' A^-1 phi)``, and
a Sherman-Morrison update per reward. Our batched LinUCB computes the same bounds (checked: the
same actions are chosen); the printed ratio is how many times cheaper it is per decision.

Run: ``python benchmarks/bench_policies.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from policies import Problem, available_policies, make_policy
from policies.base import SeesTruth

D_CONTEXT, N_ACTIONS, N_FEATURES, BATCH = 42, 201, 22, 500


def make_problem(rng: np.random.Generator) -> Problem:
    feats = (rng.random((N_ACTIONS, N_FEATURES)) < 0.25).astype(float)
    return Problem(context_names=tuple(f"x{i}" for i in range(D_CONTEXT)),
                   action_names=tuple(f"a{i}" for i in range(N_ACTIONS)),
                   action_features=feats,
                   action_feature_names=tuple(f"f{i}" for i in range(N_FEATURES)))


def batches(rng: np.random.Generator, n_batches: int, size: int = BATCH):
    for _ in range(n_batches):
        x = rng.uniform(-1, 1, (size, D_CONTEXT))
        e = rng.random((size, N_ACTIONS)) < 0.6
        e[:, 0] = True
        yield x, e


def policy_us(name: str, problem: Problem, n_batches: int) -> float:
    """Median over ``n_batches`` batches (after one warm-up) of the microseconds per decision of
    act + learn. The median, because the machine is shared: a neighbour's burst hits a batch,
    not the figure."""
    rng = np.random.default_rng(1)
    policy = make_policy(name, problem, 0)
    reward_w = rng.standard_normal(N_FEATURES)
    per_batch = []
    for x, e in batches(rng, n_batches + 1):
        if isinstance(policy, SeesTruth):
            policy.see_expected(np.tile(problem.action_features @ reward_w, (len(x), 1)))
        start = time.perf_counter()
        a, p = policy.act(x, e)
        policy.learn(x, a, p, rng.standard_normal(len(a)))
        per_batch.append((time.perf_counter() - start) / len(a) * 1e6)
    return float(np.median(per_batch[1:]))  # the first batch warms caches and BLAS up


class LoopLinUCB:
    """The textbook LinUCB on the same joint features: a Python loop over customers and actions."""

    def __init__(self, problem: Problem, alpha: float, ridge: float) -> None:
        self.z = np.hstack([np.ones((problem.n_actions, 1)), problem.action_features])
        dim = (problem.context_dim + 1) * self.z.shape[1]
        self.alpha, self.a_inv, self.b = alpha, np.eye(dim) / ridge, np.zeros(dim)

    def phi(self, x: np.ndarray, action: int) -> np.ndarray:
        return np.outer(np.concatenate([[1.0], x]), self.z[action]).ravel()

    def act_one(self, x: np.ndarray, eligible: np.ndarray) -> int:
        theta = self.a_inv @ self.b
        best, best_ucb = -1, -np.inf
        for action in np.flatnonzero(eligible):
            f = self.phi(x, action)
            ucb = theta @ f + self.alpha * np.sqrt(f @ self.a_inv @ f)
            if ucb > best_ucb + 1e-9:
                best, best_ucb = action, ucb
        return best

    def learn_one(self, x: np.ndarray, action: int, reward: float) -> None:
        f = self.phi(x, action)
        u = self.a_inv @ f
        self.a_inv -= np.outer(u, u) / (1.0 + f @ u)
        self.b += reward * f


def reference_us(problem: Problem, n_customers: int) -> tuple[float, float]:
    """(median us per decision of the loop, share of customers on which it and the batched
    LinUCB, given the same history, choose the same action)."""
    rng = np.random.default_rng(2)
    loop = LoopLinUCB(problem, alpha=0.5, ridge=1.0)
    batched = make_policy("linucb", problem, 0, alpha=0.5, ridge=1.0)
    (x0, _), (x, e) = batches(rng, 2, size=n_customers)
    a0, r0 = rng.integers(0, N_ACTIONS, n_customers), rng.standard_normal(n_customers)
    for xi, ai, ri in zip(x0, a0, r0, strict=True):  # the same history for both
        loop.learn_one(xi, int(ai), float(ri))
    batched.learn(x0, a0, np.ones(n_customers), r0)
    same = batched.action_probabilities(x, e).argmax(axis=1)
    agree = np.mean([loop.act_one(xi, ei) == s for xi, ei, s in zip(x, e, same, strict=True)])
    per_customer = []
    for xi, ei in zip(x, e, strict=True):
        start = time.perf_counter()
        loop.learn_one(xi, loop.act_one(xi, ei), 0.0)
        per_customer.append((time.perf_counter() - start) * 1e6)
    return float(np.median(per_customer)), float(agree)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer batches (about 30 s)")
    args = parser.parse_args()
    problem = make_problem(np.random.default_rng(0))
    n_batches = 3 if args.quick else 10
    print(f"problem: d={D_CONTEXT} context columns, K={N_ACTIONS} actions, F={N_FEATURES} "
          f"attributes, batches of {BATCH}, {n_batches} timed batches per policy")
    costs = {}
    for name in available_policies():
        costs[name] = policy_us(name, problem, n_batches if not name.startswith("vw_") else 3)
        print(f"  {name:16s} {costs[name]:10.1f} us per decision (act + learn, median batch)")
    ref, agree = reference_us(problem, 10 if args.quick else 30)
    print(f"reference: textbook per-customer LinUCB loop {ref:10.1f} us per decision "
          f"(same choice as the batched LinUCB on {agree:.0%} of customers)")
    print(f"batched LinUCB {costs['linucb']:.1f} us vs loop {ref:.1f} us: "
          f"{ref / costs['linucb']:.1f}x cheaper per decision")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
