"""Thompson sampling on the joint ridge (``JointRidgeConfig.thompson``): the distribution is the
pool's share of wins plus an even floor, never 0; it concentrates on the best actions; the
pool is the same after a save and load and on a replay of the same rewards; rewards in another
unit give the same decisions; bad settings are refused naming the field."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.joint_ridge_learner import THOMPSON_FLOOR, JointRidgeConfig, JointRidgeLearner

ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}} for m in "abc" for c in ("email", "sms", "push")]
BEST = {"a": 0, "b": 4}  # segment a: (a, email); segment b: (b, sms)


def _learner(seed: int = 0, **config) -> JointRidgeLearner:
    learner = JointRidgeLearner(JointRidgeConfig(**{"thompson": 0.5, "l2": 1.0, **config}),
                                seed=seed)
    learner.set_actions(ACTIONS)
    return learner


def _feed(learner: JointRidgeLearner, n: int, unit: float = 1.0, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for i in range(n):
        seg = "ab"[i % 2]
        shared = {"c": {"x": float(rng.normal()), "seg": seg}}
        p = learner.probabilities(shared)
        a = int(rng.choice(len(ACTIONS), p=p))
        reward = float(a == BEST[seg]) + 0.1 * float(rng.normal())
        learner.learn(shared, None, a, float(p[a]), unit * reward)


def test_the_distribution_is_the_pools_share_of_wins_plus_an_even_floor():
    learner = _learner()
    _feed(learner, 50)
    p = learner.probabilities({"c": {"x": 0.2, "seg": "a"}}, [1, 2, 5, 7])
    assert p.shape == (4,) and abs(p.sum() - 1.0) < 1e-12
    assert (p >= THOMPSON_FLOOR / 4).all()
    share = (p - THOMPSON_FLOOR / 4) / (1.0 - THOMPSON_FLOOR) * 64  # whole draws of 64
    np.testing.assert_allclose(share, np.round(share), atol=1e-9)


def test_it_learns_each_segments_best_action():
    """Catches a pool never redrawn from the learned posterior (it would stay near uniform)."""
    learner = _learner()
    _feed(learner, 400)
    for seg, best in BEST.items():
        assert learner.probabilities({"c": {"x": 0.0, "seg": seg}})[best] > 0.9


def test_a_saved_model_and_a_replay_give_the_same_distributions(tmp_path):
    """Catches a pool missing from the saved model, or drawn from an unseeded generator."""
    learner = _learner(seed=5, thompson=3.0)  # wide: the distributions are spread
    _feed(learner, 40)  # the last pool drawn at 32: 8 rewards before the save
    probes = [{"c": {"x": float(x), "seg": s}} for x in (-1.0, 0.5) for s in "ab"]
    want = np.array([learner.probabilities(p) for p in probes])
    learner.save(tmp_path / "m.npz")
    again = JointRidgeLearner(learner.config, seed=5, model_path=tmp_path / "m.npz")
    again.set_actions(ACTIONS)
    np.testing.assert_array_equal([again.probabilities(p) for p in probes], want)
    replay = _learner(seed=5, thompson=3.0)
    _feed(replay, 40)
    np.testing.assert_array_equal([replay.probabilities(p) for p in probes], want)
    other_seed = _learner(seed=6, thompson=3.0)
    _feed(other_seed, 40)
    assert not np.array_equal([other_seed.probabilities(p) for p in probes], want)


def test_rewards_in_another_unit_give_the_same_decisions():
    """The posterior's spread is in the rewards' own standard deviation: rewards x40 (euros
    against conversions) must explore exactly as much."""
    ones, euros = _learner(), _learner()
    _feed(ones, 200)
    _feed(euros, 200, unit=40.0)
    probe = {"c": {"x": 0.3, "seg": "b"}}
    np.testing.assert_allclose(euros.probabilities(probe), ones.probabilities(probe),
                               rtol=0, atol=1e-12)
    euros.rescale_rewards(1.0 / 40.0)  # the engine's scale moving: the same decisions still
    np.testing.assert_allclose(euros.probabilities(probe), ones.probabilities(probe),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("fields, name", [
    ({"thompson": -0.1}, "thompson"), ({"thompson": 0.2, "ucb": 1.0}, "ucb"),
    ({"draws": 0}, "draws"), ({"redraw": 0}, "redraw"), ({"draws": 2.5}, "draws"),
])
def test_bad_settings_are_refused_naming_the_field(fields, name):
    with pytest.raises(PolicyConfigError, match=f"^{name}: expected"):
        JointRidgeConfig(**fields)


def test_off_by_default_and_the_fingerprint_is_unchanged():
    assert JointRidgeConfig().thompson == 0.0
    assert "thompson" not in JointRidgeConfig().fingerprint()
    assert '"thompson": 0.2' in JointRidgeConfig(thompson=0.2).fingerprint()


@pytest.mark.parametrize("first", [0.0, -0.02])
def test_rewards_all_alike_at_first_do_not_collapse_the_draws(first):
    """A world's first matured rewards are often all 0 (or all one sending cost). Catches a
    posterior spread of 0 then: every draw is the mean, every action ties, and the first
    action wins every draw (p 0.99 for it, the collapse the engine met on `baseline`)."""
    learner = _learner()
    for i in range(8):
        learner.learn({"c": {"x": 1.0, "seg": "ab"[i % 2]}}, None, 8, 0.1, first)
    p = learner.probabilities({"c": {"x": 0.5, "seg": "a"}})
    assert p.max() < 0.5 and (p > THOMPSON_FLOOR / len(ACTIONS) + 0.02).sum() >= 3
