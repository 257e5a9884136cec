"""The log's batch operations for campaigns, on real SQLite and real PostgreSQL: many decisions in
one transaction (all or none, their sends counted against the channels' capacity), batch
activation, histories and profiles of many customers (equal to one at a time), and a read-only
log another process can read while the campaign writes."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import CapacityReachedError, StoreError, UnknownDecisionError
from engine.store import DecisionLog, DecisionRecord
from engine.store_url import open_store

DAY = 86400.0
CHANNELS = ("email", "sms", "push")


def rec(did: str, customer: str = "c1", at: float = 0.0, channel: str | None = "email",
        active: bool = False) -> DecisionRecord:
    return DecisionRecord(did, customer, at, 0, 0.25, False, "{}", "{}", (0, 1), None, active,
                          "v1", message="m" if channel else None, channel=channel,
                          timing="now" if channel else None)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture()
def log(url):
    with open_store(url) as store:
        yield store


def _count(log) -> int:
    return log.counts()["decisions"]


def test_write_decisions_writes_all_or_none(log):
    log.write_decisions([rec(f"d{i}", f"c{i}") for i in range(5)])
    assert _count(log) == 5 and log.counts()["active_decisions"] == 0
    with pytest.raises(StoreError, match="decision_id: expected new ids"):
        log.write_decisions([rec("e1", "x"), rec("d3", "y"), rec("e2", "z")])
    assert _count(log) == 5  # e1 was not kept


def test_one_decision_per_customer_at_a_campaigns_time(log):
    log.write_decisions([rec("d1", "c1", at=100.0)], one_per_customer=True)
    with pytest.raises(StoreError, match=r"'c2' twice"):
        log.write_decisions([rec("d2", "c2", at=100.0), rec("d3", "c2", at=100.0)],
                            one_per_customer=True)
    with pytest.raises(StoreError, match=r"'c1' already decided at that time"):
        log.write_decisions([rec("d4", "c9", at=100.0), rec("d5", "c1", at=100.0)],
                            one_per_customer=True)
    assert _count(log) == 1
    log.write_decisions([rec("d6", "c1", at=200.0)], one_per_customer=True)  # another time
    assert _count(log) == 2


def test_activate_many_is_all_or_none_and_counts_what_it_activated(log):
    log.write_decisions([rec(f"d{i}", f"c{i}") for i in range(4)])
    with pytest.raises(UnknownDecisionError, match=r"1 not in the log, e\.g\. 'nope'"):
        log.activate_many([("d0", 10.0), ("nope", 10.0)])
    assert log.counts()["active_decisions"] == 0
    assert log.missing_decisions(["d3", "x", "d0", "x"]) == ["x"]
    assert log.activate_many([("d0", 10.0), ("d1", 11.0)]) == 2
    assert log.activate_many([("d1", 99.0), ("d2", 12.0)]) == 1  # d1 stays as it was
    assert log.get_decision("d1").activated_at == 11.0
    assert log.get_decision("d2").active and log.get_decision("d2").activated_at == 12.0
    assert not log.get_decision("d3").active


def test_histories_equal_one_history_at_a_time(log):
    rng = np.random.default_rng(0)
    records = []
    for i in range(300):  # distinct times: the latest rewarded decision is never a tie
        channel = [None, *CHANNELS][int(rng.integers(4))]
        records.append(rec(f"d{i}", f"c{rng.integers(12)}", at=float(i) * 3000.0 + 0.5,
                           channel=channel, active=bool(rng.random() < 0.8)))
    log.write_decisions(records)
    for r in records[::3]:
        if r.active:
            log.write_reward(r.decision_id, float(rng.normal()), at=r.created_at + 10)
    now = 150 * 3000.0
    ids = [f"c{i}" for i in range(14)] + ["c3"]  # two never seen, one asked twice
    got = log.histories(ids, now, CHANNELS)
    assert got == [log.history(c, now, CHANNELS) for c in ids]
    assert got[-1] == got[3] and got[12].contacts_30d == 0


def test_profiles_of_many_customers(log):
    log.set_profile("a", {"segment": "vip"})
    log.set_profile("b", {"consent": {"sms": True}})
    assert log.profiles(["b", "z", "a", "b"]) == [{"consent": {"sms": True}}, None,
                                                  {"segment": "vip"}, {"consent": {"sms": True}}]


def test_a_read_only_log_reads_while_another_connection_writes(url, log):
    log.write_decisions([rec("d1", "c1", at=10.0)])
    with open_store(url, read_only=True) as reader:
        assert reader.histories(["c1"], 20.0, CHANNELS)[0].contacts_1d == 1
        log.write_decisions([rec("d2", "c1", at=15.0, channel="sms")])
        assert reader.histories(["c1"], 20.0, CHANNELS)[0].contacts_1d == 2
        with pytest.raises(StoreError):  # it cannot write, and nothing is written
            reader.write_decisions([rec("d3", "c2", at=15.0)])
    assert _count(log) == 2


def test_a_read_only_sqlite_log_needs_an_existing_file(tmp_path):
    with pytest.raises(StoreError, match=r"cannot open the decision log .* to read"):
        DecisionLog(tmp_path / "elsewhere", read_only=True)


def test_a_batch_counts_its_sends_against_the_channels_capacity(url, log):
    """A campaign's batch and single sends share one counter: whichever comes first takes the
    room, across connections; a batch that does not fit writes nothing."""
    log.write_decision(rec("s1", "x1", at=5.0, active=True), capacity=4)
    with open_store(url) as other:
        other.write_decisions([rec(f"b{i}", f"c{i}", at=10.0) for i in range(2)],
                              capacities={"email": 4})
        with pytest.raises(CapacityReachedError):  # 3 + 2 > 4: none of the two is written
            other.write_decisions([rec("b8", "c8", at=10.0), rec("b9", "c9", at=10.0),
                                   rec("p1", "c7", at=10.0, channel="push")],
                                  capacities={"email": 4})
        assert _count(other) == 3
    log.write_decision(rec("s2", "x2", at=20.0, active=True), capacity=4)  # the last one
    with pytest.raises(CapacityReachedError):
        log.write_decision(rec("s3", "x3", at=30.0, active=True), capacity=4)
    # another day has its own room; an uncapped channel is not counted
    log.write_decisions([rec(f"n{i}", f"c{i}", at=DAY + 1.0) for i in range(4)]
                        + [rec("p2", "c9", at=10.0, channel="push")], capacities={"email": 4})
    assert log.capacity_used(0.0) == {"email": 8, "push": 1}
