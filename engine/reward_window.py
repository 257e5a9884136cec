"""The reward window: how long a decision waits for its reward before the default is learned.

The window starts when the decision becomes active (at decision time, or at deferred activation).

Example:
    >>> import tempfile
    >>> from engine.store import DecisionLog, DecisionRecord
    >>> window = RewardWindow(window_s=3600.0, default_reward=0.0)
    >>> with tempfile.TemporaryDirectory() as d, DecisionLog(d) as log:
    ...     log.write_decision(DecisionRecord("d1", "c1", 0.0, 0, 1.0, False, "{}", "{}", (0,),
    ...                                       None, True, "v1"))
    ...     [r.decision_id for r in window.due(log, now=1800.0)], [
    ...      r.decision_id for r in window.due(log, now=3600.0)]
    ([], ['d1'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.decision_store import DecisionStore
from engine.errors import ConfigError
from engine.store import DecisionRecord
from policies.number_check import check_number

__all__ = ["RewardWindow", "parse_duration"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: str | float, name: str = "reward_window") -> float:
    """Seconds from a number of seconds or a text like ``"7d"``, ``"12h"``, ``"30m"``, ``"90s"``.

    Raises:
        ConfigError: not a positive duration; the message names ``name``.

    Example:
        >>> parse_duration("7d"), parse_duration(60)
        (604800.0, 60.0)
    """
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value[-1:] in _UNITS:
        try:
            seconds = float(value[:-1]) * _UNITS[value[-1]]
        except ValueError:
            seconds = None
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{name}: expected a positive duration (seconds, or '7d', '12h', "
                          f"'30m', '90s'), got {value!r}")
    return seconds


@dataclass(frozen=True)
class RewardWindow:
    """A reward window and the default reward learned when it passes.

    Attributes:
        window_s: seconds a reward is accepted after activation, > 0.
        default_reward: the reward learned (once) when none came in time, finite.
    """

    window_s: float
    default_reward: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "window_s", parse_duration(self.window_s, "window_s"))
        object.__setattr__(self, "default_reward",
                           check_number("default_reward", self.default_reward, error=ConfigError))

    def is_open(self, rec: DecisionRecord, now: float) -> bool:
        """Whether a reward for ``rec`` is still accepted at ``now`` (inactive: not yet open)."""
        return rec.activated_at is not None and now < rec.activated_at + self.window_s

    def due(self, log: DecisionStore, now: float, limit: int = 1000) -> list[DecisionRecord]:
        """Active decisions whose window has passed with no reward, oldest first, at most
        ``limit``; the caller learns ``default_reward`` for each and writes it (kind
        ``"default"``), which takes it off the list."""
        return log.expired_without_reward(now, self.window_s, limit)
