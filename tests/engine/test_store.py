"""The durable log on real SQLite and real PostgreSQL: decisions, rewards, replay, history,
erasure, capacity, snapshots, threads and processes. Every test that is not about one backend's
own settings runs against both."""

from __future__ import annotations

import json
import math
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace

import pytest

from engine.decision_store import DecisionStore
from engine.errors import (
    CapacityReachedError,
    DuplicateRewardError,
    RewardError,
    StoreError,
    UnknownDecisionError,
)
from engine.reward_window import RewardWindow
from engine.snapshots import ModelSnapshot
from engine.store import FILE_NAME, ContactHistory, DecisionLog, DecisionRecord
from engine.store_url import open_store

DAY = 86400.0


def rec(did: str, customer: str = "c1", at: float = 0.0, channel: str | None = "email",
        active: bool = True, holdout: bool = False, action: int = 0) -> DecisionRecord:
    return DecisionRecord(did, customer, at, action, 0.25, holdout, '{"age": 3}', '{"f": 1}',
                          (0, 1, 2), at + 60 if channel else None, active, "v1",
                          message="m" if channel else None, channel=channel,
                          timing="now" if channel else None)


@dataclass
class Backend:
    """One log location: open as many connections to it as a test needs."""

    name: str
    url: str

    def open(self) -> DecisionStore:
        return open_store(self.url)

    def execute(self, sql: str) -> None:
        """Run raw SQL behind the store's back (to damage it on purpose)."""
        if self.name == "sqlite":
            db = sqlite3.connect(self.url[len("sqlite:///"):] + "/" + FILE_NAME)
            db.execute(sql)
            db.commit()
            db.close()
        else:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as db:
                db.execute(sql)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", f"sqlite:///{tmp_path}")
    return Backend("postgresql", request.getfixturevalue("postgres_url"))


@pytest.fixture()
def log(backend):
    with backend.open() as store:
        yield store


def table_rows(log) -> tuple:
    return (log._read("SELECT * FROM decisions ORDER BY decision_id"),
            log._read("SELECT * FROM rewards ORDER BY seq"),
            log._read("SELECT * FROM profiles ORDER BY customer_id"))


def test_decision_round_trips(log):
    r = rec("d1")
    log.write_decision(r)
    got = log.get_decision("d1")
    assert got == DecisionRecord(**{**r.__dict__, "activated_at": 0.0})
    assert got.action_name == "m/email/now"
    assert isinstance(log, DecisionStore)
    log.write_decision(replace(r, decision_id="d2", model_version=7))
    assert log.get_decision("d2").model_version == 7


def test_sqlite_file_is_in_wal_mode_at_its_path(tmp_path):
    with DecisionLog(tmp_path) as log:
        assert log._read("PRAGMA journal_mode")[0][0] == "wal"
        assert log.path.name == FILE_NAME


def test_unknown_decision_is_a_typed_error(log):
    with pytest.raises(UnknownDecisionError, match=r"decision_id: no decision 'nope'"):
        log.get_decision("nope")
    with pytest.raises(UnknownDecisionError, match="'nope'"):
        log.activate("nope", 1.0)
    with pytest.raises(UnknownDecisionError, match="'nope'"):
        log.write_reward("nope", 1.0, at=1.0)
    assert table_rows(log) == ([], [], [])


def test_duplicate_decision_id_changes_nothing(log):
    log.write_decision(rec("d1"))
    before = table_rows(log)
    with pytest.raises(StoreError, match=r"decision_id: expected a new id, got 'd1'"):
        log.write_decision(rec("d1", customer="other"))
    assert table_rows(log) == before


def test_reward_sequence_numbers_increase_and_survive_forget(log):
    for i in range(3):
        log.write_decision(rec(f"d{i}", customer=f"c{i}"))
    seqs = [log.write_reward(f"d{i}", float(i), at=10.0) for i in range(3)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    log.forget("c2")
    log.write_decision(rec("d9", customer="c9"))
    assert log.write_reward("d9", 1.0, at=11.0) > seqs[-1]
    assert log.last_seq() == seqs[-1] + 1


@pytest.mark.parametrize(("value", "kind", "match"), [
    (float("nan"), "reward", r"value: expected a finite number, got nan"),
    (float("inf"), "reward", r"value: expected a finite number, got inf"),
    (True, "reward", r"value: expected a finite number, got True"),
    ("1", "reward", r"value: expected a finite number, got '1'"),
    (1.0, "bonus", r"kind: expected one of reward, default, correction, got 'bonus'"),
])
def test_bad_reward_changes_nothing(log, value, kind, match):
    log.write_decision(rec("d1"))
    before = table_rows(log)
    with pytest.raises(RewardError, match=match):
        log.write_reward("d1", value, at=1.0, kind=kind)
    assert table_rows(log) == before


def test_refuse_duplicate_is_atomic(log):
    log.write_decision(rec("d1"))
    first = log.write_reward("d1", 1.0, at=1.0, refuse_duplicate=True)
    with pytest.raises(DuplicateRewardError, match=r"'d1' already has a reward"):
        log.write_reward("d1", 2.0, at=2.0, refuse_duplicate=True)
    log.write_reward("d1", 0.5, at=3.0, kind="correction")
    assert log.rewards_of("d1") == [(first, 1.0, 1.0, "reward"),
                                    (first + 1, 0.5, 3.0, "correction")]


def test_a_client_reward_says_which_defaults_it_replaced(log):
    # the engine corrects the switch rule's estimates on the first default's row, from
    # what the store read in the reward's own transaction (no second read)
    for did in ("first", "over"):
        log.write_decision(rec(did))
    head = log.write_reward("over", -0.25, at=1.0, kind="default")
    log.write_reward("first", 0.3, at=1.5, kind="default")  # another decision's between
    log.write_reward("over", -0.5, at=2.0, kind="default")
    got = log.write_client_reward("over", 1.0, at=3.0)
    assert (got.previous, got.first) == (-0.75, head)
    assert log.rewards_of("over")[-1] == (got.seq, 1.75, 3.0, "correction")
    log.write_decision(rec("fresh"))
    got = log.write_client_reward("fresh", 1.0, at=4.0)
    assert (got.previous, got.first) == (None, None)
    assert log.rewards_of("fresh") == [(got.seq, 1.0, 4.0, "reward")]
    with pytest.raises(DuplicateRewardError, match=r"'over' already has a reward"):
        log.write_client_reward("over", 1.0, at=5.0)


def test_concurrent_first_rewards_admit_exactly_one(log):
    log.write_decision(rec("d1"))
    results: list[str] = []
    barrier = threading.Barrier(8)

    def reward() -> None:
        barrier.wait()
        try:
            log.write_reward("d1", 1.0, at=1.0, refuse_duplicate=True)
            results.append("ok")
        except DuplicateRewardError:
            results.append("dup")

    threads = [threading.Thread(target=reward) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["dup"] * 7 + ["ok"]
    assert len(log.rewards_of("d1")) == 1


def test_threads_writing_at_once_lose_nothing(log):
    def work(k: int) -> None:
        for i in range(25):
            log.write_decision(rec(f"t{k}-{i}", customer=f"c{k}"))
            log.write_reward(f"t{k}-{i}", 1.0, at=float(i))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = log.counts()
    assert counts["decisions"] == 100 and counts["rewards"] == 100
    seqs = [s for s, *_ in log.rewards_since(0)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 100


def test_rewards_since_replays_in_order_with_decisions(log):
    for i in range(5):
        log.write_decision(rec(f"d{i}", at=float(i)))
    seqs = [log.write_reward(f"d{i}", float(i), at=10.0 + i) for i in (3, 1, 4, 0, 2)]
    replay = list(log.rewards_since(seqs[1], batch=2))
    assert [s for s, *_ in replay] == seqs[2:]
    assert [(d.decision_id, v, k) for _, d, v, k in replay] == [
        ("d4", 4.0, "reward"), ("d0", 0.0, "reward"), ("d2", 2.0, "reward")]
    assert list(log.rewards_since(seqs[-1])) == []


def test_expiry_lists_only_active_unrewarded_past_the_window(log):
    log.write_decision(rec("old", at=0.0))
    log.write_decision(rec("rewarded", at=0.0))
    log.write_reward("rewarded", 1.0, at=5.0)
    log.write_decision(rec("inactive", at=0.0, active=False))
    log.write_decision(rec("late_active", at=0.0, active=False))
    log.activate("late_active", at=500.0)
    log.write_decision(rec("young", at=900.0))
    window = RewardWindow(window_s=1000.0)
    assert [r.decision_id for r in window.due(log, now=1000.0)] == ["old"]
    assert [r.decision_id for r in window.due(log, now=1500.0)] == ["old", "late_active"]
    assert [r.decision_id for r in window.due(log, now=1500.0, limit=1)] == ["old"]
    log.write_reward("old", 0.0, at=1500.0, kind="default")
    assert [r.decision_id for r in window.due(log, now=1500.0)] == ["late_active"]
    assert window.is_open(log.get_decision("late_active"), now=1499.0)
    assert not window.is_open(log.get_decision("inactive"), now=1.0)


def test_activate_is_idempotent(log):
    log.write_decision(rec("d1", active=False))
    assert log.get_decision("d1").activated_at is None
    log.activate("d1", at=7.0)
    log.activate("d1", at=9.0)
    got = log.get_decision("d1")
    assert got.active and got.activated_at == 7.0


def test_history_counts_active_contacts_in_rolling_windows(log):
    now = 100 * DAY
    log.write_decision(rec("a", at=now - 0.5 * DAY, channel="email"))
    log.write_decision(rec("b", at=now - 3 * DAY, channel="sms"))
    log.write_decision(rec("c", at=now - 20 * DAY, channel="sms"))
    log.write_decision(rec("d", at=now - 40 * DAY, channel="sms"))
    log.write_decision(rec("nc", at=now - 0.1 * DAY, channel=None))          # no contact
    log.write_decision(rec("pending", at=now - 0.1 * DAY, active=False, channel="sms"))
    log.write_decision(rec("other", customer="c2", at=now - 0.1 * DAY))
    log.write_decision(rec("future", at=now + DAY))
    log.write_reward("b", 2.0, at=now - 2 * DAY)
    log.write_reward("b", 0.5, at=now - 2 * DAY, kind="correction")
    h = log.history("c1", now=now, channels=["email", "sms", "push"])
    assert (h.contacts_1d, h.contacts_7d, h.contacts_30d) == (2, 3, 4)  # pending ones count
    assert h.days_since_last_by_channel["email"] == pytest.approx(0.5)
    assert h.days_since_last_by_channel["sms"] == pytest.approx(0.1)
    assert h.days_since_last_by_channel["push"] == math.inf
    assert log.history("c1", now=now + 60 * DAY, channels=["sms"]).days_since_last_by_channel[
        "sms"] == pytest.approx(60.1)  # beyond every window, still known
    assert h.sends_today_by_channel == {"email": 1, "sms": 1, "push": 0}
    assert h.last_outcome == pytest.approx(2.5)
    assert log.history("nobody", now=now) == ContactHistory()


def test_capacity_used_counts_sends_since_day_start_pending_included(log):
    log.write_decision(rec("a", customer="x", at=10.0, channel="sms"))
    log.write_decision(rec("b", customer="y", at=20.0, channel="sms"))
    log.write_decision(rec("c", customer="y", at=20.0, channel="email", active=False))
    log.write_decision(rec("d", customer="z", at=5.0, channel="email"))
    log.write_decision(rec("e", customer="z", at=30.0, channel=None))
    assert log.capacity_used(day_start=10.0) == {"sms": 2, "email": 1}


def test_profiles_and_forget(log):
    log.set_profile("c1", {"consent": {"email": True}, "timezone": "Europe/Paris"})
    log.set_profile("c1", {"consent": {"sms": True}})
    assert log.profile("c1") == {"consent": {"sms": True}}
    assert log.profile("c2") is None
    log.write_decision(rec("d1"))
    log.write_decision(rec("d2"))
    log.write_reward("d1", 1.0, at=1.0)
    log.write_decision(rec("keep", customer="c2"))
    assert log.forget("c1") == 4
    assert log.profile("c1") is None
    with pytest.raises(UnknownDecisionError):
        log.get_decision("d1")
    assert log.get_decision("keep").customer_id == "c2"
    assert log.forget("c1") == 0


@pytest.mark.parametrize(("profile", "match"), [
    ([("consent", 1)], r"profile: expected a dict, got list"),
    ({"x": float("nan")}, r"profile: expected JSON-serialisable values"),
    ({"x": object()}, r"profile: expected JSON-serialisable values"),
])
def test_bad_profile_changes_nothing(log, profile, match):
    log.set_profile("c1", {"segment": "vip"})
    with pytest.raises(StoreError, match=match):
        log.set_profile("c1", profile)
    assert log.profile("c1") == {"segment": "vip"}


def test_counts_and_reward_rate_buckets(log):
    log.write_decision(rec("a", customer="x", at=10.0))
    log.write_decision(rec("b", customer="y", at=20.0, holdout=True, channel=None))
    log.write_decision(rec("c", customer="z", at=110.0))
    log.write_decision(rec("d", customer="w", at=120.0, active=False))
    log.write_reward("a", 1.0, at=30.0)
    log.write_reward("a", 0.5, at=31.0, kind="correction")
    log.write_reward("c", 0.0, at=400.0, kind="default")
    counts = log.counts()
    assert counts == {"decisions": 4, "active_decisions": 3, "holdout_decisions": 1,
                      "no_contact_decisions": 1, "rewarded_decisions": 2, "rewards": 3,
                      "default_rewards": 1, "corrections": 1, "profiles": 0,
                      "learner_switches": 0, "last_seq": counts["last_seq"]}
    assert log.reward_rate_by_bucket(100.0) == [
        (0.0, False, 1, 1.5), (0.0, True, 1, 0.0), (100.0, False, 1, 0.0)]
    assert log.reward_rate_by_bucket(100.0, since=100.0) == [(100.0, False, 1, 0.0)]
    with pytest.raises(StoreError, match="bucket_s: expected a positive number"):
        log.reward_rate_by_bucket(0)


def test_capacity_counts_each_day_and_refuses_beyond_it_changing_nothing(log):
    log.write_decision(rec("old", customer="w", at=DAY - 1, channel="sms"))  # yesterday
    log.write_decision(rec("a", customer="x", at=DAY + 10, channel="sms"))   # before counting
    log.write_decision(rec("b", customer="y", at=DAY + 20, channel="sms"), capacity=3)
    log.write_decision(rec("c", customer="z", at=DAY + 30, channel="sms"), capacity=3)
    before = table_rows(log)
    with pytest.raises(CapacityReachedError, match=r"'sms': its daily capacity of 3") as full:
        log.write_decision(rec("d", customer="v", at=DAY + 40, channel="sms"), capacity=3)
    assert (full.value.channel, full.value.capacity) == ("sms", 3)
    assert table_rows(log) == before
    log.write_decision(rec("e", customer="v", at=DAY + 40, channel="email"), capacity=3)
    log.write_decision(rec("f", customer="v", at=2 * DAY, channel="sms"), capacity=3)  # next day
    assert log.forget("y") == 1  # frees its send: the day is recounted from what is left
    log.write_decision(rec("g", customer="u", at=DAY + 50, channel="sms"), capacity=3)
    with pytest.raises(CapacityReachedError):
        log.write_decision(rec("h", customer="t", at=DAY + 60, channel="sms"), capacity=3)


def test_transaction_is_one_unit_and_joins_nested_writes(log):
    with pytest.raises(RuntimeError, match="boom"), log.transaction(["c1"]):
        log.write_decision(rec("d1"))
        log.set_profile("c1", {"segment": "vip"})
        assert log.get_decision("d1").decision_id == "d1"  # reads see the open transaction
        raise RuntimeError("boom")
    assert table_rows(log) == ([], [], [])
    with log.transaction(["c1", "c2"]):
        log.write_decision(rec("d1"))
        log.write_reward("d1", 1.0, at=1.0)
    assert log.rewards_of("d1")[0][1] == 1.0


def test_a_rolled_back_reward_leaves_no_gap_in_the_sequence(log):
    for i in range(3):
        log.write_decision(rec(f"d{i}", customer=f"c{i}"))
    first = log.write_reward("d0", 1.0, at=1.0)
    with pytest.raises(RuntimeError), log.transaction():
        log.write_reward("d1", 1.0, at=1.0)
        raise RuntimeError("roll back")
    assert log.last_seq() == first
    assert log.write_reward("d2", 1.0, at=1.0) == first + 1


def _in_threads(n: int, work) -> list:
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # the test reads what each thread met
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_separate_connections_never_both_pass_a_cap_that_allows_one(backend):
    """Each thread is a replica of its own (its own connection): read history, decide, write,
    in one transaction; a cap of 1 contact a day admits exactly one of them."""
    stores = [backend.open() for _ in range(6)]

    def decide(i: int) -> bool:
        log = stores[i]
        for attempt in range(200):  # SQLite's lock wait can time out under contention: retry
            try:
                with log.transaction(["c1"]):
                    if log.history("c1", now=100.0).contacts_1d >= 1:
                        return False
                    log.write_decision(rec(f"d{i}", at=100.0))
                    return True
            except StoreError:
                if attempt == 199:
                    raise
        return False

    try:
        assert sorted(_in_threads(6, decide)) == [False] * 5 + [True]
        assert stores[0].history("c1", now=100.0).contacts_1d == 1
    finally:
        for st in stores:
            st.close()


def test_separate_connections_never_exceed_a_channel_capacity(backend):
    stores = [backend.open() for _ in range(6)]

    def send(i: int) -> str:
        try:
            for k in range(5):
                stores[i].write_decision(rec(f"d{i}-{k}", customer=f"c{i}-{k}", at=DAY + i,
                                             channel="sms"), capacity=7)
        except CapacityReachedError:
            return "full"
        return "ok"

    try:
        results = _in_threads(6, send)
        assert all(r in ("ok", "full") for r in results), results
        assert stores[0].capacity_used(DAY) == {"sms": 7}
    finally:
        for st in stores:
            st.close()


def test_a_follower_sees_rewards_in_sequence_order_with_no_gap_filled_later(backend):
    """Writers on separate connections; a follower reading ``seq > last`` must end with every
    reward: if a smaller number could commit after a larger one was read, it would be missed."""
    writers = [backend.open() for _ in range(4)]
    with backend.open() as setup:
        for w in range(4):
            for i in range(40):
                setup.write_decision(rec(f"w{w}-{i}", customer=f"c{w}", at=float(i)))
    done = threading.Event()
    followed: list[int] = []

    def follow() -> None:
        with backend.open() as reader:
            while True:
                finished = done.is_set()
                last = followed[-1] if followed else 0
                followed.extend(s for s, *_ in reader.rewards_since(last))
                if finished:
                    return

    follower = threading.Thread(target=follow)
    follower.start()
    try:
        _in_threads(4, lambda w: [writers[w].write_reward(f"w{w}-{i}", 1.0, at=float(i))
                                  for i in range(40)])
    finally:
        done.set()
        follower.join()
        for st in writers:
            st.close()
    assert followed == list(range(1, 161))


def snapshot(seq: int, name: str = "default") -> ModelSnapshot:
    return ModelSnapshot(0, seq, name, '{"epsilon": 0.05}', "cat", "f1", bytes([seq % 256]) * 9,
                         created_at=float(seq))


def test_snapshots_publish_in_order_keep_the_latest_few(log):
    assert (log.latest_snapshot_version(), log.latest_snapshot()) == (0, None)
    versions = [log.publish_snapshot(snapshot(seq), keep=2) for seq in (5, 9, 12)]
    assert versions == sorted(versions) and len(set(versions)) == 3
    latest = log.latest_snapshot()
    assert latest is not None
    assert (latest.version, latest.learned_seq, latest.model, latest.learner_name) == (
        versions[-1], 12, bytes([12]) * 9, "default")
    assert latest.published_at > 0 and log.latest_snapshot_version() == versions[-1]
    assert log._read("SELECT COUNT(*) FROM model_snapshots")[0][0] == 2
    with pytest.raises(StoreError, match=r"keep: expected an integer >= 1, got 0"):
        log.publish_snapshot(snapshot(13), keep=0)


def test_one_learner_lock_per_log(backend):
    first, second = backend.open(), backend.open()
    try:
        assert first.try_lock_learner() and first.try_lock_learner()
        assert not second.try_lock_learner()
        first.close()  # the server lets go once it sees the session end: moments later
        deadline = time.monotonic() + 10
        while not second.try_lock_learner():
            assert time.monotonic() < deadline, "the lock outlived its holder's session"
            time.sleep(0.05)
    finally:
        first.close()
        second.close()


def test_action_mix_and_first_decision_for_the_dashboard(log):
    log.write_decision(rec("a", customer="x", at=10.0))
    log.write_decision(rec("b", customer="y", at=20.0))
    log.write_decision(rec("c", customer="z", at=30.0, channel=None))
    log.write_decision(rec("h", customer="w", at=5.0, holdout=True))       # control
    log.write_decision(rec("p", customer="v", at=1.0, active=False))       # never sent
    assert log.action_mix() == [("m", "email", "now", 2), (None, None, None, 1)]
    assert log.action_mix(since=25.0) == [(None, None, None, 1)]
    assert (log.first_decision_at(), log.first_decision_at(since=11.0)) == (5.0, 20.0)
    assert log.first_decision_at(since=99.0) is None


def test_learner_switches_and_first_contexts_for_the_candidates(backend):
    """A switch is logged once per seq (a replayed switch is ignored), listed newest first with
    its evidence, counted, and kept on reopen; the first contexts come in logged order."""
    with backend.open() as log:
        for i, did in enumerate(("z", "a", "m")):  # ids out of order: logged order must win
            log.write_decision(replace(rec(did, customer=f"c{i}", at=float(i)),
                                       context_json=f'{{"i": {i}}}'))
        assert log.first_contexts(2) == [{"i": 0}, {"i": 1}]
        assert log.switches() == [] and log.counts()["learner_switches"] == 0
        log.write_switch(100, 1.5, "squarecb", "epsilon", {"rule": "dr", "n": 3})
        log.write_switch(100, 9.0, "squarecb", "bag", {})  # the replay of the same switch
        log.write_switch(300, 2.5, "epsilon", "squarecb", {"rule": "dr"})
    with backend.open() as log:
        assert log.switches() == [
            {"seq": 300, "at": 2.5, "from": "epsilon", "to": "squarecb",
             "evidence": {"rule": "dr"}},
            {"seq": 100, "at": 1.5, "from": "squarecb", "to": "epsilon",
             "evidence": {"rule": "dr", "n": 3}}]
        assert log.switches(limit=1)[0]["seq"] == 300
        assert log.counts()["learner_switches"] == 2


def test_reopen_keeps_everything(backend):
    written = [rec("d1"), rec("d2", customer="c2", active=False),
               rec("d3", customer="c3", holdout=True, channel=None, action=3)]
    with backend.open() as log:
        for r in written:
            log.write_decision(r)
        seq = log.write_reward("d1", 1.0, at=1.0)
        log.write_reward("d3", 0.0, at=2.0, kind="default")
        log.activate("d2", 5.0)
        log.set_profile("c1", {"segment": "vip"})
        before = table_rows(log)
    with backend.open() as log:
        assert table_rows(log) == before  # every row of every table, byte for byte
        got = [log.get_decision(r.decision_id) for r in written]
        assert got == [replace(r, active=True, activated_at=at)
                       for r, at in zip(written, (0.0, 5.0, 0.0), strict=True)]
        assert log.rewards_of("d1") == [(seq, 1.0, 1.0, "reward")]
        assert log.profile("c1") == {"segment": "vip"}
        assert log.counts()["rewards"] == 2


def test_sqlite_file_path_opens_the_same_log(tmp_path):
    with DecisionLog(tmp_path) as log:
        log.write_decision(rec("d1"))
    with DecisionLog(tmp_path / FILE_NAME) as log:
        assert log.get_decision("d1").decision_id == "d1"


def test_other_schema_version_is_refused(backend):
    backend.open().close()
    backend.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match=r"schema_version: expected 2, got 99"):
        backend.open()


V1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE decisions (decision_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL,
    created_at REAL NOT NULL, action_index INTEGER NOT NULL, probability REAL NOT NULL,
    holdout INTEGER NOT NULL, context_json TEXT NOT NULL, features_json TEXT NOT NULL,
    eligible_json TEXT NOT NULL, send_at REAL, active INTEGER NOT NULL, activated_at REAL,
    catalog_version TEXT NOT NULL, message TEXT, channel TEXT, timing TEXT,
    rewarded INTEGER NOT NULL DEFAULT 0);
INSERT INTO decisions VALUES ('old', 'c1', 5.0, 0, 0.5, 0, '{}', '{}', '[0]', NULL, 1, 5.0, 'v1',
    'm', 'email', 'now', 0);
"""


def test_sqlite_version_1_file_is_migrated_in_place(tmp_path):
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.executescript(V1_SCHEMA)
    db.close()
    with DecisionLog(tmp_path) as log:
        assert log.get_decision("old").model_version is None
        log.write_decision(replace(rec("new"), model_version=3))
        assert log.get_decision("new").model_version == 3
        assert log._read("SELECT version FROM schema_version") == [(2,)]
        assert log.latest_snapshot_version() == 0


def test_close_twice_and_use_after_close(backend):
    log = backend.open()
    log.close()
    log.close()
    with pytest.raises(StoreError, match="closed"):
        log.get_decision("d1")
    with pytest.raises(StoreError, match="closed"):
        log.write_decision(rec("d1"))


def test_bad_synchronous_setting(tmp_path):
    with pytest.raises(StoreError, match=r"synchronous: expected 'NORMAL' or 'FULL', got 'OFF'"):
        DecisionLog(tmp_path, synchronous="OFF")


CHILD = """
import sys
from engine.store import DecisionRecord
from engine.store_url import open_store
log = open_store(sys.argv[1])
i = 0
while True:
    did = f"k{i}"
    log.write_decision(DecisionRecord(did, f"c{i % 7}", float(i), 0, 0.5, False, "{}", "{}",
                                      (0,), None, True, "v1", "m", "email", "now"))
    print("decision", did, flush=True)
    seq = log.write_reward(did, 1.0, at=float(i))
    print("reward", did, seq, flush=True)
    i += 1
"""


def test_sigkill_loses_no_acknowledged_write(backend):
    child = subprocess.Popen([sys.executable, "-c", CHILD, backend.url],
                             stdout=subprocess.PIPE, text=True)
    acked: list[list[str]] = []
    stop = random.Random(7).randint(150, 400)
    assert child.stdout is not None
    for line in child.stdout:
        acked.append(line.split())
        if len(acked) >= stop:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    with backend.open() as log:
        for kind, did, *seq in acked:
            assert log.get_decision(did).decision_id == did
            if kind == "reward":
                assert log.rewards_of(did)[0][0] == int(seq[0])
        seqs = [s for s, *_ in log.rewards_since(0)]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
        assert log.counts()["rewards"] >= sum(kind == "reward" for kind, *_ in acked)


# -- transactions ------------------------------------------------------------------------------
def test_a_transaction_commits_every_write_together(log, backend):
    with backend.open() as other:  # another connection (opened first: opening writes)
        with log.transaction():
            log.write_decision(rec("t1"))
            log.write_reward("t1", 1.0, at=5.0)
            assert other.counts()["decisions"] == 0  # sees nothing yet
            assert log.counts()["decisions"] == 1  # the writer reads its own writes
        assert other.counts()["decisions"] == 1 and other.counts()["rewards"] == 1


def test_a_failing_transaction_keeps_nothing_and_lets_the_error_through(log):
    log.write_decision(rec("before"))
    before = table_rows(log)
    with pytest.raises(DuplicateRewardError), log.transaction():
        log.write_decision(rec("t1"))
        log.write_reward("before", 1.0, at=5.0)
        log.write_reward("before", 2.0, at=6.0, refuse_duplicate=True)
    assert table_rows(log) == before
    assert log.write_reward("before", 3.0, at=7.0) == 1  # the rolled-back rewards never were


def test_a_nested_block_is_a_savepoint(log):
    with log.transaction():
        log.write_decision(rec("outer"))
        with pytest.raises(StoreError, match="already logged"), log.transaction():
            log.write_decision(rec("inner"))
            log.write_decision(rec("outer"))  # a duplicate id fails the inner block only
        log.write_decision(rec("after"))
    ids = [r[0] for r in log._read("SELECT decision_id FROM decisions ORDER BY decision_id")]
    assert ids == ["after", "outer"]


def test_a_dropped_connection_is_a_store_error_then_the_log_reconnects(postgres_url):
    import psycopg

    with open_store(postgres_url) as store:
        store.write_decision(rec("d1"))
        pid = store._read("SELECT pg_backend_pid()")[0][0]
        with psycopg.connect(postgres_url, autocommit=True) as admin:  # the server ends it
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreError, match=r"store: postgresql://.*terminat"):
            store.write_decision(rec("d2"))
        store.write_decision(rec("d2"))  # the next call opens a new connection
        assert store.counts()["decisions"] == 2


def test_database_failures_are_store_errors(tmp_path):
    store = DecisionLog(tmp_path)
    store.write_decision(rec("d1"))
    blocker = sqlite3.connect(tmp_path / FILE_NAME, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the file: a real SQLite error
    store._db.execute("PRAGMA busy_timeout = 50")
    try:
        with pytest.raises(StoreError, match=r"decision log: .*locked"):
            store.write_decision(rec("d2"))
    finally:
        blocker.rollback()
        blocker.close()
    store.write_decision(rec("d2"))  # and it goes on once the file is free
    assert store.counts()["decisions"] == 2
    store.close()


# -- following the log (the drift monitor) --------------------------------------------------------
def test_decisions_and_rewards_are_read_on_from_a_position_in_log_order(log):
    for i in range(5):
        r = rec(f"d{i}", customer=f"c{i}", at=float(i), holdout=i == 3,
                channel=None if i == 4 else "sms", action=4 if i == 4 else 0)
        log.write_decision(replace(r, context_json=json.dumps({"i": i})))
    seqs = [log.write_reward(f"d{i}", float(i), at=10.0 + i) for i in (2, 0, 3, 4)]
    first = log.decisions_after(0, limit=2)
    assert [json.loads(r[4])["i"] for r in first] == [0, 1]
    rest = log.decisions_after(first[-1][0], limit=100)
    assert [json.loads(r[4])["i"] for r in rest] == [2, 3, 4]
    assert [(r[1], r[2], r[3]) for r in rest] == [(2.0, False, "sms"), (3.0, True, "sms"),
                                                  (4.0, False, None)]
    assert log.decisions_after(rest[-1][0]) == []
    got = log.rewards_after(seqs[0], limit=2)
    assert [(q, a, v, k, h, c, m) for q, a, v, k, h, c, m in got] == [
        (seqs[1], 10.0, 0.0, "reward", False, "sms", "m"),
        (seqs[2], 13.0, 3.0, "reward", True, "sms", "m")]
    assert [r[0] for r in log.rewards_after(0)] == seqs
    assert log.rewards_after(seqs[3])[-1:] == [] and log.rewards_after(seqs[2])[0][5:] == (
        None, None)


def test_drift_events_are_written_once_by_key_and_read_newest_first(backend):
    from engine.drift.events import DriftEvent

    events = [DriftEvent("context", "age", "alert", 10.0, 0.3, 0.25, 5.0, 500, "age moved",
                         {"top": [["< 3", 0.1, 0.3]]}),
              DriftEvent("reward", "treatment", "alert", 20.0, 1.2, 1.0, 15.0, 40, "dropped")]
    with backend.open() as log:
        assert log.write_drift_events([e.to_row() for e in events]) == 2
        assert log.write_drift_events([events[0].to_row()]) == 0  # a replay finds it again
    with backend.open() as log:  # and it stays logged
        rows = log.drift_events()
        assert [DriftEvent.from_row(r) for r in rows] == events[::-1]
        assert [r["id"] for r in log.drift_events(limit=1)] == [rows[0]["id"]]
        assert log.drift_events(since_id=rows[0]["id"]) == []
