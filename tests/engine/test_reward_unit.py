"""A candidate's ``reward_unit``: what a typical reward counts as for that learner when the
engine scales rewards. Its learner sees rewards that many times the others' scaled ones; every
estimate and explanation stays on the business scale; the unit is configuration (in the
options' fingerprint when not 1, never in the saved sums), so a restart keeps it."""

from __future__ import annotations

import pytest

from engine.errors import CheckpointError, ConfigError
from engine.options import EngineOptions
from tests.engine.engine_world import make_engine, play, stream

BEST = {"c": {"segment": "a", "x": 0.5}, "h": {"contacts_1d": 0}}
CANDIDATES = ["squarecb", {"name": "big", "exploration": "squarecb", "reward_unit": 64.0}]


def top_learned(sel, name: str) -> float:
    """The highest reward candidate ``name``'s learner predicts for BEST, in its own unit."""
    return max(sel.learners[name].explain(BEST, a, 0)[0] for a in range(5))


def test_a_candidate_learns_rewards_in_its_unit_and_reports_them_on_the_business_scale(
        tmp_path):
    with make_engine(tmp_path, candidates=CANDIDATES) as eng:
        play(eng, 300, unit=80.0)  # a conversion worth 80 euros
        sel = eng._selection
        assert sel.scale_of("big") == pytest.approx(sel.scale_of("squarecb") / 64.0)
        small, big = top_learned(sel, "squarecb"), top_learned(sel, "big")
        assert big > 8.0 * small > 0.0  # learned on rewards of ~64, against ~1
        # on the business scale the two learners speak of the same euros (within the gap
        # between two learners, far from the factor 64 between their units)
        euros = sorted(sel.scale_of(n) * top_learned(sel, n) for n in ("squarecb", "big"))
        assert euros[0] > 10.0 and euros[1] < 8.0 * euros[0]


def test_the_unit_survives_a_restart(tmp_path):
    with make_engine(tmp_path, candidates=CANDIDATES) as eng:
        play(eng, 200, unit=80.0)
        before = eng._selection.scale_of("big")
    with make_engine(tmp_path, candidates=CANDIDATES) as again:
        assert again._selection.scale_of("big") == pytest.approx(before)
        assert again._selection.scales["big"].unit == 64.0


@pytest.mark.parametrize("unit", [0, -1.0, 1e9, "64", True, float("nan"), None])
def test_a_bad_unit_is_refused_naming_the_field(tmp_path, unit):
    with pytest.raises(ConfigError, match=r"candidates\[1\].reward_unit: expected a number"):
        make_engine(tmp_path, candidates=["squarecb", {"name": "big",
                                                       "exploration": "squarecb",
                                                       "reward_unit": unit}])
    assert not (tmp_path / "checkpoint.json").exists()


def test_a_checkpoint_learned_in_one_unit_is_refused_to_another(tmp_path):
    """Catches a model learned with rewards of ~1 resumed as if learned with rewards of ~64;
    a unit of 1 keeps the fingerprint of checkpoints made before the setting existed."""
    plain = [{"name": "big", "exploration": "squarecb"}]
    with make_engine(tmp_path, candidates=plain) as eng:
        stream(eng, 0, 20)
    with pytest.raises(CheckpointError, match="checkpoint"):
        make_engine(tmp_path, candidates=[{**plain[0], "reward_unit": 64.0}])
    assert EngineOptions(candidates=[{**plain[0], "reward_unit": 1}]).fingerprint() \
        == EngineOptions(candidates=plain).fingerprint()
