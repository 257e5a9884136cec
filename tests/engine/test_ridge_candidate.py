"""The closed-form ridge candidate (``candidates = [..., "ridge"]``): the engine logs the very
probability its draw used, every candidate resumes after a restart or a crash, bad settings are
refused naming the field. The fleet (snapshots, replicas, the learner loop) serving it:
tests/engine/test_ridge_fleet.py; campaigns scoring with it: tests/engine/test_campaign_model.py.
How it learns against the VW default: tests/experiments/test_ridge_on_iris.py."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from engine.errors import CheckpointError, ConfigError
from tests.engine.engine_world import (
    T0,
    check_resumes_after_restart_and_crash,
    context,
    make_engine,
    stream,
)

RIDGE_FIRST = ["ridge", "squarecb"]


def test_the_logged_probability_is_the_ridge_distribution_the_draw_used(tmp_path):
    """Catches a logged propensity that is not the serving distribution's (off-policy
    evaluation would be biased), a feasible action at 0, or draws that do not follow it."""
    with make_engine(tmp_path, candidates=["ridge"]) as eng:
        stream(eng, 0, 400)
        ridge = eng._selection.learners["ridge"]
        counts: dict[int, int] = {}
        want = None
        for i in range(3000):  # no rewards now: the model, hence the distribution, is fixed
            d = eng.choose(f"fresh{i}", context(0), now=T0 + 500)
            rec = eng.log.get_decision(d.decision_id)
            p = ridge.probabilities(json.loads(rec.features_json), rec.eligible)
            assert p.sum() == pytest.approx(1.0, abs=1e-12) and (p > 0).all()
            j = rec.eligible.index(d.action_index)
            assert d.probability == rec.probability == p[j]
            want = dict(zip(rec.eligible, p, strict=True)) if want is None else want
            counts[d.action_index] = counts.get(d.action_index, 0) + 1
        assert max(want.values()) > 0.9  # it learned segment a's best action
        for a, pa in want.items():  # within 4 standard errors of the distribution
            assert abs(counts.get(a, 0) / 3000 - pa) < 4 * np.sqrt(pa * (1 - pa) / 3000) + 1e-3


def test_every_candidate_resumes_after_a_restart_and_after_a_crash(tmp_path):
    """Catches ridge state missing from the checkpoint, or a replay that relearns (or skips)
    rewards: the restarted candidates equal the uninterrupted ones bit for bit."""
    check_resumes_after_restart_and_crash(tmp_path, RIDGE_FIRST, "ridge")


@pytest.mark.parametrize("table, field", [
    ({"name": "r", "exploration": "ridge", "dim": 100}, "candidates[0].dim"),
    ({"name": "r", "exploration": "ridge", "l2": 0}, "candidates[0].l2"),
    ({"name": "r", "exploration": "ridge", "gamma_exponent": -1}, "candidates[0].gamma_exponent"),
    ({"name": "r", "exploration": "ridge", "epsilon": 0.1}, "candidates[0].epsilon"),
    ({"name": "R", "exploration": "ridge"}, "candidates[0].name"),
])
def test_bad_ridge_settings_are_refused_naming_the_field(tmp_path, table, field):
    with pytest.raises(ConfigError, match="^" + re.escape(field)):
        make_engine(tmp_path / "s", candidates=[table])
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())


def test_a_checkpoint_of_another_ridge_setting_is_refused(tmp_path):
    with make_engine(tmp_path, candidates=[{"name": "r", "exploration": "ridge", "dim": 64}]):
        pass
    with pytest.raises(CheckpointError, match="learner_config"):
        make_engine(tmp_path, candidates=[{"name": "r", "exploration": "ridge", "dim": 128}])
