"""The reward window: how long a decision waits for its reward before the default is learned.

The window starts when the decision becomes active (at decision time, or at deferred activation).
With a provisional time, the default is learned that long after activation instead, and a
reward that comes later in the window corrects it (added to it with ``reward_mode = "sum"``,
in its place with ``"refuse"``).

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
    >>> early = RewardWindow(window_s=3600.0, provisional_s=600.0)
    >>> with tempfile.TemporaryDirectory() as d, DecisionLog(d) as log:
    ...     log.write_decision(DecisionRecord("d1", "c1", 0.0, 0, 1.0, False, "{}", "{}", (0,),
    ...                                       None, True, "v1"))
    ...     [r.decision_id for r in early.due(log, now=600.0)], early.is_open(
    ...      log.get_decision("d1"), 1800.0)
    (['d1'], True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.decision_store import DecisionStore
from engine.errors import ConfigError, DuplicateRewardError, UnknownDecisionError
from engine.store import DecisionRecord
from policies.number_check import check_number

__all__ = ["PROVISIONAL_DEFAULT_S", "RewardWindow", "check_provisional", "parse_duration",
           "resolve_provisional"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

#: What ``provisional_after = "auto"`` (the default since stop 47) means where the reward
#: window is longer: a decision with no reward 12 hours after activation is learned at the
#: default then. Without it a learner meets a contact's conversions days before the contacts
#: that did not convert (those only when the window ends), and so overrates contacting; the
#: learning suite measured 12 hours to lift the default on ``fatigue`` and to raise its
#: worst-case ratio over the shared worlds (docs/engine.md, stop 47).
PROVISIONAL_DEFAULT_S = 43_200.0


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


def resolve_provisional(value: str | float | None, window_s: float) -> float | None:
    """``provisional_after`` in seconds, or None when off: ``"auto"`` is
    :data:`PROVISIONAL_DEFAULT_S` where the window is longer (off where it is not: a window
    that short learns its defaults soon anyway); ``"off"`` or None is off; anything else a
    duration shorter than the window (:func:`check_provisional`).

    Example:
        >>> resolve_provisional("auto", 7 * 86400.0), resolve_provisional("auto", 3600.0)
        (43200.0, None)
        >>> resolve_provisional("off", 86400.0), resolve_provisional("2h", 86400.0)
        (None, 7200.0)
        >>> resolve_provisional("soon", 86400.0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        engine.errors.ConfigError: provisional_after: ... 'auto' or 'off', got 'soon'
    """
    if value is None or value == "off":
        return None
    if value == "auto":
        return PROVISIONAL_DEFAULT_S if window_s > PROVISIONAL_DEFAULT_S else None
    try:
        return check_provisional(value, window_s)
    except ConfigError as e:
        if "expected a positive duration" not in str(e):
            raise
        raise ConfigError(f"provisional_after: expected a positive duration (seconds, or '7d', "
                          f"'12h', '30m', '90s'), 'auto' or 'off', got {value!r}") from None


def check_provisional(value: str | float, window_s: float) -> float:
    """``provisional_after`` in seconds: a positive duration shorter than the window.

    Raises:
        ConfigError: not so; the message names ``provisional_after``.

    Example:
        >>> check_provisional("1h", 86400.0)
        3600.0
        >>> check_provisional("1d", 86400.0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        engine.errors.ConfigError: provisional_after: expected less than reward_window ...
    """
    after = parse_duration(value, "provisional_after")
    if not after < window_s:
        raise ConfigError(f"provisional_after: expected less than reward_window ({window_s:g} s), "
                          f"got {after:g} s")
    return after


@dataclass(frozen=True)
class RewardWindow:
    """A reward window and the default reward learned when it passes.

    Attributes:
        window_s: seconds a reward is accepted after activation, > 0.
        default_reward: the reward learned (once) when none came in time, finite.
        provisional_s: None, or seconds after activation at which a decision with no reward
            is learned at ``default_reward`` (shorter than ``window_s``; a later reward in the
            window is then a correction of it).
    """

    window_s: float
    default_reward: float = 0.0
    provisional_s: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "window_s", parse_duration(self.window_s, "window_s"))
        object.__setattr__(self, "default_reward",
                           check_number("default_reward", self.default_reward, error=ConfigError))
        if self.provisional_s is not None:
            object.__setattr__(self, "provisional_s",
                               check_provisional(self.provisional_s, self.window_s))

    @property
    def wait_s(self) -> float:
        """Seconds after activation at which an unrewarded decision gets its default."""
        return self.window_s if self.provisional_s is None else self.provisional_s

    def is_open(self, rec: DecisionRecord, now: float) -> bool:
        """Whether a reward for ``rec`` is still accepted at ``now`` (inactive: not yet open)."""
        return rec.activated_at is not None and now < rec.activated_at + self.window_s

    def due(self, log: DecisionStore, now: float, limit: int = 1000) -> list[DecisionRecord]:
        """Active decisions with no reward :attr:`wait_s` after activation (the window, or the
        provisional time), oldest first, at most ``limit``; the caller learns
        ``default_reward`` for each and writes it (kind ``"default"``), which takes it off the
        list."""
        return log.expired_without_reward(now, self.wait_s, limit)

    def write_defaults(self, log: DecisionStore, now: float, limit: int = 500
                       ) -> tuple[int, list[tuple[DecisionRecord, int]]]:
        """Write the default (kind ``"default"``) of up to ``limit`` decisions :meth:`due` at
        ``now``; return how many were due (a caller loops while a full batch comes back) and
        ``(decision, seq)`` of each default written. A decision that got its reward, its
        default from another writer on the log, or its erasure in between is passed over."""
        due = self.due(log, now, limit)
        written = []
        for rec in due:
            try:
                written.append((rec, log.write_reward(rec.decision_id, self.default_reward, now,
                                                      "default", refuse_duplicate=True)))
            except (DuplicateRewardError, UnknownDecisionError):
                continue
        return len(due), written
