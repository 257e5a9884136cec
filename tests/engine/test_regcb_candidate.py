"""The RegCB-opt candidate (``candidates = ["regcbopt"]``, VW's ``--regcbopt`` with its cost
range declared and a uniform floor mixed in): the engine logs the very probability its draw
used and never 0, it learns the engine world's best actions, every candidate resumes after a
restart or a crash, bad settings are refused naming the field. How it learns on the suite's
worlds: docs/engine.md, stop 31."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from engine.errors import ConfigError
from tests.engine.engine_world import (
    T0,
    check_resumes_after_restart_and_crash,
    context,
    make_engine,
    play,
    stream,
)

REGCB_FIRST = ["regcbopt", "squarecb"]


def test_the_logged_probability_is_the_floored_regcb_distribution(tmp_path):
    """Catches a logged propensity of 0 (VW's RegCB-opt plays one action with probability 1;
    without the floor the log could not be evaluated off-policy) or one that is not the
    distribution the draw used."""
    with make_engine(tmp_path, candidates=["regcbopt"]) as eng:
        stream(eng, 0, 400)
        regcb = eng._selection.learners["regcbopt"]
        counts: dict[int, int] = {}
        want = None
        for i in range(2000):  # no rewards now: the distribution is fixed
            d = eng.choose(f"fresh{i}", context(0), now=T0 + 500)
            rec = eng.log.get_decision(d.decision_id)
            p = regcb.probabilities(json.loads(rec.features_json), rec.eligible)
            assert p.sum() == pytest.approx(1.0, abs=1e-12)
            assert p.min() >= 0.05 / len(p) - 1e-12  # the default floor, 5 % uniform
            j = rec.eligible.index(d.action_index)
            assert d.probability == rec.probability == p[j]
            want = dict(zip(rec.eligible, p, strict=True)) if want is None else want
            counts[d.action_index] = counts.get(d.action_index, 0) + 1
        assert max(want.values()) > 0.9  # it committed to segment a's best action
        for a, pa in want.items():
            assert abs(counts.get(a, 0) / 2000 - pa) < 4 * np.sqrt(pa * (1 - pa) / 2000) + 1e-3


def test_it_learns_the_worlds_best_actions_on_a_scale_of_euros(tmp_path):
    """The cost range is declared on the engine's reward scale, so rewards of 80 (euros) learn
    as rewards of 1 do; catches a range given in the business's unit: with the rewards
    unscaled, the same range holds no reward of 80 and the learner stays near random play
    (which earns 1 in 4: 4 actions, one pays per segment)."""
    with make_engine(tmp_path / "one", candidates=["regcbopt"]) as eng:
        ones = play(eng, 600)[300:].mean()
    with make_engine(tmp_path / "euros", candidates=["regcbopt"]) as eng:
        euros = play(eng, 600, unit=80.0)[300:].mean()
    with make_engine(tmp_path / "raw", candidates=["regcbopt"], reward_scale=False) as eng:
        raw = play(eng, 600, unit=80.0)[300:].mean()
    assert ones > 0.8 and euros > 0.8 and raw < 0.5, (ones, euros, raw)


def test_every_candidate_resumes_after_a_restart_and_after_a_crash(tmp_path):
    """Catches RegCB's state missing from the checkpoint, or a replay that relearns (or skips)
    rewards: the restarted candidates equal the uninterrupted ones bit for bit."""
    check_resumes_after_restart_and_crash(tmp_path, REGCB_FIRST, "regcbopt")


@pytest.mark.parametrize("table, field", [
    ({"name": "r", "exploration": "regcbopt", "cost_min": 1.0}, "candidates[0].cost_max"),
    ({"name": "r", "exploration": "regcbopt", "cost_min": float("nan")},
     "candidates[0].cost_min"),
    ({"name": "r", "exploration": "regcbopt", "mellowness": -1}, "candidates[0].mellowness"),
    ({"name": "r", "exploration": "regcbopt", "epsilon": 2}, "candidates[0].epsilon"),
    ({"name": "r", "exploration": "regcbopt", "cost_range": [0, 1]},
     "candidates[0].cost_range"),
])
def test_bad_regcb_settings_are_refused_naming_the_field(tmp_path, table, field):
    with pytest.raises(ConfigError, match="^" + re.escape(field)):
        make_engine(tmp_path / "s", candidates=[table])
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())


def test_a_snapshots_fingerprint_rebuilds_the_regcb_configuration():
    """Catches the RegCB fields missing from the fingerprint a fleet snapshot carries (a
    replica would rebuild RegCB-opt on VW's default range)."""
    from engine.snapshots import config_of
    from policies.vw_config import VWConfig

    config = VWConfig(exploration="regcbopt", cost_min=-2.5, cost_max=0.5, mellowness=0.2)
    assert config_of(config.fingerprint()) == config
