"""Explanations for people: one readable sentence plus a short table, feature names in the
user's terms, and the chosen action always among the top actions shown."""

from __future__ import annotations

import re

from engine import Engine
from engine.clock import ManualClock
from tests.engine.engine_world import OPEN_RULES, T0, context, make_engine, reward_of


def test_the_chosen_action_is_always_among_the_top_actions_even_when_exploring(tmp_path):
    # a fresh model, many eligible actions, a short list: exploring picks fall outside the top
    with Engine(messages=["a", "b", "c", "d"], channels=["email", "sms", "push"],
                timings=["now", "evening"], state_dir=tmp_path, seed=0, rules=OPEN_RULES,
                explain_top=2, exploration="epsilon", clock=ManualClock(T0)) as eng:
        explored = outside = 0
        for i in range(300):
            d = eng.choose(f"c{i}", {"x": i % 5, "consent": {"email": True, "sms": True,
                                                             "push": True}}, now=T0 + i)
            eng.reward(d.decision_id, float(d.message == "a"), now=T0 + i)
            outside += d.action_index not in (0, 1)  # ties (a fresh model) list 0 and 1 first
            e = d.explain()
            names = [a for a, _ in e.top_actions]
            assert d.action_name in names and e.action == d.action_name
            assert len(names) == 2
            probs = [p for _, p in e.top_actions]
            assert probs == sorted(probs, reverse=True)
            assert e.probability == d.probability
            explored += bool(e.exploring)
        assert explored > 0 and outside > 0  # the cases the rule is for did happen


def test_str_is_one_sentence_in_the_users_terms_and_a_short_table(tmp_path):
    with make_engine(tmp_path) as eng:
        for i in range(300):
            ctx = context(i)
            d = eng.choose(f"c{i}", ctx, now=T0 + i)
            eng.reward(d.decision_id, reward_of(ctx, d.message, d.channel), now=T0 + i)
        d = eng.choose("z", {"segment": "a", "x": 0.5, "consent": {"email": True}}, now=T0 + 999)
        text = str(d.explain())
        sentence, *table = text.splitlines()
        assert sentence.startswith(f"sent {d.message} by email now, p = {d.probability:.2f}")
        assert "2 sms actions removed: no consent" in sentence
        weighed = sentence.split("what weighed most: ")[1]
        assert weighed and not re.search(r"\b[chmnta]:|\*", weighed)  # no VW tokens
        assert len(sentence) < 240
        assert table[0].split() == ["action", "p", "estimate"]
        assert any(row.startswith(f"> {d.action_name}") for row in table)
        assert len(table) <= 1 + 3 + 1 + 3
        assert d.explain().as_dict()["text"] == text


def test_a_holdout_decision_says_so(tmp_path):
    with make_engine(tmp_path, holdout_fraction=1.0) as eng:
        d = eng.choose("c1", context(0), now=T0)
        assert str(d.explain()).startswith("no contact: holdout: the control action")
