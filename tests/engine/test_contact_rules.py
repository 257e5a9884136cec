"""Contact rules: each rule from a table, then a property test against a plain per-action oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.catalog import Catalog, Channel, Message, TimingSlot
from engine.contact_rules import RULE_NAMES, ContactRules, RulesConfig
from engine.errors import CatalogError, ConfigError, ContextError
from engine.send_time import send_at
from engine.store import ContactHistory

NOON = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
ALL = {"consent": {"email": True, "sms": True}, "segment": "vip", "tenure_days": 40}


def catalog(**kw) -> Catalog:
    messages = kw.get("messages", (Message("open"), Message("vip", segments=("vip",)),
                                   Message("loyal", min_tenure_days=30)))
    channels = kw.get("channels", (Channel("email"), Channel("sms", daily_capacity=2)))
    timings = kw.get("timings", (TimingSlot("now", "now"), TimingSlot("morning", "at 09:00")))
    return Catalog(messages, channels, timings, kw.get("no_contact", True))


def names(cat: Catalog, allowed: np.ndarray) -> set[str]:
    return {a.name for a in cat.actions if allowed[a.index]}


def test_everything_allowed_when_nothing_forbids():
    cat = catalog()
    out = ContactRules(cat, RulesConfig(quiet_hours=None)).apply(
        {**ALL, "segment": "vip", "tenure_days": 40}, None, NOON, {})
    assert out.allowed.all() and out.removed == {} and out.reason is None
    assert out.send_at == (NOON, datetime(2026, 3, 7, 9, 0, tzinfo=UTC))


@pytest.mark.parametrize(("context", "profile", "channels"), [
    ({"consent": {"email": True}}, None, {"email"}),
    ({"consent": {"email": True, "sms": False}}, None, {"email"}),
    ({"consent_sms": 1, "consent_email": 0}, None, {"sms"}),
    ({}, {"consent": {"sms": True}}, {"sms"}),
    ({"consent": {"sms": False}}, {"consent": {"sms": True, "email": True}}, {"email"}),
    ({"consent_email": True}, {"consent": {"email": False}}, {"email"}),
    ({}, None, set()),
    ({}, {"segment": "vip"}, set()),
])
def test_consent_from_context_then_profile(context, profile, channels):
    cat = catalog()
    out = ContactRules(cat, RulesConfig(quiet_hours=None)).apply(context, None, NOON, {},
                                                                 profile=profile)
    sent = {a.channel.name for a in cat.actions if out.allowed[a.index] and a.channel}
    assert sent == channels
    assert out.allowed[cat.no_contact_index]


def test_consent_not_required():
    cat = catalog()
    out = ContactRules(cat, RulesConfig(consent_required=False, quiet_hours=None)).apply(
        {"tenure_days": 99, "segment": "vip"}, None, NOON, {})
    assert out.allowed.all()


def test_segment_and_tenure_eligibility():
    cat = catalog()
    rules = ContactRules(cat, RulesConfig(quiet_hours=None))
    out = rules.apply({**ALL, "segment": "new", "tenure_days": 10}, None, NOON, {})
    assert out.removed["segment"] == (4, 5, 6, 7) and out.removed["min_tenure"] == (8, 9, 10, 11)
    assert {n.split("/")[0] for n in names(cat, out.allowed)} == {"open", "no_contact"}
    assert set(out.removed) == {"segment", "min_tenure"}
    vip = rules.apply({"consent": ALL["consent"]}, None, NOON, {},
                      profile={"segment": "vip", "tenure_days": 30})
    assert {n.split("/")[0] for n in names(cat, vip.allowed)} == {"open", "vip", "loyal",
                                                                  "no_contact"}


def test_a_message_is_chosen_from_its_launch_and_sent_before_its_end():
    # launched at 13:00 (the decision's time counts); ends at 18:00 (the send's time counts)
    cat = catalog(messages=(Message("launch", available_from=NOON + timedelta(hours=1)),
                            Message("ends", available_until="2026-03-06T18:00:00Z")),
                  timings=(TimingSlot("now", "now"), TimingSlot("evening", "at 19:00")))
    rules = ContactRules(cat, RulesConfig(quiet_hours=None))
    before = rules.apply(ALL, None, NOON, {})
    assert names(cat, before.allowed) == {"ends/email/now", "ends/sms/now", "no_contact"}
    assert set(before.removed) == {"availability"}
    launched = rules.apply(ALL, None, NOON + timedelta(hours=1), {})  # at the launch itself
    assert {n for n in names(cat, launched.allowed) if n.startswith("launch")} == {
        "launch/email/now", "launch/email/evening", "launch/sms/now", "launch/sms/evening"}
    ended = rules.apply(ALL, None, datetime(2026, 3, 6, 18, 0, tzinfo=UTC), {})
    assert not {n for n in names(cat, ended.allowed) if n.startswith("ends")}
    gone = rules.apply(ALL, None, datetime(2026, 3, 6, 17, 0, tzinfo=UTC), {}, {})
    assert names(cat, gone.allowed) >= {"ends/email/now"}  # 17:00 < 18:00, the evening not
    assert "ends/email/evening" not in names(cat, gone.allowed)


def test_a_decision_time_no_datetime_can_hold_is_a_context_error():
    rules = ContactRules(catalog(), RulesConfig())
    for now in (1e20, -1e20):  # once an OverflowError from datetime, untyped
        with pytest.raises(ContextError, match=r"now: expected epoch seconds within"):
            rules.apply({}, None, now, {})
        with pytest.raises(ContextError, match=r"now: expected epoch seconds within"):
            rules.apply_batch([{}], [None], now, {})


def test_a_catalog_without_windows_never_removes_by_availability():
    out = ContactRules(catalog(), RulesConfig(quiet_hours=None)).apply(
        {"consent": {"email": True}}, None, NOON, {})
    assert "availability" not in out.removed and out.allowed[:2].all()


@pytest.mark.parametrize(("history", "config", "left"), [
    (ContactHistory(contacts_1d=1, contacts_7d=1), RulesConfig(quiet_hours=None), set()),
    (ContactHistory(contacts_1d=0, contacts_7d=3), RulesConfig(quiet_hours=None), set()),
    (ContactHistory(contacts_1d=1, contacts_7d=3),
     RulesConfig(max_per_day=None, max_per_week=None, quiet_hours=None), {"email", "sms"}),
    (ContactHistory(contacts_1d=1, sends_today_by_channel={"sms": 1}),
     RulesConfig(max_per_day=5, max_per_day_per_channel={"sms": 1}, quiet_hours=None),
     {"email"}),
    (ContactHistory(contacts_1d=1, sends_today_by_channel={"email": 1}),
     RulesConfig(max_per_day=5, max_per_day_per_channel={"sms": 1}, quiet_hours=None),
     {"email", "sms"}),
])
def test_frequency_caps(history, config, left):
    cat = catalog()
    out = ContactRules(cat, config).apply(ALL, history, NOON, {})
    assert {a.channel.name for a in cat.actions if out.allowed[a.index] and a.channel} == left


def test_channel_daily_capacity():
    cat = catalog()
    rules = ContactRules(cat, RulesConfig(quiet_hours=None))
    assert rules.apply(ALL, None, NOON, {"sms": 1}).removed == {}
    out = rules.apply(ALL, None, NOON, {"sms": 2, "email": 10**6})
    assert {a.channel.name for a in cat.actions if out.allowed[a.index] and a.channel} == {"email"}
    assert set(out.removed) == {"capacity"}


@pytest.mark.parametrize(("tz", "now_hour", "left"), [
    (None, 12, {"now", "morning"}),
    (None, 22, {"morning"}),                        # 22:00 UTC is quiet; 09:00 tomorrow is not
    ("Asia/Tokyo", 12, {"morning"}),                # 21:00 in Tokyo
    ("America/New_York", 3, {"morning"}),           # 22:00 the evening before in New York
    ("America/New_York", 13, {"now", "morning"}),   # 08:00 New York: quiet has just ended
])
def test_quiet_hours_in_the_customers_timezone(tz, now_hour, left):
    cat = catalog()
    now = NOON.replace(hour=now_hour)
    out = ContactRules(cat, RulesConfig(quiet_hours=(21, 8))).apply(
        {**ALL, "timezone": tz} if tz else ALL, None, now, {})
    assert {a.timing.name for a in cat.actions if out.allowed[a.index] and a.timing} == left


def test_quiet_hours_that_do_not_wrap_midnight():
    cat = catalog()
    rules = ContactRules(cat, RulesConfig(quiet_hours=(12, 14)))
    out = rules.apply(ALL, None, NOON.replace(hour=13), {})
    assert {a.timing.name for a in cat.actions if out.allowed[a.index] and a.timing} == {"morning"}


def test_nothing_left_gives_no_contact_and_a_reason():
    cat = catalog()
    out = ContactRules(cat, RulesConfig()).apply(
        {"consent": {"email": True}, "segment": "vip", "tenure_days": 30},
        ContactHistory(contacts_1d=1), NOON, {})
    assert out.allowed.tolist() == [False] * (cat.n_actions - 1) + [True]
    assert out.reason == ("only no contact is left: consent removed 6 action(s) "
                          "(no consent for sms); max_per_day removed 6 action(s)")
    assert sorted(out.removed["consent"] + out.removed["max_per_day"]) == list(range(12))


def test_catalog_without_no_contact_can_end_empty():
    cat = catalog(no_contact=False)
    out = ContactRules(cat, RulesConfig()).apply({}, None, NOON, {})
    assert not out.allowed.any() and out.reason.startswith("only no contact is left: consent")


@pytest.mark.parametrize(("context", "match"), [
    ({"consent": ["email"]}, r"consent: expected a table channel -> true/false, got \['email'\]"),
    ({"consent": {"fax": True}}, r"consent\.fax: expected a channel of the catalog \(email, sms\)"),
    ({"consent": {"email": "yes"}}, r"consent\.email: expected true/false or 0/1, got 'yes'"),
    ({"consent_sms": 2}, r"consent_sms: expected true/false or 0/1, got 2"),
    ({"segment": 3}, r"segment: expected a string, got 3"),
    ({"tenure_days": float("nan")}, r"tenure_days: expected a finite number, got nan"),
    ({"tenure_days": "long"}, r"tenure_days: expected a finite number, got 'long'"),
    ({"timezone": "Moon/Base"}, r"timezone: expected an IANA name"),
])
def test_malformed_context_is_a_context_error(context, match):
    with pytest.raises(ContextError, match=match):
        ContactRules(catalog(), RulesConfig()).apply(context, None, NOON, {})


def test_context_must_be_a_mapping():
    with pytest.raises(ContextError, match=r"context: expected a mapping, got list"):
        ContactRules(catalog(), RulesConfig()).apply([1, 2], None, NOON, {})


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"max_per_day": -1}, r"max_per_day: expected an integer >= 0 or none"),
    ({"max_per_week": 2.5}, r"max_per_week: expected an integer >= 0 or none"),
    ({"max_per_day_per_channel": {"sms": None}}, r"max_per_day_per_channel\.sms"),
    ({"max_per_day_per_channel": [1]}, r"max_per_day_per_channel: expected a table"),
    ({"quiet_hours": (21, 24)}, r"quiet_hours: expected \(start, end\) hours in 0\.\.23"),
    ({"quiet_hours": (True, 8)}, r"quiet_hours"),
    ({"consent_required": 1}, r"consent_required: expected true or false, got 1"),
])
def test_bad_rules_config(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        RulesConfig(**kwargs)


def test_per_channel_cap_on_an_unknown_channel():
    with pytest.raises(CatalogError, match=r"channel: expected one of email, sms, got 'fax'"):
        ContactRules(catalog(), RulesConfig(max_per_day_per_channel={"fax": 1}))


# -- property: no allowed action ever breaks a rule, and every action that breaks none is allowed --
CHANNELS = ("email", "sms", "push")
SEGMENTS = ("new", "vip", "lapsed")
ZONES = (None, "UTC", "Europe/Paris", "Asia/Tokyo", "America/Los_Angeles", "Asia/Kathmandu")
RULES = ("now", "at 09:00", "at 20:30", "at 07:59", "in 3h", "next saturday 10:00", "in 45m")

messages_st = st.lists(st.builds(
    Message, name=st.just("x"), segments=st.lists(st.sampled_from(SEGMENTS), max_size=2).map(tuple),
    min_tenure_days=st.sampled_from([0.0, 0.0, 30.0, 365.0])), min_size=1, max_size=3)
channels_st = st.lists(st.builds(Channel, name=st.just("x"), daily_capacity=st.sampled_from(
    [None, None, 0, 1, 5])), min_size=1, max_size=3)
timings_st = st.lists(st.sampled_from(RULES), min_size=1, max_size=3, unique=True)
config_st = st.builds(
    RulesConfig, max_per_day=st.sampled_from([None, 0, 1, 2]),
    max_per_week=st.sampled_from([None, 1, 3]),
    max_per_day_per_channel=st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 2)),
    quiet_hours=st.sampled_from([None, (21, 8), (12, 14), (0, 23), (22, 6)]),
    consent_required=st.booleans())
consent_st = st.dictionaries(st.sampled_from(CHANNELS), st.booleans())


@st.composite
def worlds(draw):
    now = draw(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1),
                            timezones=st.just(UTC)))
    msgs = []
    for i, m in enumerate(draw(messages_st)):  # windows around now, in hours (None: open)
        start = draw(st.sampled_from([None, None, -5.0, 0.0, 2.0]))
        end = draw(st.sampled_from([None, None, 1.0, 13.5, 30.0, 200.0]))
        if start is not None and end is not None and end <= start:
            end = None
        msgs.append(Message(f"m{i}", segments=m.segments, min_tenure_days=m.min_tenure_days,
                            available_from=None if start is None else now + timedelta(hours=start),
                            available_until=None if end is None else now + timedelta(hours=end)))
    chans = [Channel(CHANNELS[i], daily_capacity=c.daily_capacity)
             for i, c in enumerate(draw(channels_st))]
    slots = [TimingSlot(f"t{i}", r) for i, r in enumerate(draw(timings_st))]
    cat = Catalog(tuple(msgs), tuple(chans), tuple(slots), draw(st.booleans()))
    config = draw(config_st)
    config = RulesConfig(config.max_per_day, config.max_per_week,
                         {k: v for k, v in config.max_per_day_per_channel.items()
                          if k in {c.name for c in chans}}, config.quiet_hours,
                         config.consent_required)
    names = [c.name for c in chans]
    context = {}
    if draw(st.booleans()):
        context["consent"] = {k: v for k, v in draw(consent_st).items() if k in names}
    for ch in names:
        if draw(st.integers(0, 3)) == 0:
            context[f"consent_{ch}"] = draw(st.sampled_from([0, 1, True, False]))
    for key, strat in (("segment", st.sampled_from(SEGMENTS)),
                       ("tenure_days", st.floats(0, 500)), ("timezone", st.sampled_from(ZONES))):
        if draw(st.booleans()) and (value := draw(strat)) is not None:
            context[key] = value
    profile = draw(st.one_of(st.none(), st.fixed_dictionaries({
        "consent": consent_st.map(lambda d: {k: v for k, v in d.items() if k in names}),
        "segment": st.sampled_from(SEGMENTS), "timezone": st.sampled_from(ZONES[1:])})))
    history = ContactHistory(
        contacts_1d=draw(st.integers(0, 3)), contacts_7d=draw(st.integers(0, 6)),
        sends_today_by_channel=draw(st.dictionaries(st.sampled_from(names), st.integers(0, 3))))
    used = draw(st.dictionaries(st.sampled_from(names), st.integers(0, 6)))
    return cat, config, context, profile, history, used, now


def breaks_a_rule(action, cat, cfg, context, profile, history, used, now) -> bool:
    """A plain, per-action restatement of the rules (the oracle)."""
    ch, msg = action.channel.name, action.message
    prof = profile or {}
    if cfg.consent_required:
        if ch in context.get("consent", {}):
            ok = bool(context["consent"][ch])
        elif f"consent_{ch}" in context:
            ok = bool(context[f"consent_{ch}"])
        else:
            ok = bool(prof.get("consent", {}).get(ch, False))
        if not ok:
            return True
    segment = context.get("segment", prof.get("segment"))
    if msg.segments and segment not in msg.segments:
        return True
    if context.get("tenure_days", prof.get("tenure_days", 0.0)) < msg.min_tenure_days:
        return True
    if msg.available_from is not None and now < msg.available_from:
        return True
    tz = context.get("timezone", prof.get("timezone"))
    if msg.available_until is not None and send_at(action.timing, now, tz) >= msg.available_until:
        return True
    if cfg.max_per_day is not None and history.contacts_1d >= cfg.max_per_day:
        return True
    if cfg.max_per_week is not None and history.contacts_7d >= cfg.max_per_week:
        return True
    cap = cfg.max_per_day_per_channel.get(ch)
    if cap is not None and history.sends_today_by_channel.get(ch, 0) >= cap:
        return True
    capacity = action.channel.daily_capacity
    if capacity is not None and used.get(ch, 0) >= capacity:
        return True
    if cfg.quiet_hours is not None:
        hour = send_at(action.timing, now, tz).astimezone(ZoneInfo(tz or "UTC")).hour
        start, end = cfg.quiet_hours
        quiet = start <= hour < end if start < end else (hour >= start or hour < end)
        if quiet:
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(world=worlds())
def test_no_allowed_action_breaks_a_rule(world):
    cat, cfg, context, profile, history, used, now = world
    out = ContactRules(cat, cfg).apply(context, history, now, used, profile=profile)
    assert out.allowed.shape == (cat.n_actions,) and out.allowed.dtype == bool
    for action in cat.actions:
        if action.is_no_contact:
            assert out.allowed[action.index]
        else:
            assert out.allowed[action.index] == (not breaks_a_rule(action, cat, cfg, context,
                                                                   profile, history, used, now))
    removed = [i for idx in out.removed.values() for i in idx]
    assert len(removed) == len(set(removed))
    assert sorted(removed) == np.flatnonzero(~out.allowed).tolist()
    assert set(out.removed) <= set(RULE_NAMES)
    contact_left = any(out.allowed[a.index] for a in cat.actions if not a.is_no_contact)
    assert (out.reason is None) == contact_left
    if not contact_left:
        assert all(name in out.reason for name in out.removed)
    slots_now = [send_at(t, now, context.get("timezone", (profile or {}).get("timezone")))
                 for t in cat.timings]
    assert list(out.send_at) == slots_now and all(t >= now for t in out.send_at)
    assert all(t - now <= timedelta(days=8) for t in out.send_at)
