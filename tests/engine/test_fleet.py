"""Choose replicas and one learner sharing a log (real VW, real SQLite and PostgreSQL): every
reward learned exactly once in sequence order, snapshots published and swapped in, a restarted
learner resuming from its snapshot plus the log, one learner per log."""

from __future__ import annotations

import numpy as np
import pytest

from engine.catalog import Catalog
from engine.clock import ManualClock
from engine.errors import CheckpointError, ConfigError, StoreError
from engine.learner_loop import LearnerLoop
from engine.replica import ReplicaEngine
from engine.store_url import open_store
from tests.engine.engine_world import (
    OPEN_RULES,
    T0,
    context,
    model_of_log,
    readout,
    reward_of,
)

CATALOG = Catalog.from_names(["welcome", "winback"], ["email", "sms"], ["now"])


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared'}"
    return request.getfixturevalue("postgres_url")


def replica(url: str, **options) -> ReplicaEngine:
    options.setdefault("clock", ManualClock(T0))
    return ReplicaEngine(catalog=CATALOG, store=url, rules=OPEN_RULES, refresh_s=None, **options)


def learner(url: str, **options) -> LearnerLoop:
    return LearnerLoop(CATALOG, url, **{"lock_wait_s": 10.0, "clock": ManualClock(T0),
                                        **options})


def traffic(replicas: list[ReplicaEngine], start: int, n: int, euros: float = 1.0) -> list[int]:
    """n choose+reward pairs spread over the replicas (a conversion worth ``euros``, plus a
    cent per decision so that the scale moves); the reward sequence numbers."""
    seqs = []
    for i in range(start, start + n):
        eng, ctx = replicas[i % len(replicas)], context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        value = reward_of(ctx, d.message, d.channel) * euros
        if euros != 1.0:
            value += 0.01 * i
        seqs.append(eng.reward(d.decision_id, value, now=T0 + i).seq)
    return seqs


def probe(eng: ReplicaEngine) -> np.ndarray:
    return readout(eng._selection.learner)


def catch_up(loop: LearnerLoop) -> None:
    while loop.step():
        pass


def test_replicas_serve_the_learners_snapshot_of_every_reward_learned_once(store_url):
    replicas = [replica(store_url, seed=k) for k in range(2)]
    try:
        untrained = probe(replicas[0])
        with learner(store_url, publish_every=50, batch=25) as loop:
            assert traffic(replicas, 0, 120) == list(range(1, 121))
            catch_up(loop)
            assert loop.published_version == 2  # after 50 and 100 rewards
            assert loop.publish() == 3
            status = loop.status()
            assert status.learned_seq == status.last_seq == status.published_seq == 120
        for eng in replicas:
            assert eng.stats()["model_version"] == 0
            assert eng.refresh() and not eng.refresh()
            assert eng.stats()["model_version"] == 3 and eng.stats()["learned_seq"] == 120
        with open_store(store_url) as log:
            expected = model_of_log(log)
        for eng in replicas:  # every reward in the model once: exactly the log's own model
            np.testing.assert_array_equal(probe(eng), expected)
        assert not np.array_equal(expected, untrained)
        d = replicas[1].choose("late", context(0), now=T0 + 500)
        assert replicas[1].log.get_decision(d.decision_id).model_version == 3
    finally:
        for eng in replicas:
            eng.close()


def test_a_restarted_learner_resumes_from_its_snapshot_plus_the_log(store_url):
    rep = replica(store_url)
    try:
        first = learner(store_url, publish_every=30, batch=10)
        traffic([rep], 0, 40)
        catch_up(first)  # published at 30; 10 learned and never published
        assert first.status().published_seq == 30
        first.engine.log.close()  # the learner dies: nothing more is published, its lock goes
        first.engine._selection.close()
        traffic([rep], 40, 25)
        with learner(store_url, publish_every=10**6) as second:
            status = second.status()
            assert (status.replayed_on_start, status.learned_seq) == (35, 65)
            assert status.published_version == 1  # it started from snapshot 1 (seq 30)
            second.publish()
        assert rep.refresh()
        with open_store(store_url) as log:
            np.testing.assert_array_equal(probe(rep), model_of_log(log))
    finally:
        rep.close()


def test_a_restarted_learner_keeps_the_reward_scale_it_had(store_url):
    """Rewards in euros of many sizes: the restarted learner divides by the scale of the whole
    log, not of what it replays (without reading the log up to its snapshot it starts over
    from 1, and its model drifts from the log's own)."""
    rep = replica(store_url)
    try:
        first = learner(store_url, publish_every=30, batch=10)
        traffic([rep], 0, 40, euros=80.0)
        catch_up(first)
        first.engine.log.close()
        first.engine._selection.close()
        traffic([rep], 40, 25, euros=80.0)
        with learner(store_url, publish_every=10**6) as second:
            assert second.status().replayed_on_start == 35
            second.publish()
        assert rep.refresh()
        with open_store(store_url) as log:
            np.testing.assert_array_equal(probe(rep), model_of_log(log))
    finally:
        rep.close()


def test_the_learner_writes_expired_defaults_which_it_then_learns_in_order(store_url):
    clock = ManualClock(T0)
    with replica(store_url, reward_window="1h", default_reward=-0.5, clock=clock) as rep, \
            learner(store_url, reward_window="1h", default_reward=-0.5, clock=clock) as loop:
        d = rep.choose("c0", context(0), now=T0)
        clock.set(T0 + 7200)
        assert rep.expire_rewards() == 0  # replicas never settle
        clock.set(T0 + 3599)
        assert loop.settle() == 0
        clock.set(T0 + 3600)
        assert loop.settle() == 1 and loop.settle() == 0
        assert rep.log.rewards_of(d.decision_id)[0][1:] == (-0.5, T0 + 3600, "default")
        assert loop.step() == 1 and loop.status().learned_seq == 1


def test_a_replicas_reward_after_the_learners_provisional_default_takes_its_place(store_url):
    # provisional_after in the default reward mode ("refuse"): the learner writes each default
    # an hour after the decision, a replica's later reward replaces it (a correction by the
    # difference), a second is refused; the learner learns each decision once, at its outcome
    from engine.errors import DuplicateRewardError

    clock = ManualClock(T0)
    opts = {"reward_window": "1d", "provisional_after": "1h", "default_reward": -0.5,
            "reward_range": (-1.0, 2.0), "clock": clock}
    with replica(store_url, **opts) as rep, learner(store_url, **opts) as loop:
        ids = [rep.choose(f"c{i}", context(i), now=T0 + i).decision_id for i in range(40)]
        clock.set(T0 + 3600 + 40)
        assert loop.settle() == 40
        acks = [rep.reward(d, 1.0 if i % 4 else 0.0, now=T0 + 3700)
                for i, d in enumerate(ids[::2])]
        assert {(a.kind, a.total) for a in acks} == {("correction", 1.0), ("correction", 0.0)}
        with pytest.raises(DuplicateRewardError):
            rep.reward(ids[0], 1.0, now=T0 + 3800)
        assert [r[1:] for r in rep.log.rewards_of(ids[2])] == [
            (-0.5, T0 + 3600 + 40, "default"), (1.5, T0 + 3700, "correction")]
        catch_up(loop)
        assert loop.status().learned_seq == 60
        np.testing.assert_allclose(probe(loop.engine), model_of_log(
            rep.log, CATALOG, options=loop.engine.options, once=True), atol=1e-8)


def test_one_learner_per_log(store_url):
    with learner(store_url), pytest.raises(StoreError, match=r"another learner holds the lock"):
        learner(store_url, lock_wait_s=0.3)


def test_a_snapshot_of_another_catalog_or_learner_config_is_refused(store_url):
    with learner(store_url, candidates=["squarecb", "epsilon"]) as loop:  # VW, its config set
        loop.publish()
    other = Catalog.from_names(["welcome", "other"], ["email", "sms"], ["now"])
    with pytest.raises(CheckpointError, match=r"snapshot 1 catalog_version: expected"):
        ReplicaEngine(catalog=other, store=store_url, refresh_s=None)
    with pytest.raises(CheckpointError, match=r"snapshot 1 learner_config: expected"):
        learner(store_url, candidates=["squarecb", "epsilon"], learner={"learning_rate": 0.25})
    with pytest.raises(CheckpointError, match=r"snapshot 1 learner_name: expected one of"):
        learner(store_url, exploration="epsilon")  # epsilon alone: squarecb is not a candidate


def test_a_replica_needs_a_store_and_a_positive_refresh(tmp_path):
    with pytest.raises(ConfigError, match=r"store: expected the shared log's URL"):
        ReplicaEngine(catalog=CATALOG)
    with pytest.raises(ConfigError, match=r"refresh_s: expected a positive number"):
        ReplicaEngine(catalog=CATALOG, store=f"sqlite:///{tmp_path}", refresh_s=0)


def test_a_replica_says_it_runs_no_trial(store_url, caplog):
    # a replica serves the published learner alone: a configured trial has no effect there,
    # which it says when it starts and in stats(), and each decision's propensity is the
    # published learner's own
    import json
    import logging

    with caplog.at_level(logging.WARNING, logger="offerbandit.replica"):
        rep = replica(store_url, selection={"trial_share": 0.3})
    try:
        assert any("trial_share" in r.getMessage() for r in caplog.records)
        assert rep.stats()["trial_share"] == 0.0
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="offerbandit.replica"):
            quiet = replica(store_url)  # the default's own trial: nothing to warn of
        quiet.close()
        assert quiet.options.selection_settings.trial_share > 0
        assert not any("trial_share" in r.getMessage() for r in caplog.records)
        d = rep.choose("c0", context(0), now=T0)
        rec = rep.log.get_decision(d.decision_id)
        eligible = np.asarray(rec.eligible)
        probs = rep._selection.learner.probabilities(json.loads(rec.features_json), eligible)
        assert d.probability == pytest.approx(
            probs[int(np.flatnonzero(eligible == rec.action_index)[0])], rel=1e-12)
    finally:
        rep.close()
