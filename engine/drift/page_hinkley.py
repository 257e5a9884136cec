"""The Page-Hinkley test: a streaming detector of a change in the mean of a sequence.

It keeps the running mean of what it has seen and two cumulative sums of each value's deviation
from it, one less ``delta`` (which grows after a rise) and one plus ``delta`` (which falls after a
drop). A change is detected when a sum has moved more than ``threshold`` away from its extreme;
the position of that extreme is the estimated change point. O(1) time and memory per value.

For the same parameters it detects at the same positions as river's ``drift.PageHinkley``
(``tests/engine/test_drift_detectors.py`` runs both); unlike river's it also says which way the
mean moved and where the change began, saves its state as a dict, and can let its reference mean
forget (``mean_memory``): a stream that rises slowly for reasons of its own (a learner that
learns) then keeps a reference near its recent level, and a drop is measured from there, not
from a mean that still remembers the early, lower values.

Example:
    >>> ph = PageHinkley(delta=0.1, threshold=5.0, min_instances=5)
    >>> [i for i, x in enumerate([0.0] * 20 + [2.0] * 10) if ph.update(x)]
    [22]
    >>> ph.direction, ph.change_index
    ('rise', 20)
"""

from __future__ import annotations

import math
from typing import Any

from engine.errors import ConfigError
from policies.number_check import check_number

__all__ = ["MODES", "PageHinkley"]

MODES = ("both", "rise", "drop")


class PageHinkley:
    """Two-sided (or one-sided) Page-Hinkley change detector.

    Args:
        delta: the size of a deviation from the running mean tolerated as noise (half the
            smallest change worth detecting is the textbook choice).
        threshold: how far a cumulative sum must move from its extreme to detect (lambda).
        min_instances: values seen before a detection may be signalled.
        alpha: fading factor of the cumulative sums (1 = no fading; river's default 0.9999).
        mode: ``"both"``, ``"rise"`` (increases only) or ``"drop"`` (decreases only).
        mean_memory: 0 for the running mean of every value since the last reset (river's);
            ``m`` for a mean that weighs each new value ``max(1/n, 1/m)``: the plain mean for
            the first ``m`` values, then an exponential one with a memory of about ``m`` values.

    Attributes:
        n: values seen since the last reset.
        detected: whether the last value completed a detection (the next ``update`` resets).
        direction: ``"rise"`` or ``"drop"`` of the last detection, None before one.
        change_index: 0-based position, counted since the last reset, of the first value after
            the extreme of the detecting sum: where the change is estimated to begin.
    """

    def __init__(self, delta: float = 0.005, threshold: float = 50.0, min_instances: int = 30,
                 alpha: float = 1.0, mode: str = "both", mean_memory: int = 0) -> None:
        self.delta = check_number("delta", delta, low=0.0, error=ConfigError)
        self.threshold = check_number("threshold", threshold, low=0.0, low_open=True,
                                      error=ConfigError)
        self.min_instances = check_number("min_instances", min_instances, low=1, integer=True,
                                          error=ConfigError)
        self.alpha = check_number("alpha", alpha, low=0.0, high=1.0, low_open=True,
                                  error=ConfigError)
        self.mean_memory = check_number("mean_memory", mean_memory, low=0, integer=True,
                                        error=ConfigError)
        if mode not in MODES:
            raise ConfigError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
        self.mode = mode
        self.direction: str | None = None
        self.change_index: int | None = None
        self.reset()

    def reset(self) -> None:
        """Forget everything seen (the next value starts a new sequence)."""
        self.n = 0
        self.mean = 0.0
        self.sum_rise = 0.0  # sum of (x - mean - delta): falls steadily until the mean rises
        self.sum_drop = 0.0  # sum of (x - mean + delta): rises steadily until the mean drops
        self.min_rise, self.at_min_rise = math.inf, 0
        self.max_drop, self.at_max_drop = -math.inf, 0
        self.detected = False

    def update(self, x: float) -> bool:
        """Take one value; True when it completes a detection (the detector then resets itself
        on the next value, as river's does)."""
        if self.detected:
            self.reset()
        self.n += 1
        self.mean += (x - self.mean) / (self.n if not self.mean_memory
                                        else min(self.n, self.mean_memory))
        dev = x - self.mean
        self.sum_rise = self.alpha * self.sum_rise + dev - self.delta
        self.sum_drop = self.alpha * self.sum_drop + dev + self.delta
        if self.sum_rise < self.min_rise:
            self.min_rise, self.at_min_rise = self.sum_rise, self.n
        if self.sum_drop > self.max_drop:
            self.max_drop, self.at_max_drop = self.sum_drop, self.n
        if self.n < self.min_instances:
            return False
        rise, drop = self.statistics()
        if self.mode != "drop" and rise > self.threshold:
            self.detected, self.direction, self.change_index = True, "rise", self.at_min_rise
        elif self.mode != "rise" and drop > self.threshold:
            self.detected, self.direction, self.change_index = True, "drop", self.at_max_drop
        return self.detected

    def statistics(self) -> tuple[float, float]:
        """``(rise, drop)``: how far each sum stands from its extreme (0 before any value)."""
        if self.n == 0:
            return 0.0, 0.0
        return self.sum_rise - self.min_rise, self.max_drop - self.sum_drop

    def to_dict(self) -> dict[str, Any]:
        """The state, as JSON-ready numbers (``from_dict`` restores it exactly)."""
        return {k: getattr(self, k) for k in _STATE}

    @classmethod
    def from_dict(cls, state: dict[str, Any], **params: Any) -> PageHinkley:
        """A detector with ``params`` and the saved ``state``."""
        ph = cls(**params)
        for k in _STATE:
            setattr(ph, k, state[k])
        return ph


_STATE = ("n", "mean", "sum_rise", "sum_drop", "min_rise", "at_min_rise", "max_drop",
          "at_max_drop", "detected", "direction", "change_index")
