"""No accepted input drives the learner to NaN or infinity, and every answer stays valid JSON.

Long sequences of the extremes the engine accepts (context numbers at +-1e15 and at float64's
smallest, rewards at the ends of the reward range and subnormal ones), under every exploration the
engine offers; then a restart from the checkpoint. Before the fix, one reward of 1e308 (or of
4.78e-161, written into VW's text as a cost VW's parser reads as NaN) made every weight NaN.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from engine import Engine
from engine.clock import ManualClock
from engine.errors import RewardError
from engine.features import MAX_CONTEXT_NUMBER
from policies.vw_format import FLOAT32_TINY, cb_label, shared_line, vw_number
from tests.engine.engine_world import OPEN_RULES, T0

X = [MAX_CONTEXT_NUMBER, -MAX_CONTEXT_NUMBER, 5e-324, -4.78e-161, FLOAT32_TINY, 1e-300, 0.0,
     3.25, 999_999_999_999_999.9]
R = [1e6, -1e6, 4.78e-161, -1e-300, 5e-324, 0.0, 999_999.999_999_999_9, -929_484.85, 1.0]


def _engine(state_dir, exploration: str) -> Engine:
    return Engine(messages=["a", "b", "c"], channels=["email", "sms"], timings=["now", "in 2h"],
                  state_dir=state_dir, seed=0, rules=OPEN_RULES, exploration=exploration,
                  clock=ManualClock(T0), checkpoint_every=97)


def _finite_answers(eng: Engine) -> list[float]:
    d = eng.choose("probe", {"x0": 1.0, "seg": "s1", "consent": {"email": True, "sms": True}})
    explanation = d.explain().as_dict()
    json.dumps(explanation, allow_nan=False)  # a bare NaN or Infinity raises here
    json.dumps(d.as_dict(), allow_nan=False)
    assert explanation["score"] is not None
    return [explanation["score"], *(a["score"] for a in explanation["top_actions"])]


@pytest.mark.parametrize("exploration", ["epsilon", "squarecb", "bag"])
def test_the_accepted_extremes_never_make_the_learner_nan(tmp_path, exploration):
    rng = np.random.default_rng(0)
    with _engine(tmp_path, exploration) as eng:
        for i in range(600):
            eng.clock.advance(1)
            ctx = {f"x{k}": float(rng.choice(X)) for k in range(3)}
            ctx.update(tenure_days=float(rng.choice(X)), seg=f"s{i % 4}",
                       consent={"email": True, "sms": True})
            d = eng.choose(f"c{i % 50}", ctx)
            eng.reward(d.decision_id, float(rng.choice(R)))
            if i % 60 == 0:
                assert all(math.isfinite(s) for s in _finite_answers(eng))
    with _engine(tmp_path, exploration) as again:  # the checkpoint and the replay keep it so
        assert all(math.isfinite(s) for s in _finite_answers(again))


def test_summed_corrections_stay_within_the_range(tmp_path):
    with Engine(messages=["a"], channels=["email"], state_dir=tmp_path, rules=OPEN_RULES,
                reward_mode="sum", reward_range=(-10, 10), clock=ManualClock(T0)) as eng:
        d = eng.choose("c", {"consent": {"email": True}})
        eng.reward(d.decision_id, 8.0)
        with pytest.raises(RewardError, match=r"value: expected a number in \[-10, 10\], got 16"):
            eng.reward(d.decision_id, 8.0)
        assert eng.reward(d.decision_id, 2.0).total == 10.0


def test_vw_text_never_carries_a_float32_subnormal():
    assert vw_number(-4.78e-161) == 0.0 and vw_number(FLOAT32_TINY) == FLOAT32_TINY
    assert cb_label(-4.78e-161, 0.5) == "0:0:0.5"
    assert shared_line({"c": {"x": 1e-300, "y": 2.5}}) == "shared |c y:2.5"
