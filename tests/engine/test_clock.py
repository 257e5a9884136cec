"""The engine's clock: settling reads it alone, and a caller's `now` must lie close to it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.clock import ClockBounds, ManualClock, epoch_seconds, not_after
from engine.errors import ClockError, ConfigError, ContextError, ExpiredDecisionError
from tests.engine.engine_world import T0, context, make_engine

BOUNDS = ClockBounds(ahead_s=100.0, behind_s=10.0)


@pytest.mark.parametrize("now, ok", [
    (T0, True), (T0 + 100, True), (T0 + 100.001, False), (T0 - 9.999, True), (T0 - 10, False),
    (T0 * 1000, False), (1e17, False), (-1e17, False), (0, False),
])
def test_bounds_take_a_window_open_below_and_closed_above(now, ok):
    if ok:
        assert BOUNDS.check(now, T0) == now
    else:
        with pytest.raises(ClockError, match=r"^now: expected epoch seconds in \(1699999990, "
                                             r"1700000100\]: the server's clock 1700000000"):
            BOUNDS.check(now, T0)


@pytest.mark.parametrize("now, match", [
    (True, "now: expected an aware datetime or epoch seconds, got True"),
    ("1700000000", "got '1700000000'"), (float("nan"), "got nan"), (10**400, "got 1000"),
    (datetime(2024, 1, 1), "naive"),
])
def test_a_time_must_be_a_number_or_an_aware_datetime(now, match):
    with pytest.raises(ContextError, match=match):
        epoch_seconds(now)


def test_an_aware_datetime_is_its_timestamp():
    assert epoch_seconds(datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)) == T0


@pytest.mark.parametrize("kwargs", [{"ahead_s": 0, "behind_s": 1}, {"ahead_s": 1, "behind_s": -1},
                                    {"ahead_s": float("inf"), "behind_s": 1},
                                    {"ahead_s": True, "behind_s": 1}])
def test_bounds_refuse_what_is_not_a_positive_duration(kwargs):
    with pytest.raises(ConfigError, match="expected a positive number of seconds"):
        ClockBounds(**kwargs)


def test_a_manual_clock_moves_only_when_told():
    clock = ManualClock(T0)
    clock.advance(5)
    assert clock() == T0 + 5
    clock.set(T0 - 1)  # a simulation may replay
    assert clock() == T0 - 1
    with pytest.raises(ConfigError, match="finite"):
        clock.set(float("nan"))
    assert not_after(T0 - 2, clock()) == T0 - 2
    with pytest.raises(ClockError, match="no later than the engine's clock"):
        not_after(T0, clock())


def test_the_lag_must_be_shorter_than_the_reward_window(tmp_path):
    with pytest.raises(ConfigError, match=r"max_clock_lag: expected less than reward_window"):
        make_engine(tmp_path, reward_window="1h", max_clock_lag="1h")
    with make_engine(tmp_path, reward_window="1h") as eng:  # default: half the window
        assert eng.time_window() == (T0 - 1800, T0 + 86400)


def test_a_callers_now_ahead_settles_nothing_that_the_clock_has_not_seen_expire(tmp_path):
    with make_engine(tmp_path, reward_window="1h") as eng:
        first = eng.choose("first", context(0))
        for i in range(40):  # every 16th call settles what the clock says expired: nothing
            eng.choose(f"ahead-{i}", context(i), now=T0 + 5 * 3600)
        assert eng.stats()["default_rewards"] == 0
        assert eng.reward(first.decision_id, 1.0).kind == "reward"


def test_settling_follows_the_clock_and_never_runs_ahead_of_it(tmp_path):
    with make_engine(tmp_path, reward_window="1h") as eng:
        eng.choose("c", context(0))
        with pytest.raises(ClockError, match="no later than the engine's clock"):
            eng.expire_rewards(now=T0 + 7200)
        assert eng.expire_rewards() == 0
        eng.clock.set(T0 + 3600)
        assert eng.expire_rewards() == 1


def test_an_early_now_cannot_reopen_a_window_the_clock_saw_close(tmp_path):
    with make_engine(tmp_path, reward_window="1h") as eng:
        d = eng.choose("c", context(0))
        eng.clock.set(T0 + 3601)
        with pytest.raises(ExpiredDecisionError, match="the reward came at 1700003601"):
            eng.reward(d.decision_id, 1.0, now=T0 + 3601 - 1000)  # within the lag, before it


def test_a_decision_is_never_born_expired(tmp_path):
    with make_engine(tmp_path, reward_window="1h") as eng:
        with pytest.raises(ClockError):
            eng.choose("c", context(0), now=T0 - 3600)
        oldest = eng.choose("c", context(0), now=T0 - 1799)
        assert eng.reward(oldest.decision_id, 1.0).delay_s == 1799
