"""How soon each switch rule hands serving to a better candidate, and how often it switches
between equals (issue 12: the paired rule).

The stream: two actions logged uniformly (propensity 0.5); action 1 pays ``--effect`` more on
average; every reward carries Gaussian noise of sd ``--sd``. The serving candidate is uniform
(VW epsilon 1.0), the challenger VW epsilon-greedy (10 %), both real VW learners inside
:class:`engine.learner_selection.LearnerSelection`. Prints, per seed, the row of the first
switch under each rule (``--rows`` rows, ``min_samples`` 200, a check every 50, 2 in a row),
then with ``--null`` the switches between equals (effect 0) under the paired rule and the
default settings.

Run: ``python benchmarks/paired_switch.py --seeds 0,1,2`` and
``python benchmarks/paired_switch.py --null --seeds 0,1,2,3,4,5,6,7,8,9 --rows 8000``.
"""

from __future__ import annotations

import argparse

import numpy as np

from engine.candidates import SelectionSettings
from engine.learner_selection import LearnerSelection, LoggedRow
from policies.vw_config import VWConfig
from policies.vw_learner import VWLearner

FAST = {"min_samples": 200, "check_every": 50, "confirm": 2}


def switches(rule: str, rows: int, seed: int, effect: float, sd: float,
             settings: dict[str, int]) -> list[int]:
    """The rows at which ``rule`` switched on one stream."""
    learners = {}
    for name, eps in (("uniform", 1.0), ("greedy", 0.1)):
        learners[name] = VWLearner(VWConfig(exploration="epsilon", epsilon=eps), seed=0)
        learners[name].set_actions([{"m": {"x": "a"}}, {"m": {"x": "b"}}])
    sel = LearnerSelection(learners, "uniform", SelectionSettings(rule=rule, **settings),
                           n_actions=2)
    rng = np.random.default_rng(seed)
    out = []
    for seq in range(1, rows + 1):
        a = int(rng.integers(2))
        reward = effect * a + sd * rng.standard_normal()
        sel.process_all(LoggedRow(seq, {"c": {"k": 1}}, (0, 1), a, 0.5, float(reward)))
        if sel.check(seq, at=float(seq)) is not None:
            out.append(seq)
    sel.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--rows", type=int, default=4000)
    p.add_argument("--effect", type=float, default=0.5)
    p.add_argument("--sd", type=float, default=2.0)
    p.add_argument("--null", action="store_true", help="equal candidates, default settings")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.null:
        total = 0
        for seed in seeds:
            got = switches("paired", args.rows, seed, 0.0, args.sd, {})
            total += bool(got)
            print(f"seed {seed}: switches at {got}")
        print(f"runs with a false switch: {total} of {len(seeds)} ({args.rows} rows each, "
              f"a check every {SelectionSettings().check_every})")
        return 0
    print("| seed | paired: first switch at row | unpaired: first switch at row |")
    print("| --- | --- | --- |")
    for seed in seeds:
        firsts = [switches(rule, args.rows, seed, args.effect, args.sd, FAST)[:1]
                  for rule in ("paired", "unpaired")]
        print(f"| {seed} | " + " | ".join(str(f[0]) if f else "none" for f in firsts) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
