"""LinTS's model, apart from exploration: a uniform-random log of a suite world, the joint
linear model LinTS keeps (``policies/joint_ridge.py``: the world's own context columns crossed
with every action attribute) fitted on its first ``--train`` rows at each penalty, and its greedy
choice scored on the held-out rest by the world's exact expected rewards (capture: 0 = random
among the eligible, 1 = the best eligible action), per seed. The log is
``joint_penalty_offline.py``'s own (``uniform_log``: the same seed, the same uniform picks), so
the two scripts' captures on a seed are of the same rows: the engine's joint ridge there,
LinTS's model here.

    python benchmarks/lints_model_offline.py --world baseline --seeds 1,2,3,4 --penalties 1,100,1000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from benchmarks.joint_penalty_offline import log_capture, uniform_log  # noqa: E402
from policies.joint_ridge import JointRidge  # noqa: E402


def one_seed(world_name: str, seed: int, train: int, test: int,
             penalties: list[float]) -> list[float]:
    """The greedy capture of LinTS's model at each penalty on one seed's log."""
    log = uniform_log(world_name, seed, train + test)
    x, chosen, rewards = log["contexts"], log["chosen"], log["rewards"]
    problem, held = log["problem"], range(train, train + test)
    caps = []
    for penalty in penalties:
        model = JointRidge(problem.context_dim, problem.action_features, penalty)
        model.update(x[:train], chosen[:train], rewards[:train])
        means = np.where(log["eligible"][train:], model.means(x[train:]), -np.inf)
        caps.append(log_capture(log, held, means.argmax(axis=1)))
    return caps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", default="baseline", help="a suite world with a `problem`")
    ap.add_argument("--seeds", default="1", help="comma-separated")
    ap.add_argument("--train", type=int, default=16000)
    ap.add_argument("--test", type=int, default=1500)
    ap.add_argument("--penalties", default="1,100,1000", help="comma-separated")
    args = ap.parse_args()
    penalties = [float(p) for p in args.penalties.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for seed in seeds:
        caps = one_seed(args.world, seed, args.train, args.test, penalties)
        rows.append(caps)
        print(f"{args.world} seed {seed}: " + "  ".join(
            f"{p:g}: {c:.3f}" for p, c in zip(penalties, caps, strict=True)), flush=True)
    mean = np.mean(rows, axis=0)
    print(f"mean over {len(seeds)} seeds: " + "  ".join(
        f"{p:g}: {c:.3f}" for p, c in zip(penalties, mean, strict=True)))


if __name__ == "__main__":
    main()
