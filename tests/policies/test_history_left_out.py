"""The joint ridge without the contact history (``JointRidgeConfig.history = "left_out"``):
the history moves nothing it estimates while the context still does, the batch scorer and a
restart read the same, and a bad value is refused naming the field."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from policies.ridge_batch_scorer import RidgeBatchScorer

ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}, "a": {"id": f"{m}/{c}"}}
           for m in ("m0", "m1") for c in ("email", "sms")]


def _context(rng: np.random.Generator) -> dict[str, dict[str, object]]:
    return {"c": {"segment": str(rng.choice(["a", "b"]))},
            "h": {"contacts_7d": int(rng.integers(3)), "log_days_email": float(rng.random())}}


def _teach(learner: JointRidgeLearner, n: int = 300) -> None:
    """The reward follows the segment (a answers sms) and the history (contacts lower sms)."""
    rng = np.random.default_rng(0)
    for _ in range(n):
        ctx = _context(rng)
        a = int(rng.integers(len(ACTIONS)))
        sms = a % 2 == 1
        reward = (float((ctx["c"]["segment"] == "a") == sms)
                  - 0.5 * sms * float(ctx["h"]["contacts_7d"]))  # type: ignore[arg-type]
        learner.learn(ctx, None, a, 0.25, reward)


@pytest.mark.parametrize("slots", ["hashed", "table"])
def test_the_history_moves_no_estimate_and_the_context_still_does(slots):
    """Catches a history that still reaches the model (the crossed model's estimates move with
    it), and a filter that drops the context too; in hashed slots and in a table (where a
    history feature must not take a slot)."""
    left = JointRidgeConfig(dim=16, l2=1.0, slots=slots, history="left_out")
    with JointRidgeLearner(left) as without, \
            JointRidgeLearner(JointRidgeConfig(dim=16, l2=1.0, slots=slots)) as crossed:
        for j in (without, crossed):
            j.set_actions(ACTIONS)
            _teach(j)
        fresh = {"c": {"segment": "a"}, "h": {"contacts_7d": 0, "log_days_email": 0.1}}
        tired = {"c": {"segment": "a"}, "h": {"contacts_7d": 2, "log_days_email": 0.9}}
        other = {"c": {"segment": "b"}, "h": {"contacts_7d": 0, "log_days_email": 0.1}}
        np.testing.assert_allclose(without.estimates(fresh), without.estimates(tired),
                                   atol=1e-12)
        assert not np.allclose(crossed.estimates(fresh), crossed.estimates(tired), atol=1e-3)
        gap_a = without.estimates(fresh)[1] - without.estimates(fresh)[0]
        gap_b = without.estimates(other)[1] - without.estimates(other)[0]
        assert gap_a > 0.2 and gap_b < -0.5  # segment a answers sms, b email
        if slots == "table":
            assert {ns for ns, _ in without.slot_table()} == {"c"}


def test_the_batch_scorer_and_a_restart_leave_the_history_out(tmp_path):
    """Catches a scorer or a reloaded model that reads the history again."""
    cfg = JointRidgeConfig(dim=16, l2=1.0, slots="table", history="left_out")
    rng = np.random.default_rng(1)
    batch = [_context(rng) for _ in range(20)]
    with JointRidgeLearner(cfg) as j:
        j.set_actions(ACTIONS)
        _teach(j)
        one_by_one = np.array([j.estimates(ctx) for ctx in batch])
        np.testing.assert_allclose(RidgeBatchScorer(j).scores(batch), one_by_one, atol=1e-9)
        j.save(tmp_path / "model")
    with JointRidgeLearner(cfg, model_path=tmp_path / "model") as back:
        back.set_actions(ACTIONS)
        np.testing.assert_allclose([back.estimates(ctx) for ctx in batch], one_by_one,
                                   atol=1e-12)
        _teach(back, 50)  # a feature the restart has not seen must not take a slot either
        assert {ns for ns, _ in back.slot_table()} == {"c"}


def test_a_bad_history_is_refused_and_the_default_is_left_out_of_the_fingerprint():
    for bad in ("none", "", None, True):
        with pytest.raises(PolicyConfigError, match=r"^history:"):
            JointRidgeConfig(history=bad)  # type: ignore[arg-type]
    assert "history" not in JointRidgeConfig().fingerprint()
    assert "left_out" in JointRidgeConfig(history="left_out").fingerprint()
