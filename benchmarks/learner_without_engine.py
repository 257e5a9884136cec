"""Is a gap between the engine and a policy of the policies room the learner's or the engine's?
The engine's joint ridge learner (``policies/joint_ridge_learner.py``) run on a suite world
without the Engine around it: the contexts featurised as the engine featurises them (the ``c``
namespace; the history namespace as for a customer never contacted), the actions' attribute
sets of the engine's catalog, rewards on the engine's running scale (the learner's rows moved
to each new scale, as the engine moves them), each pick drawn from the learner's distribution.
No store, no rules, no candidates beside it, no online selection. Capture over the world's
tail, as the learning suite measures it, per seed, beside the suite's recorded cells of the
labels given (``--compare``), paired by seed.

    python benchmarks/learner_without_engine.py --worlds drift,baseline --seeds 10 \\
        --joint '{"l2": 1.0, "thompson": 0.2, "action_constants": false}' \\
        --out results/s12/bare.jsonl --compare results/s12/lints \\
        --labels "engine default nb ts0.2 l1,lints"
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from benchmarks.joint_penalty_offline import engine_features  # noqa: E402
from engine.features import action_feature_sets  # noqa: E402
from engine.reward_scale import RewardScale  # noqa: E402
from experiments.learning_suite.suite_cell import batch_values, capture  # noqa: E402
from experiments.learning_suite.suite_table import paired_difference  # noqa: E402
from experiments.worlds import make_world  # noqa: E402
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner  # noqa: E402

#: the bare learner's label among the suite's records
BARE = "bare learner"


def bare_cell(world_name: str, seed: int, joint: dict[str, Any]) -> dict[str, Any]:
    """One quick-horizon cell of the bare learner: its capture over the tail."""
    start = time.perf_counter()
    world = make_world(world_name, seed, quick=True)
    rng = np.random.default_rng([seed, 17])
    h = world.horizon
    chosen, oracle, random = np.zeros(h), np.zeros(h), np.zeros(h)
    rows: dict[int, tuple[dict, np.ndarray, int, float]] = {}
    scale = RewardScale()
    config = JointRidgeConfig(**{"gamma_scale": 30.0, "l2": 100.0, **joint})
    try:
        with JointRidgeLearner(config, seed=seed) as learner:
            learner.set_actions(action_feature_sets(world.engine_setup().catalog))
            while not world.done:
                b = world.observe()
                picks = np.zeros(b.refs.size, dtype=np.int64)
                for i, feats in enumerate(engine_features(world, b)):
                    idx = np.flatnonzero(b.eligible[i])
                    p = learner.probabilities(feats, idx)
                    j = int(rng.choice(idx.size, p=p / p.sum()))
                    picks[i] = idx[j]
                    rows[int(b.refs[i])] = (feats, idx, int(idx[j]), float(p[j]))
                played = world.served(picks, b.eligible)
                chosen[b.refs], random[b.refs], oracle[b.refs] = batch_values(b, played)
                _learn(learner, scale, rows, world.play(picks))
            _learn(learner, scale, rows, world.flush())
    finally:
        world.close()
    tail = slice(h - round(h * world.tail_fraction), h)
    return {"world": world_name, "seed": seed, "joint": joint,
            "capture": capture(chosen[tail], random[tail], oracle[tail]),
            "seconds": time.perf_counter() - start}


def _learn(learner: JointRidgeLearner, scale: RewardScale, rows: dict, matured: Any) -> None:
    for ref, value in zip(matured.refs.tolist(), matured.rewards.tolist(), strict=True):
        before = scale.value
        scale.observe(value)
        if scale.value != before:
            learner.rescale_rewards(before / scale.value)
        feats, idx, a, p = rows.pop(ref)
        learner.learn(feats, idx, a, p, scale.normalise(value))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worlds", default="drift,baseline")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--joint", default='{"l2": 1.0, "thompson": 0.2, "action_constants": false}',
                    help="JointRidgeConfig fields as JSON (over gamma_scale 30, l2 100)")
    ap.add_argument("--out", default="results/bare_learner.jsonl")
    ap.add_argument("--compare", default="", help="a learning-suite folder")
    ap.add_argument("--labels", default="", help="its labels to pair with, comma-separated")
    args = ap.parse_args()
    joint = json.loads(args.joint)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    mine = [r for r in _lines(out) if r["joint"] == joint]
    worlds, seeds = args.worlds.split(","), range(args.seeds)
    for w in worlds:
        for s in seeds:
            if not any(r["world"] == w and r["seed"] == s for r in mine):
                mine.append(bare_cell(w, s, joint))
                with out.open("a") as f:
                    f.write(json.dumps(mine[-1]) + "\n")
    records = [{**r, "learner": BARE} for r in mine if r["seed"] in seeds]
    if args.compare:
        records += _lines(Path(args.compare) / "cells.jsonl")
    for w in worlds:
        got = [r["capture"] for r in records if r["learner"] == BARE and r["world"] == w]
        print(f"{w}: bare learner {np.mean(got):.3f}")
        for label in filter(None, args.labels.split(",")):
            mean, lo, hi, n = paired_difference(records, w, BARE, label)
            print(f"  minus {label}: {mean:+.3f} [{lo:+.3f}, {hi:+.3f}] ({n} seeds)")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


if __name__ == "__main__":
    main()
