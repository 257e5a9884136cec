"""The ridge learners' slot table (``slots = "table"``, policies/hashed_ridge.py): each shared
feature learned from takes the next free slot, so features that CRC-32 puts in one slot are
told apart; choosing never changes the table; a full table hashes what comes later; the table
is saved with the model and the batch scorer reads it."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.hashed_ridge import feature_slot
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from policies.ridge_batch_scorer import RidgeBatchScorer
from policies.ridge_learner import RidgeConfig, RidgeLearner

ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}} for m in "ab" for c in ("email", "sms")]
KINDS = [(RidgeLearner, RidgeConfig), (JointRidgeLearner, JointRidgeConfig)]


def _colliding_pair(dim: int) -> tuple[str, str]:
    """Two feature names of namespace ``c`` that CRC-32 puts in the same of ``dim`` slots."""
    seen: dict[int, str] = {}
    for i in range(dim + 1):  # dim + 1 names in dim slots: two must share one
        name = f"x{i}"
        slot = feature_slot("c", name, dim)
        if slot in seen:
            return seen[slot], name
        seen[slot] = name
    raise AssertionError("pigeonhole")


def _learner(kind, **config):
    learner_cls, config_cls = kind
    learner = learner_cls(config_cls(dim=8, **config))
    learner.set_actions(ACTIONS)
    return learner


@pytest.mark.parametrize("kind", KINDS, ids=["ridge", "joint"])
def test_two_features_that_share_a_hashed_slot_are_learned_apart(kind):
    """Catches a table that falls back to hashing: the reward is +x_a - x_b, and in one hashed
    slot the model can only learn their sum's weight (its estimates then miss by about 1)."""
    a, b = _colliding_pair(8)
    rng = np.random.default_rng(0)
    errors = {}
    for slots in ("hashed", "table"):
        learner = _learner(kind, slots=slots, l2=0.01)
        for _ in range(400):
            xa, xb = rng.normal(size=2)
            learner.learn({"c": {a: xa, b: xb}}, None, 0, 0.25, xa - xb)
        probe = {"c": {a: 1.0, b: -1.0}}  # worth 2 to action 0
        errors[slots] = abs(learner.estimates(probe, [0])[0] - 2.0)
    assert errors["table"] < 0.05
    assert errors["hashed"] > 1.0


@pytest.mark.parametrize("kind", KINDS, ids=["ridge", "joint"])
def test_slots_are_given_in_learning_order_and_never_by_choosing(kind):
    learner = _learner(kind, slots="table")
    learner.probabilities({"c": {"late": 1.0, "seg": "vip"}})
    learner.estimates({"c": {"late": 1.0}})
    assert learner.slot_table() == {}
    learner.learn({"c": {"z": 2.0, "seg": "vip"}}, None, 1, 0.25, 1.0)
    learner.learn({"c": {"y": 1.0, "z": 3.0}}, None, 1, 0.25, 1.0)
    assert learner.slot_table() == {("c", "z"): 0, ("c", "seg=vip"): 1, ("c", "y"): 2}
    # a feature never learned from weighs nothing while the table has room
    np.testing.assert_array_equal(learner.estimates({"c": {"y": 1.0, "new": 5.0}}),
                                  learner.estimates({"c": {"y": 1.0}}))


@pytest.mark.parametrize("kind", KINDS, ids=["ridge", "joint"])
def test_a_full_table_hashes_the_features_that_come_later(kind):
    learner = _learner(kind, slots="table")
    learner.learn({"c": {f"f{i}": 1.0 for i in range(8)}}, None, 0, 0.25, 1.0)
    assert sorted(learner.slot_table().values()) == list(range(8))
    learner.learn({"c": {"late": 1.0}}, None, 0, 0.25, 1.0)
    assert ("c", "late") not in learner.slot_table()
    x = learner.features({"c": {"late": 3.0}})
    assert x[feature_slot("c", "late", 8)] == 3.0 and x[:-1].sum() == 3.0


@pytest.mark.parametrize("kind", KINDS, ids=["ridge", "joint"])
def test_the_table_is_saved_with_the_model_and_read_by_the_batch_scorer(kind, tmp_path):
    learner_cls, config_cls = kind
    learner = _learner(kind, slots="table")
    rng = np.random.default_rng(1)
    for i in range(60):
        shared = {"c": {f"f{j}": float(rng.normal()) for j in range(i % 5, i % 5 + 6)}}
        learner.learn(shared, None, i % 4, 0.25, float(rng.normal()))
    probes = [{"c": {f"f{j}": float(rng.normal()) for j in range(12)}} for _ in range(6)]
    want = np.array([learner.estimates(p) for p in probes])
    path = tmp_path / "model.npz"
    learner.save(path)
    again = learner_cls(config_cls(dim=8, slots="table"), model_path=path)
    again.set_actions(ACTIONS)
    assert again.slot_table() == learner.slot_table()
    np.testing.assert_array_equal([again.estimates(p) for p in probes], want)
    np.testing.assert_allclose(RidgeBatchScorer(again).scores(probes), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS, ids=["ridge", "joint"])
def test_the_setting_is_checked_and_hashed_keeps_the_fingerprint(kind):
    _, config_cls = kind
    with pytest.raises(PolicyConfigError, match=r"^slots: expected one of hashed, table"):
        config_cls(slots="exact")
    assert config_cls().fingerprint() == config_cls(slots="hashed").fingerprint()
    assert "slots" not in config_cls().fingerprint()
    assert '"slots": "table"' in config_cls(slots="table").fingerprint()
