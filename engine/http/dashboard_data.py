"""Turn the decision log's aggregates into what the dashboard draws: series and lift with its CI.

Plain functions over plain rows, so they are tested without a server.

Example:
    >>> rows = [(0.0, False, 100, 30.0), (0.0, True, 20, 4.0), (60.0, False, 50, 20.0)]
    >>> series = reward_rate_series(rows)
    >>> [b["rate"] for b in series["treatment"]], [b["rate"] for b in series["holdout"]]
    ([0.3, 0.4], [0.2, None])
    >>> round(lift_with_ci(rows)["difference"], 4)
    0.1333
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["Z_95", "lift_with_ci", "reward_rate_series"]

Z_95 = 1.959963984540054


def reward_rate_series(rows: Iterable[tuple[float, bool, int, float]]
                       ) -> dict[str, list[dict[str, float | int | None]]]:
    """Per-bucket reward rate of treatment and holdout, aligned on the same bucket starts.

    Args:
        rows: ``(bucket_start, holdout, n_decisions, sum_reward)`` as
            ``DecisionLog.reward_rate_by_bucket`` returns them.

    Returns:
        ``{"treatment": [...], "holdout": [...]}``, each a list of ``{"t", "decisions",
        "reward", "rate"}`` over every bucket seen in either group (``rate`` is None where the
        group had no decision in that bucket).
    """
    cells: dict[tuple[float, bool], tuple[int, float]] = {}
    for t, holdout, n, total in rows:
        cells[(float(t), bool(holdout))] = (int(n), float(total))
    times = sorted({t for t, _ in cells})
    out: dict[str, list[dict[str, float | int | None]]] = {"treatment": [], "holdout": []}
    for group, flag in (("treatment", False), ("holdout", True)):
        for t in times:
            n, total = cells.get((t, flag), (0, 0.0))
            out[group].append({"t": t, "decisions": n, "reward": total,
                               "rate": total / n if n else None})
    return out


def lift_with_ci(rows: Iterable[tuple[float, bool, int, float]], z: float = Z_95
                 ) -> dict[str, float | int | None]:
    """Treatment minus holdout mean reward, with a normal-approximation confidence interval.

    The log keeps sums, not sums of squares, so each group's variance is bounded by ``p (1 - p)``:
    exact for 0/1 rewards and conservative for any reward in [0, 1].

    Args:
        rows: as for :func:`reward_rate_series`.
        z: the normal quantile of the interval (1.96 for 95 %).

    Returns:
        ``difference``, ``lo``, ``hi``, ``relative`` (difference / holdout mean), both means and
        group sizes; the estimates are None until both groups have decisions.
    """
    n = {False: 0, True: 0}
    total = {False: 0.0, True: 0.0}
    for _, holdout, k, s in rows:
        n[bool(holdout)] += int(k)
        total[bool(holdout)] += float(s)
    out: dict[str, float | int | None] = {
        "treatment_n": n[False], "holdout_n": n[True], "treatment_mean": None,
        "holdout_mean": None, "difference": None, "lo": None, "hi": None, "relative": None}
    if not (n[False] and n[True]):
        return out
    p_t, p_h = total[False] / n[False], total[True] / n[True]
    var = sum(min(max(p * (1 - p), 0.0), 0.25) / k for p, k in ((p_t, n[False]), (p_h, n[True])))
    diff, half = p_t - p_h, z * math.sqrt(var)
    out.update(treatment_mean=p_t, holdout_mean=p_h, difference=diff, lo=diff - half,
               hi=diff + half, relative=diff / p_h if p_h else None)
    return out
