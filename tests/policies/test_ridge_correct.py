"""A ridge learner's correction (``HashedRidge.correct``): a decision learned at one reward and
corrected to another is the model that learned the second in the first place."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyInputError
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from policies.ridge_learner import RidgeConfig, RidgeLearner

ACTIONS = [{"m": {"msg": m}, "k": {"channel": c}} for m in ("a", "b", "c") for c in ("e", "s")]
#: the shared default's joint ridge (engine.candidates.SHARED_DEFAULT_CANDIDATES)
SHARED_JOINT = JointRidgeConfig(gamma_scale=30.0, l2=100.0, thompson=0.5, thompson_mix=0.05,
                                pool="perturbed", redraw=300, history="left_out")
CONFIGS = {
    "ridge": lambda: RidgeLearner(RidgeConfig(dim=16, ucb=1.0, gamma_scale=100.0)),
    "joint, the shared default": lambda: JointRidgeLearner(SHARED_JOINT, seed=3),
    "joint, no Thompson sampling": lambda: JointRidgeLearner(JointRidgeConfig(l2=100.0)),
}


def _rows(n: int, seed: int = 0):
    """n decisions: a context of two categories, the chosen action, a reward of 0 or 1."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        seg, region = int(rng.integers(3)), int(rng.integers(2))
        a = int(rng.integers(len(ACTIONS)))
        reward = float(rng.random() < (0.6 if a == 2 * seg else 0.1))
        out.append(({"c": {"segment": f"s{seg}", "region": f"r{region}"}}, a, reward))
    return out


def _learner(name: str):
    learner = CONFIGS[name]()
    learner.set_actions(ACTIONS)
    return learner


@pytest.mark.parametrize("name", CONFIGS)
def test_zero_then_corrected_equals_the_total_learned_at_once(name):
    rows = _rows(400)
    direct, corrected = _learner(name), _learner(name)
    pending: list[int] = []
    for i, (shared, a, reward) in enumerate(rows):
        direct.learn(shared, None, a, 0.5, reward)
        corrected.learn(shared, None, a, 0.5, 0.0)
        pending.append(i)
        if len(pending) > 25:  # each decision's reward comes 25 decisions later
            j = pending.pop(0)
            corrected.correct(rows[j][0], None, rows[j][1], 0.5, 0.0, rows[j][2])
    for j in pending:
        corrected.correct(rows[j][0], None, rows[j][1], 0.5, 0.0, rows[j][2])
    assert direct.rewards_learned == corrected.rewards_learned == 400
    np.testing.assert_allclose(corrected.weights(), direct.weights(), atol=1e-10)
    assert corrected.reward_sd() == pytest.approx(direct.reward_sd(), rel=1e-9)
    for shared, _, _ in rows[:6]:
        np.testing.assert_allclose(corrected.probabilities(shared),
                                   direct.probabilities(shared), atol=1e-9)
    # a learner that took the correction as one more row is another model
    added = _learner(name)
    for shared, a, _ in rows:
        added.learn(shared, None, a, 0.5, 0.0)
    for shared, a, reward in rows:
        if reward:
            added.learn(shared, None, a, 0.5, reward)
    assert not np.allclose(added.weights(), direct.weights(), atol=1e-3)


def test_a_correction_back_and_forth_leaves_the_model_as_it_was():
    learner = _learner("joint, the shared default")
    for shared, a, reward in _rows(100):
        learner.learn(shared, None, a, 0.5, reward)
    before, sd = learner.weights(), learner.reward_sd()
    shared, a, _ = _rows(1, seed=9)[0]
    learner.correct(shared, None, a, 0.5, 0.0, 80.0)
    assert not np.allclose(learner.weights(), before)
    learner.correct(shared, None, a, 0.5, 80.0, 0.0)
    np.testing.assert_allclose(learner.weights(), before, atol=1e-9)
    assert learner.reward_sd() == pytest.approx(sd, rel=1e-9)


@pytest.mark.parametrize("previous, reward, match", [
    (float("nan"), 1.0, "previous must be finite"),
    (0.0, float("inf"), "reward must be finite"),
    (0.0, 1.0, "probability must lie in"),
])
def test_a_bad_correction_is_refused_and_changes_nothing(previous, reward, match):
    learner = _learner("ridge")
    shared, a, r = _rows(1)[0]
    learner.learn(shared, None, a, 0.5, r)
    before = learner.weights()
    prob = 0.0 if match.startswith("probability") else 0.5
    with pytest.raises(PolicyInputError, match=match):
        learner.correct(shared, None, a, prob, previous, reward)
    np.testing.assert_array_equal(learner.weights(), before)
