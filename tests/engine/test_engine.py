"""The Engine end to end: real VW, real SQLite, driven clock."""

from __future__ import annotations

import json
import threading

import numpy as np
import pyarrow.parquet as pq
import pytest

from engine import Engine
from engine.clock import ManualClock
from engine.errors import ConfigError
from tests.engine.engine_world import (
    OPEN_RULES,
    T0,
    context,
    estimate,
    make_engine,
    play,
    probe,
    reward_of,
)


def test_design_example_runs_and_without_consent_says_why(tmp_path):
    eng = Engine(messages=["welcome10", "winback20"], channels=["email", "sms", "push"],
                 timings=["morning", "evening"], state_dir=tmp_path, seed=0)
    with eng:
        d = eng.choose("customer-42", {"age": 34, "segment": "vip", "days_since_purchase": 12})
        assert (d.message, d.channel, d.timing) == (None, None, None)
        assert "no consent for email, sms, push" in d.reason
        assert d.probability == 1.0 and not d.holdout
        eng.reward(d.decision_id, 1.0)
        assert eng.stats()["rewards"] == 1


def test_choose_then_reward_is_logged_and_learned(tmp_path):
    # no no-contact action and consent on both channels: the engine must pick one of the four
    with make_engine(tmp_path, no_contact=False) as eng:
        d = eng.choose("c1", context(0), now=T0)
        assert d.message in ("welcome", "winback") and d.channel in ("email", "sms")
        assert 0 < d.probability < 1  # four eligible actions: the pick was drawn
        assert d.send_at.timestamp() == T0  # timing "now"
        rec = eng.log.get_decision(d.decision_id)
        assert (rec.action_index, rec.probability, rec.send_at) == (d.action_index,
                                                                    d.probability, T0)
        assert (rec.message, rec.channel, rec.timing) == (d.message, d.channel, "now")
        before = estimate(eng, d.decision_id)
        learner = eng._selection.learner
        q = learner._quadratic_form(learner.features(json.loads(rec.features_json)),
                                    np.array([rec.action_index]))[0]
        ack = eng.reward(d.decision_id, 1.0, now=T0 + 5)
        assert (ack.seq, ack.kind, ack.total, ack.delay_s, ack.learned) == (1, "reward", 1.0,
                                                                            5.0, True)
        assert eng.stats()["learned_seq"] == 1
        # one ridge step towards 1.0: the error times phi' A^-1 phi / (1 + phi' A^-1 phi)
        # (Sherman-Morrison), as far as the prior lets one reward move it
        assert q > 0.0
        assert estimate(eng, d.decision_id) == pytest.approx(before + (1.0 - before) * q / (1 + q))


def test_engine_beats_uniform_on_a_tiny_world(tmp_path):
    with make_engine(tmp_path) as eng:
        got = play(eng, 1500)
    # uniform over the 5 actions earns 1/5; the learner must find the pair per segment
    assert np.mean(got[-500:]) > 0.6


def test_sum_mode_adds_a_correction_and_learns_the_total_once(tmp_path):
    with make_engine(tmp_path, reward_mode="sum") as eng:
        d = eng.choose("c1", context(0), now=T0)
        eng.reward(d.decision_id, 1.0, now=T0 + 1)
        ack = eng.reward(d.decision_id, 0.5, now=T0 + 2)
        assert (ack.kind, ack.total) == ("correction", 1.5)
        assert [r[3] for r in eng.log.rewards_of(d.decision_id)] == ["reward", "correction"]
        assert eng.stats()["corrections"] == 1


def test_default_reward_is_learned_once_when_the_window_passes(tmp_path):
    with make_engine(tmp_path, reward_window="1h", default_reward=-0.1) as eng:
        d = eng.choose("c1", context(0), now=T0)
        eng.clock.set(T0 + 3599)
        assert eng.expire_rewards() == 0
        before = estimate(eng, d.decision_id)
        eng.clock.set(T0 + 7200)
        assert eng.expire_rewards(now=T0 + 3600) == 1  # as of a past moment of the clock
        assert eng.expire_rewards() == 0
        assert eng.log.rewards_of(d.decision_id)[0][1:] == (-0.1, T0 + 3600, "default")
        assert estimate(eng, d.decision_id) < before - 0.02  # learned: moved towards -0.1
        assert eng.stats()["default_rewards"] == 1


def test_deferred_decision_is_not_learned_until_activated(tmp_path):
    with make_engine(tmp_path, reward_window="1h") as eng:
        d = eng.choose("c1", context(0), now=T0, activate=False)
        assert not d.active
        eng.clock.set(T0 + 10 * 3600)
        assert eng.expire_rewards() == 0  # never activated: never defaulted
        eng.activate(d.decision_id, now=T0 + 10 * 3600)
        ack = eng.reward(d.decision_id, 1.0, now=T0 + 10 * 3600 + 60)
        assert ack.delay_s == 60.0
        assert eng.log.get_decision(d.decision_id).activated_at == T0 + 10 * 3600


def test_holdout_gets_the_control_action_and_is_not_learned(tmp_path):
    with make_engine(tmp_path, holdout_fraction=1.0) as eng:
        before = probe(eng)
        d = eng.choose("c1", context(0), now=T0)
        assert d.holdout and d.message is None and d.probability == 1.0
        assert d.reason.startswith("holdout")
        ack = eng.reward(d.decision_id, 1.0, now=T0 + 1)
        assert not ack.learned
        np.testing.assert_array_equal(probe(eng), before)
        assert eng.log.get_decision(d.decision_id).holdout


def test_holdout_action_by_name(tmp_path):
    with make_engine(tmp_path, holdout_fraction=1.0, holdout_action="welcome/email/now") as eng:
        d = eng.choose("c1", context(0), now=T0)
        assert (d.message, d.channel) == ("welcome", "email")
    with pytest.raises(ConfigError, match="holdout_action: expected an action name"):
        make_engine(tmp_path / "x", holdout_action="nope/email/now")


def test_explanation_names_actions_features_and_rules(tmp_path):
    with make_engine(tmp_path) as eng:
        for i in range(300):
            ctx = context(i)
            d = eng.choose(f"c{i}", ctx, now=T0 + i)
            eng.reward(d.decision_id, reward_of(ctx, d.message, d.channel), now=T0 + i)
        d = eng.choose("z", {"segment": "a", "x": 0.5, "consent": {"email": True}}, now=T0 + 999)
        e = d.explain()
        assert e is d.explanation
        probs = [p for _, p in e.top_actions]
        assert probs == sorted(probs, reverse=True) and len(probs) == 3  # 2 emails + none
        assert e.removed == {"consent": ("welcome/sms/now", "winback/sms/now")}
        assert e.features and e.score == dict(zip(
            [name for name, _ in e.top_actions], e.top_scores, strict=True))[d.action_name]
        assert e.top_actions[0][0] == "welcome/email/now"
        assert len(e.top_scores) == 3 and e.top_scores[0] == max(e.top_scores)
        assert e.as_dict()["top_actions"][0]["score"] == e.top_scores[0]
        assert e.as_dict()["removed"]["consent"] == ["welcome/sms/now", "winback/sms/now"]


def test_choose_batch_decides_in_order(tmp_path):
    with make_engine(tmp_path) as eng:
        out = eng.choose_batch([("a", context(0), T0), {"customer_id": "b",
                                                         "context": context(1), "now": T0}])
        assert [d.customer_id for d in out] == ["a", "b"]
        assert eng.stats()["decisions"] == 2


def test_forget_erases_a_customer(tmp_path):
    with make_engine(tmp_path) as eng:
        d = eng.choose("gone", context(0), now=T0)
        eng.reward(d.decision_id, 1.0, now=T0 + 1)
        eng.choose("kept", context(1), now=T0)
        assert eng.forget("gone") == 2
        assert eng.stats()["decisions"] == 1


def test_many_threads_lose_nothing_and_learn_everything_once(tmp_path):
    with make_engine(tmp_path) as eng:
        errors = []

        def worker(k: int) -> None:
            try:
                for i in range(40):
                    ctx = context(i)
                    d = eng.choose(f"t{k}-{i}", ctx, now=T0 + i)
                    eng.reward(d.decision_id, reward_of(ctx, d.message, d.channel), now=T0 + i)
            except Exception as exc:  # surfaced below; a thread would swallow it
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        stats = eng.stats()
        assert stats["decisions"] == stats["rewards"] == stats["learned_seq"] == 160


def test_channel_capacity_is_never_exceeded(tmp_path):
    from engine.catalog import Catalog, Channel

    # one action and no no-contact action: every customer gets the sms while there is room
    cat = Catalog.from_names(["m"], [Channel("sms", daily_capacity=3)], ["now"],
                             no_contact=False)
    clock = ManualClock(T0)
    with Engine(catalog=cat, rules=OPEN_RULES, state_dir=tmp_path, seed=0, clock=clock) as eng:
        today = [eng.choose(f"c{i}", {"consent": {"sms": True}}, now=T0 + i) for i in range(40)]
        assert [d.channel for d in today] == ["sms"] * 3 + [None] * 37
        assert "capacity" in today[3].reason and today[3].action_index == -1
        clock.set(T0 + 86400)
        tomorrow = [eng.choose(f"d{i}", {"consent": {"sms": True}}, now=T0 + 86400 + i).channel
                    for i in range(40)]
        assert tomorrow == ["sms"] * 3 + [None] * 37


def test_close_is_safe_twice_and_a_closed_engine_refuses_work(tmp_path):
    from engine.errors import StoreError

    eng = make_engine(tmp_path)
    eng.close()
    eng.close()
    with pytest.raises(StoreError, match="closed"):
        eng.choose("c", context(0), now=T0)


def test_from_catalog_reads_rules_and_engine_settings(tmp_path):
    from importlib.resources import files

    with Engine.from_catalog(files("engine") / "catalogs" / "example.toml",
                             state_dir=tmp_path, holdout_fraction=0.0,
                             clock=ManualClock(T0)) as eng:
        assert eng.window.window_s == 7 * 86400
        assert eng.rules.config.max_per_day == 1
        d = eng.choose("c", {"segment": "vip", "consent": {"email": True}}, now=T0)
        # the catalog's rules at 22:13 UTC: the vip and open messages, by email, not "now"
        # (quiet hours 21-8), not welcome10 (new customers) nor winback20 (90 days' tenure)
        eligible = {eng.catalog.actions[i].name for i in eng.log.get_decision(
            d.decision_id).eligible}
        assert eligible == {f"{m}/email/{t}" for m in ("vip_early_access", "newsletter")
                            for t in ("morning", "evening", "weekend")} | {"no_contact"}
        assert d.action_name in eligible


def test_export_parquet_writes_one_row_per_decision_with_summed_rewards(tmp_path):
    with make_engine(tmp_path / "state", reward_mode="sum") as eng:
        d = eng.choose("c1", context(0), now=T0)
        eng.choose("c2", context(1), now=T0 + 1)
        eng.reward(d.decision_id, 1.0, now=T0 + 2)
        eng.reward(d.decision_id, 0.5, now=T0 + 3)
        assert eng.export_parquet(tmp_path / "log.parquet") == 2
        assert eng.export_parquet(tmp_path / "late.parquet", since=T0 + 1) == 1
    rows = pq.read_table(tmp_path / "log.parquet").to_pylist()
    by_id = {r["decision_id"]: r for r in rows}
    assert by_id[d.decision_id]["reward"] == 1.5
    assert by_id[d.decision_id]["probability"] == d.probability


def test_expired_decisions_are_settled_inside_choose_at_a_bounded_cost(tmp_path):
    with make_engine(tmp_path, reward_window="1h", expire_batch=3) as eng:
        for i in range(10):
            eng.choose(f"old{i}", context(i), now=T0 + i)
        eng.clock.set(T0 + 7200)
        for i in range(16):  # the 16th call settles at most expire_batch of the due ones
            eng.choose(f"new{i}", context(i), now=T0 + 7200 + i)
        assert eng.stats()["default_rewards"] == 3
        assert eng.expire_rewards() == 7
