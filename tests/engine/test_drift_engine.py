"""The drift monitor inside the engine: it follows the real log, logs its events once, and
resumes after a restart exactly where a monitor that never stopped would be."""

from __future__ import annotations

import json
from importlib.resources import files

import numpy as np
import pytest

from engine.config import load_config
from engine.drift.log_follower import STATE_FILE, LogFollower
from engine.drift.options import DriftOptions
from engine.errors import CatalogError, ConfigError
from engine.store import DecisionLog
from tests.engine.engine_world import CONSENT, T0, make_engine

SMALL = {"reference_size": 400, "window": 400, "block": 100, "reward_block": 50,
         "reward_warmup_blocks": 4, "lift_window": 200, "follow_every": 8,
         "response": True, "response_reference": 300}


def traffic(eng, start: int, n: int, *, vip: float, pay: float, seed: int = 0) -> None:
    """n customers whose segment mix is ``vip``; every contact pays with probability ``pay``."""
    rng = np.random.default_rng(seed + start)
    for i in range(start, start + n):
        ctx = {"segment": "vip" if rng.random() < vip else "regular",
               "spend": float(rng.gamma(2.0, 30.0)), "consent": CONSENT}
        paid = rng.random() < pay  # drawn for every customer: the contexts never depend on
        d = eng.choose(f"c{i}", ctx, now=T0 + i)  # the learner's decisions
        value = float(d.channel is not None and paid)
        eng.reward(d.decision_id, value, now=T0 + i + 0.5)


def same(a: dict, b: dict) -> bool:
    """Equal states (as saved: NaN equals NaN, a tuple its list)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def events_of(state_dir) -> list[tuple]:
    with DecisionLog(state_dir) as log:
        return sorted((e["key"], e["level"], e["message"]) for e in log.drift_events(10_000))


def test_engine_reports_a_moved_population_in_stats_and_the_log(tmp_path):
    with make_engine(tmp_path, drift=SMALL) as eng:
        traffic(eng, 0, 1200, vip=0.1, pay=0.3)
        assert eng.stats()["drift_feature_level"] == {"segment": 0, "spend": 0}
        traffic(eng, 1200, 1200, vip=0.6, pay=0.3)
        stats = eng.stats()
    assert stats["drift_decisions_seen"] >= 2400 - SMALL["follow_every"]
    assert stats["drift_events"]["context/alert"] >= 1
    assert set(stats["drift_psi"]) == {"segment", "spend"}
    logged = events_of(tmp_path)
    assert any(key.startswith("context:segment:") and level == "alert"
               for key, level, _ in logged)
    assert not any(key.startswith("context:spend:") for key, _, _ in logged)


def test_a_drop_of_the_treatments_reward_is_an_alert(tmp_path):
    with make_engine(tmp_path, drift=SMALL, holdout_fraction=0.2) as eng:
        traffic(eng, 0, 3000, vip=0.1, pay=0.5)
        traffic(eng, 3000, 3000, vip=0.1, pay=0.15)
    logged = events_of(tmp_path)
    drops = [m for key, level, m in logged if key.startswith("reward:treatment:")
             and level == "alert"]
    assert drops and "dropped" in drops[0]


def test_restart_resumes_as_if_it_never_stopped(tmp_path):
    """Closed and reopened halfway: the monitor, and the events it logged, are those of one
    that read the same log in one go."""
    with make_engine(tmp_path, drift=SMALL, holdout_fraction=0.3) as eng:
        traffic(eng, 0, 1500, vip=0.1, pay=0.3)
    assert (tmp_path / STATE_FILE).is_file()
    with make_engine(tmp_path, drift=SMALL, holdout_fraction=0.3) as eng:
        assert eng.drift.resumed == "checkpoint"
        traffic(eng, 1500, 1500, vip=0.5, pay=0.1)
        eng.drift.catch_up()
        resumed = eng.drift.monitor.to_dict()
    with DecisionLog(tmp_path) as log:
        once = LogFollower(log, None, DriftOptions(**SMALL), write=False)
        found = once.catch_up()
    assert same(resumed, once.monitor.to_dict())
    assert events_of(tmp_path) == sorted((e.key, e.level, e.message) for e in found)
    assert {"context", "reward", "lift"} <= {e.kind for e in found}


def test_a_follower_resumes_from_its_save_mid_log(tmp_path):
    """As after a crash: saved at some point, then the log read on from there."""
    with make_engine(tmp_path, drift=SMALL) as eng:
        traffic(eng, 0, 2000, vip=0.1, pay=0.3)
        traffic(eng, 2000, 1000, vip=0.5, pay=0.3)
    options = DriftOptions(**SMALL)
    with DecisionLog(tmp_path) as log:
        once = LogFollower(log, None, options, write=False)
        once.catch_up()
        crashed = LogFollower(log, tmp_path / "a", options, write=False)
        (tmp_path / "a").mkdir()
        crashed.follow(777)
        crashed.follow(555)
        crashed.save()
        resumed = LogFollower(log, tmp_path / "a", options, write=False)
        assert (resumed.position, resumed.seq) == (crashed.position, crashed.seq) != (0, 0)
        resumed.catch_up()
        assert same(resumed.monitor.to_dict(), once.monitor.to_dict())


def test_replaying_the_whole_log_logs_no_event_twice(tmp_path):
    with make_engine(tmp_path, drift=SMALL) as eng:
        traffic(eng, 0, 1200, vip=0.1, pay=0.3)
        traffic(eng, 1200, 1200, vip=0.6, pay=0.3)
    before = events_of(tmp_path)
    (tmp_path / STATE_FILE).unlink()
    with make_engine(tmp_path, drift=SMALL) as eng:
        assert eng.drift.resumed.startswith("no saved state")
    assert events_of(tmp_path) == before and before


def test_other_settings_rebuild_from_the_log(tmp_path):
    with make_engine(tmp_path, drift=SMALL) as eng:
        traffic(eng, 0, 900, vip=0.1, pay=0.3)
    other = {**SMALL, "psi_alert": 0.3}
    with make_engine(tmp_path, drift=other) as eng:
        assert "other [engine.drift] settings" in eng.drift.resumed
        assert eng.stats()["drift_decisions_seen"] == 900
    saved = json.loads((tmp_path / STATE_FILE).read_text())
    assert saved["fingerprint"] == DriftOptions(**other).fingerprint()


def test_turned_off_it_costs_nothing_and_says_nothing(tmp_path):
    with make_engine(tmp_path, drift={"enabled": False}) as eng:
        traffic(eng, 0, 50, vip=0.1, pay=0.3)
        assert eng.drift is None and not any(k.startswith("drift_") for k in eng.stats())
    assert not (tmp_path / STATE_FILE).exists()


def test_bad_drift_settings_are_refused_with_their_name(tmp_path):
    with pytest.raises(ConfigError, match=r"drift.block: expected an integer >= 1, got 0"):
        make_engine(tmp_path, drift={"block": 0})
    toml = tmp_path / "catalog.toml"
    example = (files("engine") / "catalogs" / "example.toml").read_text()
    toml.write_text(example + "\n[engine.drift]\npsi_alert = 0.05\n")
    with pytest.raises(CatalogError, match=r"\[engine\] drift.psi_alert: expected a number >= "
                                           r"psi_warn \(0.1\), got 0.05"):
        load_config(toml)
    assert not (tmp_path / "decisions.sqlite3").exists()


def test_the_monitor_follows_a_postgresql_log(tmp_path, postgres_url):
    """The same monitor on the shared log: events written there, once."""
    with make_engine(tmp_path, drift=SMALL, store=postgres_url) as eng:
        traffic(eng, 0, 1200, vip=0.1, pay=0.3)
        traffic(eng, 1200, 1200, vip=0.6, pay=0.3)
        eng.drift.catch_up()
        logged = eng.log.drift_events(limit=1000)
        assert eng.log.write_drift_events([{**logged[0], "id": None}]) == 0
    assert any(e["key"].startswith("context:segment:") and e["level"] == "alert"
               for e in logged)


def test_a_postgresql_log_made_before_drift_events_gets_the_table(postgres_url):
    import psycopg

    from engine.store_url import open_store

    open_store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("DROP TABLE drift_events")
    with open_store(postgres_url) as log:
        assert log.drift_events() == [] and log.write_drift_events(
            [{"key": "k", "kind": "lift", "subject": "lift", "level": "warn", "at": 1.0,
              "value": None, "threshold": 0.0, "change_at": None, "position": 3,
              "message": "m", "detail_json": "{}"}]) == 1
