"""Thompson sampling with a share of inverse gap weighting mixed in
(``JointRidgeConfig.thompson_mix``): the distribution is ``(1 - m)`` of Thompson sampling's and
``m`` of inverse gap weighting's over the same estimates, so the floor it gives an action
shrinks as that action's estimated gap grows; a live tiny world where Thompson sampling 0.5
alone leaves a segment unserved is served whole."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.hashed_ridge import HashedRidge
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from tests.engine.engine_world import make_engine, play

ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}} for m in "abc" for c in ("email", "sms")]
SHARED = [{"c": {"x": 0.3, "seg": s}} for s in "ab"]


def _learner(seed: int = 0, **config) -> JointRidgeLearner:
    learner = JointRidgeLearner(
        JointRidgeConfig(**{"dim": 8, "thompson": 0.5, "l2": 100.0, **config}), seed=seed)
    learner.set_actions(ACTIONS)
    return learner


def _feed(learner: JointRidgeLearner, n: int, seed: int = 0) -> None:
    """Segment a's reward is 1 for action 0, segment b's for action 3; others 0."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        seg = "ab"[i % 2]
        a = int(rng.integers(len(ACTIONS)))
        paid = a == (0 if seg == "a" else 3)
        learner.learn({"c": {"x": float(rng.normal()), "seg": seg}}, None, a,
                      1.0 / len(ACTIONS), float(paid))


@pytest.mark.parametrize("mix", [0.1, 0.5, 1.0])
def test_the_distribution_is_the_two_mixed(mix):
    """Two learners fed alike draw the same pools (a pool is seeded by the seed and the
    reward count), so the mixed one's distribution must be ``(1 - m)`` of the plain Thompson
    one's plus ``m`` of inverse gap weighting's on its own estimates."""
    mixed, plain = _learner(thompson_mix=mix), _learner()
    for learner in (mixed, plain):
        _feed(learner, 150)
    for shared in SHARED:
        igw = HashedRidge.probabilities(mixed, shared)
        want = (1.0 - mix) * plain.probabilities(shared) + mix * igw
        got = mixed.probabilities(shared)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        assert got.sum() == pytest.approx(1.0)


def test_the_mixed_in_share_shrinks_as_the_gaps_grow():
    """Inverse gap weighting's part gives an action estimated far below the best less and
    less: after 2,000 rewards an action that never pays gets under a fifth of the even share
    ``m / K`` that a fixed floor would give it forever."""
    learner = _learner(thompson_mix=0.3)
    _feed(learner, 2000)
    p = learner.probabilities(SHARED[0])
    assert p[0] > 0.8
    assert p[5] < 0.3 / len(ACTIONS) / 5


@pytest.mark.parametrize("fields", [
    {"thompson": 0.5, "thompson_mix": -0.1},
    {"thompson": 0.5, "thompson_mix": 1.5},
    {"thompson": 0.5, "thompson_mix": float("nan")},
    {"thompson": 0.5, "thompson_mix": True},
    {"thompson_mix": 0.1},  # without Thompson sampling it would do nothing
])
def test_bad_settings_are_refused_naming_the_field(fields):
    with pytest.raises(PolicyConfigError, match=r"^thompson_mix: expected"):
        JointRidgeConfig(**fields)


def test_off_by_default_and_the_fingerprint_is_unchanged():
    assert JointRidgeConfig().thompson_mix == 0.0
    assert "thompson_mix" not in JointRidgeConfig(thompson=0.5).fingerprint()
    assert '"thompson_mix": 0.1' in JointRidgeConfig(thompson=0.5, thompson_mix=0.1).fingerprint()


@pytest.mark.parametrize("seed", [2, 4])
def test_a_tiny_world_is_served_whole(tmp_path, seed):
    """The engine's tiny world (two segments, one paying pair each), seeds on which Thompson
    sampling 0.5 at the penalty 100 alone served one segment only (0.49 and 0.50 over the last
    500 of 1,500 decisions: `benchmarks/tiny_world_lock_in.py`). With a twentieth of inverse
    gap weighting mixed in (the shared default's), both segments are served."""
    joint = {"name": "joint", "exploration": "joint", "l2": 100.0, "gamma_scale": 30.0,
             "thompson": 0.5, "thompson_mix": 0.05}
    with make_engine(tmp_path, seed=seed, candidates=[joint, "ridge", "squarecb"]) as eng:
        got = play(eng, 1500)
    assert got[-500:].mean() > 0.9
