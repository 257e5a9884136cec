"""How the joint ridge's penalty (``JointRidgeConfig.l2``) shapes what it learns, apart from
exploration: a uniform-random log of a suite world, the joint ridge fitted on it row by row, and
its greedy choice scored on held-out customers by the world's exact expected rewards (capture:
0 = random among the eligible, 1 = the best eligible action). Each penalty is the exact ridge
refit of the same statistics (``X'X`` and ``X'y``: without forgetting, what a learner trained at
that penalty holds), so every penalty sees the same rows; the first is the reference, and the
summary pairs the others with it by seed (mean of the last checkpoint, 95 % t-interval).

A penalty is a number (every weight), ``own/context/cross`` (one per group of weights: the
actions' own effects and the bias, the context alone, the crosses of context and attributes),
``evidence`` (the one penalty that maximises the marginal likelihood), ``group evidence`` (one
per group, the same way) or ``slot evidence`` (one per shared slot, its crosses with every
attribute, beside one for the actions' own effects and one for the context alone: automatic
relevance determination of the context's features; with ``--slots table`` a slot is a feature;
``slot evidence>1000``: none below 1000, so the evidence can only add to it).

    python benchmarks/joint_penalty_offline.py --world baseline --seeds 1,2,3 --train 16000
    python benchmarks/joint_penalty_offline.py --world example_catalog --train 3000 --test 1000 \
        --penalties "1,100,1/1/100,100/1/1,group evidence"
    python benchmarks/joint_penalty_offline.py --world baseline --seeds 1,2,3 --dim 64 \
        --slots table --penalties "100,1000,slot evidence"
    python benchmarks/joint_penalty_offline.py --world baseline --seeds 1,2,3 --penalties 1000 \
        --contexts all,segment
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
from experiments.learning_suite.suite_cell import capture  # noqa: E402
from experiments.worlds import make_world  # noqa: E402
from experiments.worlds.world import Batch, World  # noqa: E402
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner  # noqa: E402
from policies.vw_format import FeatureSet  # noqa: E402


def engine_features(world: World, batch: Batch) -> list[FeatureSet]:
    """The batch's contexts as the engine's learners see them, each customer as one never
    contacted (the history namespace of no history)."""
    no_history = history_namespace(None, list(getattr(world, "_channels", ())))
    return [shared_features(context_namespace(c), no_history)
            for c in world.engine_contexts(batch)]


def uniform_log(world_name: str, seed: int, rows: int) -> dict[str, object]:
    """``rows`` decisions of ``world_name`` played uniformly among the eligible actions: the
    engine's features (``feats``) and the world's own context rows (``contexts``, what the
    numpy policies see, with the world's ``problem``)."""
    world = make_world(world_name, seed, rows)
    rng = np.random.default_rng(seed)
    feats, contexts, chosen, eligible, expected = [], [], [], [], []
    rewards = np.zeros(rows)
    while not world.done:
        b = world.observe()
        picks = np.array([rng.choice(np.flatnonzero(r)) for r in b.eligible])
        feats += engine_features(world, b)
        contexts += list(b.contexts)
        chosen += picks.tolist()
        eligible += list(b.eligible)
        expected += list(b.expected)
        m = world.play(picks)
        rewards[m.refs] = m.rewards
    m = world.flush()
    rewards[m.refs] = m.rewards
    return {"sets": action_feature_sets(world.engine_setup().catalog), "feats": feats,
            "contexts": np.array(contexts), "problem": world.problem,
            "chosen": np.array(chosen), "eligible": np.array(eligible),
            "expected": np.array(expected), "rewards": rewards}


def greedy_capture(learner: JointRidgeLearner, log: dict, rows: range) -> float:
    """Capture of the learner's top estimate on ``rows`` of the log."""
    e = log["eligible"]
    picked = [int(np.flatnonzero(e[j])[np.argmax(learner.estimates(
        log["feats"][j], np.flatnonzero(e[j])))]) for j in rows]
    return log_capture(log, rows, np.array(picked))


def log_capture(log: dict, rows: range, picked: np.ndarray) -> float:
    """The suite's capture (:func:`~experiments.learning_suite.suite_cell.capture`) of the
    actions ``picked`` on ``rows`` of the log, by the world's exact expected rewards."""
    sl = slice(rows.start, rows.stop)
    e, x = log["eligible"][sl], log["expected"][sl]
    chosen = x[np.arange(len(picked)), picked]
    random = np.where(e, x, 0.0).sum(axis=1) / e.sum(axis=1)
    return capture(chosen, random, np.where(e, x, -np.inf).max(axis=1))


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


def slot_groups(learner: JointRidgeLearner) -> np.ndarray:
    """Each weight's group for ``slot evidence``: its shared slot for the crosses of the
    context with the attributes, ``dim`` for the context alone, ``dim + 1`` for the actions' own
    effects and the bias (:meth:`JointRidgeLearner.weight_groups`'s groups 1 and 0)."""
    width, q = learner._width, learner._zc.shape[1]
    grid = np.repeat(np.arange(width)[:, None], q, axis=1)
    grid[:, 0] = width - 1
    grid[-1, :] = width
    return np.concatenate([grid.ravel(), np.full(learner._zb.shape[1], width)])


def penalty_of(spec: str, groups: np.ndarray, stats_: tuple,
               slots: np.ndarray | None = None) -> np.ndarray:
    """One penalty per weight for ``spec`` (see the module) given the statistics
    ``(X'X, X'y, y'y, n)`` (``slots``: :func:`slot_groups`, for ``slot evidence``)."""
    if spec.startswith("slot evidence"):  # "slot evidence>1000": none below 1000
        assert slots is not None
        floor = float(spec.partition(">")[2] or 0.0)
        return np.maximum(evidence_penalty(*stats_, slots), floor)
    if spec in ("evidence", "group evidence"):
        return evidence_penalty(*stats_, np.minimum(groups, 0 if spec == "evidence" else 2))
    values = [float(v) for v in spec.split("/")]
    return np.array(values)[groups] if len(values) == 3 else np.full(groups.size, values[0])


def checkpoint(learner: JointRidgeLearner, base: float, specs: list[str], yty: float, n: int,
               log: dict, held_out: range) -> list[float]:
    """The capture of each penalty's refit of the learner's statistics (left as they were)."""
    xtx = np.linalg.inv(learner._ainv) - base * np.eye(learner._ainv.shape[0])
    xty, theta, groups = learner._b.copy(), learner._theta.copy(), learner.weight_groups()
    slots = slot_groups(learner)
    caps = []
    for spec in specs:
        pen = penalty_of(spec, groups, (xtx, xty, yty, n), slots)
        learner._theta = np.linalg.solve(xtx + np.diag(pen), xty)
        caps.append(greedy_capture(learner, log, held_out))
    learner._theta = theta
    return caps


def context_subset(log: dict, keep: str) -> dict:
    """The log with only the context features named in ``keep`` (context keys joined by
    ``+``; ``all`` for every one, ``""`` for none; the uniform log's history namespace is the
    same on every row, so it goes too)."""
    if keep == "all":
        return log
    names = set(keep.split("+"))
    feats = [{"c": {k: v for k, v in f.get("c", {}).items() if k in names}} for f in log["feats"]]
    return {**log, "feats": feats}


def reward_scale(log: dict, train: int) -> float:
    """The rewards' scale the learner sees them in, as the engine's (the argmax ignores it)."""
    return float(np.mean(np.abs(log["rewards"][:train]))) or 1.0


def learn_rows(learner: JointRidgeLearner, log: dict, rows: range, scale: float) -> None:
    """The learner learns the log's ``rows`` in order, each at its uniform propensity."""
    for i in rows:
        learner.learn(log["feats"][i], np.flatnonzero(log["eligible"][i]),
                      int(log["chosen"][i]), 1.0 / log["eligible"][i].sum(),
                      log["rewards"][i] / scale)


def one_subset(args: argparse.Namespace, log: dict, specs: list[str]) -> np.ndarray:
    """Captures ``(checkpoints, penalties)`` of the joint ridge fitted on ``log``."""
    scale = reward_scale(log, args.train)
    held_out, every = range(args.train, args.train + args.test), args.train // args.checkpoints
    rows = []
    config = JointRidgeConfig(l2=args.base, dim=args.dim, slots=args.slots, max_dim=8192)
    with JointRidgeLearner(config) as learner:
        learner.set_actions(log["sets"])
        for lo in range(0, args.train, every):
            hi = min(lo + every, args.train)
            learn_rows(learner, log, range(lo, hi), scale)
            if hi % every == 0:
                yty = float(np.sum((log["rewards"][:hi] / scale) ** 2))
                rows.append(checkpoint(learner, args.base, specs, yty, hi, log, held_out))
    return np.array(rows)


def one_seed(args: argparse.Namespace, seed: int, specs: list[str],
             subsets: list[str]) -> np.ndarray:
    """Captures ``(checkpoints, subsets x penalties)`` of one seed, printed as they come."""
    start = time.perf_counter()
    log = uniform_log(args.world, seed, args.train + args.test)
    caps = np.hstack([one_subset(args, context_subset(log, k), specs) for k in subsets])
    r = log["rewards"][:args.train]
    print(f"{args.world} seed {seed}: rewards mean {r.mean():.3f} sd {r.std():.2f}; capture "
          f"after each {args.train // args.checkpoints} rows "
          f"({time.perf_counter() - start:.0f} s)", flush=True)
    for j, label in enumerate(labels(specs, subsets)):
        print(f"  {label}: " + " ".join(f"{c:.3f}" for c in caps[:, j]), flush=True)
    return caps


def labels(specs: list[str], subsets: list[str]) -> list[str]:
    """Column labels: the penalty, and the context subset when there are several."""
    return [s if len(subsets) == 1 else f"{s} @ {k}" for k in subsets for s in specs]


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
    ap.add_argument("--dim", type=int, default=32, help="the joint ridge's shared slots")
    ap.add_argument("--slots", default="hashed", choices=("hashed", "table"))
    ap.add_argument("--contexts", default="all",
                    help="context subsets, comma-separated, each 'all' or keys joined by '+' "
                         "(segment+region): each is fitted with every penalty")
    ap.add_argument("--checkpoints", type=int, default=4, help="scored this many times in training")
    args = ap.parse_args()
    specs = [p.strip() for p in args.penalties.split(",") if p.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    subsets = [k.strip() for k in args.contexts.split(",") if k.strip()]
    last = np.array([one_seed(args, seed, specs, subsets)[-1] for seed in seeds])
    print(f"\n{args.world}, last checkpoint, {len(seeds)} seeds: mean capture; minus "
          f"{specs[0]!r}, paired [95 % interval]")
    for j, spec in enumerate(labels(specs, subsets)):
        d = last[:, j] - last[:, 0]
        half = (stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
                if len(d) > 1 else float("nan"))
        print(f"  {spec:>24}: {last[:, j].mean():.3f}"
              + (f"   {d.mean():+.3f} [{d.mean() - half:+.3f}, {d.mean() + half:+.3f}]"
                 if j else ""))


if __name__ == "__main__":
    main()
