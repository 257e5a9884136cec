"""Features: what the learner sees from a context, a history and an action."""

from __future__ import annotations

import math

from engine.catalog import Catalog, Channel, Message
from engine.features import (
    INTERACTIONS,
    action_feature_sets,
    check_context,
    context_namespace,
    history_namespace,
)
from engine.store import ContactHistory


def test_rule_only_keys_are_not_learned_from():
    ctx = check_context({"age": 3, "consent": {"email": True}, "consent_sms": 1,
                         "timezone": "Europe/Paris", "tz": "UTC", "segment": "vip",
                         "missing": None, "tags": ["a", "b"]}, ["email", "sms"])
    assert context_namespace(ctx) == {"age": 3, "segment": "vip", "tags": ["a", "b"]}


def test_history_namespace_counts_and_days():
    h = ContactHistory(contacts_1d=1, contacts_7d=2, contacts_30d=5,
                       days_since_last_by_channel={"email": 3.0, "sms": math.inf},
                       last_outcome=0.5)
    ns = history_namespace(h, ["email", "sms"])
    assert ns == {"contacts_1d": 1, "contacts_7d": 2, "contacts_30d": 5,
                  "log_days_email": math.log1p(3.0), "never_sms": True, "last_outcome": 0.5}


def test_action_sets_follow_catalog_order_and_no_contact_is_last():
    cat = Catalog.from_names([Message("w", theme="welcome", discount=0.1)],
                             [Channel("email", cost=0.01), Channel("sms")], ["now", "evening"])
    sets = action_feature_sets(cat)
    assert len(sets) == cat.n_actions == 5
    assert sets[1] == {"m": {"msg": "w", "theme": "welcome", "offer": "none", "discount": 0.1,
                             "margin": 0.0},
                       "n": {"ch": "email", "cost": 0.01}, "t": {"tm": "evening"},
                       "a": {"id": "w/email/evening"}}
    assert sets[-1] == {"m": {"no_contact": True}, "a": {"id": "no_contact"}}


def test_interactions_cross_shared_with_action_namespaces_only_by_letter():
    for term in INTERACTIONS:
        assert set(term) <= set("chmnta") and len(term) in (2, 3)
