"""Streaming counts of the funnel per channel: sends, deliveries, opens, clicks, conversions,
unsubscribes and churn, and the rates derived from them.

Example:
    >>> import numpy as np
    >>> fc = FunnelCounter(("email", "sms"))
    >>> info = {k: np.array([True, False]) for k in FunnelCounter.STAGES[1:]}
    >>> fc.add(np.array([0, -1]), info)      # channel of each decision; -1 = no contact
    >>> fc.rates()["email"]["open_rate"], fc.counts["sms"]["sent"]
    (1.0, 0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["FunnelCounter"]


class FunnelCounter:
    """Counts per channel, fed one batch of decisions at a time; merge with ``+``."""

    STAGES = ("sent", "delivered", "opened", "clicked", "converted", "unsubscribed", "churned")

    def __init__(self, channels: tuple[str, ...]) -> None:
        self.channels = tuple(channels)
        self._counts = np.zeros((len(self.STAGES), len(self.channels)), dtype=np.int64)
        self.no_contact = 0

    def add(self, channel_of_action: np.ndarray, info: dict[str, np.ndarray]) -> None:
        """Count one batch.

        Args:
            channel_of_action: (N,) channel index of each decision's action, -1 for no contact.
            info: the ``step`` info of these decisions (``delivered`` ... ``churned`` (N,) bool).
        """
        ch = np.asarray(channel_of_action)
        sent = ch >= 0
        self.no_contact += int((~sent).sum())
        k = len(self.channels)
        self._counts[0] += np.bincount(ch[sent], minlength=k)
        for row, stage in enumerate(self.STAGES[1:], start=1):
            self._counts[row] += np.bincount(ch[sent], weights=info[stage][sent],
                                             minlength=k).astype(np.int64)

    def __add__(self, other: FunnelCounter) -> FunnelCounter:
        out = FunnelCounter(self.channels)
        out._counts = self._counts + other._counts
        out.no_contact = self.no_contact + other.no_contact
        return out

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Raw counts per channel and stage."""
        return {c: {s: int(self._counts[i, j]) for i, s in enumerate(self.STAGES)}
                for j, c in enumerate(self.channels)}

    def rates(self) -> dict[str, dict[str, float]]:
        """Per channel: ``delivery_rate`` (of sent), ``open_rate``, ``click_rate``,
        ``unsubscribe_rate``, ``churn_rate`` (of delivered), ``click_to_open`` (of opened),
        ``conversion_per_click`` (of clicked), ``conversion_per_send`` (of sent); NaN when the
        denominator is 0."""
        out = {}
        for c, n in self.counts.items():
            out[c] = {
                "delivery_rate": _ratio(n["delivered"], n["sent"]),
                "open_rate": _ratio(n["opened"], n["delivered"]),
                "click_rate": _ratio(n["clicked"], n["delivered"]),
                "click_to_open": _ratio(n["clicked"], n["opened"]),
                "conversion_per_click": _ratio(n["converted"], n["clicked"]),
                "conversion_per_send": _ratio(n["converted"], n["sent"]),
                "unsubscribe_rate": _ratio(n["unsubscribed"], n["delivered"]),
                "churn_rate": _ratio(n["churned"], n["delivered"]),
            }
        return out


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")
