"""Timing rules: decision time + the customer's timezone -> send_at (aware UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.catalog import TimingSlot
from engine.errors import CatalogError, ContextError
from engine.send_time import parse_rule, send_at


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


FRI_NOON = utc(2026, 3, 6, 12, 0)  # Friday 6 March 2026, 12:00 UTC

CASES = [
    ("now", None, FRI_NOON, FRI_NOON),
    ("at 18:00", None, FRI_NOON, utc(2026, 3, 6, 18, 0)),
    ("at 09:00", None, FRI_NOON, utc(2026, 3, 7, 9, 0)),
    ("at 12:00", None, FRI_NOON, FRI_NOON),                          # not in the past: today
    ("at 09:00", "Asia/Tokyo", FRI_NOON, utc(2026, 3, 7, 0, 0)),     # 21:00 Tokyo -> 09:00 next
    ("at 09:00", "America/Los_Angeles", FRI_NOON, utc(2026, 3, 6, 17, 0)),  # 04:00 LA -> today
    ("next saturday 10:00", None, FRI_NOON, utc(2026, 3, 7, 10, 0)),
    ("next friday 10:00", None, FRI_NOON, utc(2026, 3, 13, 10, 0)),  # today's has passed
    ("next friday 13:00", None, FRI_NOON, utc(2026, 3, 6, 13, 0)),   # today's is still to come
    ("next monday 08:30", "Europe/Paris", FRI_NOON, utc(2026, 3, 9, 7, 30)),
    ("in 2h", None, FRI_NOON, utc(2026, 3, 6, 14, 0)),
    ("in 90m", "Asia/Tokyo", FRI_NOON, utc(2026, 3, 6, 13, 30)),
    ("in 1.5d", None, FRI_NOON, utc(2026, 3, 8, 0, 0)),
    ("in 30s", None, FRI_NOON, utc(2026, 3, 6, 12, 0, 30)),
    ("  AT   07:05 ", None, FRI_NOON, utc(2026, 3, 7, 7, 5)),
    # Paris springs forward on 29 March 2026 (02:00 -> 03:00): 09:00 is then UTC+2.
    ("at 09:00", "Europe/Paris", utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 7, 0)),
    ("at 09:00", "Europe/Paris", utc(2026, 3, 27, 12, 0), utc(2026, 3, 28, 8, 0)),
]


@pytest.mark.parametrize(("rule", "tz", "now", "expected"), CASES)
def test_send_at_table(rule, tz, now, expected):
    got = send_at(TimingSlot("slot", rule), now, tz)
    assert got == expected and got.tzinfo == UTC


def test_epoch_seconds_and_other_offsets_are_accepted():
    slot = TimingSlot("s", "at 18:00")
    assert send_at(slot, FRI_NOON.timestamp()) == utc(2026, 3, 6, 18, 0)
    paris = FRI_NOON.astimezone(ZoneInfo("Europe/Paris"))
    assert send_at(slot, paris) == utc(2026, 3, 6, 18, 0)


@pytest.mark.parametrize(("now", "tz", "match"), [
    (datetime(2026, 3, 6, 12), None, r"now: expected an aware datetime"),
    (float("nan"), None, r"now: expected an aware datetime or epoch seconds, got nan"),
    ("2026-03-06", None, r"now: expected an aware datetime or epoch seconds"),
    (FRI_NOON, "Mars/Olympus", r"timezone: expected an IANA name like 'Europe/Paris', got 'Mars"),
    (FRI_NOON, 5, r"timezone: expected an IANA name"),
    (FRI_NOON, "../../etc/passwd", r"timezone: expected an IANA name"),
])
def test_bad_time_input_is_a_context_error(now, tz, match):
    with pytest.raises(ContextError, match=match):
        send_at(TimingSlot("s", "at 09:00"), now, tz)


@pytest.mark.parametrize(("rule", "match"), [
    ("later", r"expected one of 'now', 'at HH:MM'"),
    ("at 24:00", r"between 00:00 and 23:59, got 24:00"),
    ("at 9", r"expected one of"),
    ("next someday 10:00", r"expected a weekday name \(monday..sunday\), got 'someday'"),
    ("in 367d", r"at most 366 days"),
    ("in -2h", r"expected one of"),
    ("in 2 weeks", r"expected one of"),
])
def test_bad_rules(rule, match):
    with pytest.raises(CatalogError, match=match):
        parse_rule(rule)


ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
         "Pacific/Chatham", "America/Santiago"]
times = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),
                     timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(now=times, tz=st.sampled_from(ZONES), hour=st.integers(0, 23), minute=st.integers(0, 59),
       weekday=st.integers(0, 6))
def test_clock_rules_land_on_the_local_clock_soon_after_now(now, tz, hour, minute, weekday):
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    zone = ZoneInfo(tz)
    at = send_at(TimingSlot("a", f"at {hour:02d}:{minute:02d}"), now, tz)
    nxt = send_at(TimingSlot("n", f"next {days[weekday]} {hour:02d}:{minute:02d}"), now, tz)
    for got, horizon, day in ((at, timedelta(days=1, hours=2), None),
                              (nxt, timedelta(days=7, hours=2), weekday)):
        assert now <= got < now + horizon
        local = got.astimezone(zone)
        wall = datetime.combine(local.date(), time(hour, minute))
        skipped = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(
            tzinfo=None) != wall
        if not skipped:  # a wall time a DST jump skips lands just after the jump instead
            assert (local.hour, local.minute) == (hour, minute)
            assert day is None or local.weekday() == day
