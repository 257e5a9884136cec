"""The ridge learner's optimism (``RidgeConfig.ucb``): its inverse gap weighting runs over
``estimate + ucb * sd * sqrt(x' A_a^-1 x)``, so the exploration it leaves goes to what the model
knows least; the width is the full quadratic form, the reward sd is the rewards' own, and both
survive a save; the same for the joint ridge (``JointRidgeConfig.ucb``)."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.hashed_ridge import inverse_gap_weights
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from policies.ridge_learner import RidgeConfig, RidgeLearner

ACTIONS = [{"m": {"msg": f"m{a}"}} for a in range(4)]


def _context(rng: np.random.Generator) -> dict:
    return {"c": {"x": float(rng.normal()), "y": float(rng.normal()),
                  "seg": str(rng.choice(["a", "b", "c"]))}}


def _fed(config: RidgeConfig, plays: list[int], seed: int = 0) -> RidgeLearner:
    """A learner that saw ``plays[a]`` rewards of action ``a``, each 1 with probability 0.5."""
    rng = np.random.default_rng(seed)
    r = RidgeLearner(config)
    r.set_actions(ACTIONS)
    for a, n in enumerate(plays):
        for _ in range(n):
            r.learn(_context(rng), None, a, 0.25, float(rng.random() < 0.5))
    return r


def test_the_width_is_the_dense_quadratic_form_with_the_rewards_sd():
    """Catches a width taken over the wrong slots (the sparse gather), the wrong action's
    A^-1 or the wrong sd: it is checked against the dense ``x' A_a^-1 x``."""
    r = _fed(RidgeConfig(dim=16, ucb=2.0), [30, 5, 0, 12])
    s = _context(np.random.default_rng(9))
    x = r.features(s)
    dense = np.array([x @ r._ainv[a] @ x for a in range(4)])
    expected = r.estimates(s) + 2.0 * r.reward_sd() * np.sqrt(dense)
    np.testing.assert_allclose(r.optimistic_estimates(s), expected, rtol=1e-12)
    np.testing.assert_allclose(r.optimistic_estimates(s, [3, 1]), expected[[3, 1]],
                               rtol=1e-12)
    rewards = []  # the sd is of the rewards learned, population form
    rng = np.random.default_rng(0)
    for n in [30, 5, 0, 12]:
        for _ in range(n):
            _context(rng)
            rewards.append(float(rng.random() < 0.5))
    assert r.reward_sd() == pytest.approx(np.std(rewards), rel=1e-12)


def test_optimism_sends_the_exploration_to_the_action_known_least():
    """Catches optimism that does nothing (ucb ignored) or points the wrong way: among actions
    whose estimates are all about 0.5, the one never played gets the most mass with ucb, while
    without it the probabilities ignore how much each action was played."""
    plays = [400, 400, 400, 0]
    s = _context(np.random.default_rng(5))
    plain = _fed(RidgeConfig(dim=16, gamma_scale=100.0), plays).probabilities(s)
    hopeful = _fed(RidgeConfig(dim=16, gamma_scale=100.0, ucb=1.0), plays).probabilities(s)
    assert int(np.argmax(hopeful)) == 3
    assert hopeful[3] > 0.5 > plain[3]
    assert np.all(hopeful > 0) and hopeful.sum() == pytest.approx(1.0)


def test_ucb_zero_is_the_plain_learner_and_keeps_old_fingerprints():
    """Catches a fingerprint change that would refuse every ridge checkpoint written before
    ``ucb`` existed, and an optimism that leaks in at 0."""
    assert "ucb" not in RidgeConfig().fingerprint()
    assert '"ucb": 1.0' in RidgeConfig(ucb=1.0).fingerprint()
    r = _fed(RidgeConfig(dim=16), [10, 3, 0, 7])
    s = _context(np.random.default_rng(1))
    np.testing.assert_array_equal(r.probabilities(s),
                                  inverse_gap_weights(r.estimates(s), r.gamma()))


def test_an_optimistic_model_resumes_exactly(tmp_path):
    """Catches reward moments lost in a save: the reloaded sd (and so its probabilities)
    would be 1.0's."""
    cfg = RidgeConfig(dim=16, ucb=1.0, gamma_scale=100.0)
    r = _fed(cfg, [20, 9, 2, 0])
    r.save(tmp_path / "m.npz")
    back = RidgeLearner(cfg, model_path=tmp_path / "m.npz")
    s = _context(np.random.default_rng(2))
    assert back.reward_sd() == r.reward_sd() != 1.0
    np.testing.assert_array_equal(back.probabilities(s), r.probabilities(s))


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), True, "1"])
def test_a_bad_ucb_is_refused_naming_it(bad):
    with pytest.raises(PolicyConfigError, match=r"^ucb:"):
        RidgeConfig(ucb=bad)


GRID = [{"m": {"msg": m}, "n": {"ch": c}, "a": {"id": f"{m}-{c}"}}
        for m in ("a", "b", "c") for c in ("email", "sms")]


def _joint(config: JointRidgeConfig, n: int, seed: int = 0) -> JointRidgeLearner:
    rng = np.random.default_rng(seed)
    j = JointRidgeLearner(config)
    j.set_actions(GRID)
    for _ in range(n):
        s = _context(rng)
        a = int(rng.integers(len(GRID)))
        j.learn(s, None, a, 1 / len(GRID), float(rng.random() < 0.3 + 0.1 * (a % 3)))
    return j


def test_the_joint_width_is_the_dense_quadratic_form_of_each_actions_joint_features():
    """Catches a width that drops the cross terms between the context blocks and the per-action
    constants, or reads the wrong rows: checked against ``phi_a' A^-1 phi_a`` built densely
    from the learner's own ``_phi``, for every action and for a subset."""
    j = _joint(JointRidgeConfig(dim=16, ucb=1.5), 80)
    assert j._zb.shape[1] > 0  # the ids are per-action constants: their terms are exercised
    s = _context(np.random.default_rng(3))
    x = j.features(s)
    dense = []
    for a in range(len(GRID)):
        nz, val = j._phi(x, a)
        phi = np.zeros(j.joint_dim)
        phi[nz] = val
        dense.append(phi @ j._ainv @ phi)
    expected = j.estimates(s) + 1.5 * j.reward_sd() * np.sqrt(dense)
    np.testing.assert_allclose(j.optimistic_estimates(s), expected, rtol=1e-10)
    np.testing.assert_allclose(j.optimistic_estimates(s, [5, 0]), expected[[5, 0]],
                               rtol=1e-10)


def test_an_optimistic_joint_model_resumes_exactly_and_old_fingerprints_hold(tmp_path):
    cfg = JointRidgeConfig(dim=16, ucb=1.0, gamma_scale=100.0)
    j = _joint(cfg, 40)
    j.save(tmp_path / "j.npz")
    back = JointRidgeLearner(cfg, model_path=tmp_path / "j.npz")
    back.set_actions(GRID)
    s = _context(np.random.default_rng(4))
    assert back.reward_sd() == j.reward_sd() != 1.0
    np.testing.assert_array_equal(back.probabilities(s), j.probabilities(s))
    assert "ucb" not in JointRidgeConfig().fingerprint()
    plain = _joint(JointRidgeConfig(dim=16), 40)
    np.testing.assert_array_equal(plain.probabilities(s),
                                  inverse_gap_weights(plain.estimates(s), plain.gamma()))
    with pytest.raises(PolicyConfigError, match=r"^ucb:"):
        JointRidgeConfig(ucb=-1.0)
