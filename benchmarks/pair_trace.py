"""The online selection's evidence through one suite cell: every few batches, each candidate's
paired difference from the serving one (IPS and DR, the value per decision with its 95 %
interval: ``LearnerSelection.difference``) and the rewards above 0 matured so far, so a cell
where a better candidate never takes over shows why (issue 12, stop 10: Thompson sampling
beside the default).

    python benchmarks/pair_trace.py --world cold_start --learner "engine default+ts0.5" --seed 2
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from experiments.learning_suite.contestants import build_contestant, learner  # noqa: E402
from experiments.worlds import make_world  # noqa: E402


def _fmt(r) -> str:  # an OPEResult
    return f"{r.value:+.4g} [{r.ci[0]:+.4g}, {r.ci[1]:+.4g}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", default="cold_start")
    ap.add_argument("--learner", default="engine default+ts0.5", help="an engine label")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--every", type=int, default=15, help="batches between readings")
    args = ap.parse_args()
    world = make_world(args.world, args.seed, None, True)
    print("decisions  rewards above 0 so far  candidate - serving  IPS  DR")
    with ExitStack() as stack:
        stack.callback(world.close)
        contestant = build_contestant(learner(args.learner), world, args.seed, stack)
        batches = decisions = answered = 0
        while not world.done:
            batch = world.observe()
            picks, _ = contestant.act(batch)
            matured = world.play(picks)
            contestant.learn(matured)
            answered += int((matured.rewards > 0).sum())
            batches, decisions = batches + 1, decisions + batch.refs.size
            if batches % args.every:
                continue
            sel = contestant.engine._selection
            for name in sel.learners:
                diff = None if name == sel.serving else sel.difference(name, sel.serving)
                if diff:
                    print(f"{decisions:9d}  {answered:9d}  {name} - {sel.serving}  "
                          f"{_fmt(diff['ips'])}  "
                          f"{_fmt(diff['dr'])}", flush=True)


if __name__ == "__main__":
    main()
