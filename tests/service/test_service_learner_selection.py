"""The service shows the engine's online choice of learner: who serves, each candidate's
estimate with its interval on /metrics, and the switches with their evidence in the dashboard's
summary."""

from __future__ import annotations

from fastapi.testclient import TestClient

from engine import Engine
from engine.http import create_app
from tests.service.service_world import (
    AUTH,
    CATALOG,
    POOR_FIRST,
    TOKEN,
    Scrape,
    play_over_http,
)


def test_metrics_and_the_dashboard_show_the_candidates_and_the_switch(tmp_path):
    eng = Engine.from_catalog(CATALOG, state_dir=tmp_path, seed=0, holdout_fraction=0.0,
                              candidates=POOR_FIRST,
                              selection={"min_samples": 300, "check_every": 50, "confirm": 2})
    app = create_app(eng, token=TOKEN, close_engine=True)
    with TestClient(app) as client:
        play_over_http(client, 1500)
        s = Scrape(client.get("/metrics", headers=AUTH).text)
        assert s.value("offerbandit_serving_learner", learner="squarecb") == 1.0
        assert s.value("offerbandit_learner_switches_total") == 1.0
        assert (s.value("offerbandit_candidate_value_dr_low", learner="squarecb")
                > s.value("offerbandit_candidate_value_dr_high", learner="poor"))
        assert s.value("offerbandit_candidate_rewards_scored", learner="poor") == 1500
        cv_low = s.value("offerbandit_candidate_value_dr_cv_low", learner="squarecb")
        assert cv_low < s.value("offerbandit_candidate_value_dr_cv", learner="squarecb") \
            < s.value("offerbandit_candidate_value_dr_cv_high", learner="squarecb")
        summary = client.get("/v1/dashboard/summary", headers=AUTH).json()
        learners = summary["learners"]
        assert learners["serving"] == "squarecb" and summary["engine"]["learner_switches"] == 1
        assert set(learners["candidates"]) == {"poor", "squarecb"}
        [switch] = learners["switches"]
        assert (switch["from"], switch["to"]) == ("poor", "squarecb")
        assert switch["evidence"]["squarecb"]["dr"]["ci_low"] > \
            switch["evidence"]["poor"]["dr"]["ci_high"]
        assert "learners" in summary["scope"]


def test_the_dashboard_names_the_estimate_the_switch_rule_reads(tmp_path):
    """Catches a summary that leaves the rule's estimator out (the panel would draw the
    default's estimate, not the one a catalog set the rule to read)."""
    eng = Engine.from_catalog(CATALOG, state_dir=tmp_path, seed=0, holdout_fraction=0.0,
                              candidates=POOR_FIRST, selection={"estimator": "ips"})
    app = create_app(eng, token=TOKEN, close_engine=True)
    with TestClient(app) as client:
        play_over_http(client, 200)
        learners = client.get("/v1/dashboard/summary", headers=AUTH).json()["learners"]
    assert learners["estimator"] == "ips"
    for c in learners["candidates"].values():
        assert c["ips_low"] < c["ips"] < c["ips_high"]


def test_metrics_and_the_dashboard_show_which_challengers_are_on_trial(tmp_path):
    """Catches a trial the service does not show: a challenger serving a share of decisions
    (``selection.trial_share``) is 1 on ``offerbandit_candidate_on_trial`` until the rule puts
    it behind the serving candidate, then 0."""
    eng = Engine.from_catalog(CATALOG, state_dir=tmp_path, seed=0, holdout_fraction=0.0,
                              candidates=["squarecb", POOR_FIRST[0]],
                              selection={"min_samples": 300, "check_every": 50, "confirm": 2,
                                         "trial_share": 0.2})
    poor = POOR_FIRST[0]["name"]
    app = create_app(eng, token=TOKEN, close_engine=True)
    with TestClient(app) as client:
        s = Scrape(client.get("/metrics", headers=AUTH).text)
        assert s.value("offerbandit_candidate_on_trial", learner=poor) == 1.0
        assert s.value("offerbandit_candidate_on_trial", learner="squarecb") == 0.0
        play_over_http(client, 1500)
        s = Scrape(client.get("/metrics", headers=AUTH).text)
        assert s.value("offerbandit_candidate_on_trial", learner=poor) == 0.0
        learners = client.get("/v1/dashboard/summary", headers=AUTH).json()["learners"]
        assert learners["serving"] == "squarecb"
        assert learners["candidates"][poor]["on_trial"] is False
