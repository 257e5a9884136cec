"""What the joint ridge reads: some context keys only (``JointRidgeConfig.context_keys``: the
keys named are all it reads), or the context without the contact history (``history =
"left_out"``: the history moves nothing it estimates while the context still does); the batch
scorer and a restart read the same, and bad values are refused naming the field."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError, PolicyInputError
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from policies.ridge_batch_scorer import RidgeBatchScorer

ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}, "a": {"id": f"{m}/{c}"}}
           for m in ("m0", "m1") for c in ("email", "sms")]


def _context(rng: np.random.Generator) -> dict[str, dict[str, object]]:
    return {"c": {"segment": str(rng.choice(["a", "b"])), "age": float(rng.normal()),
                  "region": str(rng.choice(["n", "s"]))},
            "h": {"contacts_7d": int(rng.integers(3)), "never_email": True}}


def _teach(learner: JointRidgeLearner, n: int = 300, tiring: float = 0.0) -> None:
    """The reward follows the segment (a answers sms), the age (it adds to email) and, by
    ``tiring``, the history (each contact in the last 7 days lowers sms)."""
    rng = np.random.default_rng(0)
    for _ in range(n):
        ctx = _context(rng)
        a = int(rng.integers(len(ACTIONS)))
        sms = a % 2 == 1
        reward = (float((ctx["c"]["segment"] == "a") == sms) + 0.5 * ctx["c"]["age"] * (not sms)
                  - tiring * sms * ctx["h"]["contacts_7d"])
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


#: filters of what the joint ridge reads: some context keys, or the context without the history
FILTERED = {"context keys": JointRidgeConfig(dim=16, l2=1.0, context_keys=("segment",)),
            "history left out": JointRidgeConfig(dim=16, l2=1.0, slots="table",
                                                 history="left_out")}


@pytest.mark.parametrize("name", FILTERED)
def test_the_batch_scorer_and_a_restart_read_what_the_filter_keeps(tmp_path, name):
    """Catches a scorer or a reloaded model that reads every feature again."""
    cfg = FILTERED[name]
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
        _teach(back, 50)
        if cfg.slots == "table":  # a feature the restart has not seen must not take a slot
            assert {ns for ns, _ in back.slot_table()} == {"c"}


def test_bad_context_keys_are_refused_and_an_empty_list_is_left_out_of_the_fingerprint():
    for bad in ("segment", ["segment", "segment"], [""], [3], ["a\nb"], ["k"] * 65):
        with pytest.raises(PolicyConfigError, match=r"^context_keys:"):
            JointRidgeConfig(context_keys=bad)  # type: ignore[arg-type]
    assert "context_keys" not in JointRidgeConfig().fingerprint()
    keyed = JointRidgeConfig(context_keys=["segment"])  # type: ignore[arg-type]
    assert keyed.context_keys == ("segment",) and "segment" in keyed.fingerprint()


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
            _teach(j, tiring=0.5)
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


def test_a_bad_history_is_refused_and_the_default_is_left_out_of_the_fingerprint():
    for bad in ("none", "", None, True):
        with pytest.raises(PolicyConfigError, match=r"^history:"):
            JointRidgeConfig(history=bad)  # type: ignore[arg-type]
    assert "history" not in JointRidgeConfig().fingerprint()
    assert "left_out" in JointRidgeConfig(history="left_out").fingerprint()


def test_a_left_out_history_is_not_read_at_all():
    """Catches the history's items formatted and looked up only to be dropped (what it cost the
    engine's pair before stop 40): a history whose value no reader accepts passes unread
    where the history is left out, and is refused where the model crosses it; the features
    of the context are the same with or without the history."""
    odd = {"c": {"segment": "a", "age": 0.3}, "h": {"contacts_7d": {"not": "a number"}}}
    with JointRidgeLearner(JointRidgeConfig(dim=16, history="left_out")) as left, \
            JointRidgeLearner(JointRidgeConfig(dim=16)) as crossed:
        for j in (left, crossed):
            j.set_actions(ACTIONS)
        for learning in (False, True):
            np.testing.assert_array_equal(left.features(odd, learning=learning),
                                          left.features({"c": odd["c"]}, learning=learning))
        with pytest.raises(PolicyInputError, match=r"h\.contacts_7d"):
            crossed.features(odd)
