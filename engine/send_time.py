"""Turn a timing slot's rule, the decision time and the customer's timezone into ``send_at``.

Rules (case-insensitive, surrounding spaces ignored):

- ``now``: send at the decision time.
- ``at HH:MM``: the next HH:MM in the customer's local time that is not in the past (today if it
  is still to come, else tomorrow).
- ``next <weekday> HH:MM``: the next such weekday and time, local, that is not in the past (so on a
  Saturday at 08:00, ``next saturday 10:00`` is today at 10:00).
- ``in N<unit>``: the decision time plus N seconds (``s``), minutes (``m``), hours (``h``) or days
  (``d``); N may have decimals (``in 1.5h``), up to 366 days.

Example:
    >>> from datetime import datetime, timezone
    >>> from engine.catalog import TimingSlot
    >>> now = datetime(2026, 3, 6, 20, 30, tzinfo=timezone.utc)       # a Friday
    >>> send_at(TimingSlot("morning", "at 09:00"), now, "Europe/Paris").isoformat()
    '2026-03-07T08:00:00+00:00'
    >>> send_at(TimingSlot("later", "in 2h"), now, None).isoformat()
    '2026-03-06T22:30:00+00:00'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import CatalogError, ContextError

if TYPE_CHECKING:  # the catalog imports this module; only the type goes the other way
    from engine.catalog import TimingSlot

__all__ = ["TimingRule", "as_utc", "parse_rule", "send_at", "zone"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_MAX_DELAY_S = 366 * 86400.0
_AT = re.compile(r"at (\d{1,2}):(\d{2})")
_NEXT = re.compile(r"next ([a-z]+) (\d{1,2}):(\d{2})")
_IN = re.compile(r"in (\d+(?:\.\d+)?)\s*([smhd])")
_RULE_HELP = "one of 'now', 'at HH:MM', 'next <weekday> HH:MM', 'in N<s|m|h|d>'"


@dataclass(frozen=True)
class TimingRule:
    """A parsed timing rule.

    Attributes:
        kind: ``"now"``, ``"at"``, ``"next"`` or ``"in"``.
        hour: local hour for ``at`` / ``next``.
        minute: local minute for ``at`` / ``next``.
        weekday: 0 (Monday) to 6 (Sunday) for ``next``, else None.
        delay_s: seconds after the decision for ``in``.
    """

    kind: str
    hour: int = 0
    minute: int = 0
    weekday: int | None = None
    delay_s: float = 0.0


def _clock(rule: str, hh: str, mm: str) -> tuple[int, int]:
    hour, minute = int(hh), int(mm)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise CatalogError(f"timing rule {rule!r}: expected a time HH:MM between 00:00 and 23:59, "
                           f"got {hh}:{mm}")
    return hour, minute


@lru_cache(maxsize=1024)
def parse_rule(rule: str) -> TimingRule:
    """Parse and validate a timing rule.

    Args:
        rule: the rule text, e.g. ``"at 09:00"``.

    Returns:
        The parsed :class:`TimingRule`.

    Raises:
        CatalogError: the rule is not one of the four forms; the message quotes it.

    Example:
        >>> parse_rule("next Saturday 10:00")
        TimingRule(kind='next', hour=10, minute=0, weekday=5, delay_s=0.0)
        >>> parse_rule("at 25:00")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        engine.errors.CatalogError: timing rule 'at 25:00': expected a time HH:MM between 00:00
            and 23:59, got 25:00
    """
    if not isinstance(rule, str):
        raise CatalogError(f"timing rule: expected a string ({_RULE_HELP}), "
                           f"got {type(rule).__name__} {rule!r}")
    text = " ".join(rule.lower().split())
    if text == "now":
        return TimingRule("now")
    if m := _AT.fullmatch(text):
        return TimingRule("at", *_clock(rule, *m.groups()))
    if m := _NEXT.fullmatch(text):
        day, hh, mm = m.groups()
        if day not in _WEEKDAYS:
            raise CatalogError(f"timing rule {rule!r}: expected a weekday name (monday..sunday), "
                               f"got {day!r}")
        return TimingRule("next", *_clock(rule, hh, mm), weekday=_WEEKDAYS.index(day))
    if m := _IN.fullmatch(text):
        delay = float(m.group(1)) * _UNIT_S[m.group(2)]
        if not 0.0 <= delay <= _MAX_DELAY_S:
            raise CatalogError(f"timing rule {rule!r}: expected a delay of at most 366 days, "
                               f"got {delay:.0f} s")
        return TimingRule("in", delay_s=delay)
    raise CatalogError(f"timing rule {rule!r}: expected {_RULE_HELP}")


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone(tz: str | None) -> ZoneInfo | timezone:
    """The timezone named ``tz`` (IANA name), UTC when None.

    Raises:
        ContextError: the name is not a known IANA timezone.

    Example:
        >>> zone("Asia/Tokyo").key, zone(None)
        ('Asia/Tokyo', datetime.timezone.utc)
    """
    if tz is None:
        return UTC
    if not isinstance(tz, str) or not tz:
        raise ContextError(f"timezone: expected an IANA name like 'Europe/Paris', got {tz!r}")
    try:
        return _zone(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a folder, a long name
        raise ContextError(f"timezone: expected an IANA name like 'Europe/Paris', "
                           f"got {tz!r}") from exc


def as_utc(now: datetime | float) -> datetime:
    """An aware UTC datetime from an aware datetime or epoch seconds.

    Raises:
        ContextError: ``now`` is naive, not finite, out of a datetime's range, or of another
            type.

    Example:
        >>> as_utc(0).isoformat()
        '1970-01-01T00:00:00+00:00'
        >>> as_utc(1e20)
        Traceback (most recent call last):
        ...
        engine.errors.ContextError: now: expected epoch seconds within a datetime's range, got 1e+20
    """
    if isinstance(now, datetime):
        if now.tzinfo is UTC:  # the common case, and send_at calls this once per slot
            return now
        if now.tzinfo is None or now.utcoffset() is None:
            raise ContextError(f"now: expected an aware datetime (with tzinfo), got naive {now}")
        return now.astimezone(UTC)
    if isinstance(now, (int, float)) and not isinstance(now, bool) and math.isfinite(now):
        try:
            return datetime.fromtimestamp(float(now), tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise ContextError(f"now: expected epoch seconds within a datetime's range, "
                               f"got {now!r}") from None
    raise ContextError(f"now: expected an aware datetime or epoch seconds, got {now!r}")


def _local(day: date, rule: TimingRule, tzinfo: ZoneInfo | timezone) -> datetime:
    return datetime.combine(day, time(rule.hour, rule.minute), tzinfo=tzinfo)


def send_at(slot: TimingSlot, now: datetime | float, tz: str | None = None) -> datetime:
    """When a message in ``slot`` decided at ``now`` goes out, for a customer living in ``tz``.

    Args:
        slot: the timing slot (its rule is parsed once and cached).
        now: the decision time, an aware datetime or epoch seconds.
        tz: the customer's IANA timezone; None means UTC.

    Returns:
        An aware UTC datetime, never before ``now``.

    Example:
        >>> from datetime import datetime, timezone
        >>> from engine.catalog import TimingSlot
        >>> fri = datetime(2026, 3, 6, 12, 0, tzinfo=timezone.utc)
        >>> weekend = TimingSlot("weekend", "next saturday 10:00")
        >>> send_at(weekend, fri, "America/New_York").isoformat()
        '2026-03-07T15:00:00+00:00'
    """
    rule = parse_rule(slot.rule)
    now_utc = as_utc(now)
    if rule.kind == "now":
        return now_utc
    if rule.kind == "in":
        return now_utc + timedelta(seconds=rule.delay_s)
    tzinfo = zone(tz)
    today = now_utc.astimezone(tzinfo).date()
    if rule.weekday is None:  # "at": today, else tomorrow
        ahead, step = 0, 1
    else:  # "next <weekday>": that weekday, else a week later
        ahead, step = (rule.weekday - today.weekday()) % 7, 7
    candidate = _local(today + timedelta(days=ahead), rule, tzinfo).astimezone(UTC)
    if candidate < now_utc:
        candidate = _local(today + timedelta(days=ahead + step), rule,
                           tzinfo).astimezone(UTC)
    return candidate
