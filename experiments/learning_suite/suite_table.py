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
    >>> bests(recs)
    {'w': 'a'}
    >>> [round(v, 2) for v in against_bar(recs, "w", "b", "a", bar=0.5)]
    [0.05, -0.07, 0.17, 3]
    >>> bar_reading(-0.07, 0.17, 0.5)
    'not separated'
    >>> seeds_for(recs, "w", "a", "b", half_width=0.05)[1]  # every pair differs by 0.4
    1
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from experiments.metrics import mean_ci, t95

__all__ = ["MIN_BEST", "against_bar", "bar_reading", "bests", "markdown", "paired_difference",
           "seeds_for", "summarise", "wide", "worst_ratios"]

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


def _paired(records: Iterable[Mapping[str, Any]], world: str, a: str, b: str, bar: float,
            metric: str) -> np.ndarray:
    """``a - bar * b`` of ``metric`` on each seed both ran in ``world``."""
    df = pd.DataFrame(list(records))
    df = df[df["world"] == world]
    pa = df[df["learner"] == a].set_index("seed")[metric]
    pb = df[df["learner"] == b].set_index("seed")[metric]
    return (pa - bar * pb).dropna().to_numpy()


def paired_difference(records: Iterable[Mapping[str, Any]], world: str, a: str, b: str,
                      metric: str = "capture") -> tuple[float, float, float, int]:
    """Mean of ``a - b`` over the seeds both ran in ``world`` (the same world draws: paired),
    its 95 % Student-t interval and the number of pairs."""
    return against_bar(records, world, a, b, bar=1.0, metric=metric)


def against_bar(records: Iterable[Mapping[str, Any]], world: str, a: str, best: str,
                bar: float = 0.9, metric: str = "capture") -> tuple[float, float, float, int]:
    """Mean of ``a - bar * best`` over the seeds both ran in ``world``, its 95 % Student-t
    interval and the number of pairs.

    ``a`` reaches ``bar`` times ``best``'s mean exactly where this mean is at or above 0 (for
    a positive ``best`` mean), so the interval says whether the ratio's bar is met with the
    seeds' noise in: above 0, met, separated; below 0, missed, separated. A ratio of two noisy
    means has no interval of its own that is as simple; this difference, paired by seed, has.
    """
    d = _paired(records, world, a, best, bar, metric)
    if d.size == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(d.mean())
    if d.size < 2:
        return mean, -math.inf, math.inf, 1
    half = t95(d.size - 1) * float(d.std(ddof=1)) / math.sqrt(d.size)
    return mean, mean - half, mean + half, int(d.size)


def seeds_for(records: Iterable[Mapping[str, Any]], world: str, a: str, b: str,
              half_width: float, metric: str = "capture") -> tuple[float, int]:
    """The standard deviation of ``a - b`` over the seeds both ran in ``world``, and how many
    pairs its 95 % interval would need for a half-width of ``half_width`` at that deviation
    (``(1.96 sd / half_width) ** 2``, at least 1; NaN and 0 with fewer than two pairs): what
    "not separated" would take to become a verdict either way, for a difference that large.

    Example:
        >>> recs = [{"world": "w", "learner": l, "seed": s, "capture": c} for l, cs in
        ...         (("a", (0.5, 0.7, 0.6, 0.8)), ("b", (0.5, 0.5, 0.5, 0.5))) for s, c in
        ...         enumerate(cs)]
        >>> sd, n = seeds_for(recs, "w", "a", "b", half_width=0.05)
        >>> round(sd, 3), n
        (0.129, 26)
    """
    if not half_width > 0:
        raise ValueError(f"half_width: expected a number above 0, got {half_width!r}")
    d = _paired(records, world, a, b, 1.0, metric)
    if d.size < 2:
        return math.nan, 0
    sd = float(d.std(ddof=1))
    return sd, max(1, math.ceil((1.96 * sd / half_width) ** 2))


#: What :func:`same_cells` compares: the tail's capture, the tail's mean expected reward of the
#: actions played (``chosen``) and realised reward, and the whole run's capture.
SAME_FIELDS = ("capture", "chosen", "reward", "capture_all")


def same_cells(records: Iterable[Mapping[str, Any]], world: str, a: str, b: str,
               fields: Sequence[str] = SAME_FIELDS) -> tuple[int, int]:
    """How many of the seeds both ``a`` and ``b`` ran in ``world`` give them the same
    ``fields`` to the last bit, and how many both ran: a change meant to move no decision
    (the same learner before and after) shows as all of them. Equal means are not equal
    decisions, but a decision moved anywhere in the run would have to leave the whole run's
    capture and the tail's expected and realised rewards all unchanged to the last bit.

    Example:
        >>> rows = [{"world": "w", "learner": l, "seed": s, "capture": c}
        ...         for l, s, c in (("a", 0, 0.5), ("b", 0, 0.5), ("a", 1, 0.5), ("b", 1, 0.25))]
        >>> same_cells(rows, "w", "a", "b", fields=("capture",))
        (1, 2)
    """
    mine = {r["seed"]: r for r in records if r["world"] == world and r["learner"] == a}
    theirs = {r["seed"]: r for r in records if r["world"] == world and r["learner"] == b}
    both = mine.keys() & theirs.keys()
    same = sum(all(mine[s].get(f) == theirs[s].get(f) for f in fields) for s in both)
    return same, len(both)


def bar_reading(lo: float, hi: float, bar: float) -> str:
    """What an :func:`against_bar` interval says, in words."""
    if lo > 0:
        return f"at or above {bar:g} x best, separated"
    if hi < 0:
        return f"below {bar:g} x best, separated"
    return "not separated"


def bests(records: Iterable[Mapping[str, Any]], metric: str = "capture") -> dict[str, str]:
    """Each world's best learner: the highest mean ``metric`` over its records (the first met
    where two tie). Chosen on one set of seeds and judged on another (``learning_suite.py
    --confirm``), the best's mean is not the maximum of several noisy means, which overstates
    it on the seeds that chose it."""
    table = summarise(records, metric)
    return {str(w): str(g.sort_values("mean", ascending=False, kind="stable")["learner"].iloc[0])
            for w, g in table.groupby("world", sort=False)}


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
