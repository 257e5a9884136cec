"""Thompson sampling's scale falling with the rewards learned (``JointRidgeConfig.
thompson_final`` and ``thompson_halfway``): the draws' spread around the ridge's mean is
``final + (thompson - final) * h / (h + n)`` times the fixed scale's, under either pool; a
restart resumes at the scale it left; bad settings are refused naming the field."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from tests.policies.test_thompson_pool import ACTIONS, _feed

SHARED = {"c": {"x": 0.3, "y": -1.2, "s": "s1"}}


def _learner(pool: str = "perturbed", **config) -> JointRidgeLearner:
    fields = {"dim": 8, "thompson": 0.5, "l2": 3.0, "pool": pool, "redraw": 100, **config}
    learner = JointRidgeLearner(JointRidgeConfig(**fields), seed=7)
    learner.set_actions(ACTIONS)
    return learner


def _spread(learner: JointRidgeLearner) -> np.ndarray:
    """Each draw's estimate of each action minus the ridge's mean estimate."""
    x = learner.features(SHARED)
    idx = learner._indices(None)
    mean = learner._estimate(x, idx)
    return learner._pool_estimates(x, idx, mean) - mean[None, :]


@pytest.mark.parametrize("pool", ["perturbed", "redrawn"])
@pytest.mark.parametrize("n, scale", [(200, 0.35), (600, 0.275)])
def test_the_draws_spread_falls_as_the_schedule_says(pool, n, scale):
    """Halfway at 200 rewards from 0.5 to 0.2: 0.35 of the rewards' spread after 200, 0.275
    after 600, against 0.5 for the fixed scale on the same rows and seed (the same noise).
    Fails if the schedule is not read where the draws are scaled (the ratio is then 1)."""
    fixed, falling = _learner(pool), _learner(pool, thompson_final=0.2, thompson_halfway=200)
    for learner in (fixed, falling):
        _feed(learner, n)
    assert falling._thompson_scale() == pytest.approx(scale)
    ratio = _spread(falling) / _spread(fixed)
    np.testing.assert_allclose(ratio, scale / 0.5, rtol=1e-9)


def test_the_scale_starts_at_thompson_and_nears_the_final_one():
    learner = _learner(thompson_final=0.2, thompson_halfway=100)
    assert learner._thompson_scale() == 0.5
    _feed(learner, 9_900)
    assert learner._thompson_scale() == pytest.approx(0.203)


def test_a_restart_resumes_at_the_scale_it_left(tmp_path):
    learner = _learner(thompson_final=0.2, thompson_halfway=200)
    _feed(learner, 300)
    learner.save(tmp_path / "m.npz")
    again = JointRidgeLearner(learner.config, seed=7, model_path=tmp_path / "m.npz")
    again.set_actions(ACTIONS)
    assert again._thompson_scale() == pytest.approx(0.2 + 0.3 * 200 / 500)
    np.testing.assert_array_equal(again.probabilities(SHARED), learner.probabilities(SHARED))


def test_a_fixed_scale_keeps_the_fingerprint_it_had():
    """Checkpoints written before the schedule existed still open: its fields at their
    defaults leave the fingerprint unchanged, and a schedule changes it."""
    base = {"thompson": 0.5, "pool": "perturbed", "redraw": 300}
    fingerprint = JointRidgeConfig(**base).fingerprint()
    assert "thompson_halfway" not in fingerprint and "thompson_final" not in fingerprint
    assert (JointRidgeConfig(**base, thompson_final=0.2, thompson_halfway=1000).fingerprint()
            != JointRidgeConfig(**base).fingerprint())


@pytest.mark.parametrize("kwargs, field", [
    ({"thompson": 0.5, "thompson_final": 0.5, "thompson_halfway": 100}, "thompson_final"),
    ({"thompson": 0.5, "thompson_final": 0.7, "thompson_halfway": 100}, "thompson_final"),
    ({"thompson": 0.5, "thompson_final": 0.2}, "thompson_final"),
    ({"thompson": 0.5, "thompson_final": -0.1, "thompson_halfway": 100}, "thompson_final"),
    ({"thompson": 0.5, "thompson_final": float("nan"), "thompson_halfway": 100},
     "thompson_final"),
    ({"thompson_halfway": 100}, "thompson_halfway"),
    ({"thompson": 0.5, "thompson_halfway": -1}, "thompson_halfway"),
    ({"thompson": 0.5, "thompson_halfway": 1.5}, "thompson_halfway"),
    ({"thompson": 0.5, "thompson_halfway": True}, "thompson_halfway"),
])
def test_bad_schedules_are_refused_naming_the_field(kwargs, field):
    with pytest.raises(PolicyConfigError, match=f"^{field}:"):
        JointRidgeConfig(**kwargs)
