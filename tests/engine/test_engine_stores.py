"""The Engine end to end on each store backend (real SQLite, real PostgreSQL), and two engines
sharing one log: the caps and capacities hold across them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow.parquet as pq
import pytest

from engine import Engine
from engine.catalog import Channel
from engine.clock import ManualClock
from engine.contact_rules import RulesConfig
from engine.errors import ConfigError, DuplicateRewardError, ExpiredDecisionError
from engine.store_url import open_store
from tests.engine.engine_world import CONSENT, T0, context, make_engine, reward_of


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared'}"
    return request.getfixturevalue("postgres_url")


def test_everything_the_engine_does_works_on_either_store(store_url, tmp_path):
    state, clock = tmp_path / "state", ManualClock(T0)
    with make_engine(state, store=store_url, reward_window="1h", checkpoint_every=5,
                     clock=clock) as eng:
        assert eng.log.url.startswith(store_url.split(":", 1)[0])
        acks = []
        for i in range(12):
            d = eng.choose(f"c{i}", context(i), now=T0 + i)
            if i % 3:
                acks.append(eng.reward(d.decision_id, reward_of(context(i), d.message,
                                                                d.channel), now=T0 + i + 1))
        assert [a.seq for a in acks] == list(range(1, 9))
        with pytest.raises(DuplicateRewardError):
            eng.reward(acks[0].decision_id, 1.0, now=T0 + 20)
        clock.set(T0 + 3600 + 20)
        assert eng.expire_rewards() == 4  # the unrewarded ones, once
        eng.set_profile("c0", {"segment": "a"})
        assert eng.log.profile("c0") == {"segment": "a"}
        assert eng.forget("c1") == 2  # its decision and its reward
        n = eng.export_parquet(tmp_path / "log.parquet")
        stats = eng.stats()
    assert n == 11 and pq.read_table(tmp_path / "log.parquet").num_rows == 11
    assert (stats["rewards"], stats["default_rewards"], stats["learned_seq"]) == (11, 4, 12)
    # A restart loads the checkpoint and replays the log after it: the same learned_seq.
    with make_engine(state, store=store_url, clock=clock) as again:
        assert again.stats()["learned_seq"] == 12
        assert again.reward(again.choose("c99", context(99)).decision_id, 1.0).seq == 13


def test_an_unknown_store_scheme_is_a_config_error_naming_the_field(tmp_path):
    with pytest.raises(ConfigError, match=r"store: expected sqlite:///.*got 'mysql://x'"):
        make_engine(tmp_path, store="mysql://x")
    with pytest.raises(ConfigError, match=r"store: expected a store URL or an open store"):
        make_engine(tmp_path, store=42)


@contextmanager
def engines_on_one_log(store_url: str, tmp_path, clocks: tuple = (), **options
                       ) -> Iterator[list[Engine]]:
    """Two engines (seeds 0 and 1, state of their own) on the log at ``store_url``, closed
    after; ``clocks`` gives each its own clock (default: ``options``' one, if any)."""
    own = [{"clock": c} for c in clocks] or [{}, {}]
    engines = [make_engine(tmp_path / f"s{k}", store=store_url, seed=k, **options, **own[k])
               for k in range(2)]
    try:
        yield engines
    finally:
        for eng in engines:
            eng.close()


def _run_threads(engines: list[Engine], work) -> None:
    barrier = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def run(eng: Engine) -> None:
        barrier.wait()
        try:
            work(eng)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_two_engines_on_one_log_never_both_pass_a_daily_cap(store_url, tmp_path):
    rules = RulesConfig(max_per_day=1, max_per_week=None, quiet_hours=None)
    engines = [make_engine(tmp_path / f"s{k}", store=store_url, rules=rules, seed=k)
               for k in range(2)]
    try:
        # One time for all: a decision later on one engine's clock would not count on the other's
        _run_threads(engines, lambda eng: [eng.choose(f"c{i % 10}", {"consent": CONSENT},
                                                      now=T0) for i in range(60)])
        with open_store(store_url) as log:
            for i in range(10):
                assert log.history(f"c{i}", now=T0 + 100).contacts_1d == 1
    finally:
        for eng in engines:
            eng.close()


def test_two_engines_on_one_log_never_exceed_a_channel_capacity(store_url, tmp_path):
    rules = RulesConfig(max_per_day=None, max_per_week=None, quiet_hours=None)
    channels = [Channel("email", daily_capacity=5), Channel("sms", daily_capacity=3)]
    engines = [Engine(messages=["welcome", "winback"], channels=channels, timings=["now"],
                      state_dir=tmp_path / f"s{k}", store=store_url, rules=rules, seed=k,
                      clock=ManualClock(T0)) for k in range(2)]
    try:
        _run_threads(engines, lambda eng: [eng.choose(f"c{i}", {"consent": CONSENT},
                                                      now=T0) for i in range(40)])
        with open_store(store_url) as log:
            used = log.capacity_used(T0 - T0 % 86400)
        assert used == {"email": 5, "sms": 3}  # 80 customers asked; both channels filled
    finally:
        for eng in engines:
            eng.close()


def test_two_engines_on_one_log_take_one_client_reward_over_a_provisional_default(
        store_url, tmp_path):
    # provisional_after with reward_mode "refuse": both engines report each decision's
    # outcome after its default; one client reward per decision passes, the other is refused
    clock = ManualClock(T0)
    with engines_on_one_log(store_url, tmp_path, clock=clock, reward_window="1d",
                            provisional_after="1h", default_reward=-0.25,
                            reward_range=(-1.0, 1.0)) as engines:
        ids = [engines[0].choose(f"c{i}", context(i), now=T0).decision_id for i in range(30)]
        clock.set(T0 + 7200)
        assert engines[0].expire_rewards() == 30
        passed: list[str] = []

        def report(eng: Engine) -> None:
            for did in ids:
                try:
                    passed.append(eng.reward(did, 1.0, now=T0 + 7200).kind)
                except DuplicateRewardError:
                    continue

        _run_threads(engines, report)
        assert passed == ["correction"] * 30
        with open_store(store_url) as log:
            for did in ids:  # the default, then the difference: the rows sum to the outcome
                assert [(v, k) for _, v, _, k in log.rewards_of(did)] == [
                    (-0.25, "default"), (1.25, "correction")]


def test_two_engines_on_one_log_settle_the_same_due_decisions_once_without_an_error(
        store_url, tmp_path):
    # both read the same due decisions and write their defaults at once: each decision gets
    # one default, and the engine that comes second passes over it instead of failing
    clock = ManualClock(T0)
    with engines_on_one_log(store_url, tmp_path, clock=clock, reward_window="1h") as engines:
        ids = [engines[0].choose(f"c{i}", context(i), now=T0).decision_id for i in range(300)]
        clock.set(T0 + 7200)
        settled: list[int] = []
        _run_threads(engines, lambda eng: settled.append(eng.expire_rewards()))
        assert sum(settled) == 300
        assert [e.stats()["settle_failures"] for e in engines] == [0, 0]
        with open_store(store_url) as log:
            assert all([k for _, _, _, k in log.rewards_of(d)] == ["default"] for d in ids)


def test_a_reward_in_one_engines_open_window_replaces_a_default_written_by_a_faster_clock(
        store_url, tmp_path):
    # engine 1's clock runs ahead: it closes the window and writes the default while engine
    # 0's clock still has the window open. The client's outcome, reported to engine 0, takes
    # the default's place (before stop 34 it was refused as a duplicate and lost); the window
    # is judged by the clock of the engine that receives the reward.
    slow, fast = ManualClock(T0), ManualClock(T0 + 3600 + 600)
    with engines_on_one_log(store_url, tmp_path, clocks=(slow, fast),
                            reward_window="1h") as engines:
        did = engines[0].choose("c0", context(0)).decision_id
        assert engines[1].expire_rewards() == 1
        slow.set(T0 + 1800)
        ack = engines[0].reward(did, 1.0)
        assert (ack.kind, ack.total, ack.learned) == ("correction", 1.0, True)
        with open_store(store_url) as log:
            assert [(v, k) for _, v, _, k in log.rewards_of(did)] == [
                (0.0, "default"), (1.0, "correction")]
        with pytest.raises(DuplicateRewardError):
            engines[0].reward(did, 0.5)
        with pytest.raises(ExpiredDecisionError):
            engines[1].reward(did, 0.5)
        with open_store(store_url) as log:
            assert len(log.rewards_of(did)) == 2  # the refused rewards wrote nothing


def test_the_service_and_its_dashboard_run_on_a_replica_of_either_store(store_url):
    from fastapi.testclient import TestClient

    from engine.http import create_app
    from engine.replica import ReplicaEngine
    from tests.engine.engine_world import OPEN_RULES

    token = "a-token-of-16-chars+"
    auth = {"Authorization": f"Bearer {token}"}
    with ReplicaEngine(messages=["welcome", "winback"], channels=["email", "sms"],
                       store=store_url, rules=OPEN_RULES, refresh_s=None) as replica, \
            TestClient(create_app(replica, token=token)) as http:
        for i in range(12):
            d = http.post("/v1/choose", json={"customer_id": f"c{i}", "context": context(i)},
                          headers=auth).json()
            ack = http.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 1.0},
                            headers=auth).json()
            assert (ack["seq"], ack["learned"]) == (i + 1, False)  # the learner learns it
        summary = http.get("/v1/dashboard/summary", headers=auth).json()
        assert summary["decisions"]["treatment"] == 12 and summary["rewarded_decisions"] == 12
        assert sum(summary["action_mix"]["channel"].values()) == 12
        metrics = http.get("/metrics", headers=auth).text
        assert "offerbandit_model_version 0.0" in metrics
        assert "offerbandit_logged_reward_seq 12.0" in metrics
