"""The diagnosis labels of the learning suite (docs/engine.md, "Why the ridge trails LinUCB on
multiclass60"): each differs from the default ridge, or from LinUCB, in exactly the one setting
its label names."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from engine.candidates import parse_candidates
from experiments.learning_suite.contestants import learner
from experiments.learning_suite.policy_contestant import PolicyContestant
from experiments.worlds import make_world
from policies.ridge_learner import RidgeConfig
from policies.vw_config import VWConfig

_ONE_CHANGE = {"engine ridge g30": {"gamma_scale": 30.0},
               "engine ridge e75": {"gamma_exponent": 0.75},
               "engine ridge l0.1": {"l2": 0.1}, "engine ridge l10": {"l2": 10.0},
               "engine ridge d512": {"dim": 512}, "engine ridge bins5": {}}


@pytest.mark.parametrize("label", sorted(_ONE_CHANGE))
def test_each_ridge_label_changes_one_setting_of_the_default_ridge(label):
    """Catches a label whose table is misspelt into another setting (or none): the comparison
    against ``engine ridge`` would then measure something else than its name says."""
    params = dict(learner(label).params)
    assert params.pop("provisional_after") == "off"  # as measured, before stop 47's default
    [spec] = parse_candidates(params.pop("candidates"), VWConfig())
    assert isinstance(spec.config, RidgeConfig)
    changed = {k: v for k, v in asdict(spec.config).items() if v != asdict(RidgeConfig())[k]}
    assert changed == _ONE_CHANGE[label]
    assert params == ({"number_bins": 5} if label == "engine ridge bins5" else {})


@pytest.mark.parametrize(("label", "alpha"), [("linucb a0", 0.0), ("linucb a1", 1.0)])
def test_the_linucb_labels_change_only_alpha(label, alpha):
    """Catches a LinUCB label that does not reach the policy (it would run at alpha 0.3)."""
    pol = PolicyContestant(make_world("iris", 0, None, True), "linucb", 0,
                           **{k: v for k, v in learner(label).params.items() if k != "name"})
    assert pol.policy.params == {"alpha": alpha, "ridge": 1.0}


def test_the_optimistic_label_is_the_one_message_default():
    """Catches the default and the suite's label drifting apart: the table that chose the
    default (docs/engine.md, "The optimistic ridge") would then vouch for another learner."""
    from engine.candidates import DEFAULT_CANDIDATES

    params = dict(learner("engine ridge u1 g100 f999+sq paired").params)
    assert params.pop("provisional_after") == "off"  # as measured, before stop 47's default
    assert parse_candidates(params.pop("candidates"), VWConfig()) == parse_candidates(
        DEFAULT_CANDIDATES, VWConfig())
    assert params == {"selection": {"rule": "paired"}}
    [alone] = parse_candidates(learner("engine ridge u1 g100").params["candidates"], VWConfig())
    assert alone.config == RidgeConfig(ucb=1.0, gamma_scale=100.0)
