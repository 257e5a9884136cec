"""What one trait of a world costs each learner: ``random_catalog`` worlds as drawn, and the same
worlds (the same draws of customers and rewards) with one trait taken away, paired by seed.

Variants:
- ``prompt``: every reward back before the next batch (on the worlds that drew delays; the
  delays are still drawn, so every other draw stays in step);
- ``unit_numbers``: the numbers on a euro scale given to the Engine divided by that scale (on
  the worlds that drew any; the other learners see the world's array as before).

A learner is a learning-suite label, or ``bare default joint``: the default's joint ridge
without the Engine around it (``benchmarks/learner_without_engine.py``'s cell).

Prints, per learner, its mean capture of the tail both ways and the variant minus as drawn, and
per pair of learners the difference of those differences (what the trait costs the first more
than the second), each with its 95 % interval over the worlds.

    python benchmarks/held_out_variants.py --variant prompt --seeds 0-99 \\
        --learners "engine default,lints" --out results/held_out_prompt.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
import experiments.worlds as worlds  # noqa: E402
from benchmarks.learner_without_engine import bare_cell  # noqa: E402
from benchmarks.number_units import DEFAULT_JOINT  # noqa: E402
from benchmarks.paired_switch import seed_list  # noqa: E402
from experiments.learning_suite.contestants import learner  # noqa: E402
from experiments.learning_suite.suite_cell import SuiteCell, run_suite_cell  # noqa: E402
from experiments.metrics import mean_ci  # noqa: E402
from experiments.sim_problem import context_dicts  # noqa: E402
from experiments.worlds.random_catalog import RandomCatalog  # noqa: E402
from experiments.worlds.world import Batch  # noqa: E402


class PromptCatalog(RandomCatalog):
    """The same world, every reward back before the next batch."""

    def _delays(self, refs: np.ndarray) -> np.ndarray:
        super()._delays(refs)  # drawn and dropped: every later draw stays in step
        return np.zeros(refs.size, dtype=np.int64)


class UnitNumbersCatalog(RandomCatalog):
    """The same world, its euro-scale numbers given to the Engine on a unit scale."""

    def engine_contexts(self, batch: Batch) -> list[dict[str, Any]]:
        x = batch.contexts.copy()
        cols = np.flatnonzero(self._euros > 0)
        x[:, cols] = x[:, cols] / self._euros[cols]
        return context_dicts(self.problem.context_names, x)


#: The default's joint ridge run without the Engine around it (``learner_without_engine.py``'s
#: cell: no store, no rules, no other candidates): what the engine adds or costs.
BARE = "bare default joint"

VARIANTS: dict[str, tuple[type[RandomCatalog], str]] = {
    "prompt": (PromptCatalog, "mean_delay"), "unit_numbers": (UnitNumbersCatalog, "euro_numbers")}


def run(variant: str, seeds: list[int], labels: list[str], out: Path | None) -> pd.DataFrame:
    """Every (seed, learner) both ways, as rows of seed, learner, way, capture."""
    cls, trait = VARIANTS[variant]
    specs: list[Any] = [label if label == BARE else learner(label) for label in labels]
    kept = [s for s in seeds
            if worlds.make_world("random_catalog", s, quick=True).describe()[trait]]
    rows = []
    original = worlds._TABULAR["random_catalog"]
    try:
        for seed, spec, (way, world_cls) in tqdm(
                list(itertools.product(kept, specs, (("as drawn", original), (variant, cls)))),
                desc=f"{variant}", unit="cell"):
            worlds._TABULAR["random_catalog"] = world_cls
            if spec == BARE:
                cell, label = bare_cell("random_catalog", seed, DEFAULT_JOINT), BARE
            else:
                cell = run_suite_cell(SuiteCell("random_catalog", spec, seed, quick=True))
                label = spec.label
            rows.append({"seed": seed, "learner": label, "way": way,
                         "capture": cell["capture"]})
            if out is not None:
                with out.open("a") as f:
                    f.write(json.dumps(rows[-1]) + "\n")
    finally:
        worlds._TABULAR["random_catalog"] = original
    return pd.DataFrame(rows)


def report(rows: pd.DataFrame, variant: str) -> str:
    """Per learner both ways and the effect; per pair the difference of the effects."""
    wide = rows.pivot_table(index="seed", columns=["learner", "way"], values="capture")
    learners = list(dict.fromkeys(rows["learner"]))
    effect = {a: wide[(a, variant)] - wide[(a, "as drawn")] for a in learners}
    fmt = "{:+.3f} [{:+.3f}, {:+.3f}]".format
    lines = [f"random_catalog, {len(wide)} worlds; capture of the tail; {variant} minus as drawn"]
    lines.extend(f"  {a}: as drawn {wide[(a, 'as drawn')].mean():.3f}, {variant} "
                 f"{wide[(a, variant)].mean():.3f}, effect {fmt(*mean_ci(effect[a]))}"
                 for a in learners)
    for a, b in itertools.combinations(learners, 2):
        lines.append(f"  as drawn, {a} minus {b}: "
                     f"{fmt(*mean_ci(wide[(a, 'as drawn')] - wide[(b, 'as drawn')]))}; "
                     f"{variant}: {fmt(*mean_ci(wide[(a, variant)] - wide[(b, variant)]))}; "
                     f"the trait costs {a} more than {b} by "
                     f"{fmt(*mean_ci(effect[a] - effect[b]))}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    p.add_argument("--seeds", default="0-99", help="0-99 or 1,5,9 (worlds without the trait "
                                                   "are skipped)")
    p.add_argument("--learners", default="engine default,lints")
    p.add_argument("--out", type=Path, default=None, help="append each cell here (jsonl)")
    p.add_argument("--table-only", action="store_true", help="report --out, run nothing")
    args = p.parse_args(argv)
    if args.table_only:
        if args.out is None or not args.out.is_file():
            p.error("--table-only: expected --out naming a file of cells")
        rows = pd.DataFrame([json.loads(x) for x in args.out.read_text().splitlines() if x])
    else:
        rows = run(args.variant, seed_list(args.seeds), args.learners.split(","), args.out)
    print(report(rows, args.variant))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
