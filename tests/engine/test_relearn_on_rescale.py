"""A Vowpal Wabbit candidate learns the log again when its reward scale moves far
(``LearnerSelection.relearn``): a send's cost met before any order must not stay learned as a
loss of one whole typical reward once orders have shown what a typical reward is."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ConfigError
from engine.learner_selection import RELEARN_FACTOR
from tests.engine.engine_world import CONSENT, T0, make_engine

#: RegCB-opt on the engine's scale (the suite's ``engine regcbscaled unit 1 alone``): greedy
#: between its confidence bounds, so a loss learned at the wrong scale is never revisited.
REGCB = [{"name": "regcb", "exploration": "regcbopt", "cb_type": "mtr", "cost_min": -2.0,
          "cost_max": 0.002, "epsilon": 0.0}]
BEST = {"a": ("welcome", "email"), "b": ("winback", "sms")}


def run(tmp_path, decisions: int, **selection) -> tuple[dict, float]:
    """Each send costs 0.002, reported 20 decisions after it; the segment's best message and
    channel brings an order of 40 at 60 %, added 40 decisions after it (``reward_mode =
    "sum"``), as orders follow sends; no contact is free (0, reported as a send's cost).
    Returns the engine's stats and the share of the last 300 decisions that sent the best
    message on the best channel."""
    rng = np.random.default_rng(0)
    best, orders = [], {}
    with make_engine(tmp_path, candidates=REGCB, holdout_fraction=0.0,
                     reward_mode="sum", selection=selection) as eng:
        for i in range(decisions):
            for did, value in orders.pop(i, ()):
                eng.reward(did, value, now=T0 + i)
            segment = "ab"[i % 2]
            ctx = {"segment": segment, "consent": CONSENT}
            d = eng.choose(f"c{i}", ctx, now=T0 + i)
            hit = (d.message, d.channel) == BEST[segment]
            orders.setdefault(i + 20, []).append(
                (d.decision_id, 0.0 if d.message is None else -0.002))
            if hit and rng.random() < 0.6:
                orders.setdefault(i + 40, []).append((d.decision_id, 40.0))
            best.append(hit)
        return eng.stats(), float(np.mean(best[-300:]))


def test_costs_met_before_any_order_are_learned_again_at_the_orders_scale(tmp_path):
    stats, share = run(tmp_path, 1200)
    assert stats["relearned"].get("regcb", 0) >= 1
    assert share > 0.9  # nearly every decision sends the best message on the best channel


def test_without_the_relearn_the_learner_keeps_its_first_losses(tmp_path):
    """The check on the test above: with the relearn off (``selection.relearn_factor = 0``),
    the same world locks RegCB-opt onto what it learned when a cost of 0.002 counted as a
    typical reward: no contact."""
    stats, share = run(tmp_path, 1200, relearn_factor=0)
    assert stats["relearned"] == {}
    assert share < 0.7  # measured 0.5: winback by sms to both segments (b's best, not a's)


def test_the_scale_learned_at_survives_a_restart(tmp_path):
    run(tmp_path / "a", 400)
    with make_engine(tmp_path / "a", candidates=REGCB, holdout_fraction=0.0) as again:
        sel = again._selection
        ratio = sel.scales["regcb"].value / sel.learned_at["regcb"]
        assert 1.0 / RELEARN_FACTOR <= ratio <= RELEARN_FACTOR  # not due again
        assert sel.learned_at["regcb"] > 1.0  # the orders' scale, not the first cost's


@pytest.mark.parametrize("factor", [1.0, 0.5, -2.0, float("nan"), float("inf"), True, "2"])
def test_a_bad_relearn_factor_is_refused_naming_the_field(tmp_path, factor):
    with pytest.raises(ConfigError, match=r"selection.relearn_factor: expected 0 \(never\)"):
        make_engine(tmp_path, candidates=REGCB, selection={"relearn_factor": factor})
    assert not (tmp_path / "checkpoint.json").exists()
