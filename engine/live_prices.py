"""The prices of priced live ``choose``: one per capacity-limited channel, from the day's forecast.

At each UTC day's first decision, and every ``refresh_every`` decisions after, the prices are
fitted as a campaign fits them (:func:`policies.dual_prices.find_prices`) to the customers still
expected today: the recent days' customers who came at or after this time of day
(:func:`engine.day_forecast.forecast_rows`), scored by the serving model now, against what is
left of each channel's daily capacity, scaled to the sample (each row stands for ``weight``
customers). A channel's price is then the gain (its best action's score over the best elsewhere)
at which the forecast customers would just fill what is left of it: today's customers who gain
less than the price leave it to those who gain more. No forecast (a new log): every price is 0,
which is first come, first served.

Prices are not saved: a restarted engine computes them again at its first ``choose`` from the log
and its restored model (the same log and model give the same prices: the forecast's sample is
seeded by the day).

Example:
    >>> import numpy as np
    >>> from engine.day_forecast import ForecastRows
    >>> lp = LivePrices(np.array([0, 1, -1]), np.array([1.0, np.inf]), refresh_every=10)
    >>> rows = ForecastRows([{}] * 3, np.ones((3, 3), bool), np.zeros(3), 1.0, 1)
    >>> scores = np.array([[3.0, 1.0, 0.0], [2.0, 1.5, 0.0], [1.0, 0.2, 0.0]])
    >>> lp.refresh(0.0, rows, scores, np.zeros(2), epsilon=0.0).tolist()  # gains 2, 0.5, 0.8
    [0.8, 0.0]
"""

from __future__ import annotations

import numpy as np

from engine.day_forecast import ForecastRows
from policies.allocation import Prices, Resources
from policies.dual_prices import find_prices

__all__ = ["LivePrices"]

_DAY = 86400.0


class LivePrices:
    """The channels' prices today and when to refresh them.

    Args:
        action_channel: (K,) each action's channel index (-1: no contact).
        capacity: (C,) each channel's daily capacity (``inf``: none).
        refresh_every: decisions between two refreshes within a day.
    """

    def __init__(self, action_channel: np.ndarray, capacity: np.ndarray, refresh_every: int
                 ) -> None:
        self._channel = np.asarray(action_channel, dtype=np.int64)
        self._capacity = np.asarray(capacity, dtype=np.float64)
        self.refresh_every = refresh_every
        self.channel = np.zeros(self._capacity.shape)  # (C,) today's prices
        self.action_prices = np.zeros(self._channel.shape)  # (K,) each action's channel's
        self.rows: ForecastRows | None = None  # today's forecast (read once a day)
        self.rows_day = -1.0
        self.refreshes = 0
        self._day = -1.0
        self._since = 0

    def due(self, t: float) -> bool:
        """Whether the prices must be refreshed before deciding at ``t``."""
        return t - t % _DAY != self._day or self._since >= self.refresh_every

    def count(self) -> None:
        """One more decision made at these prices."""
        self._since += 1

    def refresh(self, t: float, rows: ForecastRows, scores: np.ndarray, used: np.ndarray, *,
                epsilon: float) -> np.ndarray:
        """Fit the prices at ``t``; return them (C,).

        Args:
            t: now (epoch seconds).
            rows: the day's forecast.
            scores: (m, K) its rows' scores by the serving model now.
            used: (C,) sends already counted today per channel.
            epsilon: the exploration the priced distribution uses.
        """
        later = rows.second_of_day >= t % _DAY
        left = np.maximum(self._capacity - used, 0.0)
        if rows.weight <= 0 or not later.any():
            channel = np.zeros(self._capacity.shape)
        else:
            res = Resources(self._channel, left / rows.weight)
            channel = find_prices(scores[later], rows.eligible[later], res,
                                  epsilon=epsilon).channel
        self.channel = channel
        res_prices = Prices(channel, 0.0)
        self.action_prices = res_prices.action_prices(Resources(self._channel, self._capacity))
        self._day, self._since = t - t % _DAY, 0
        self.refreshes += 1
        return channel
