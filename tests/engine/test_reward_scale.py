"""The scale of rewards does not matter: 0/1 rewards and the same outcomes counted in euros
teach the engine alike, the scale it learned is in the checkpoint, and rows learned before the
scale moved are held in its new unit."""

from __future__ import annotations

import numpy as np
import pytest

from engine.candidate_learners import new_learner
from engine.candidates import SelectionSettings
from engine.learner_selection import LearnerSelection, LoggedRow
from policies.joint_ridge_learner import JointRidgeConfig
from policies.ridge_learner import RidgeConfig
from tests.engine.engine_world import T0, context, make_engine, reward_of


def _decisions(eng, lo: int, hi: int, times: float) -> list[int]:
    out = []
    for i in range(lo, hi):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        eng.reward(d.decision_id, times * reward_of(ctx, d.message, d.channel), now=T0 + i)
        out.append(d.action_index)
    return out


def test_euros_and_ones_make_the_same_decisions_when_rewards_are_scaled(tmp_path):
    kw = {"exploration": "squarecb", "reward_scale": True}
    with make_engine(tmp_path / "ones", **kw) as ones, \
            make_engine(tmp_path / "euros", **kw) as euros:
        assert _decisions(ones, 0, 400, 1.0) == _decisions(euros, 0, 400, 80.0)
        e = euros.choose("x", context(1), now=T0 + 500).explain()
        o = ones.choose("x", context(1), now=T0 + 500).explain()
        assert e.score == 80.0 * o.score  # explanations stay on the business scale


def test_without_scaling_the_scale_changes_what_squarecb_does(tmp_path):
    kw = {"exploration": "squarecb", "reward_scale": False}
    with make_engine(tmp_path / "ones", **kw) as ones, \
            make_engine(tmp_path / "euros", **kw) as euros:
        assert _decisions(ones, 0, 400, 1.0) != _decisions(euros, 0, 400, 80.0)


def test_the_learned_scale_survives_a_restart(tmp_path):
    kw = {"exploration": "squarecb", "reward_scale": True}
    with make_engine(tmp_path, **kw) as first:
        for i in range(300):  # orders worth 20 or 80: a scale between them
            ctx = context(i)
            d = first.choose(f"c{i}", ctx, now=T0 + i)
            value = (20.0 if i % 3 else 80.0) * reward_of(ctx, d.message, d.channel)
            first.reward(d.decision_id, value, now=T0 + i)
        scale = first._selection.scales["squarecb"].value
    assert 20.0 < scale < 80.0
    with make_engine(tmp_path, **kw) as again:
        assert again.stats()["replayed_on_start"] == 0
        assert again._selection.scales["squarecb"].value == scale


def _costs_then_orders() -> list[LoggedRow]:
    """What a live stream looks like when sending costs arrive before the first order: 60
    rewards of -0.01 or -0.002, then orders of 40-60 among the costs."""
    rng = np.random.default_rng(0)
    rows = []
    for seq in range(1, 201):
        a = int(rng.integers(4))
        reward = -0.01 if a % 2 else -0.002
        if seq > 60 and rng.random() < 0.1:
            reward = float(rng.uniform(40, 60))
        rows.append(LoggedRow(seq, {"u": {"x": float(rng.normal())}}, (0, 1, 2, 3), a, 0.25,
                              reward))
    return rows


@pytest.mark.parametrize("kind", ["ridge", "joint"])
def test_rows_learned_before_the_scale_moved_are_held_in_its_new_unit(kind):
    """The costs learned while the scale was a cost's (1,000x below an order) must not weigh
    as much as orders once the scale is an order's: a ridge candidate ends exactly where a
    learner taught every reward over the final scale ends."""
    actions = [{"m": {"msg": f"m{a // 2}", "ch": f"c{a % 2}"}} for a in range(4)]

    def fresh():
        learner = new_learner(RidgeConfig(dim=16) if kind == "ridge"
                              else JointRidgeConfig(dim=16))
        learner.set_actions(actions)
        return learner

    rows = _costs_then_orders()
    sel = LearnerSelection({"c": fresh()}, "c", SelectionSettings(), 4, reward_scale=True)
    for row in rows:
        sel.process_all(row)
    scale = sel.scales["c"].value
    assert 30 < scale < 70  # an order's size: the scale moved some thousandfold
    direct = fresh()
    for row in rows:
        direct.learn(row.shared, row.eligible, row.action, row.probability, row.reward / scale)
    probe = rows[0].shared
    np.testing.assert_allclose(sel.learners["c"].estimates(probe), direct.estimates(probe),
                               rtol=1e-8, atol=1e-12)
    sel.close()
    direct.close()
