"""The engine's default on catalogs nobody tuned it to: the learning suite's ``random_catalog``
cells (each seed a different world), split by what each world drew, the default against every
other learner paired by seed (a world's draw is the same for every learner).

Run the cells first, then this:
``python benchmarks/learning_suite.py --quick --worlds random_catalog --seeds 0,1,...,99
--learners "engine default,lints,linucb,vw squarecb,segment rules,best fixed"
--out results/held_out`` and ``python benchmarks/held_out_catalogs.py results/held_out``
(several folders: a later one's cells replace an earlier one's of the same learner and seed).

Each row: a group of worlds (all of them, then each trait of a world both ways), its number of
worlds, the default's mean capture of the tail, and per other learner its mean and the default
minus it with the 95 % interval (Student t over the worlds; over the worlds both ran, named
when a learner lacks some of the row's). ``--worst`` lists the worlds where
the default trails the best learner of its row the most. ``--default LABEL`` puts another
learner in the default's place (every other learner is then paired against it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from experiments.metrics import mean_ci
from experiments.worlds import make_world

DEFAULT = "engine default"


def world_traits(seeds: list[int]) -> pd.DataFrame:
    """What each seed's world drew (:meth:`RandomCatalog.describe`), one row per seed."""
    rows = [{"seed": s, **make_world("random_catalog", seed=s, quick=True).describe()}
            for s in seeds]
    out = pd.DataFrame(rows).set_index("seed")
    out["keys"] = out["keys"].map(len)
    return out


def groups(traits: pd.DataFrame) -> dict[str, pd.Index]:
    """Named groups of worlds: all, then each trait both ways."""
    cuts = {"revenue": traits["revenue"], "delayed": traits["mean_delay"] > 0,
            "segment matters": traits["key_matters"],
            "over 12 actions": traits["actions"] > 12,
            "over 8 numbers": traits["numbers"] > 8,
            "numbers on a euro scale": traits["euro_numbers"] > 0,
            "base rate under 4 %": traits["base_rate"] < 0.04,
            "no informative number": traits["informative_numbers"] == 0}
    out = {"all": traits.index}
    for name, mask in cuts.items():
        out[name] = traits.index[mask.to_numpy()]
        out[f"not {name}"] = traits.index[~mask.to_numpy()]
    return out


def table(cells: pd.DataFrame, traits: pd.DataFrame, default: str = DEFAULT) -> pd.DataFrame:
    """One row per group: ``default``'s mean and, per other learner, its mean and
    ``default``'s paired difference from it."""
    wide = cells.pivot_table(index="seed", columns="learner", values="capture")
    others = [c for c in wide.columns if c != default]
    rows = []
    for name, seeds in groups(traits.loc[wide.index]).items():
        part = wide.loc[seeds]
        row: dict[str, object] = {"worlds": name, "n": len(part),
                                  default: round(float(part[default].mean()), 3)}
        for other in others:
            diff = (part[default] - part[other]).dropna()
            mean, lo, hi = mean_ci(diff) if diff.size > 1 else (0.0, 0.0, 0.0)
            # a learner run on fewer of the group's worlds (or a run read before it ended)
            # is paired on those only: say on how many
            pairs = f", {diff.size} worlds" if diff.size != len(part) else ""
            row[other] = (f"{part[other].mean():.3f} ({mean:+.3f} [{lo:+.3f}, {hi:+.3f}]"
                          f"{pairs})" if diff.size > 1 else "-")
        rows.append(row)
    return pd.DataFrame(rows)


def worst(cells: pd.DataFrame, traits: pd.DataFrame, n: int,
          default: str = DEFAULT) -> pd.DataFrame:
    """The ``n`` worlds where ``default`` trails that world's best learner the most."""
    wide = cells.pivot_table(index="seed", columns="learner", values="capture")
    gap = wide.max(axis=1) - wide[default]
    out = traits.loc[wide.index].assign(best=wide.idxmax(axis=1), best_capture=wide.max(axis=1),
                                        default=wide[default], gap=gap)
    return out.sort_values("gap", ascending=False).head(n).round(3)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", type=Path, nargs="+",
                   help="learning-suite results folders (a later one's cell of the same "
                        "learner and seed replaces an earlier one's: a rerun at a newer commit)")
    p.add_argument("--worst", type=int, default=8, help="worlds listed where the default trails")
    p.add_argument("--default", default=DEFAULT, help="the learner every other is paired "
                   f"against (default {DEFAULT!r})")
    args = p.parse_args(argv)
    default = args.default
    lines = [x for f in args.folders for x in (f / "cells.jsonl").read_text().splitlines()]
    cells = pd.DataFrame([json.loads(x) for x in lines if x.strip()])
    cells = cells[cells["world"] == "random_catalog"]
    if cells.empty or default not in set(cells["learner"]):
        p.error(f"folders: no random_catalog cells of {default!r} in {args.folders}")
    cells = cells.drop_duplicates(["learner", "seed"], keep="last")
    traits = world_traits(sorted(cells["seed"].unique().tolist()))
    print(f"capture of the tail on random_catalog; the default ({default}) minus each learner, "
          "paired by world, mean [95 % interval]")
    print(table(cells, traits, default).to_string(index=False))
    print(f"\nthe {args.worst} worlds where the default trails the best the most")
    print(worst(cells, traits, args.worst, default).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
