"""What ``offerbandit serve`` plugs into the app: live off-policy estimates and regret curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.live_alternatives import LiveAlternatives, logged_arrays
from experiments.regret_curves import curves_from_rows, load_regret_curves


def _traffic(engine, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for i in range(n):
        d = engine.choose(f"u{seed}-{i}", {"age": int(rng.integers(18, 80)), "segment": "vip"})
        engine.reward(d.decision_id, float(rng.random() < 0.3))


def test_logged_arrays_keep_rewarded_treatment_decisions_only(engine):
    _traffic(engine, 50)
    engine.choose("pending", {"age": 30})  # no reward yet: left out
    data = logged_arrays(engine.log, engine.catalog.n_actions, since=0.0, max_rows=10_000)
    n = data["rewards"].size
    assert 0 < _holdout_rewarded(engine) < 50  # the catalog's 20 % holdout shows up
    assert n == 50 - _holdout_rewarded(engine)
    assert data["eligible"].shape == (n, engine.catalog.n_actions)
    assert data["eligible"][np.arange(n), data["actions"]].all()  # the played action was eligible
    assert ((data["propensities"] > 0) & (data["propensities"] <= 1)).all()
    assert np.all(np.diff(data["created_at"]) >= 0)
    newest = logged_arrays(engine.log, engine.catalog.n_actions, since=0.0, max_rows=5)
    assert newest["created_at"].tolist() == data["created_at"][-5:].tolist()


def _holdout_rewarded(engine) -> int:
    """Holdout decisions with a reward, counted straight from the log's export rows."""
    return sum(1 for batch in engine.log.iter_export_rows() for r in batch
               if r[5] and r[-2] is not None)  # holdout column, reward sum


def test_live_alternatives_estimates_and_caches(engine):
    _traffic(engine, 60)
    now = [1e10]
    hook = LiveAlternatives(engine, window_s=1e12, min_rows=30, ttl_s=30.0, clock=lambda: now[0])
    first = hook()
    assert [e["name"].split(" (")[0] for e in first["estimates"]] == [
        "logged policy", "uniform random", "best fixed action"]
    assert first["n"] == 60 - _holdout_rewarded(engine)
    _traffic(engine, 10, seed=1)
    assert hook() is first  # within the TTL: the log is not read again
    now[0] += 31
    assert hook()["n"] == 70 - _holdout_rewarded(engine)


def test_live_alternatives_say_why_when_the_log_is_short(engine):
    _traffic(engine, 5)
    out = LiveAlternatives(engine, min_rows=30)()
    assert out["estimates"] == [] and "needs 30" in out["reason"]


def test_curves_average_seeds_of_cumulative_regret():
    rows = pd.DataFrame({"policy": ["a"] * 6 + ["b"] * 3, "seed": [0, 0, 0, 1, 1, 1, 0, 0, 0],
                         "step": [0, 1, 2] * 3, "regret": [1, 1, 1, 0, 0, 0, 2, 0, 2.0]})
    curves = {c["label"]: c for c in curves_from_rows(rows)}
    assert curves["a"]["regret"] == [0.5, 1.0, 1.5]
    assert curves["b"]["regret"] == [2.0, 2.0, 4.0]
    assert curves["a"]["steps"] == [0, 1, 2]


def test_curves_are_thinned_and_keep_their_ends():
    rows = pd.DataFrame({"policy": "a", "step": np.arange(1000),
                         "cumulative_regret": np.arange(1000.0)})
    (curve,) = curves_from_rows(rows, max_points=50)
    assert len(curve["steps"]) <= 50 and curve["steps"][0] == 0 and curve["steps"][-1] == 999
    assert curve["regret"][-1] == 999.0


@pytest.mark.parametrize("columns", [("step", "regret"), ("policy", "regret"), ("policy", "step")])
def test_curves_refuse_rows_without_the_needed_columns(columns):
    rows = pd.DataFrame({c: [0] for c in columns})
    with pytest.raises(ValueError, match="expected columns step, policy and regret"):
        curves_from_rows(rows)


def test_load_regret_curves_reads_a_folder(tmp_path):
    pd.DataFrame({"policy": "a", "scenario": "s", "step": [0, 1], "regret": [1.0, 1.0]}
                 ).to_parquet(tmp_path / "a.parquet")
    out = load_regret_curves(tmp_path)
    assert out["name"] == tmp_path.name and out["curves"][0]["label"] == "s / a"
    with pytest.raises(FileNotFoundError, match="no .parquet"):
        load_regret_curves(tmp_path / "empty")


def test_decisions_of_another_catalog_are_left_out(engine):
    import time

    from engine.store import DecisionRecord

    _traffic(engine, 10)
    old = DecisionRecord("old-1", "c-old", time.time(), 0, 0.5, False, "{}", "{}", (0, 1), None,
                         True, "another-catalog-version", channel="email")
    engine.log.write_decision(old)
    engine.log.write_reward("old-1", 1.0, at=time.time())
    n_actions, version = engine.catalog.n_actions, engine.catalog.version
    mixed = logged_arrays(engine.log, n_actions, since=0.0, max_rows=1000)
    only = logged_arrays(engine.log, n_actions, since=0.0, max_rows=1000, catalog_version=version)
    assert mixed["rewards"].size == only["rewards"].size + 1
