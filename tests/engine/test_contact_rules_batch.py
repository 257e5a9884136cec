"""The contact rules for a whole batch (a campaign) equal the rules customer by customer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.catalog import Catalog, Channel, Message, TimingSlot
from engine.contact_rules import ContactRules, RulesConfig
from engine.errors import ContextError
from engine.store import ContactHistory

CHANNELS = ("email", "sms", "push")
ZONES = (None, "UTC", "Europe/Paris", "Asia/Tokyo", "America/Los_Angeles")


def _catalog(no_contact: bool) -> Catalog:
    msgs = (Message("a"), Message("vip", segments=("vip",)), Message("old", min_tenure_days=30),
            Message("both", segments=("new", "vip"), min_tenure_days=5.5),
            # a launch between the first two decision times; an offer that ends between the
            # sends of some timings and others
            Message("launch", available_from=1.7e9 + 3600 * 5),
            Message("ends", available_until=1.7e9 + 3600 * 10))
    chans = (Channel("email"), Channel("sms", daily_capacity=3), Channel("push"))
    timings = (TimingSlot("now", "now"), TimingSlot("morning", "at 09:00"),
               TimingSlot("late", "at 22:30"), TimingSlot("soon", "in 3h"))
    return Catalog(msgs, chans, timings, no_contact)


flags = st.one_of(st.booleans(), st.sampled_from([0, 1]))


@st.composite
def customers(draw):
    ctx: dict = {}
    if draw(st.booleans()):
        ctx["consent"] = {c: draw(flags) for c in draw(st.sets(st.sampled_from(CHANNELS)))}
    for c in draw(st.sets(st.sampled_from(CHANNELS))):
        ctx[f"consent_{c}"] = draw(flags)
    if draw(st.booleans()):
        ctx["segment"] = draw(st.sampled_from(["new", "vip", "lapsed"]))
    if draw(st.booleans()):
        ctx["tenure_days"] = draw(st.sampled_from([0, 4, 5.5, 29.9, 30, 400]))
    if (tz := draw(st.sampled_from(ZONES))) is not None:
        ctx[draw(st.sampled_from(["timezone", "tz"]))] = tz
    profile = None
    if draw(st.booleans()):
        profile = {"consent": {c: draw(st.booleans()) for c in CHANNELS[:2]},
                   "segment": draw(st.sampled_from(["new", "vip"])),
                   "timezone": draw(st.sampled_from(ZONES[1:])),
                   "tenure_days": draw(st.sampled_from([1, 50]))}
    history = None
    if draw(st.booleans()):
        history = ContactHistory(
            contacts_1d=draw(st.integers(0, 2)), contacts_7d=draw(st.integers(0, 4)),
            sends_today_by_channel={c: draw(st.integers(0, 2)) for c in CHANNELS[:2]})
    return ctx, profile, history


@settings(max_examples=150, deadline=None)
@given(st.lists(customers(), min_size=1, max_size=12), st.booleans(), st.booleans(),
       st.sampled_from([1.7e9, 1.7e9 + 3600 * 7, 1.7e9 + 3600 * 20.5]),
       st.sampled_from([{}, {"sms": 3}, {"sms": 1, "email": 5}]),
       st.sampled_from([RulesConfig(), RulesConfig(max_per_day=None, quiet_hours=(9, 17),
                                                   max_per_day_per_channel={"sms": 1}),
                        RulesConfig(consent_required=False, max_per_week=None,
                                    quiet_hours=None)]))
def test_every_row_of_the_batch_is_the_rules_for_that_customer(rows, no_contact, with_profiles,
                                                               now, used, config):
    rules = ContactRules(_catalog(no_contact), config)
    ctxs = [c for c, _, _ in rows]
    profiles = [p for _, p, _ in rows] if with_profiles else None
    hists = [h for _, _, h in rows]
    batch = rules.apply_batch(ctxs, hists, now, used, profiles)
    for i, (ctx, prof, hist) in enumerate(rows):
        one = rules.apply(ctx, hist, now, used, prof if with_profiles else None)
        np.testing.assert_array_equal(batch.allowed[i], one.allowed)
        assert batch.removed(i) == one.removed
        assert batch.reasons[i] == one.reason
        assert batch.send_at[i].tolist() == [t.timestamp() for t in one.send_at]


@pytest.mark.parametrize("bad, match", [
    ({"segment": 3}, r"row 1: segment: expected a string, got 3"),
    ({"timezone": "Mars/Base"}, r"row 1: timezone: expected an IANA name"),
    ({"consent": {"fax": True}}, r"row 1: consent\.fax: expected a channel of the catalog"),
    ({"tenure_days": float("nan")}, r"row 1: tenure_days: expected a finite number"),
    ({"consent_sms": 2}, r"row 1: consent_sms: expected true/false or 0/1"),
])
def test_a_malformed_row_is_named(bad, match):
    rules = ContactRules(_catalog(True), RulesConfig())
    with pytest.raises(ContextError, match=match):
        rules.apply_batch([{}, bad, {}], [None] * 3, 1.7e9, {})
    with pytest.raises(ContextError):
        rules.apply(bad, None, 1.7e9, {})  # the same field refused one by one
