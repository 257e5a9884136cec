"""Both ridge learners move every reward learned so far to a new unit exactly
(``HashedRidge.rescale_rewards``): rewards learned and then rescaled by ``c`` leave the same
model as the rewards times ``c`` learned from the start, forgetting or not."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyInputError
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from policies.ridge_learner import RidgeConfig, RidgeLearner

ACTIONS = [{"m": {"msg": m, "ch": c}} for m in ("a", "b", "c") for c in ("email", "sms")]


def _rows(n: int) -> list[tuple[dict, int, float]]:
    rng = np.random.default_rng(3)
    out = []
    for _ in range(n):
        shared = {"u": {"x": float(rng.normal()), "seg": str(rng.choice(["p", "q"]))}}
        a = int(rng.integers(len(ACTIONS)))
        out.append((shared, a, float(rng.normal(a * 0.3, 1.0))))
    return out


def _learner(kind: str, forget: float) -> RidgeLearner | JointRidgeLearner:
    learner = (RidgeLearner(RidgeConfig(dim=32, forget=forget, ucb=1.0)) if kind == "ridge"
               else JointRidgeLearner(JointRidgeConfig(dim=32, forget=forget, ucb=1.0)))
    learner.set_actions(ACTIONS)
    return learner


@pytest.mark.parametrize("kind", ["ridge", "joint"])
@pytest.mark.parametrize("forget", [1.0, 0.99])
def test_rescaling_what_was_learned_equals_learning_it_rescaled(kind, forget):
    rows = _rows(120)
    factor = 0.02  # a scale that moved fifty-fold
    moved, direct = _learner(kind, forget), _learner(kind, forget)
    for shared, a, r in rows[:80]:
        moved.learn(shared, None, a, 1 / 6, r)
        direct.learn(shared, None, a, 1 / 6, r * factor)
    moved.rescale_rewards(factor)
    for shared, a, r in rows[80:]:  # and it goes on learning in the new unit
        moved.learn(shared, None, a, 1 / 6, r)
        direct.learn(shared, None, a, 1 / 6, r)
    probe = rows[0][0]
    np.testing.assert_allclose(moved.estimates(probe), direct.estimates(probe), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(moved.optimistic_estimates(probe),
                               direct.optimistic_estimates(probe), rtol=1e-9, atol=1e-12)
    assert moved.reward_sd() == pytest.approx(direct.reward_sd(), rel=1e-9)
    np.testing.assert_allclose(moved.probabilities(probe), direct.probabilities(probe),
                               rtol=1e-9)


@pytest.mark.parametrize("factor", [0.0, -1.0, float("nan"), float("inf"), "2"])
def test_a_factor_that_is_not_a_positive_number_is_refused_and_changes_nothing(factor):
    learner = _learner("joint", 1.0)
    shared, a, r = _rows(1)[0]
    learner.learn(shared, None, a, 1 / 6, r)
    before = learner.estimates(shared)
    with pytest.raises(PolicyInputError, match="factor"):
        learner.rescale_rewards(factor)
    np.testing.assert_array_equal(learner.estimates(shared), before)
