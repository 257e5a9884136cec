"""The engine's own log, exported to Parquet, evaluated by ``offerbandit ope``: real Engine,
real SQLite, real Parquet."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import Engine
from engine.candidates import JOINT_RIDGE
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


#: The same catalog with challengers on trial: each decision is drawn from the serving
#: candidate's distribution with a share given to the leading challenger (``trial_share``,
#: growing towards ``trial_share_max`` with the evidence), so the logged propensity is the
#: mixture's, not the serving model's alone. The candidates are written out (the default of
#: stops 28-42), so that the serving model and the leader stay apart by more than the test's
#: margin whatever the default becomes.
TRIAL_CATALOG = CATALOG + f"""[engine]
selection = {{ trial_share = 0.3, trial_share_max = 0.9, min_samples = 60, check_every = 20 }}
candidates = [{{ {", ".join(f"{k} = {json.dumps(v)}" for k, v in JOINT_RIDGE.items())} }},
              "ridge", "squarecb"]
"""


@pytest.fixture(scope="module")
def trial_snapshot(tmp_path_factory):
    """An engine that learned until a challenger leads its trial, then made 120 decisions
    from one saved state (snapshot) before any of them was rewarded."""
    import shutil

    tmp = tmp_path_factory.mktemp("engine_trial")
    catalog = tmp / "catalog.toml"
    catalog.write_text(TRIAL_CATALOG)
    rng = np.random.default_rng(2)
    t0 = 1_700_000_000.0

    def context(i: int) -> dict:
        return {"age": int(rng.integers(18, 80)), "segment": "vip" if i % 2 else "new"}

    ids = []
    with Engine.from_catalog(catalog, state_dir=tmp / "state", seed=0,
                             clock=ManualClock(t0)) as eng:
        for i in range(400):  # sms pays more for vips: the candidates learn apart
            d = eng.choose(f"w{i}", context(i), now=t0 + i)
            eng.reward(d.decision_id, float(d.channel == "sms") * (1 + i % 2), now=t0 + i)
        eng.checkpoint()
        for i in range(120):
            d = eng.choose(f"c{i}", context(i), now=t0 + 400 + i)
            ids.append(d.decision_id)
        eng.checkpoint()
        k = len(eng.catalog.actions)
    shutil.copytree(tmp / "state", tmp / "snapshot")  # the engine that made the last 120
    with Engine.from_catalog(catalog, state_dir=tmp / "state", seed=0,
                             clock=ManualClock(t0 + 1_000)) as eng:
        for i, did in enumerate(ids):
            eng.reward(did, 0.0, now=t0 + 1_000 + i)
        eng.export_parquet(tmp / "log.parquet")
    return catalog, tmp, k


def test_saved_model_with_a_trial_replays_the_mixture(trial_snapshot):
    from engine.checkpoint import CheckpointStore, load_learner
    from engine.config import load_config
    from engine.options import EngineOptions
    from experiments.ope.engine_model import engine_model_probabilities

    catalog, tmp, k = trial_snapshot
    log = read_parquet_log(tmp / "log.parquet", n_actions=k)
    last = np.arange(log.n - 120, log.n)  # the decisions the snapshot made
    selection = CheckpointStore(tmp / "snapshot").latest().state["selection"]
    assert selection["trial_leader"] is not None  # the whole share goes to the leader
    probs = engine_model_probabilities(log, catalog, tmp / "snapshot")
    assert np.allclose(probs.sum(axis=1), 1.0) and np.all(probs[~log.eligible] == 0)
    # the saved engine decided with the mixture: every logged probability comes back
    assert np.allclose(probs[last, log.actions[last]], log.propensities[last], atol=1e-6)
    # ... which the serving model alone does not give (what the replay read before)
    cat, _, settings = load_config(catalog)
    options = EngineOptions.from_dict(settings).for_catalog(cat)
    serving, _ = load_learner(tmp / "snapshot", cat, options, required=True)
    with serving:
        alone = np.array([_logged_probability(serving, log, i) for i in last])
    assert np.abs(alone - log.propensities[last]).max() > 0.01


def _logged_probability(learner, log, i: int) -> float:
    """What ``learner`` alone gives row ``i``'s logged action."""
    eligible = np.flatnonzero(log.eligible[i])
    probs = learner.probabilities(json.loads(log.learner_features[i]), eligible)
    return float(probs[np.flatnonzero(eligible == log.actions[i])[0]])
