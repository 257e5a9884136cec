"""Turn the decision log's aggregates into what the dashboard draws: series and lift with its CI.

Plain functions over plain rows, so they are tested without a server.

Figures meant for people are per 1,000 decisions (a reward rate of 0.0037 per decision reads
3.7 per 1,000), and the lift is put in words by its interval alone (:func:`lift_verdict`).

Example:
    >>> rows = [(0.0, False, 100, 30.0), (0.0, True, 20, 4.0), (60.0, False, 50, 20.0)]
    >>> series = reward_rate_series(rows)
    >>> [b["rate"] for b in series["treatment"]], [b["rate"] for b in series["holdout"]]
    ([0.3, 0.4], [0.2, None])
    >>> round(lift_with_ci(rows)["difference"], 4)
    0.1333
    >>> bucket_for_span(3 * 3600)
    (300.0, '5 min')
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["MIN_ESS", "Z_95", "bucket_for_span", "lift_verdict", "lift_with_ci", "mix_by_axis",
           "reward_rate_series"]

Z_95 = 1.959963984540054
#: Below this effective sample size an off-policy estimate is shown greyed out: too few logged
#: decisions look like what the alternative would have done for its value to mean much.
MIN_ESS = 100.0
# Bucket widths a person reads at a glance (seconds, label), 1-2-5-ish steps of the clock.
_BUCKETS = ((10, "10 s"), (30, "30 s"), (60, "1 min"), (120, "2 min"), (300, "5 min"),
            (600, "10 min"), (900, "15 min"), (1800, "30 min"), (3600, "1 h"), (7200, "2 h"),
            (10800, "3 h"), (21600, "6 h"), (43200, "12 h"), (86400, "1 day"),
            (172800, "2 days"), (604800, "1 week"))


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


def bucket_for_span(span_s: float, target: int = 40) -> tuple[float, str]:
    """The reward-rate bucket for a span of data: the smallest readable width that cuts
    ``span_s`` into at most ``target`` buckets, and its label.

    Example:
        >>> bucket_for_span(90), bucket_for_span(7 * 86400)
        ((10.0, '10 s'), (21600.0, '6 h'))
    """
    for width, label in _BUCKETS:
        if span_s / width <= target:
            return float(width), label
    return float(_BUCKETS[-1][0]), _BUCKETS[-1][1]


def _per_1000(x: float) -> str:
    return f"{1000 * x:+,.3g}" if abs(1000 * x) < 100 else f"{1000 * x:+,.0f}"


def lift_verdict(lift: dict[str, float | int | None]) -> dict[str, str | None]:
    """The lift in words, by its interval alone, per 1,000 decisions.

    ``word`` is ``beats`` (interval above 0), ``trails`` (below), ``not distinguishable`` or
    None without data; ``text`` leads with the absolute difference and names the relative one
    only when the interval excludes 0.

    Example:
        >>> lift_verdict({"difference": 0.03, "lo": 0.01, "hi": 0.05, "relative": 0.3})["text"]
        'treatment beats the holdout by +30 per 1,000 decisions (95% CI +10 to +50; +30% relative)'
        >>> lift_verdict({"difference": 0.03, "lo": -0.01, "hi": 0.07, "relative": 0.3})["word"]
        'not distinguishable'
    """
    diff, lo, hi = lift.get("difference"), lift.get("lo"), lift.get("hi")
    if diff is None or lo is None or hi is None:
        return {"word": None, "text": "needs decisions with rewards in both groups"}
    ci = f"95% CI {_per_1000(lo)} to {_per_1000(hi)}"
    if lo > 0 or hi < 0:
        word = "beats" if lo > 0 else "trails"
        rel = lift.get("relative")
        extra = f"; {100 * rel:+.0f}% relative" if rel is not None else ""
        return {"word": word, "text": f"treatment {word} the holdout by {_per_1000(diff)} per "
                                      f"1,000 decisions ({ci}{extra})"}
    return {"word": "not distinguishable",
            "text": f"treatment and holdout are not distinguishable yet: {_per_1000(diff)} per "
                    f"1,000 decisions ({ci})"}


def mix_by_axis(rows: Iterable[tuple[str | None, str | None, str | None, int]]
                ) -> dict[str, dict[str, int]]:
    """Decisions per message, per channel and per timing, from ``DecisionLog.action_mix`` rows;
    no contact is its own entry on each axis, so every axis sums to the same total.

    Example:
        >>> mix = mix_by_axis([("a", "email", "now", 3), ("b", "email", "eve", 1),
        ...                    (None, None, None, 2)])
        >>> mix["channel"], mix["message"]
        ({'email': 4, 'no contact': 2}, {'a': 3, 'no contact': 2, 'b': 1})
    """
    out: dict[str, dict[str, int]] = {"message": {}, "channel": {}, "timing": {}}
    for *names, n in rows:
        for axis, name in zip(out, names, strict=True):
            key = "no contact" if name is None else str(name)
            out[axis][key] = out[axis].get(key, 0) + int(n)
    return {axis: dict(sorted(m.items(), key=lambda kv: -kv[1])) for axis, m in out.items()}
