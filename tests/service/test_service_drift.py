"""Drift over HTTP: ``/metrics`` exposes what ``Engine.stats()`` says of drift, read at scrape,
and ``/v1/dashboard/drift`` answers what the monitor found (behind the token)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from fastapi.testclient import TestClient

from engine.http import create_app
from tests.engine.engine_world import CONSENT, T0, make_engine
from tests.service.service_world import AUTH, TOKEN, Scrape

SMALL = {"reference_size": 400, "window": 400, "block": 100, "reward_block": 50,
         "reward_warmup_blocks": 4, "lift_window": 200, "follow_every": 8,
         "response": True, "response_reference": 300}


def traffic(eng, start: int, n: int, *, vip: float, pay: float) -> None:
    """n decisions a second apart on the engine's clock (the page recalls the last 7 days of
    that clock)."""
    rng = np.random.default_rng(start)
    for i in range(start, start + n):
        eng.clock.set(T0 + i)
        ctx = {"segment": "vip" if rng.random() < vip else "regular", "consent": CONSENT}
        d = eng.choose(f"c{i}", ctx)
        eng.reward(d.decision_id, float(d.channel is not None and rng.random() < pay))


@pytest.fixture
def drifted(tmp_path):
    recover = {**SMALL, "recover": True, "recover_batch": 100}
    with make_engine(tmp_path, drift=recover, holdout_fraction=0.2) as eng:
        traffic(eng, 0, 1500, vip=0.1, pay=0.5)
        traffic(eng, 1500, 900, vip=0.6, pay=0.1)
        yield eng


def test_metrics_expose_the_drift_stats(drifted):
    with TestClient(create_app(drifted, token=TOKEN)) as http:
        stats = drifted.stats()
        s = Scrape(http.get("/metrics", headers=AUTH).text)
    for feature, value in stats["drift_psi"].items():
        assert s.value("offerbandit_drift_psi", feature=feature) == pytest.approx(value)
        assert s.value("offerbandit_drift_feature_level", feature=feature) == \
            stats["drift_feature_level"][feature]
    for stream, level in stats["drift_reward_level"].items():
        assert s.value("offerbandit_drift_reward_state", stream=stream) == level
        assert s.value("offerbandit_drift_reward_statistic", stream=stream) == pytest.approx(
            stats["drift_reward_statistic"][stream])
    assert stats["drift_response_statistic"]  # the response streams watch again after a refit
    for stream, value in stats["drift_response_statistic"].items():
        assert s.value("offerbandit_drift_response_statistic", stream=stream) == pytest.approx(
            value)
    assert s.value("offerbandit_drift_events_total", event="context/alert") >= 1
    assert s.value("offerbandit_drift_events_total", event="reward/alert") >= 1
    assert s.value("offerbandit_drift_active_alerts") == stats["drift_active_alerts"]
    assert s.value("offerbandit_drift_decisions_read_total") == stats["drift_decisions_seen"]
    assert s.types["offerbandit_drift_events"] == "counter"
    assert s.types["offerbandit_drift_psi"] == "gauge"
    # the answer: a challenger on the confirmed change
    assert s.value("offerbandit_drift_challengers_total") == stats["drift_challengers"] >= 1
    assert s.value("offerbandit_drift_challengers_catching_up") == \
        stats["drift_challengers_catching_up"]
    assert s.value("offerbandit_drift_challengers_served_total") == \
        stats["drift_challengers_served"]


def test_the_drift_route_says_what_moved(drifted):
    with TestClient(create_app(drifted, token=TOKEN)) as http:
        assert http.get("/v1/dashboard/drift").status_code == 401
        d = http.get("/v1/dashboard/drift", headers=AUTH).json()
    assert d["available"] and d["verdict"]["level"] == "alert"
    assert d["verdict"]["text"].startswith("alerts in the last 7 days: ")
    # what moved: the population's segment, and the treatment's reward (overall or per stream)
    assert "segment moved" in d["verdict"]["text"]
    assert re.search(r"treatment(/\S+)? reward drop", d["verdict"]["text"]), d["verdict"]["text"]
    assert d["features"][0]["name"] == "segment" and d["features"][0]["last_moved"]["psi"] >= 0.25
    logged = drifted.log.drift_events(limit=500)
    assert [e["message"] for e in d["events"]] == [e["message"] for e in logged[:50]]
    assert {c["stream"] for c in d["changes"]} >= {"treatment"}
    assert all(c["t"] <= c["detected_at"] for c in d["changes"])
    assert "in the order they were logged" in d["scope"]


def test_the_drift_route_says_when_it_is_off(tmp_path):
    with make_engine(tmp_path, drift={"enabled": False}) as eng, \
            TestClient(create_app(eng, token=TOKEN)) as http:
        d = http.get("/v1/dashboard/drift", headers=AUTH).json()
        assert not d["available"] and "enabled = false" in d["reason"]
        assert "offerbandit_drift_psi" not in Scrape(http.get("/metrics", headers=AUTH).text
                                                     ).types
