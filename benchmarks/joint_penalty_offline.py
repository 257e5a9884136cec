"""How the joint ridge's penalty (``JointRidgeConfig.l2``) shapes what it learns, apart from
exploration: a uniform-random log of a suite world, the joint ridge fitted on it row by row, and
its greedy choice scored on held-out customers by the world's exact expected rewards (capture:
0 = random among the eligible, 1 = the best eligible action). Each penalty is the exact ridge
refit of the same statistics (``X'X`` and ``X'y``: without forgetting, what a learner trained at
that penalty holds), so every penalty sees the same rows; the first is the reference, and the
summary pairs the others with it by seed (mean of the last checkpoint, 95 % t-interval).

A penalty is a number (every weight), ``own/context/cross`` (one per group of weights: the
actions' own effects and the bias, the context alone, the crosses of context and attributes),
``evidence`` (the one penalty that maximises the marginal likelihood) or ``group evidence`` (one
per group, the same way).

    python benchmarks/joint_penalty_offline.py --world baseline --seeds 1,2,3 --train 16000
    python benchmarks/joint_penalty_offline.py --world example_catalog --train 3000 --test 1000 \
        --penalties "1,100,1/1/100,100/1/1,group evidence"
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from engine.features import (  # noqa: E402
    action_feature_sets,
    context_namespace,
    history_namespace,
    shared_features,
)
from experiments.worlds import make_world  # noqa: E402
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner  # noqa: E402


def uniform_log(world_name: str, seed: int, rows: int) -> dict[str, object]:
    """``rows`` decisions of ``world_name`` played uniformly among the eligible actions."""
    world = make_world(world_name, seed, rows)
    rng = np.random.default_rng(seed)
    no_history = history_namespace(None, list(getattr(world, "_channels", ())))
    feats, chosen, eligible, expected = [], [], [], []
    rewards = np.zeros(rows)
    while not world.done:
        b = world.observe()
        picks = np.array([rng.choice(np.flatnonzero(r)) for r in b.eligible])
        feats += [shared_features(context_namespace(c), no_history)
                  for c in world.engine_contexts(b)]
        chosen += picks.tolist()
        eligible += list(b.eligible)
        expected += list(b.expected)
        m = world.play(picks)
        rewards[m.refs] = m.rewards
    m = world.flush()
    rewards[m.refs] = m.rewards
    return {"sets": action_feature_sets(world.engine_setup().catalog), "feats": feats,
            "chosen": np.array(chosen), "eligible": np.array(eligible),
            "expected": np.array(expected), "rewards": rewards}


def greedy_capture(learner: JointRidgeLearner, log: dict, rows: range) -> float:
    """Capture of the learner's top estimate on ``rows`` of the log."""
    e, x = log["eligible"], log["expected"]
    picked = []
    for j in rows:
        idx = np.flatnonzero(e[j])
        picked.append(x[j, idx[np.argmax(learner.estimates(log["feats"][j], idx))]])
    sl = slice(rows.start, rows.stop)
    best = np.where(e[sl], x[sl], -np.inf).max(axis=1).mean()
    rand = (np.where(e[sl], x[sl], 0.0).sum(axis=1) / e[sl].sum(axis=1)).mean()
    return float((np.mean(picked) - rand) / (best - rand))


def evidence_penalty(xtx: np.ndarray, xty: np.ndarray, yty: float, n: int,
                     groups: np.ndarray, iterations: int = 30) -> np.ndarray:
    """A penalty per weight, one per group, that maximises the marginal likelihood of a
    Bayesian ridge (MacKay's fixed point: each group's prior precision from its effective
    parameters and its weights' norm, the noise's from the residuals), as prior precision over
    noise precision."""
    k = int(groups.max()) + 1
    alpha, beta = np.ones(k), 1.0 / max(yty / n, 1e-12)
    for _ in range(iterations):
        s = np.linalg.inv(beta * xtx + np.diag(alpha[groups]))
        w = beta * s @ xty
        rss = yty - 2 * w @ xty + w @ xtx @ w
        fitted = np.bincount(groups, 1.0 - alpha[groups] * np.diagonal(s), k)
        alpha = np.maximum(fitted, 1e-9) / np.maximum(np.bincount(groups, w * w, k), 1e-300)
        beta = max(n - fitted.sum(), 1.0) / max(rss, 1e-300)
    return alpha[groups] / beta


def penalty_of(spec: str, groups: np.ndarray, stats_: tuple) -> np.ndarray:
    """One penalty per weight for ``spec`` (see the module) given the statistics
    ``(X'X, X'y, y'y, n)``."""
    if spec in ("evidence", "group evidence"):
        return evidence_penalty(*stats_, np.minimum(groups, 0 if spec == "evidence" else 2))
    values = [float(v) for v in spec.split("/")]
    return np.array(values)[groups] if len(values) == 3 else np.full(groups.size, values[0])


def checkpoint(learner: JointRidgeLearner, base: float, specs: list[str], yty: float, n: int,
               log: dict, held_out: range) -> list[float]:
    """The capture of each penalty's refit of the learner's statistics (left as they were)."""
    xtx = np.linalg.inv(learner._ainv) - base * np.eye(learner._ainv.shape[0])
    xty, theta, groups = learner._b.copy(), learner._theta.copy(), learner.weight_groups()
    caps = []
    for spec in specs:
        pen = penalty_of(spec, groups, (xtx, xty, yty, n))
        learner._theta = np.linalg.solve(xtx + np.diag(pen), xty)
        caps.append(greedy_capture(learner, log, held_out))
    learner._theta = theta
    return caps


def one_seed(args: argparse.Namespace, seed: int, specs: list[str]) -> np.ndarray:
    """Captures ``(checkpoints, penalties)`` of one seed, printed as they come."""
    start = time.perf_counter()
    log = uniform_log(args.world, seed, args.train + args.test)
    r = log["rewards"][:args.train]
    scale = float(np.mean(np.abs(r))) or 1.0  # as the engine's scale: the argmax ignores it
    held_out, every = range(args.train, args.train + args.test), args.train // args.checkpoints
    rows = []
    with JointRidgeLearner(JointRidgeConfig(l2=args.base)) as learner:
        learner.set_actions(log["sets"])
        for i in range(args.train):
            learner.learn(log["feats"][i], np.flatnonzero(log["eligible"][i]),
                          int(log["chosen"][i]), 1.0 / log["eligible"][i].sum(), r[i] / scale)
            if (i + 1) % every == 0:
                yty = float(np.sum((r[:i + 1] / scale) ** 2))
                rows.append(checkpoint(learner, args.base, specs, yty, i + 1, log, held_out))
    caps = np.array(rows)
    print(f"{args.world} seed {seed}: rewards mean {r.mean():.3f} sd {r.std():.2f}; capture "
          f"after each {every} rows ({time.perf_counter() - start:.0f} s)", flush=True)
    for j, spec in enumerate(specs):
        print(f"  {spec}: " + " ".join(f"{c:.3f}" for c in caps[:, j]), flush=True)
    return caps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", default="baseline")
    ap.add_argument("--seeds", default="1", help="comma-separated")
    ap.add_argument("--train", type=int, default=16000)
    ap.add_argument("--test", type=int, default=1500)
    ap.add_argument("--penalties", default="1,100,300,1000",
                    help="comma-separated (see the module); the first is the reference")
    ap.add_argument("--base", type=float, default=1e-3,
                    help="the penalty the statistics are gathered under (taken out again)")
    ap.add_argument("--checkpoints", type=int, default=4, help="scored this many times in training")
    args = ap.parse_args()
    specs = [p.strip() for p in args.penalties.split(",") if p.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    last = np.array([one_seed(args, seed, specs)[-1] for seed in seeds])
    print(f"\n{args.world}, last checkpoint, {len(seeds)} seeds: mean capture; minus "
          f"{specs[0]!r}, paired [95 % interval]")
    for j, spec in enumerate(specs):
        d = last[:, j] - last[:, 0]
        half = (stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
                if len(d) > 1 else float("nan"))
        print(f"  {spec:>16}: {last[:, j].mean():.3f}"
              + (f"   {d.mean():+.3f} [{d.mean() - half:+.3f}, {d.mean() + half:+.3f}]"
                 if j else ""))


if __name__ == "__main__":
    main()
