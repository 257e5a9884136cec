"""A campaign scores with the engine's serving learner as it serves: the candidate that serves,
built as the engine builds it (its interactions as the catalog prunes them), from checkpoint
format 2, its predictions put back on the business scale. Checked against VW's own predictions
of the engine's own saved model, and against the ridge candidate's own estimates when it
serves."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest
from vowpalwabbit import Example

from engine.campaign.estimate import estimate_campaign
from engine.campaign.plan import CampaignPlan
from engine.campaign.runner import METADATA_KEY, current_model, score_campaign, sidecar_model
from engine.campaign.scoring import CustomerScorer, ScoringSetup
from engine.checkpoint import CheckpointStore, load_models
from engine.config import load_config
from engine.features import INTERACTIONS, shared_features
from engine.options import EngineOptions
from engine.reward_scale import RewardScale
from engine.snapshots import config_of
from engine.store import DecisionLog
from policies.ridge_learner import RidgeConfig, RidgeLearner
from policies.vw_format import shared_line
from tests.engine.campaign_world import (
    AT,
    CATALOG,
    customers_table,
    train_engine,
    write_customers,
)

ONE_TIMING = CATALOG.replace('''[[timings]]
name = "evening"
rule = "at 18:00"
''', "")


@pytest.mark.parametrize("text, prune", [(CATALOG, False), (ONE_TIMING, True)])
def test_batch_scores_are_vws_own_predictions_of_the_serving_learner(tmp_path, text, prune):
    catalog = tmp_path / "catalog.toml"
    # VW serving (the default serves ridge first; its scorer has a test of its own below)
    catalog.write_text(text + f"prune_features = {str(prune).lower()}\n"
                       'candidates = ["squarecb", "epsilon"]\n')
    state = tmp_path / "state"
    train_engine(state, catalog, n=300)
    cat, _, settings = load_config(catalog)
    options = EngineOptions.from_dict(settings)
    assert options.reward_scale and options.prune_features == prune
    with DecisionLog(state) as log:
        model = current_model(log, state, cat, options)
    info = CheckpointStore(state).latest()
    assert info is not None and info.format == 2
    # the engine's own: its serving candidate as it loads it, and the scale it kept
    saved = load_models(state, cat, options, required=True)
    try:
        served = saved.learners[saved.serving]
        scale = RewardScale.from_state(info.state["selection"]["scales"][saved.serving]).value
        assert scale > 1.5  # SMS pays 5, email 1: predictions are far from the business scale
        if prune:  # one timing: the catalog drops the terms of t, and the model has fewer
            assert served.config.interactions != INTERACTIONS
        assert model.snapshot is not None and model.snapshot.learner_name == saved.serving
        assert model.reward_scale == pytest.approx(scale)
        with CustomerScorer(ScoringSetup(catalog.read_text(), "catalog.toml",
                                         f"sqlite:///{state}", model.snapshot, AT,
                                         model.reward_scale)) as scorer:
            table = customers_table(60)
            out = scorer(table)
            own = []
            for features in out["features"]:
                shared = shared_features(**_namespaces(features))
                w = served._workspace()
                ex = [Example(w, shared_line(shared)), *served._examples]
                w.predict(ex)
                own.append([-e.get_partial_prediction() for e in ex[1:]])
    finally:
        saved.close()
    own = np.array(own) * scale
    assert np.abs(own).max() > 0.5  # it learned something to reproduce
    np.testing.assert_allclose(out["scores"], own, atol=2e-5 * np.abs(own).max())


def _namespaces(features_json: str) -> dict:
    import json

    f = json.loads(features_json)
    return {"context_ns": f["c"], "history_ns": f["h"]}


def test_binned_numbers_are_refused_before_anything_is_written(tmp_path):
    """Workers do not bin context numbers (nor do choose replicas): a campaign on a catalog
    with number_bins is refused naming it, the log untouched."""
    from engine.campaign.plan import CampaignPlan
    from engine.campaign.runner import score_campaign
    from engine.errors import CampaignError
    from tests.engine.campaign_world import write_customers

    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG + "number_bins = 8\n")
    customers = write_customers(tmp_path / "customers.parquet", 20)
    with pytest.raises(CampaignError, match="number_bins: expected 0 for a campaign"):
        score_campaign(customers, catalog, tmp_path / "state", tmp_path / "out.parquet",
                       CampaignPlan(at=AT), workers=0, progress=False)
    assert not (tmp_path / "state").exists() and not (tmp_path / "out.parquet").exists()


RIDGE_FIRST = CATALOG + 'candidates = ["ridge", "squarecb"]\n'


@pytest.fixture(scope="module")
def ridge_world(tmp_path_factory):
    """An engine serving the ridge candidate, trained; its state folder kept pristine."""
    root = tmp_path_factory.mktemp("ridge_campaign")
    (root / "catalog.toml").write_text(RIDGE_FIRST)
    train_engine(root / "state", root / "catalog.toml", n=300)
    return root


@pytest.mark.parametrize("source", ["checkpoint", "published"])
def test_ridge_batch_scores_are_the_ridge_learners_own_estimates_times_its_scale(
        ridge_world, tmp_path, source):
    """Catches a campaign that refuses (or mis-opens) the serving ridge learner, batch scores
    that are not its per-customer estimates, and scores left on the learned scale instead of
    the business scale: from the engine's checkpoint and from a snapshot published in the log
    (the fleet's path), to 1e-9."""
    state = tmp_path / "state"
    shutil.copytree(ridge_world / "state", state)
    catalog = ridge_world / "catalog.toml"
    cat, _, settings = load_config(catalog)
    options = EngineOptions.from_dict(settings)
    info = CheckpointStore(state).latest()
    assert info is not None and info.serving == "ridge"
    with DecisionLog(state) as log:
        if source == "published":
            version = log.publish_snapshot(current_model(log, state, cat, options).snapshot)
        model = current_model(log, state, cat, options)
    assert model.snapshot is not None and model.snapshot.learner_name == "ridge"
    assert isinstance(config_of(model.snapshot.learner_config), RidgeConfig)
    assert model.snapshot.version == (version if source == "published" else 0)
    saved = load_models(state, cat, options, required=True)
    try:
        own = saved.learners["ridge"]
        assert isinstance(own, RidgeLearner) and own.rewards_learned > 100
        scale = RewardScale.from_state(info.state["selection"]["scales"]["ridge"]).value
        assert scale > 1.5  # SMS pays 5, email 1: the learned scale is not the business one
        assert model.reward_scale == pytest.approx(scale, rel=1e-12)
        with CustomerScorer(ScoringSetup(catalog.read_text(), "catalog.toml",
                                         f"sqlite:///{state}", model.snapshot, AT,
                                         model.reward_scale)) as scorer:
            out = scorer(customers_table(200))
        want = np.array([own.estimates(json.loads(f)) for f in out["features"]]) * scale
    finally:
        saved.close()
    assert np.abs(want).max() > 0.5 and want.std(axis=0).max() > 0.05  # learned, per customer
    np.testing.assert_allclose(out["scores"], want, rtol=0, atol=1e-9)


def test_a_ridge_first_campaign_scores_allocates_and_is_estimated(ridge_world, tmp_path):
    """End to end with the ridge candidate serving: every customer decided within capacity and
    budget, the learner named in the metadata, its model beside the output, and ``campaign
    estimate`` values it with that model (it refused ridge before)."""
    state = tmp_path / "state"
    shutil.copytree(ridge_world / "state", state)
    catalog = ridge_world / "catalog.toml"
    out = tmp_path / "decisions.parquet"
    summary = score_campaign(write_customers(tmp_path / "customers.parquet", 600), catalog,
                             state, out, CampaignPlan(at=AT, budget=12.0,
                                                      capacity={"sms": 80}),
                             workers=0, progress=False)
    assert summary.totals.decided == 600 and summary.model_source == "checkpoint"
    assert summary.totals.sends["sms"] <= 80 and summary.totals.spent <= 12.0
    assert summary.prices["sms"] > 0 or summary.prices["budget"] > 0  # something binds
    meta = json.loads(pq.read_schema(out).metadata[METADATA_KEY])
    assert meta["learner_name"] == "ridge" and '"kind": "ridge"' in meta["learner_config"]
    assert sidecar_model(out).is_file()
    table = pq.read_table(out).to_pandas()
    assert table["score"].notna().sum() > 300 and table["score"].abs().max() > 0.5
    estimate = estimate_campaign(out, catalog, state)
    assert estimate.customers == 600 and np.isfinite(estimate.campaign.value)
    assert estimate.campaign.ci[0] <= estimate.campaign.value <= estimate.campaign.ci[1]
