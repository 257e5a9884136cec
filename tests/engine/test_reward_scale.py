"""The scale of rewards does not matter: 0/1 rewards and the same outcomes counted in euros
teach the engine alike, and the scale it learned is in the checkpoint."""

from __future__ import annotations

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
