"""Thompson sampling's scale falling with each action's own evidence in the context at hand
(``JointRidgeConfig.thompson_counts = "evidence"``): ``n`` is ``1 / (phi' A^-1 phi) -
1 / (phi' P^-1 phi)``, exactly the rows learned where they all equal ``phi``; a pair the
model has not tried keeps the wide draws; the draws are scaled per action; a restart resumes;
bad settings are refused naming the field."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from tests.policies.test_thompson_pool import ACTIONS, _feed

SHARED = {"c": {"x": 0.3, "y": -1.2, "s": "s1"}}
OTHER = {"c": {"x": -0.8, "y": 0.4, "s": "s2"}}


def _learner(counts: str = "evidence", **config) -> JointRidgeLearner:
    fields = {"dim": 8, "thompson": 0.5, "thompson_final": 0.2, "thompson_halfway": 20,
              "thompson_counts": counts, "l2": 3.0, "pool": "perturbed", "redraw": 100,
              **config}
    learner = JointRidgeLearner(JointRidgeConfig(**fields), seed=7)
    learner.set_actions(ACTIONS)
    return learner


def _scales(learner: JointRidgeLearner, shared: dict = SHARED) -> np.ndarray:
    x = learner.features(shared)
    return np.asarray(learner._thompson_scale(learner._own_evidence(x, learner._indices(None))))


def _schedule(n: float) -> float:
    return 0.2 + 0.3 * 20 / (20 + n)


def test_a_fresh_model_draws_every_action_at_the_full_scale():
    np.testing.assert_allclose(_scales(_learner()), 0.5, rtol=1e-12)


@pytest.mark.parametrize("rows", [1, 15, 60])
def test_rows_equal_to_phi_count_one_each(rows):
    """``rows`` rewards for action 2 in one context: its ``n`` is ``rows`` (to 1e-6), so its
    scale is the schedule's at ``rows``; the actions sharing neither its message nor its
    channel count only the context's own weights (the constant column every action has), a
    few thousandths of a row."""
    learner = _learner()
    for i in range(rows):
        learner.learn(SHARED, None, 2, 0.5, float(i % 2))
    scales = _scales(learner)
    assert scales[2] == pytest.approx(_schedule(rows), rel=1e-6)
    assert np.all(scales[[1, 5]] > 0.49)  # msg a on sms, msg c on sms


def test_the_draws_spread_is_each_actions_own_share_of_the_fixed_scale():
    """On the same rows and seed (the same noise) each action's draws spread around the mean
    by its own scale over 0.5 times the fixed scale's. Fails if the per-action scales are not
    read where the draws are scaled (the ratio is then 1, or one number for all)."""
    fixed = _learner("rewards", thompson_final=0.0, thompson_halfway=0)
    own = _learner()
    for learner in (fixed, own):
        _feed(learner, 300)
    x = own.features(SHARED)
    idx = own._indices(None)
    spreads = []
    for learner in (fixed, own):
        mean = learner._estimate(x, idx)
        spreads.append(learner._pool_estimates(x, idx, mean) - mean[None, :])
    scales = _scales(own)
    assert np.ptp(scales) > 0.01  # the actions' evidence differs
    np.testing.assert_allclose(spreads[1] / spreads[0], np.broadcast_to(scales / 0.5,
                                                                          spreads[0].shape),
                               rtol=1e-9)


def test_an_action_tried_in_one_context_only_stays_wide_in_another():
    """Evidence is the context's too: 60 rewards for action 0 in SHARED narrow its draws
    there, much less in OTHER, whose category the model has never seen."""
    learner = _learner()
    for i in range(60):
        learner.learn(SHARED, None, 0, 0.5, float(i % 3 == 0))
    here, there = _scales(learner)[0], _scales(learner, OTHER)[0]
    assert here == pytest.approx(_schedule(60), rel=1e-6)
    assert there > here + 0.1


def test_forgetting_never_lifts_the_scale_above_thompson():
    """Forgetting at 0.9 shrinks ``A`` below the prior before the penalty is put back, so
    after 5 rows the evidence is below 0 in both contexts (checked: the case exists); the
    scale reads it as 0, exactly ``thompson``, not above it. Fails without the clip."""
    learner = _learner(forget=0.9)
    for _ in range(5):
        learner.learn(SHARED, None, 0, 0.5, 1.0)
    for shared in (SHARED, OTHER):
        x = learner.features(shared)
        own = learner._own_evidence(x, learner._indices(None))
        assert own.min() < -0.05
        scales = _scales(learner, shared)
        np.testing.assert_array_equal(scales[own <= 0], 0.5)
        assert np.all(scales <= 0.5) and np.all(scales >= 0.2)


def test_a_restart_resumes_with_the_same_probabilities(tmp_path):
    learner = _learner()
    _feed(learner, 250)
    learner.save(tmp_path / "m.npz")
    again = JointRidgeLearner(learner.config, seed=7, model_path=tmp_path / "m.npz")
    again.set_actions(ACTIONS)
    np.testing.assert_array_equal(_scales(again), _scales(learner))
    np.testing.assert_array_equal(again.probabilities(SHARED), learner.probabilities(SHARED))


def test_counting_rewards_keeps_the_fingerprint_it_had():
    base = {"thompson": 0.5, "thompson_final": 0.2, "thompson_halfway": 100,
            "pool": "perturbed"}
    assert "thompson_counts" not in JointRidgeConfig(**base).fingerprint()
    assert (JointRidgeConfig(**base, thompson_counts="evidence").fingerprint()
            != JointRidgeConfig(**base).fingerprint())


@pytest.mark.parametrize("kwargs", [
    {"thompson_counts": "own"},
    {"thompson_counts": ""},
    {"thompson_counts": 1},
    {"thompson_counts": "evidence", "thompson_final": 0.0, "thompson_halfway": 0},
    {"thompson_counts": "evidence", "pool": "redrawn"},
])
def test_bad_counts_are_refused_naming_the_field(kwargs):
    fields = {"thompson": 0.5, "thompson_final": 0.2, "thompson_halfway": 100,
              "pool": "perturbed", **kwargs}
    with pytest.raises(PolicyConfigError, match=r"^thompson_counts:"):
        JointRidgeConfig(**fields)
