"""Candidates off the reward's path: with ``follow_every = 0`` the engine teaches only the serving
candidate inside ``reward``; ``Engine.follow(limit)`` lets the others catch up in slices, and the
service runs that follower between requests (``offerbandit serve``'s default), so the online
choice of learner still switches on evidence."""

from __future__ import annotations

import argparse
import time

import pytest
from fastapi.testclient import TestClient

from engine import Engine
from engine.commands import serve
from engine.errors import ConfigError
from engine.http import create_app
from tests.service.service_world import (
    AUTH,
    CATALOG,
    POOR_FIRST,
    TOKEN,
    Scrape,
    play_over_http,
    reward_of,
)

SELECTION = {"min_samples": 300, "check_every": 50, "confirm": 2}


def _play(eng: Engine, n: int) -> None:
    for i in range(n):
        d = eng.choose(f"c{i}", {"k": f"v{i % 3}"})
        eng.reward(d.decision_id, reward_of(i, d.action_index))


def test_follow_in_slices_meets_what_inline_learning_met(tmp_path):
    """The same rewards learned inline and followed in slices of 7 give every candidate the same
    rows and the same estimates; each slice meets at most 7 and the lag counts down to 0."""
    kw = {"seed": 0, "holdout_fraction": 0.0, "candidates": POOR_FIRST,
          "selection": SELECTION}
    with Engine.from_catalog(CATALOG, state_dir=tmp_path / "inline", **kw) as inline:
        _play(inline, 200)
        want = inline.stats()["candidates"]
    with Engine.from_catalog(CATALOG, state_dir=tmp_path / "off", follow_every=0,
                             **kw) as off:
        _play(off, 200)
        assert off.stats()["candidates"]["squarecb"]["n"] == 0  # nobody followed yet
        lags = [off.follow_lag]
        while lags[-1]:
            assert off.follow(limit=7) <= 7
            lags.append(off.follow_lag)
        got = off.stats()["candidates"]
    assert lags[0] == 200 and lags == sorted(lags, reverse=True) and len(lags) == 30
    for name in ("poor", "squarecb"):
        assert got[name]["n"] == want[name]["n"] == 200
        assert got[name]["dr"] == pytest.approx(want[name]["dr"], rel=1e-9)
        assert got[name]["learned_seq"] == want[name]["learned_seq"]


@pytest.mark.parametrize("limit", [0, -3, True, 2.5, "7"])
def test_a_bad_follow_limit_is_refused_by_name(tmp_path, limit):
    with Engine.from_catalog(CATALOG, state_dir=tmp_path, follow_every=0) as eng:
        _play(eng, 3)
        with pytest.raises(ConfigError, match="limit"):
            eng.follow(limit=limit)
        assert eng.follow_lag == 3  # nothing met


def _wait_level(client: TestClient, deadline_s: float = 60.0) -> Scrape:
    """/metrics once the follower has caught up (the test fails if it never does)."""
    end = time.monotonic() + deadline_s
    while True:
        s = Scrape(client.get("/metrics", headers=AUTH).text)
        if s.value("offerbandit_follow_lag") == 0.0 or time.monotonic() > end:
            return s
        time.sleep(0.05)


def test_the_service_follows_the_log_between_requests_and_switches(tmp_path):
    eng = Engine.from_catalog(CATALOG, state_dir=tmp_path, seed=0, holdout_fraction=0.0,
                              candidates=POOR_FIRST, selection=SELECTION, follow_every=0)
    app = create_app(eng, token=TOKEN, close_engine=True, follow_slice=16)
    with TestClient(app) as client:
        play_over_http(client, 1500)
        s = _wait_level(client)
        assert s.value("offerbandit_follow_lag") == 0.0
        assert s.value("offerbandit_candidate_rewards_scored", learner="poor") == 1500
        assert s.value("offerbandit_candidate_rewards_scored", learner="squarecb") == 1500
        assert s.value("offerbandit_serving_learner", learner="squarecb") == 1.0
        assert s.value("offerbandit_learner_switches_total") == 1.0


def _serve_args(*argv: str) -> argparse.Namespace:
    parser = serve.add_parser(argparse.ArgumentParser().add_subparsers())
    return parser.parse_args(["--catalog", str(CATALOG), "--no-auth", *argv])


def test_serve_follows_in_the_background_unless_told_or_the_catalog_says(tmp_path):
    engine, _ = serve.build_app(_serve_args("--state-dir", str(tmp_path / "a")))
    with engine:
        assert engine.options.follow_every == 0
    engine, _ = serve.build_app(_serve_args("--state-dir", str(tmp_path / "b"),
                                            "--follow", "inline"))
    with engine:
        assert engine.options.follow_every == 1
    own = tmp_path / "catalog.toml"
    own.write_text(CATALOG.read_text().replace("[engine]\n", "[engine]\nfollow_every = 5\n"))
    parser = serve.add_parser(argparse.ArgumentParser().add_subparsers())
    args = parser.parse_args(["--catalog", str(own), "--no-auth", "--state-dir",
                              str(tmp_path / "c")])
    engine, _ = serve.build_app(args)
    with engine:
        assert engine.options.follow_every == 5


def test_create_app_refuses_a_bad_follow_setting_by_name(tmp_path):
    with Engine.from_catalog(CATALOG, state_dir=tmp_path) as eng:
        with pytest.raises(ValueError, match="follow_slice"):
            create_app(eng, token=TOKEN, follow_slice=0)
        with pytest.raises(ValueError, match="follow_idle_s"):
            create_app(eng, token=TOKEN, follow_idle_s=0.0)
