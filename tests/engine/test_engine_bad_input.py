"""Bad input gets a typed error naming the field; the log's rows and the model stay unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import (
    ClockError,
    ContextError,
    DuplicateRewardError,
    ExpiredDecisionError,
    InactiveDecisionError,
    RewardError,
    UnknownDecisionError,
)
from engine.features import MAX_CONTEXT_KEYS, MAX_LIST_LENGTH, MAX_STRING_LENGTH
from tests.engine.engine_world import CONSENT, T0, context, make_engine, probe

BAD_CHOOSE = [
    ("c", None, ContextError, "context: expected a mapping"),
    ("c", [1, 2], ContextError, "context: expected a mapping"),
    ("c", {"x": float("nan")}, ContextError, r"context.x: expected a number in \[-1e\+15, "),
    ("c", {"x": float("inf")}, ContextError, "context.x: expected a number in .*, got inf"),
    ("c", {"x": 10**400}, ContextError, "context.x: expected a number in .*, got 1000"),
    ("c", {"x": 2e15}, ContextError, "context.x: expected a number in .*, got 2000000000000000.0"),
    ("c", {"x": {"a": 1}}, ContextError, "context.x: expected a number, bool, string or list"),
    ("c", {"x": [1, 2]}, ContextError, "context.x: expected a list of strings"),
    ("c", {"x": ["a"] * (MAX_LIST_LENGTH + 1)}, ContextError, "at most 64 items"),
    ("c", {"x": "a" * (MAX_STRING_LENGTH + 1)}, ContextError, "at most 256 characters"),
    ("c", {f"k{i}": 1 for i in range(MAX_CONTEXT_KEYS + 1)}, ContextError, "at most 200 keys"),
    ("c", {3: 1}, ContextError, "context key: expected a string"),
    ("c", {"consent": {"fax": True}}, ContextError, r"context.consent.fax: expected a channel"),
    ("c", {"consent": {"email": "yes"}}, ContextError, "context.consent.email: expected true"),
    ("c", {"consent": ["email"]}, ContextError, "context.consent: expected a mapping"),
    ("c", {"segment": 3, "consent": CONSENT}, ContextError, "segment: expected a string"),
    ("c", {"tenure_days": float("nan")}, ContextError, "tenure_days: expected a number"),
    ("c", {"tenure_days": "long"}, ContextError, "context.tenure_days: expected a number"),
    ("c", {"timezone": "Mars/Olympus"}, ContextError, "context.timezone: expected an IANA"),
    ("c", {"tz": "America"}, ContextError, "context.tz: expected an IANA"),
    ("c", {"consent_email": 2}, ContextError, "context.consent_email: expected true"),
    ("c", {"s": "\ud800"}, ContextError, "context.s: expected text"),
    ("c", {"\ud800": 1}, ContextError, "context key: expected a string"),
    (None, {}, ContextError, "customer_id: expected 1 to 256 characters"),
    ("", {}, ContextError, "customer_id: expected 1 to 256 characters"),
    (42, {}, ContextError, "customer_id: expected 1 to 256 characters"),
    ("a\nb", {}, ContextError, "customer_id: expected .* without control characters"),
    ("a/../b", {}, ContextError, "customer_id: expected .* path segments"),
]


@pytest.fixture
def trained(tmp_path):
    """An engine that has learned a few rewards, and one open decision."""
    with make_engine(tmp_path, reward_window="1h") as eng:
        for i in range(20):
            d = eng.choose(f"c{i}", context(i), now=T0 + i)
            eng.reward(d.decision_id, float(i % 2), now=T0 + i)
        open_decision = eng.choose("open", context(0), now=T0 + 30)
        yield eng, open_decision


def _state(eng):
    return eng.stats()["decisions"], eng.stats()["rewards"], eng.stats()["learned_seq"], probe(
        eng)


def _assert_unchanged(eng, before):
    after = _state(eng)
    assert after[:3] == before[:3]
    np.testing.assert_array_equal(after[3], before[3])


@pytest.mark.parametrize("customer_id, ctx, error, match", BAD_CHOOSE)
def test_bad_choose_is_refused_and_changes_nothing(trained, customer_id, ctx, error, match):
    eng, _ = trained
    before = _state(eng)
    with pytest.raises(error, match=match):
        eng.choose(customer_id, ctx, now=T0 + 40)
    _assert_unchanged(eng, before)


@pytest.mark.parametrize("now, match", [
    ("yesterday", "now: expected an aware datetime or epoch seconds"),
    (float("nan"), "now: expected an aware datetime"),
    (True, "now: expected an aware datetime"),
    (10**400, "now: expected an aware datetime"),
    (T0 * 1000, r"now: expected epoch seconds in \(1699998200, 1700086400\]: the server's clock "
                r"1700000000 minus 1800 s to plus 86400 s, got 1700000000000.0"),
    (T0 + 86401, "now: expected epoch seconds in"),
    (T0 - 1800, "now: expected epoch seconds in"),
    (1e17, "now: expected epoch seconds in"),
    (-1e17, "now: expected epoch seconds in"),
    (__import__("datetime").datetime(2026, 1, 1), "naive"),
])
def test_bad_time_is_refused(trained, now, match):
    eng, _ = trained
    before = _state(eng)
    with pytest.raises(ContextError, match=match):
        eng.choose("c", context(0), now=now)
    _assert_unchanged(eng, before)


BAD_REWARD = [
    (lambda d: d, float("nan"), {}, RewardError, r"value: expected a number in \[-1e\+06, "),
    (lambda d: d, float("inf"), {}, RewardError, "value: expected a number in .*, got inf"),
    (lambda d: d, "1.0", {}, RewardError, "value: expected a number in .*, got '1.0'"),
    (lambda d: d, True, {}, RewardError, "value: expected a number in .*, got True"),
    (lambda d: d, None, {}, RewardError, "value: expected a number in"),
    (lambda d: d, 1e308, {}, RewardError, "value: expected a number in .*, got 1e"),
    (lambda d: d, -1.000001e6, {}, RewardError, "value: expected a number in .*, got -1000001"),
    (lambda d: d, 10**400, {}, RewardError, "value: expected a number in .*, got 1000"),
    (lambda d: "no-such-id", 1.0, {}, UnknownDecisionError, "no decision 'no-such-id'"),
    (lambda d: 17, 1.0, {}, UnknownDecisionError, "decision_id: expected 1 to 256"),
    (lambda d: d + "\n", 1.0, {}, UnknownDecisionError, "decision_id: expected 1 to 256"),
    (lambda d: d, 1.0, {"now": T0 + 2 * 86400}, ClockError, "now: expected epoch seconds"),
    (lambda d: d, 1.0, {"now": T0 - 3600}, ClockError, "now: expected epoch seconds"),
    (lambda d: d, 1.0, {"now": T0 + 30 + 3600}, ExpiredDecisionError, "reward window"),
]


@pytest.mark.parametrize("make_id, value, kw, error, match", BAD_REWARD)
def test_bad_reward_is_refused_and_changes_nothing(trained, make_id, value, kw, error, match):
    eng, d = trained
    before = _state(eng)
    with pytest.raises(error, match=match):
        eng.reward(make_id(d.decision_id), value, **{"now": T0 + 31, **kw})
    _assert_unchanged(eng, before)
    assert eng.log.rewards_of(d.decision_id) == []


def test_duplicate_reward_is_refused_and_changes_nothing(trained):
    eng, d = trained
    eng.reward(d.decision_id, 1.0, now=T0 + 31)
    before = _state(eng)
    with pytest.raises(DuplicateRewardError, match="already has a reward"):
        eng.reward(d.decision_id, 1.0, now=T0 + 32)
    _assert_unchanged(eng, before)


def test_reward_of_an_inactive_decision_is_refused(trained):
    eng, _ = trained
    d = eng.choose("later", context(1), now=T0 + 40, activate=False)
    before = _state(eng)
    with pytest.raises(InactiveDecisionError, match="never activated"):
        eng.reward(d.decision_id, 1.0, now=T0 + 41)
    _assert_unchanged(eng, before)


def test_unknown_activation_is_refused(trained):
    eng, _ = trained
    with pytest.raises(UnknownDecisionError, match="no decision 'nope'"):
        eng.activate("nope", now=T0)


def test_a_customer_without_consent_gets_no_contact_saying_why(trained):
    eng, _ = trained
    d = eng.choose("nobody", {"segment": "a", "consent": {"email": False}}, now=T0 + 50)
    assert d.message is None and d.probability == 1.0
    assert d.reason == ("only no contact is left: consent removed 4 action(s) "
                        "(no consent for email, sms)")
    assert d.explain().removed["consent"] == ("welcome/email/now", "welcome/sms/now",
                                              "winback/email/now", "winback/sms/now")


@pytest.mark.parametrize("options, match", [
    ({"reward_mode": "twice"}, "reward_mode: expected one of refuse, sum"),
    ({"reward_window": "-1d"}, "reward_window: expected a positive duration"),
    ({"holdout_fraction": 2}, r"holdout_fraction: expected a number in \[0, 1\]"),
    ({"checkpoint_every": 0}, "checkpoint_every: expected an integer >= 1"),
    ({"exploration": "cover"}, "learner.exploration must be one of"),
    ({"learner": {"bits": 99}}, "learner.bits must be an int"),
    ({"learner": {"nope": 1}}, "learner: "),
    ({"reward_windw": "7d"}, "reward_windw: unknown engine option"),
    ({"seed": "x"}, "seed: expected an integer"),
])
def test_bad_options_are_refused_at_construction(tmp_path, options, match):
    from engine.errors import ConfigError

    with pytest.raises(ConfigError, match=match):
        make_engine(tmp_path, **options)
