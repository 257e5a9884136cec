"""What the relearn on a moved reward scale changes (``selection.relearn_factor``,
``engine/learner_selection.py``): suite cells of one engine learner run with it and with it
off (``relearn_factor = 0``), paired by seed.

Run: ``python benchmarks/relearn_effect.py --world small --learner "engine regcbscaled unit 1
alone" --seeds 10-29`` (about 10 seconds a cell on 2 cores, two cells a seed, one process).
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from engine.learner_selection import RELEARN_FACTOR
from experiments.learning_suite.contestants import LearnerSpec, learner
from experiments.learning_suite.suite_cell import SuiteCell, run_suite_cell


def seeds_of(text: str) -> list[int]:
    """``10-29`` or ``1,2,5`` as a list of seeds."""
    if "-" in text:
        lo, hi = (int(x) for x in text.split("-"))
        return list(range(lo, hi + 1))
    return [int(x) for x in text.split(",")]


def with_factor(spec: LearnerSpec, factor: float) -> LearnerSpec:
    """``spec`` with ``selection.relearn_factor`` set to ``factor`` (an engine learner)."""
    if spec.kind != "engine":
        raise SystemExit(f"--learner: expected an engine learner, got {spec.label!r}")
    selection = {**spec.params.get("selection", {}), "relearn_factor": factor}
    return LearnerSpec(spec.kind, spec.label, {**spec.params, "selection": selection})


def cell(world: str, label: str, seed: int, factor: float) -> float:
    """The capture of one quick suite cell with ``selection.relearn_factor`` = ``factor``."""
    spec = with_factor(learner(label), factor)
    return float(run_suite_cell(SuiteCell(world, spec, seed, True))["capture"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", default="small")
    p.add_argument("--learner", default="engine regcbscaled unit 1 alone")
    p.add_argument("--seeds", default="10-29")
    args = p.parse_args(argv)
    print(f"{args.world}, {args.learner}: capture with the relearn and without, paired by seed")
    print("| seed | with | without |")
    print("| --- | --- | --- |")
    with_, without = [], []
    for seed in seeds_of(args.seeds):
        with_.append(cell(args.world, args.learner, seed, RELEARN_FACTOR))
        without.append(cell(args.world, args.learner, seed, 0.0))
        print(f"| {seed} | {with_[-1]:.3f} | {without[-1]:.3f} |", flush=True)
    d = np.array(with_) - np.array(without)
    half = (stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
            if len(d) > 1 else float("nan"))
    print(f"mean with {np.mean(with_):.3f}, without {np.mean(without):.3f}; with minus without "
          f"{d.mean():+.3f} [{d.mean() - half:+.3f}, {d.mean() + half:+.3f}] ({len(d)} pairs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
