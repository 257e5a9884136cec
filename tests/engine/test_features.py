"""Features: what the learner sees from a context, a history and an action."""

from __future__ import annotations

import math

from engine.catalog import Catalog, Channel, Message
from engine.features import (
    INTERACTIONS,
    action_feature_sets,
    catalog_interactions,
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
    # one message: its attributes are the same for every contact and cannot rank them
    assert sets[1] == {"m": {}, "n": {"ch": "email", "cost": 0.01}, "t": {"tm": "evening"},
                       "a": {"id": "w/email/evening"}}
    assert sets[-1] == {"m": {"no_contact": True}, "a": {"id": "no_contact"}}
    two = Catalog.from_names([Message("w", theme="welcome", discount=0.1), Message("v")],
                             ["email"], ["now"])
    assert action_feature_sets(two)[0]["m"] == {"msg": "w", "theme": "welcome",
                                                "discount": 0.1}  # offer, margin: the same


def test_interactions_that_a_catalog_makes_useless_are_left_out():
    one_channel = Catalog.from_names(["a", "b"], ["web"], ["now", "evening"], no_contact=False)
    assert catalog_interactions(one_channel, INTERACTIONS) == (
        "cm", "ct", "hm", "ht", "ca")  # n is the same everywhere; m, t, a each split anew
    full = Catalog.from_names(["a", "b"], ["email", "sms"], ["now", "evening"])
    assert catalog_interactions(full, INTERACTIONS) == INTERACTIONS


def test_interactions_cross_shared_with_action_namespaces_only_by_letter():
    for term in INTERACTIONS:
        assert set(term) <= set("chmnta") and len(term) in (2, 3)


def test_number_bins_are_learned_from_the_first_contexts_and_survive_a_restart(tmp_path):
    from tests.engine.engine_world import T0, make_engine

    with make_engine(tmp_path, number_bins=4, bins_warmup=40) as eng:
        for i in range(30):  # not enough to fix the edges yet
            eng.choose(f"c{i}", {"spend": float(i), "consent": {"email": True}}, now=T0 + i)
    with make_engine(tmp_path, number_bins=4, bins_warmup=40) as eng:
        assert eng._bins.edges == {}  # the 30 values came back from the log
        for i in range(30, 60):
            d = eng.choose(f"c{i}", {"spend": float(i), "consent": {"email": True}}, now=T0 + i)
        edges = eng._bins.edges["spend"]
        assert edges == [9.0, 19.0, 29.0]  # quartiles of the first 40 values, 0..39, at values
        logged = eng.log.get_decision(d.decision_id).features_json
        assert '"q": {"spend": "q3"}' in logged  # the bin is a feature the learner sees
    with make_engine(tmp_path, number_bins=4, bins_warmup=40) as eng:
        assert eng._bins.edges["spend"] == edges
