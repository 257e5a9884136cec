"""What crossing the identities of messages that share a theme costs the default's joint ridge
(``JointRidgeConfig.cross_identity``, stop 23): us per learn and per ``probabilities`` on
``low_rank``'s catalog (30 messages in 6 themes, one channel), the one suite world whose
layout it changes, under the default (``"untold"``) and the layout before (``"unshared"``),
in the same run; printed with ``D`` and the ratio to the layout before.

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
    args = p.parse_args(argv)
    actions = action_feature_sets(make_world("low_rank", 0, 100).engine_setup().catalog)
    shared = contexts(args.learns)
    rows = []
    for layout in ("unshared", "untold"):
        with JointRidgeLearner(JointRidgeConfig(**DEFAULT_JOINT, cross_identity=layout)) as j:
            rows.append((layout, j, timed(j, actions, shared)))
    base = rows[0][2]
    print("| layout | D | us/learn | x before | us/probabilities | x before |")
    print("| --- | --- | --- | --- | --- | --- |")
    for layout, j, (learn, probs) in rows:
        print(f"| {layout} | {j.joint_dim} | {learn:.0f} | {learn / base[0]:.2f} | {probs:.0f} | "
              f"{probs / base[1]:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
