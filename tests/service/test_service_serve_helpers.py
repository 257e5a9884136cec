"""What the service shows beside its own counts: live off-policy estimates from its log, and the
regret curves an experiment wrote for it."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ConfigError
from engine.experiment_curves import CURVES_FILE, read_experiment_curves
from engine.live_alternatives import LiveAlternatives, logged_arrays
from experiments.errors import ResultsError
from experiments.metrics import regret_curves
from experiments.regret_curves import load_regret_curves, write_regret_curves
from experiments.results_io import read_results, write_cell


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


def _cells(folder, policies=("a", "b"), seeds=(0, 1), windows=30):
    """A results folder as the experiment runner writes it: one Parquet file per cell."""
    rng = np.random.default_rng(0)
    for policy in policies:
        for seed in seeds:
            write_cell(folder, f"s__{policy}__seed{seed}", [
                {"scenario": "s", "policy": policy, "seed": seed, "window": w,
                 "step": 100 * (w + 1), "n_treated": 90, "regret": float(rng.random() * 9)}
                for w in range(windows)])
    return folder


def test_curves_are_the_experiments_own_regret_curves(tmp_path):
    out = load_regret_curves(_cells(tmp_path / "results"))
    expected = regret_curves(read_results(tmp_path / "results"))
    assert out["name"] == "results" and [c["label"] for c in out["curves"]] == ["s / a", "s / b"]
    a = expected[expected["policy"] == "a"].sort_values("step")
    assert out["curves"][0]["steps"] == a["step"].tolist()
    # per 1,000 customers, as the report and its unit say
    assert np.allclose(out["curves"][0]["regret"], 1000 * a["regret"])
    assert np.allclose(out["curves"][0]["hi"], 1000 * a["hi"])
    assert out["unit"] == "EUR per 1,000 customers" and out["policies"] == ["a", "b"]
    assert (out["curves"][0]["scenario"], out["curves"][0]["policy"]) == ("s", "a")


def test_curves_are_thinned_keep_their_ends_and_send_no_nan(tmp_path):
    out = load_regret_curves(_cells(tmp_path / "r", policies=("a",), seeds=(0,), windows=500),
                             max_points=50)
    (curve,) = out["curves"]
    assert len(curve["steps"]) <= 50 and curve["steps"][0] == 100 and curve["steps"][-1] == 50_000
    assert all(v is None or np.isfinite(v) for v in curve["lo"])  # one seed: no interval


def test_the_engine_reads_the_curves_the_lab_wrote(tmp_path):
    folder = _cells(tmp_path / "results")
    assert not (folder / CURVES_FILE).exists()
    with pytest.raises(ConfigError, match="experiment report"):
        read_experiment_curves(folder)  # not written yet: the error says how to write it
    path = write_regret_curves(folder)
    assert path == folder / CURVES_FILE
    assert read_experiment_curves(folder) == load_regret_curves(folder)


def test_a_malformed_curves_file_is_refused(tmp_path):
    (tmp_path / CURVES_FILE).write_text('{"curves": [{"label": "x"}]}')
    with pytest.raises(ConfigError, match=r"curves\[0\] lacks 'steps'"):
        read_experiment_curves(tmp_path)


def test_an_empty_results_folder_is_refused(tmp_path):
    with pytest.raises(ResultsError, match="expected cell files"):
        load_regret_curves(tmp_path)


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
