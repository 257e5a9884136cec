"""Can the context features worth crossing with the actions be found from the rewards alone?
One feature at a time, the joint ridge (penalty 1000) is fitted on a uniform-random log of a
suite world with only that feature, and ranked by how much it lowers the held-out squared
error of the logged rewards (what a deployment could measure) against none; printed beside
each model's greedy capture (what only the simulator's ground truth knows), then the capture
of the top 2, 3, 5 and 8 by that ranking, and of every feature (issue 12, stop 11: a
segment-only model leads the full context offline; does a screen find it?).

    python benchmarks/feature_screen.py --world baseline --seed 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from benchmarks.joint_penalty_offline import (  # noqa: E402
    context_subset,
    greedy_capture,
    learn_rows,
    reward_scale,
    uniform_log,
)
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner  # noqa: E402


def fit(log: dict, names: list[str], train: int, test: int) -> tuple[float, float]:
    """Held-out squared error of the logged rewards, and greedy capture, of the joint ridge
    fitted on the first ``train`` rows with the context features ``names`` only."""
    sub = context_subset(log, "+".join(names))
    scale = reward_scale(log, train)
    held_out = range(train, train + test)
    with JointRidgeLearner(JointRidgeConfig(l2=1000.0)) as learner:
        learner.set_actions(log["sets"])
        learn_rows(learner, sub, range(train), scale)
        errors = [(learner.estimates(sub["feats"][j], np.array([log["chosen"][j]]))[0]
                   - log["rewards"][j] / scale) ** 2 for j in held_out]
        return float(np.mean(errors)), greedy_capture(learner, sub, held_out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", default="baseline")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train", type=int, default=16000)
    ap.add_argument("--test", type=int, default=1500)
    ap.add_argument("--conversions", action="store_true",
                    help="screen on whether each reward is above 0, not on its size (heavy "
                         "tails aside)")
    args = ap.parse_args()
    log = uniform_log(args.world, args.seed, args.train + args.test)
    if args.conversions:
        log = {**log, "rewards": (np.asarray(log["rewards"]) > 0).astype(np.float64)}
    keys = sorted(log["feats"][0].get("c", {}))
    none, _ = fit(log, [], args.train, args.test)
    alone = {k: fit(log, [k], args.train, args.test) for k in keys}
    ranked = sorted(((none - err, k) for k, (err, _) in alone.items()), reverse=True)
    print(f"{args.world} seed {args.seed}: held-out squared error with no context {none:.2f}")
    for gain, k in ranked[:10]:
        print(f"  {k:<28} error lowered by {gain:+.3f}   capture alone {alone[k][1]:.3f}")
    best = max(keys, key=lambda k: alone[k][1])
    print(f"  (the best alone by capture: {best}, {alone[best][1]:.3f}, ranked "
          f"{[k for _, k in ranked].index(best) + 1} of {len(keys)})")
    order = [k for _, k in ranked]
    for n in (2, 3, 5, 8):
        print(f"  top {n}: capture {fit(log, order[:n], args.train, args.test)[1]:.3f}")
    print(f"  every feature: capture {fit(log, keys, args.train, args.test)[1]:.3f}")


if __name__ == "__main__":
    main()
