"""The service shows the engine's online choice of learner: who serves, each candidate's
estimate with its interval on /metrics, and the switches with their evidence in the dashboard's
summary."""

from __future__ import annotations

from fastapi.testclient import TestClient

from engine import Engine
from engine.http import create_app
from tests.service.service_world import AUTH, CATALOG, TOKEN, Scrape

POOR_FIRST = [{"name": "poor", "exploration": "epsilon", "epsilon": 1.0}, "squarecb"]


def _reward_of(i: int, action: int) -> float:
    return 1.0 if action == i % 3 else 0.0  # three actions pay, by customer


def test_metrics_and_the_dashboard_show_the_candidates_and_the_switch(tmp_path):
    eng = Engine.from_catalog(CATALOG, state_dir=tmp_path, seed=0, holdout_fraction=0.0,
                              candidates=POOR_FIRST,
                              selection={"min_samples": 300, "check_every": 50, "confirm": 2})
    app = create_app(eng, token=TOKEN, close_engine=True)
    with TestClient(app) as client:
        for i in range(1500):
            d = client.post("/v1/choose", json={"customer_id": f"c{i}",
                                                "context": {"k": f"v{i % 3}"}},
                            headers=AUTH).json()
            client.post("/v1/reward", json={"decision_id": d["decision_id"],
                                            "value": _reward_of(i, d["action_index"])},
                        headers=AUTH)
        s = Scrape(client.get("/metrics", headers=AUTH).text)
        assert s.value("offerbandit_serving_learner", learner="squarecb") == 1.0
        assert s.value("offerbandit_learner_switches_total") == 1.0
        assert (s.value("offerbandit_candidate_value_dr_low", learner="squarecb")
                > s.value("offerbandit_candidate_value_dr_high", learner="poor"))
        assert s.value("offerbandit_candidate_rewards_scored", learner="poor") == 1500
        summary = client.get("/v1/dashboard/summary", headers=AUTH).json()
        learners = summary["learners"]
        assert learners["serving"] == "squarecb" and summary["engine"]["learner_switches"] == 1
        assert set(learners["candidates"]) == {"poor", "squarecb"}
        [switch] = learners["switches"]
        assert (switch["from"], switch["to"]) == ("poor", "squarecb")
        assert switch["evidence"]["squarecb"]["dr"]["ci_low"] > \
            switch["evidence"]["poor"]["dr"]["ci_high"]
        assert "learners" in summary["scope"]
