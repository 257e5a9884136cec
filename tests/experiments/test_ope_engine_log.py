"""The engine's own log, exported to Parquet, evaluated by ``offerbandit ope``: real Engine,
real SQLite, real Parquet."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import Engine
from engine.cli import main
from engine.clock import ManualClock
from ope import estimate
from ope.readers.parquet_log import read_parquet_log


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("engine_ope")
    rng = np.random.default_rng(0)
    rules = {"max_per_day": None, "max_per_week": None, "quiet_hours": None,
             "consent_required": False}
    with Engine(messages=["welcome10", "winback20"], channels=["email", "sms"],
                timings=["now"], state_dir=tmp / "state", seed=0,
                rules=rules, clock=ManualClock(1_700_000_000.0)) as eng:
        for i in range(300):
            seg = "vip" if i % 3 == 0 else "regular"
            d = eng.choose(f"c{i}", {"age": int(rng.integers(18, 80)), "segment": seg},
                           now=1_700_000_000.0 + i)
            # vips answer sms; leave some decisions without a reward (not yet known)
            if i % 10 != 9:
                eng.reward(d.decision_id, float(d.channel == "sms" and seg == "vip"),
                           now=1_700_000_000.0 + i + 1)
        n = eng.export_parquet(tmp / "log.parquet")
        k = len(eng.catalog.actions)
    return tmp / "log.parquet", n, k


def test_export_reads_as_logged_decisions(exported):
    path, n, k = exported
    log = read_parquet_log(path, n_actions=k)
    assert n == 300
    assert log.n == 270 and dict(log.skipped) == {"no reward yet": 30}
    assert log.n_actions == k
    assert "age" in log.context_names and "segment=vip" in log.context_names
    assert np.all((log.propensities > 0) & (log.propensities <= 1))
    assert np.all(log.eligible[np.arange(log.n), log.actions])
    assert any("/" in name for name in log.action_names)  # names like welcome10/email/now


def test_ope_command_on_the_engine_export(exported, capsys):
    path, _, k = exported
    rc = main(["ope", "--log", str(path), "--format", "parquet", "--n-actions", str(k),
               "--target", "random", "--estimators", "ips,snips,dr", "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rc == 0 and [r["n"] for r in rows] == [270] * 3
    # the command's numbers are the library's on the same log (random = uniform over eligible)
    log = read_parquet_log(path, n_actions=k)
    uniform = log.eligible / log.eligible.sum(axis=1, keepdims=True)
    for name, r in zip(("ips", "snips"), rows[:2], strict=True):  # dr: its own model fit
        want = estimate(name, log.rewards, log.actions, log.propensities, uniform)
        assert (r["estimator"], r["value"], r["ci_low"], r["ci_high"]) == pytest.approx(
            (name, want.value, *want.ci))


CATALOG = """
no_contact = false
[[messages]]
name = "a"
[[messages]]
name = "b"
[[channels]]
name = "email"
[[channels]]
name = "sms"
[[timings]]
name = "now"
rule = "now"
[rules]
max_per_day = false
max_per_week = false
quiet_hours = false
consent_required = false
"""


@pytest.fixture(scope="module")
def engine_with_snapshot(tmp_path_factory):
    """Decisions made by one saved model (snapshot), then rewarded and exported."""
    import shutil

    tmp = tmp_path_factory.mktemp("engine_model")
    catalog = tmp / "catalog.toml"
    catalog.write_text(CATALOG)
    rng = np.random.default_rng(1)
    ids = []
    with Engine.from_catalog(catalog, state_dir=tmp / "state", seed=0,
                             clock=ManualClock(1_700_000_000.0)) as eng:
        for i in range(120):
            d = eng.choose(f"c{i}", {"age": int(rng.integers(18, 80)),
                                     "segment": "vip" if i % 2 else "new"},
                           now=1_700_000_000.0 + i)
            ids.append((d.decision_id, d.channel))
        eng.checkpoint()
        k = len(eng.catalog.actions)
    shutil.copytree(tmp / "state", tmp / "snapshot")  # the model that made every decision
    with Engine.from_catalog(catalog, state_dir=tmp / "state", seed=0,
                             clock=ManualClock(1_700_000_200.0)) as eng:
        for i, (did, channel) in enumerate(ids):
            eng.reward(did, float(channel == "sms"), now=1_700_000_200.0 + i)
        eng.export_parquet(tmp / "log.parquet")
    return catalog, tmp, k


def test_saved_model_replays_the_logged_propensities(engine_with_snapshot):
    from experiments.ope.engine_model import engine_model_probabilities

    catalog, tmp, k = engine_with_snapshot
    log = read_parquet_log(tmp / "log.parquet", n_actions=k)
    probs = engine_model_probabilities(log, catalog, tmp / "snapshot")
    assert probs.shape == (log.n, k)
    assert np.allclose(probs.sum(axis=1), 1.0) and np.all(probs[~log.eligible] == 0)
    # the snapshot is the model that decided: it gives each logged action its logged probability
    assert np.allclose(probs[np.arange(log.n), log.actions], log.propensities, atol=1e-6)


def test_ope_command_with_an_engine_target(engine_with_snapshot, capsys):
    catalog, tmp, k = engine_with_snapshot
    rc = main(["ope", "--log", str(tmp / "log.parquet"), "--format", "parquet",
               "--n-actions", str(k), "--target", "engine", "--engine-state", str(tmp / "state"),
               "--catalog", str(catalog), "--estimators", "ips,snips", "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rc == 0 and [r["n"] for r in rows] == [120, 120]
    from experiments.ope.engine_model import engine_model_probabilities

    log = read_parquet_log(tmp / "log.parquet", n_actions=k)
    target = engine_model_probabilities(log, catalog, tmp / "state")
    for name, r in zip(("ips", "snips"), rows, strict=True):
        want = estimate(name, log.rewards, log.actions, log.propensities, target)
        assert (r["estimator"], r["value"], r["ci_low"], r["ci_high"]) == pytest.approx(
            (name, want.value, *want.ci))


@pytest.mark.parametrize(("change", "match"), [
    ({"state": "empty"}, "expected a checkpoint"),
    ({"features": False}, "the log has no learner features"),
])
def test_engine_target_bad_input(engine_with_snapshot, tmp_path, change, match):
    from experiments.ope import OPEInputError
    from experiments.ope.engine_model import engine_model_probabilities

    catalog, tmp, k = engine_with_snapshot
    log = read_parquet_log(tmp / "log.parquet", n_actions=k)
    if change.get("features") is False:
        from dataclasses import replace

        log = replace(log, learner_features=None)
    state = tmp_path if change.get("state") == "empty" else tmp / "snapshot"
    with pytest.raises(OPEInputError, match=match):
        engine_model_probabilities(log, catalog, state)
