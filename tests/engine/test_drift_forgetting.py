"""Forgetting faster on a confirmed change (``[engine.drift] forget_on_change``): on the real
engine, a changed world makes the serving ridge learner (per action or joint) use the temporary
forget factor, logged as a drift event, for ``forget_updates`` updates, then its own again
(logged too); a restart in between keeps where it stood; a VW learner serving gets a logged note
and nothing else."""

from __future__ import annotations

import pytest

from engine.errors import ConfigError
from tests.engine.engine_world import make_engine
from tests.engine.test_drift_recovery import CHANGE, DRIFT, recovery_events, stream

FORGET = {**DRIFT, "recover": False, "forget_on_change": True, "forget_factor": 0.99,
          "forget_updates": 400}
RIDGE = ["ridge"]  # one candidate: the serving learner cannot switch away during the test


def _stream_until_forgetting(eng) -> int:
    """Stream the changed world until the engine answers the change; return the next customer."""
    i = CHANGE
    while not eng.forgetting.active and i < CHANGE + 3000:
        stream(eng, i, i + 20)
        i += 20
    return i


@pytest.mark.parametrize("name", ["ridge", "joint"])
def test_a_confirmed_change_makes_the_serving_ridge_forget_faster_for_its_updates(tmp_path,
                                                                                  name):
    """Catches the setting not wired to the drift alerts, no event logged, a factor never
    restored (or restored before its updates are spent), or the joint ridge left out."""
    with make_engine(tmp_path, drift=FORGET, candidates=[name]) as eng:
        ridge = eng._selection.learners[name]
        stream(eng, 0, CHANGE)
        assert ridge.forget == 1.0 and eng.stats()["drift_forgetting_times"] == 0
        i = _stream_until_forgetting(eng)
        assert eng.stats()["drift_forgetting"] and ridge.forget == 0.99
        left = ridge.forget_updates_left
        assert 0 < left <= 400
        n = ridge.rewards_learned
        stream(eng, i, i + left - 50)  # not yet spent
        assert ridge.forget == 0.99 and ridge.rewards_learned - n < left
        stream(eng, i + left - 50, i + left + 200)
        assert ridge.forget == 1.0 and ridge.forget_updates_left == 0
        stats = eng.stats()
    assert not stats["drift_forgetting"] and stats["drift_forgetting_times"] == 1
    events = [e for e in recovery_events(tmp_path) if e["subject"] == name]
    assert [e["level"] for e in events] == ["action", "info"]
    assert events[0]["message"].startswith(f"{name} forgets faster after")
    assert "0.99 for its next 400 updates" in events[0]["message"]
    assert "configured factor 1 again" in events[1]["message"]


def test_forgetting_faster_survives_a_restart_where_it_stood(tmp_path):
    """Catches the temporary factor or the updates it has left lost on a restart, or the
    re-read alert answered twice."""
    with make_engine(tmp_path, drift=FORGET, candidates=RIDGE) as eng:
        stream(eng, 0, CHANGE)
        i = _stream_until_forgetting(eng)
        stream(eng, i, i + 100)
        eng.checkpoint()
        left = eng._selection.learners["ridge"].forget_updates_left
        assert 0 < left < 400
    with make_engine(tmp_path, drift=FORGET, candidates=RIDGE) as again:
        ridge = again._selection.learners["ridge"]
        assert ridge.forget == 0.99 and ridge.forget_updates_left == left
        assert again.forgetting.active == "ridge"
        stream(again, i + 100, i + 100 + left + 200)
        assert ridge.forget == 1.0 and again.forgetting.active is None
    levels = [e["level"] for e in recovery_events(tmp_path) if e["subject"] == "ridge"]
    assert levels == ["action", "info"]  # set once, restored once


def test_a_vw_learner_serving_gets_a_note_and_nothing_else(tmp_path):
    with make_engine(tmp_path, drift=FORGET, candidates=["squarecb"]) as eng:
        stream(eng, 0, CHANGE + 1500)
        stats = eng.stats()
    notes = [e for e in recovery_events(tmp_path) if e["subject"] == "squarecb"]
    assert len(notes) == 1 and notes[0]["level"] == "info"
    message = notes[0]["message"]
    assert "Vowpal Wabbit learner" in message and "nothing changed" in message
    assert stats["drift_forgetting_times"] == 0


@pytest.mark.parametrize("options, match", [
    ({"forget_on_change": "yes"}, "drift.forget_on_change: expected true or false"),
    ({"forget_factor": 0.0}, "drift.forget_factor"),
    ({"forget_factor": 1.5}, "drift.forget_factor"),
    ({"forget_updates": 0}, "drift.forget_updates"),
])
def test_bad_forgetting_settings_are_refused_naming_the_field(tmp_path, options, match):
    with pytest.raises(ConfigError, match=match):
        make_engine(tmp_path, drift=options)
