"""How the joint ridge's penalty (``JointRidgeConfig.l2``) shapes what it learns, apart from
exploration: a uniform-random log of a suite world, the joint ridge fitted on it row by row, and
its greedy choice scored on held-out customers by the world's exact expected rewards (capture:
0 = random among the eligible, 1 = the best eligible action). The first ``l2`` given is the
reference, measured in the same run. One seed per run: a lead, not a verdict.

    python benchmarks/joint_penalty_offline.py --world baseline --seed 1 --train 16000 --test 1500
    python benchmarks/joint_penalty_offline.py --world example_catalog --train 3000 --test 1000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", default="baseline")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train", type=int, default=16000)
    ap.add_argument("--test", type=int, default=1500)
    ap.add_argument("--l2", default="1,100,1000", help="penalties; the first is the reference")
    ap.add_argument("--checkpoints", type=int, default=4, help="scored this many times in training")
    args = ap.parse_args()
    log = uniform_log(args.world, args.seed, args.train + args.test)
    r = log["rewards"][:args.train]
    print(f"{args.world} seed {args.seed}: rewards mean {r.mean():.3f} sd {r.std():.2f} "
          f"max {r.max():.1f}; capture of the greedy choice after each "
          f"{args.train // args.checkpoints} training rows")
    scale = float(np.mean(np.abs(r))) or 1.0  # as the engine's scale: the ridge's argmax ignores it
    held_out = range(args.train, args.train + args.test)
    for l2 in (float(v) for v in args.l2.split(",")):
        start = time.perf_counter()
        with JointRidgeLearner(JointRidgeConfig(l2=l2)) as learner:
            learner.set_actions(log["sets"])
            caps = []
            for i in range(args.train):
                learner.learn(log["feats"][i], np.flatnonzero(log["eligible"][i]),
                              int(log["chosen"][i]), 1.0 / log["eligible"][i].sum(),
                              r[i] / scale)
                if (i + 1) % (args.train // args.checkpoints) == 0:
                    caps.append(greedy_capture(learner, log, held_out))
        print(f"l2 {l2:g}: " + " ".join(f"{c:.3f}" for c in caps)
              + f"  ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
