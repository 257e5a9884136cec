"""LinTS's model, apart from exploration: a uniform-random log of a suite world, the joint
linear model LinTS keeps (``policies/joint_ridge.py``: the world's own context columns crossed
with every action attribute) fitted on its first ``--train`` rows at each penalty, and its greedy
choice scored on the held-out rest by the world's exact expected rewards (capture: 0 = random
among the eligible, 1 = the best eligible action), per seed. The log is drawn as
``joint_penalty_offline.py`` draws its own (the same seed, the same uniform picks), so the two
scripts' captures on a seed are of the same rows: the engine's joint ridge there, LinTS's model
here.

    python benchmarks/lints_model_offline.py --world baseline --seeds 1,2,3,4 --penalties 1,100,1000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from experiments.worlds import make_world  # noqa: E402
from experiments.worlds.world import World  # noqa: E402
from policies.joint_ridge import JointRidge  # noqa: E402


def uniform_rows(world: World, seed: int) -> tuple[np.ndarray, ...]:
    """The world played uniformly among the eligible actions (as ``joint_penalty_offline``'s
    ``uniform_log``): contexts, chosen actions, eligibility, expected rewards, rewards."""
    rng = np.random.default_rng(seed)
    contexts, chosen, eligible, expected = [], [], [], []
    rewards: dict[int, float] = {}
    while not world.done:
        b = world.observe()
        picks = np.array([rng.choice(np.flatnonzero(r)) for r in b.eligible])
        contexts.append(b.contexts)
        chosen.append(picks)
        eligible.append(b.eligible)
        expected.append(b.expected)
        m = world.play(picks)
        rewards.update(zip(m.refs.tolist(), m.rewards.tolist(), strict=True))
    m = world.flush()
    rewards.update(zip(m.refs.tolist(), m.rewards.tolist(), strict=True))
    r = np.array([rewards.get(i, 0.0) for i in range(sum(len(c) for c in chosen))])
    return (np.vstack(contexts), np.concatenate(chosen), np.vstack(eligible),
            np.vstack(expected), r)


def greedy_capture(means: np.ndarray, eligible: np.ndarray, expected: np.ndarray) -> float:
    """Capture of the greedy choice under ``means`` (``(n, K)``)."""
    picked = np.where(eligible, means, -np.inf).argmax(axis=1)
    value = expected[np.arange(len(picked)), picked].mean()
    best = np.where(eligible, expected, -np.inf).max(axis=1).mean()
    rand = (np.where(eligible, expected, 0.0).sum(axis=1) / eligible.sum(axis=1)).mean()
    return float((value - rand) / (best - rand))


def one_seed(world_name: str, seed: int, train: int, test: int,
             penalties: list[float]) -> list[float]:
    """The greedy capture of LinTS's model at each penalty on one seed's log."""
    world = make_world(world_name, seed, train + test)
    x, chosen, eligible, expected, rewards = uniform_rows(world, seed)
    problem = world.problem
    held = slice(train, train + test)
    caps = []
    for penalty in penalties:
        model = JointRidge(problem.context_dim, problem.action_features, penalty)
        model.update(x[:train], chosen[:train], rewards[:train])
        caps.append(greedy_capture(model.means(x[held]), eligible[held], expected[held]))
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
