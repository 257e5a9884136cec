"""What crossing actions' identities with the context costs the default's joint ridge
(``JointRidgeConfig.cross_identity``): us per learn and per ``probabilities`` on one world's
catalog under each layout, in the same run; printed with ``D`` and the ratio to the first.
By default ``low_rank`` (30 messages in 6 themes, one channel), the one suite world whose
layout stop 23's ``"untold"`` changed, against the layout before (``"unshared"``); stop 24's
``"always"`` on ``random_catalog``: ``--world random_catalog --seed 207 --layouts
untold,always``.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_identity_layout.py [--learns 2000]``.
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learns", type=int, default=2000, help="learns per layout")
    p.add_argument("--world", default="low_rank")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layouts", default="unshared,untold", help="the first is the reference")
    args = p.parse_args(argv)
    world = make_world(args.world, args.seed, 100)
    actions = action_feature_sets(world.engine_setup().catalog)
    shared = contexts(args.learns)
    rows = []
    for layout in args.layouts.split(","):
        with JointRidgeLearner(JointRidgeConfig(**DEFAULT_JOINT, cross_identity=layout)) as j:
            rows.append((layout, j, timed(j, actions, shared)))
    base = rows[0][2]
    print("| layout | D | us/learn | x first | us/probabilities | x first |")
    print("| --- | --- | --- | --- | --- | --- |")
    for layout, j, (learn, probs) in rows:
        print(f"| {layout} | {j.joint_dim} | {learn:.0f} | {learn / base[0]:.2f} | {probs:.0f} | "
              f"{probs / base[1]:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
