"""A campaign scores with the engine's serving learner as it serves: the candidate that serves,
built as the engine builds it (its interactions as the catalog prunes them), from checkpoint
format 2, its predictions put back on the business scale. Checked against VW's own predictions
of the engine's own saved model."""

from __future__ import annotations

import numpy as np
import pytest
from vowpalwabbit import Example

from engine.campaign.runner import current_model
from engine.campaign.scoring import CustomerScorer, ScoringSetup
from engine.checkpoint import CheckpointStore, load_models
from engine.config import load_config
from engine.features import INTERACTIONS, shared_features
from engine.options import EngineOptions
from engine.reward_scale import RewardScale
from engine.store import DecisionLog
from policies.vw_format import shared_line
from tests.engine.campaign_world import AT, CATALOG, customers_table, train_engine

ONE_TIMING = CATALOG.replace('''[[timings]]
name = "evening"
rule = "at 18:00"
''', "")


@pytest.mark.parametrize("text, prune", [(CATALOG, False), (ONE_TIMING, True)])
def test_batch_scores_are_vws_own_predictions_of_the_serving_learner(tmp_path, text, prune):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(text + f"prune_features = {str(prune).lower()}\n")
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


def test_a_ridge_candidate_serving_first_is_refused_by_name(tmp_path):
    """The batch scorer reads VW's weights: a catalog whose first candidate is the ridge learner
    is refused naming the candidate, before anything is written (not scored with a VW model it
    does not serve)."""
    from engine.campaign.plan import CampaignPlan
    from engine.campaign.runner import score_campaign
    from engine.errors import UnsupportedCandidateError
    from tests.engine.campaign_world import write_customers

    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG + 'candidates = ["ridge", "squarecb"]\n')
    customers = write_customers(tmp_path / "customers.parquet", 20)
    with pytest.raises(UnsupportedCandidateError, match=r"'ridge'.*campaign scoring"):
        score_campaign(customers, catalog, tmp_path / "state", tmp_path / "out.parquet",
                       CampaignPlan(at=AT), workers=0, progress=False)
    assert not (tmp_path / "state").exists() and not (tmp_path / "out.parquet").exists()
