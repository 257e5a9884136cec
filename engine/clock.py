"""The engine's clock, and how far a caller's ``now`` may stray from it.

The engine reads the time from one clock: the system's (``time.time``) when serving, a
:class:`ManualClock` in a simulation or a test that drives time itself. Work that concerns every
customer (settling the decisions whose reward window passed) runs on that clock only. A caller
may still say when its own decision or reward happened (``now``), within :class:`ClockBounds`:
at most ``ahead_s`` after the clock and less than ``behind_s`` before it. So a client's skewed
clock, or a bug such as milliseconds sent as seconds, is refused with a :class:`ClockError`
naming ``now`` instead of settling other customers' decisions or making one born expired.

Example:
    >>> clock = ManualClock(1_700_000_000.0)
    >>> bounds = ClockBounds(ahead_s=86400.0, behind_s=3600.0)
    >>> bounds.check(1_700_000_060.0, clock())
    1700000060.0
    >>> bounds.check(1.7e12, clock())  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    engine.errors.ClockError: now: expected epoch seconds in (1699996400, 1700086400]: the
        server's clock 1700000000 minus 3600 s to plus 86400 s, got 1700000000000.0
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.errors import ClockError, ConfigError, ContextError

__all__ = ["Clock", "ClockBounds", "ManualClock", "epoch_seconds", "not_after"]

#: What the engine calls for the time: epoch seconds (``time.time`` by default).
Clock = Callable[[], float]


class ManualClock:
    """A clock that moves only when told: a simulation's or a test's.

    Example:
        >>> clock = ManualClock(100.0)
        >>> clock.advance(5)
        >>> clock()
        105.0
    """

    def __init__(self, start: float) -> None:
        self._t = _finite("start", start)

    def __call__(self) -> float:
        """The current time, epoch seconds."""
        return self._t

    def set(self, t: float) -> None:
        """Move the clock to ``t`` (backwards too: a simulation may replay)."""
        self._t = _finite("t", t)

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward."""
        self._t = _finite("t", self._t + _finite("seconds", seconds))


def _finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name}: expected a finite number of epoch seconds, got {value!r}")
    return float(value)


def epoch_seconds(now: Any, field: str = "now") -> float:
    """Epoch seconds from an aware datetime or a number (not checked against a clock).

    Raises:
        ContextError: a naive datetime, a bool, a non-finite number or another type.

    Example:
        >>> from datetime import UTC, datetime
        >>> epoch_seconds(datetime(2024, 1, 1, tzinfo=UTC)), epoch_seconds(5)
        (1704067200.0, 5.0)
    """
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ContextError(f"{field}: expected an aware datetime or epoch seconds, got the "
                               f"naive {now.isoformat()}")
        return now.timestamp()
    if isinstance(now, int | float) and not isinstance(now, bool):
        try:
            value = float(now)
        except OverflowError:
            value = math.inf
        if math.isfinite(value):
            return value
    raise ContextError(f"{field}: expected an aware datetime or epoch seconds, got {now!r:.80}")


@dataclass(frozen=True)
class ClockBounds:
    """How far a caller's time may be from the engine's clock.

    Attributes:
        ahead_s: a caller's ``now`` may be at most this many seconds after the clock.
        behind_s: and less than this many seconds before it (keep it below the reward window,
            so that no decision is born with its window already closed).
    """

    ahead_s: float
    behind_s: float

    def __post_init__(self) -> None:
        for name in ("ahead_s", "behind_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    math.isfinite(value) and value > 0):
                raise ConfigError(f"{name}: expected a positive number of seconds, got "
                                  f"{value!r}")

    def window(self, server_now: float) -> tuple[float, float]:
        """``(low, high)``: a caller's time must be above ``low`` and at most ``high``."""
        return server_now - self.behind_s, server_now + self.ahead_s

    def check(self, now: Any, server_now: float, field: str = "now") -> float:
        """``now`` as epoch seconds if it lies in :meth:`window`.

        Raises:
            ContextError: ``now`` is not a time (see :func:`epoch_seconds`).
            ClockError: ``now`` is outside the window; the message names ``field``, the window,
                the clock and the value.
        """
        t = epoch_seconds(now, field)
        low, high = self.window(server_now)
        if not low < t <= high:
            raise ClockError(f"{field}: expected epoch seconds in ({low:.0f}, {high:.0f}]: the "
                             f"server's clock {server_now:.0f} minus {self.behind_s:g} s to plus "
                             f"{self.ahead_s:g} s, got {t!r}")
        return t


def not_after(now: Any, server_now: float, field: str = "now") -> float:
    """``now`` as epoch seconds if it is not later than the clock (settling never runs ahead).

    Raises:
        ClockError: ``now`` is later than ``server_now``.

    Example:
        >>> not_after(90.0, 100.0)
        90.0
    """
    t = epoch_seconds(now, field)
    if t > server_now:
        raise ClockError(f"{field}: expected a time no later than the engine's clock "
                         f"{server_now:.0f}, got {t!r}")
    return t
