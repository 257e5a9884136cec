"""The learning suite's one table: per world and learner, capture with a 95 % interval over
seeds; per learner, its ratio to the best learner of each world and the worst of those ratios.

A world where even the best learner captures less than :data:`MIN_BEST` is left out of the
ratios (a ratio to almost nothing says nothing) and named under the table.

Example:
    >>> recs = [{"world": "w", "learner": l, "seed": s, "capture": c, "reward": c,
    ...          "seconds": 1.0} for l, cs in (("a", (0.8, 0.9, 1.0)), ("b", (0.4, 0.5, 0.6)))
    ...          for s, c in enumerate(cs)]
    >>> t = summarise(recs)
    >>> t[["learner", "mean", "ratio"]].round(2).values.tolist()
    [['a', 0.9, 1.0], ['b', 0.5, 0.56]]
    >>> worst_ratios(t).round(2).to_dict()
    {'a': 1.0, 'b': 0.56}
    >>> [round(v, 2) for v in paired_difference(recs, "w", "a", "b")]
    [0.4, 0.4, 0.4, 3]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from experiments.metrics import mean_ci, t95

__all__ = ["MIN_BEST", "markdown", "paired_difference", "summarise", "wide", "worst_ratios"]

#: Worlds whose best learner captures less than this are left out of the ratios.
MIN_BEST = 0.05


def summarise(records: Iterable[Mapping[str, Any]], metric: str = "capture") -> pd.DataFrame:
    """One row per (world, learner): seeds, mean and 95 % interval of ``metric``, mean seconds,
    and ``ratio`` (mean / the world's best mean; NaN where the best is under :data:`MIN_BEST`).
    """
    df = pd.DataFrame(list(records))
    rows = []
    for (world, learner), g in df.groupby(["world", "learner"], sort=False):
        mean, lo, hi = mean_ci(g[metric])
        rows.append({"world": world, "learner": learner, "seeds": len(g), "mean": mean,
                     "lo": lo, "hi": hi, "seconds": float(g["seconds"].mean())})
    out = pd.DataFrame(rows)
    best = out.groupby("world")["mean"].transform("max")
    out["ratio"] = np.where(best >= MIN_BEST, out["mean"] / best.where(best > 0, np.nan), np.nan)
    out["best"] = out["mean"] == best
    return out


def worst_ratios(table: pd.DataFrame) -> pd.Series:
    """Per learner, its lowest ratio to the best over the worlds that count (see above)."""
    return table.dropna(subset=["ratio"]).groupby("learner", sort=False)["ratio"].min()


def paired_difference(records: Iterable[Mapping[str, Any]], world: str, a: str, b: str,
                      metric: str = "capture") -> tuple[float, float, float, int]:
    """Mean of ``a - b`` over the seeds both ran in ``world`` (the same world draws: paired),
    its 95 % Student-t interval and the number of pairs."""
    df = pd.DataFrame(list(records))
    df = df[df["world"] == world]
    pa = df[df["learner"] == a].set_index("seed")[metric]
    pb = df[df["learner"] == b].set_index("seed")[metric]
    d = (pa - pb).dropna().to_numpy()
    if d.size == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(d.mean())
    if d.size < 2:
        return mean, -math.inf, math.inf, 1
    half = t95(d.size - 1) * float(d.std(ddof=1)) / math.sqrt(d.size)
    return mean, mean - half, mean + half, int(d.size)


def wide(table: pd.DataFrame, worlds: Sequence[str], learners: Sequence[str]) -> pd.DataFrame:
    """Learners x worlds of ``mean±half-width`` text, then the worst ratio and where it is."""
    cells = {}
    for r in table.itertuples():
        half = (r.hi - r.lo) / 2 if math.isfinite(r.hi) else math.inf
        mark = "*" if r.best else ""
        cells[(r.learner, r.world)] = f"{r.mean:.2f}±{half:.2f}{mark}"
    worst = worst_ratios(table)
    where = (table.dropna(subset=["ratio"]).sort_values("ratio")
             .groupby("learner", sort=False)["world"].first())
    rows = []
    for learner in learners:
        row = {"learner": learner}
        row.update({w: cells.get((learner, w), "") for w in worlds})
        row["worst ratio"] = f"{worst[learner]:.2f}" if learner in worst else ""
        row["worst in"] = where.get(learner, "")
        rows.append(row)
    return pd.DataFrame(rows).sort_values("worst ratio", ascending=False, key=lambda s: s.replace(
        "", "-1").astype(float))


def markdown(frame: pd.DataFrame) -> str:
    """A pipe table of a frame (every value as text)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)
