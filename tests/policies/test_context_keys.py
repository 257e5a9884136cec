"""The joint ridge of some context keys only (``JointRidgeConfig.context_keys``): the keys named
are all it reads, the batch scorer and a restart read the same, and bad keys are refused naming
the field."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from policies.ridge_batch_scorer import RidgeBatchScorer

ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}, "a": {"id": f"{m}/{c}"}}
           for m in ("m0", "m1") for c in ("email", "sms")]


def _context(rng: np.random.Generator) -> dict[str, dict[str, object]]:
    return {"c": {"segment": str(rng.choice(["a", "b"])), "age": float(rng.normal()),
                  "region": str(rng.choice(["n", "s"]))},
            "h": {"contacts_7d": int(rng.integers(3)), "never_email": True}}


def _teach(learner: JointRidgeLearner, n: int = 300) -> None:
    """The reward follows the segment (a answers sms) and the age (it adds to email)."""
    rng = np.random.default_rng(0)
    for _ in range(n):
        ctx = _context(rng)
        a = int(rng.integers(len(ACTIONS)))
        sms = a % 2 == 1
        reward = float((ctx["c"]["segment"] == "a") == sms) + 0.5 * ctx["c"]["age"] * (not sms)
        learner.learn(ctx, None, a, 0.25, reward)


@pytest.mark.parametrize("slots", ["hashed", "table"])
def test_only_the_named_keys_move_the_estimates(slots):
    """Catches a filter that lets another key or the history through (the age moves the
    estimates of the model of every feature), and one that drops the named key; in hashed
    slots and in a table (where a feature left out must not take a slot either)."""
    keyed = JointRidgeConfig(dim=16, l2=1.0, slots=slots, context_keys=("segment",))
    with JointRidgeLearner(keyed) as seg, \
            JointRidgeLearner(JointRidgeConfig(dim=16, l2=1.0, slots=slots)) as every:
        for j in (seg, every):
            j.set_actions(ACTIONS)
            _teach(j)
        base = {"c": {"segment": "a", "age": 0.0, "region": "n"}, "h": {"contacts_7d": 0}}
        older = {"c": {"segment": "a", "age": 2.0, "region": "s"}, "h": {"contacts_7d": 2}}
        other = {"c": {"segment": "b", "age": 0.0, "region": "n"}, "h": {"contacts_7d": 0}}
        np.testing.assert_allclose(seg.estimates(base), seg.estimates(older), atol=1e-12)
        assert not np.allclose(every.estimates(base), every.estimates(older), atol=1e-3)
        gap_a = seg.estimates(base)[1] - seg.estimates(base)[0]
        gap_b = seg.estimates(other)[1] - seg.estimates(other)[0]
        assert gap_a > 0.5 and gap_b < -0.3  # segment a answers sms, b email
        if slots == "table":
            assert {name for _, name in seg.slot_table()} == {"segment=a", "segment=b"}


def test_the_batch_scorer_and_a_restart_read_the_same_keys(tmp_path):
    """Catches a scorer or a reloaded model that reads every feature again."""
    cfg = JointRidgeConfig(dim=16, l2=1.0, context_keys=("segment",))
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


def test_bad_context_keys_are_refused_and_an_empty_list_is_left_out_of_the_fingerprint():
    for bad in ("segment", ["segment", "segment"], [""], [3], ["a\nb"], ["k"] * 65):
        with pytest.raises(PolicyConfigError, match=r"^context_keys:"):
            JointRidgeConfig(context_keys=bad)  # type: ignore[arg-type]
    assert "context_keys" not in JointRidgeConfig().fingerprint()
    keyed = JointRidgeConfig(context_keys=["segment"])  # type: ignore[arg-type]
    assert keyed.context_keys == ("segment",) and "segment" in keyed.fingerprint()
