"""The closed-form ridge candidate in the fleet (real SQLite and PostgreSQL): an engine serving
ridge publishes it as a snapshot and a choose replica serves the very distribution the engine's
own ridge candidate gives, logging the probability its draw used; the fleet's learner loop runs
ridge, publishes it, and resumes from its ridge snapshot plus the log, every reward learned
exactly once."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.catalog import Catalog
from engine.clock import ManualClock
from engine.errors import CheckpointError
from engine.learner_loop import LearnerLoop
from engine.options import EngineOptions
from engine.replica import ReplicaEngine
from engine.store_url import open_store
from policies.ridge_learner import RidgeLearner
from tests.engine.engine_world import (
    CONSENT,
    OPEN_RULES,
    T0,
    context,
    make_engine,
    model_of_log,
    readout,
    reward_of,
)

CATALOG = Catalog.from_names(["welcome", "winback"], ["email", "sms"], ["now"])
RIDGE = ["ridge"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared'}"
    return request.getfixturevalue("postgres_url")


def replica(url: str, **options) -> ReplicaEngine:
    return ReplicaEngine(catalog=CATALOG, store=url, rules=OPEN_RULES, refresh_s=None,
                         **{"clock": ManualClock(T0), "candidates": RIDGE, **options})


def learner(url: str, **options) -> LearnerLoop:
    return LearnerLoop(CATALOG, url, **{"lock_wait_s": 10.0, "clock": ManualClock(T0),
                                        "candidates": RIDGE, **options})


def traffic(eng, start: int, n: int, euros: float = 1.0) -> None:
    for i in range(start, start + n):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        value = reward_of(ctx, d.message, d.channel) * euros + (0.01 * i if euros != 1 else 0)
        eng.reward(d.decision_id, value, now=T0 + i)


def catch_up(loop: LearnerLoop) -> None:
    while loop.step():
        pass


def log_model(url: str) -> np.ndarray:
    with open_store(url) as log:
        return model_of_log(log, CATALOG, options=EngineOptions(candidates=RIDGE))


def test_a_replica_serves_the_engines_own_ridge_distribution_and_logs_what_its_draw_used(
        tmp_path):
    """Catches a ridge snapshot that loses state (other probabilities than the engine's own
    candidate), a replica that opens it as something else, and a logged propensity that is not
    the distribution the draw followed (off-policy evaluation of the fleet would be biased)."""
    state = tmp_path / "state"
    with make_engine(state, candidates=RIDGE) as eng:
        traffic(eng, 0, 300)
        own = eng._selection.learners["ridge"]
        version = eng.log.publish_snapshot(eng.model_snapshot())
        with ReplicaEngine(catalog=CATALOG, store=f"sqlite:///{state}", rules=OPEN_RULES,
                           refresh_s=None, clock=ManualClock(T0)) as rep:
            served = rep._selection.learner
            assert isinstance(served, RidgeLearner) and rep.stats()["model_version"] == version
            assert served.rewards_learned == own.rewards_learned == 300
            # every context shape: both segments, numbers, some channels without consent
            for i in range(40):
                ctx = {**context(i), "consent": {"email": True, "sms": i % 3 != 0}}
                d = rep.choose(f"probe{i}", ctx, now=T0 + 400)
                rec = rep.log.get_decision(d.decision_id)
                shared = json.loads(rec.features_json)
                p_own = own.probabilities(shared, rec.eligible)
                p_rep = served.probabilities(shared, rec.eligible)
                np.testing.assert_allclose(p_rep, p_own, rtol=0, atol=1e-12)
                assert abs(d.probability - p_own[rec.eligible.index(d.action_index)]) < 1e-12
            counts: dict[int, int] = {}
            n = 3000
            for i in range(n):  # nothing learned meanwhile: one fixed distribution
                d = rep.choose(f"draw{i}", {**context(0), "consent": CONSENT}, now=T0 + 500)
                counts[d.action_index] = counts.get(d.action_index, 0) + 1
            rec = rep.log.get_decision(d.decision_id)
            want = own.probabilities(json.loads(rec.features_json), rec.eligible)
    assert want.max() > 0.8  # it learned segment a's best action: not a uniform distribution
    for a, pa in zip(rec.eligible, want, strict=True):  # within 4 standard errors
        assert abs(counts.get(a, 0) / n - pa) < 4 * np.sqrt(pa * (1 - pa) / n) + 1e-3


def test_the_learner_loop_runs_ridge_and_replicas_serve_every_reward_learned_once(store_url):
    """Catches a fleet learner that cannot run ridge, a snapshot that drops ridge state, and a
    reward learned twice or skipped: the replicas' model is the log's own ridge model, bit for
    bit."""
    replicas = [replica(store_url, seed=k) for k in range(2)]
    try:
        untrained = readout(replicas[0]._selection.learner)
        with learner(store_url, publish_every=50, batch=25) as loop:
            for k in range(120):
                traffic(replicas[k % 2], k, 1)
            catch_up(loop)
            assert loop.published_version == 2 and loop.publish() == 3
        expected = log_model(store_url)
        assert not np.array_equal(expected, untrained)
        for eng in replicas:
            assert eng.refresh() and eng.stats()["model_version"] == 3
            assert isinstance(eng._selection.learner, RidgeLearner)
            np.testing.assert_array_equal(readout(eng._selection.learner), expected)
    finally:
        for eng in replicas:
            eng.close()


def test_a_restarted_ridge_learner_resumes_from_its_snapshot_plus_the_log(store_url):
    """Rewards in euros (the scale moves): catches a restart that does not reopen the ridge
    snapshot exactly, or replays rewards it had (or skips some): the final model is the log's
    own."""
    with replica(store_url) as rep:
        first = learner(store_url, publish_every=30, batch=10)
        traffic(rep, 0, 40, euros=80.0)
        catch_up(first)
        assert first.status().published_seq == 30
        first.engine.log.close()  # the learner dies: 10 learned, never published
        first.engine._selection.close()
        traffic(rep, 40, 25, euros=80.0)
        with learner(store_url, publish_every=10**6) as second:
            assert (second.status().replayed_on_start, second.status().learned_seq) == (35, 65)
            second.publish()
        assert rep.refresh()
        np.testing.assert_array_equal(readout(rep._selection.learner), log_model(store_url))


def test_a_ridge_snapshot_of_another_ridge_setting_is_refused(store_url):
    """The snapshot carries the configuration its ridge was built with: a learner configured
    with another is refused naming it (not resumed with the wrong model)."""
    with learner(store_url) as loop:
        loop.publish()
    with pytest.raises(CheckpointError, match=r"snapshot 1 learner_config: expected"):
        learner(store_url, candidates=[{"name": "ridge", "exploration": "ridge", "dim": 64}])


def test_a_vw_snapshot_is_written_and_opened_as_before(tmp_path):
    """Snapshots published before the ridge learner name no kind: catches a VW fingerprint that
    gains one (the learner loop would then refuse every older snapshot as another
    configuration) or a VW snapshot opened as anything but VW."""
    url = f"sqlite:///{tmp_path / 'shared'}"
    with learner(url, candidates=["squarecb", "ridge"]) as loop:
        loop.publish()
    with open_store(url) as log:
        snap = log.latest_snapshot()
    assert snap is not None and snap.learner_name == "squarecb"
    assert "kind" not in json.loads(snap.learner_config)
    with replica(url) as rep:  # configured ridge first: it serves what was published
        assert type(rep._selection.learner).__name__ == "VWLearner"
    with learner(url, candidates=["squarecb", "ridge"]) as again:
        assert again.status().published_version == 1  # resumed from it, not refused
