"""What the Engine's joint ridge does with its first rewards on a suite world: per batch of the
first ``--batches``, the rewards its serving joint ridge has learned, their standard deviation,
the mean probability the engine logged and the share of the batch's most chosen action (a
collapse shows as a mean probability near 1 and one action taking the batch). With
``--replay``, the whole quick-horizon run, then the engine's log replayed into a fresh learner
of the same configuration on the engine's reward scale: the largest difference of their weights
(0 when the engine's learner learned exactly the logged rows).

    python benchmarks/thompson_first_draws.py --world baseline --seed 0 \\
        --joint '{"l2": 100.0, "thompson": 0.5}' --batches 12 --replay
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from engine.features import action_feature_sets  # noqa: E402
from engine.reward_scale import RewardScale  # noqa: E402
from experiments.learning_suite.engine_contestant import EngineContestant  # noqa: E402
from experiments.worlds import make_world  # noqa: E402
from policies.joint_ridge_learner import JointRidgeLearner  # noqa: E402


def replayed_gap(contestant: EngineContestant, world_name: str, seed: int) -> float:
    """The largest weight difference between the engine's serving joint ridge and a fresh one
    fed the engine's log in order, each reward on a running scale as the engine's."""
    engine = contestant.engine
    served = engine._selection.learners["joint"]
    fresh = JointRidgeLearner(served.config, seed=seed)
    fresh.set_actions(action_feature_sets(make_world(world_name, seed, quick=True)
                                          .engine_setup().catalog))
    scale = RewardScale()
    for seq, rec, _, _ in engine.log.rewards_since(0):
        row = engine._row(rec, seq)
        if row.shared is None:
            continue
        before = scale.value
        scale.observe(row.reward)
        if scale.value != before:
            fresh.rescale_rewards(before / scale.value)
        fresh.learn(row.shared, np.asarray(row.eligible), row.action, row.probability,
                    scale.normalise(row.reward))
    return float(np.abs(fresh._theta - served._theta).max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", default="baseline")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--joint", default='{"l2": 100.0, "thompson": 0.5}',
                    help="JointRidgeConfig fields as JSON (over gamma_scale 30)")
    ap.add_argument("--batches", type=int, default=12)
    ap.add_argument("--replay", action="store_true")
    args = ap.parse_args()
    joint = {"name": "joint", "exploration": "joint", "gamma_scale": 30.0,
             **json.loads(args.joint)}
    world = make_world(args.world, args.seed, quick=True)
    with tempfile.TemporaryDirectory() as d, \
            EngineContestant(world, d, seed=args.seed,
                             candidates=[joint, "ridge", "squarecb"]) as eng:
        learner = eng.engine._selection.learners["joint"]
        print("batch  learned  reward sd  mean p  top action's share")
        k = 0
        while not world.done and (args.replay or k < args.batches):
            b = world.observe()
            actions, probs = eng.act(b)
            if k < args.batches:
                top = np.bincount(actions).max() / actions.size
                print(f"{k:5d}  {learner.rewards_learned:7d}  {learner.reward_sd():9.3f}  "
                      f"{probs.mean():6.3f}  {top:.2f}")
            eng.learn(world.play(actions))
            k += 1
        if args.replay:
            eng.learn(world.flush())
            print(f"replayed log minus the engine's learner, largest weight difference: "
                  f"{replayed_gap(eng, args.world, args.seed):.3g}")
    world.close()


if __name__ == "__main__":
    main()
