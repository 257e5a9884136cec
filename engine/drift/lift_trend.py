"""Lift drift: the trend of treatment-minus-holdout mean reward, with its interval.

Rewards are taken in log order and cut into windows of ``window`` rewards (both groups
together). Each window gives a lift (treatment mean minus holdout mean) and its variance (the
two groups' sample variances over their counts). The trend is the weighted least-squares slope
of the last ``windows`` lifts against their order, per window, with a normal 95 % interval: the
lift is ``falling`` when the whole interval is below 0, ``rising`` when above, ``flat``
otherwise (and ``unknown`` until three windows have both groups).

Example:
    >>> rng = np.random.default_rng(0)
    >>> trend = LiftTrend(window=2000, windows=6)
    >>> for lift in (0.10, 0.10, 0.08, 0.05, 0.03, 0.0):
    ...     holdout = rng.random(2000) < 0.1
    ...     values = rng.binomial(1, np.where(holdout, 0.1, 0.1 + lift)).astype(float)
    ...     _ = trend.add(values, holdout, np.zeros(2000))
    >>> t = trend.trend()
    >>> t["direction"], t["slope_hi"] < 0
    ('falling', True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["LiftTrend"]

Z_95 = 1.959963984540054


class LiftTrend:
    """Windowed lift and its trend (see the module docstring).

    Args:
        window: rewards per window (treatment and holdout together).
        windows: windows in the trend.
    """

    def __init__(self, *, window: int = 2000, windows: int = 8) -> None:
        self.window, self.windows = window, windows
        self.acc = np.zeros(6)  # treatment n, sum, sum of squares; holdout n, sum, sum of squares
        self.lifts: list[tuple[float, float, float]] = []  # (time, lift, variance)
        self.completed = 0
        self.direction = "unknown"

    def add(self, values: np.ndarray, holdout: np.ndarray, times: np.ndarray
            ) -> list[dict[str, Any]]:
        """Take rewards in log order (shape (n,)), whether each decision was held out, and the
        rewards' arrival times; return the trend (:meth:`trend`, with ``at``: the time of the
        window's last reward, and ``position``: windows completed) each time its direction
        changes."""
        v = np.asarray(values, dtype=np.float64)
        h = np.asarray(holdout, dtype=bool)
        t = np.asarray(times, dtype=np.float64)
        out = []
        i = 0
        while i < v.size:
            take = int(min(self.window - (self.acc[0] + self.acc[3]), v.size - i))
            part, held = v[i:i + take], h[i:i + take]
            for j, mask in enumerate((~held, held)):
                x = part[mask]
                self.acc[3 * j:3 * j + 3] += (x.size, x.sum(), (x * x).sum())
            i += take
            if self.acc[0] + self.acc[3] >= self.window:
                self._close(float(t[i - 1]))
                trend = self.trend()
                if trend["direction"] != self.direction:
                    self.direction = trend["direction"]
                    out.append({**trend, "at": float(t[i - 1]), "position": self.completed})
        return out

    def _close(self, at: float) -> None:
        nt, st, qt, nh, sh, qh = self.acc.tolist()
        self.acc[:] = 0.0
        self.completed += 1
        if nt < 2 or nh < 2:
            return
        mt, mh = st / nt, sh / nh
        var = (qt / nt - mt * mt) * nt / (nt - 1) / nt + (qh / nh - mh * mh) * nh / (nh - 1) / nh
        self.lifts.append((at, mt - mh, max(var, 1e-12)))
        del self.lifts[:-self.windows]

    def trend(self) -> dict[str, Any]:
        """The last window's lift with its 95 % interval, and the slope per window with its."""
        out: dict[str, Any] = {"windows": len(self.lifts), "direction": "unknown",
                               "lift": None, "lift_lo": None, "lift_hi": None,
                               "slope": None, "slope_lo": None, "slope_hi": None,
                               "series": [{"t": t, "lift": lift, "half": Z_95 * math.sqrt(v)}
                                          for t, lift, v in self.lifts]}
        if not self.lifts:
            return out
        _, last, var = self.lifts[-1]
        half = Z_95 * math.sqrt(var)
        out.update(lift=last, lift_lo=last - half, lift_hi=last + half)
        if len(self.lifts) < 3:
            return out
        y = np.array([x[1] for x in self.lifts])
        w = 1.0 / np.array([x[2] for x in self.lifts])
        x = np.arange(y.size, dtype=np.float64)
        xm = (w * x).sum() / w.sum()
        sxx = (w * (x - xm) ** 2).sum()
        slope = float((w * (x - xm) * (y - (w * y).sum() / w.sum())).sum() / sxx)
        half = Z_95 / math.sqrt(sxx)
        direction = "falling" if slope + half < 0 else "rising" if slope - half > 0 else "flat"
        out.update(slope=slope, slope_lo=slope - half, slope_hi=slope + half,
                   direction=direction)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {"acc": self.acc.tolist(), "lifts": self.lifts, "completed": self.completed,
                "direction": self.direction}

    def load(self, s: dict[str, Any]) -> None:
        """Restore what :meth:`to_dict` saved."""
        self.acc = np.asarray(s["acc"], dtype=np.float64)
        self.lifts = [(float(a), float(b), float(c)) for a, b, c in s["lifts"]]
        self.completed, self.direction = int(s["completed"]), str(s["direction"])
