"""What counting each action's own evidence costs Thompson sampling's scale
(``JointRidgeConfig.thompson_counts = "evidence"``: one quadratic form per eligible action at
each ``probabilities`` call) against the default's joint ridge, which counts every reward:
us per learn and per ``probabilities`` on each world's catalog, in the same run, with ``D``
and the ratio to the default's.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_thompson_counts.py [--learns 2000]
[--world random_catalog] [--seeds 200,201,202]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from benchmarks.bench_joint_ridge import contexts, timed  # noqa: E402
from benchmarks.number_units import DEFAULT_JOINT  # noqa: E402
from engine.features import action_feature_sets  # noqa: E402
from experiments.worlds import make_world  # noqa: E402
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner  # noqa: E402

#: The schedule counted in each action's own evidence, as the suite's label
#: ``engine default joint ts0.5to0.2 own100``.
OWN = {"thompson_final": 0.2, "thompson_halfway": 100, "thompson_counts": "evidence"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learns", type=int, default=2000, help="learns per learner")
    p.add_argument("--world", default="random_catalog")
    p.add_argument("--seeds", default="200,201,202")
    args = p.parse_args(argv)
    shared = contexts(args.learns)
    print("| world | seed | actions | D | us/learn default | own | x | "
          "us/probabilities default | own | x |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for seed in (int(s) for s in args.seeds.split(",")):
        actions = action_feature_sets(make_world(args.world, seed, 100).engine_setup().catalog)
        got = []
        for extra in ({}, OWN):
            with JointRidgeLearner(JointRidgeConfig(**{**DEFAULT_JOINT, **extra})) as j:
                got.append(timed(j, actions, shared))
                dim = j.joint_dim
        (learn, probs), (learn_own, probs_own) = got
        print(f"| {args.world} | {seed} | {len(actions)} | {dim} | {learn:.0f} | "
              f"{learn_own:.0f} | {learn_own / learn:.2f} | {probs:.0f} | {probs_own:.0f} | "
              f"{probs_own / probs:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
