"""Recovering from a change: on a confirmed change the engine adds a challenger, trained on the
log since the change point, to its real learner selection; it serves only by the selection's own
rule; every action is a drift event; the challenger survives a restart."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ConfigError
from engine.store import DecisionLog
from tests.engine.engine_world import T0, context, make_engine, readout, reward_of

# small windows, so a change shows within a few hundred rewards
DRIFT = {"reference_size": 400, "window": 400, "block": 100, "reward_block": 50,
         "reward_warmup_blocks": 4, "lift_window": 200, "follow_every": 8,
         "recover": True, "recover_batch": 100}
FAST = {"min_samples": 300, "check_every": 50, "confirm": 2}
CHANGE = 3000  # the i-th customer from which tastes turn round


def swapped(ctx: dict, message: str | None, channel: str | None) -> float:
    """After the change each segment answers what the other one did."""
    return reward_of({**ctx, "segment": "b" if ctx["segment"] == "a" else "a"}, message, channel)


def stream(eng, lo: int, hi: int, lag: int = 0) -> None:
    """Customers lo..hi-1; each one's reward comes ``lag`` customers later (the rest at the
    end), as the world answered when the decision was made."""
    pending: list[tuple[int, str, float]] = []
    for i in range(lo, hi):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        pays = reward_of if i < CHANGE else swapped
        pending.append((i, d.decision_id, pays(ctx, d.message, d.channel)))
        while pending and pending[0][0] <= i - lag:
            _, did, value = pending.pop(0)
            eng.reward(did, value, now=T0 + i)
    for _, did, value in pending:
        eng.reward(did, value, now=T0 + hi)


def recovery_events(state_dir) -> list[dict]:
    with DecisionLog(state_dir) as log:
        return [e for e in log.drift_events(10_000)[::-1] if e["kind"] == "recovery"]


def test_a_changed_world_gets_a_challenger_that_takes_over_by_the_selections_rule(tmp_path):
    with make_engine(tmp_path, drift=DRIFT, selection=FAST) as eng:
        stream(eng, 0, CHANGE)
        assert eng.stats()["drift_challengers"] == 0  # a stable world: nothing to answer
        stream(eng, CHANGE, CHANGE + 2500)
        stats = eng.stats()
        serving = stats["serving_learner"]
        d = eng.choose("someone", context(0), now=T0 + CHANGE + 2500)
        explained = d.explain()
        [challenger] = eng.recovery.challengers
        learner = eng._selection.learners["drift1"]
        base = eng._selection.learners[challenger.base]
    assert stats["drift_challengers"] == 1 and serving == "drift1"
    # the default's serving candidate is a ridge learner (per action, or the joint one where
    # the catalog's actions share attributes): the challenger is a fresh one of the same kind
    assert type(learner) is type(base) and "Ridge" in type(learner).__name__
    assert learner is not base
    assert explained.learner == "drift1"
    events = recovery_events(tmp_path)
    messages = [e["message"] for e in events]
    assert messages[0].startswith("challenger drift1 started after")
    assert "has met the" in messages[1]
    assert messages[-1].startswith("challenger drift1 took over from")
    # the switch is the selection's, logged by it with its evidence, since the change point
    with DecisionLog(tmp_path) as log:
        [switch] = [s for s in log.switches() if s["to"] == "drift1"]
    since = events[0]["detail_json"]
    ev = switch["evidence"]
    assert ev["drift1"]["dr"]["ci_low"] > ev[switch["from"]]["dr"]["ci_high"]
    assert ev["since_seq"] >= int(__import__("json").loads(since)["since_seq"])
    # the change was dated near where it happened, and the challenger learned only after it
    start = events[0]
    assert T0 + CHANGE - 200 <= start["change_at"] <= T0 + CHANGE + 600


def test_without_recovery_the_serving_learner_stays(tmp_path):
    with make_engine(tmp_path, drift={**DRIFT, "recover": False}, selection=FAST) as eng:
        stream(eng, 0, CHANGE + 2500)
        stats = eng.stats()
    assert stats["drift_challengers"] == 0 and not stats["serving_learner"].startswith("drift")
    assert recovery_events(tmp_path) == []


def test_decisions_made_before_the_change_are_passed_over(tmp_path):
    """The challenger meets every reward since the change point, but learns (and is scored on)
    only those of decisions made after it (rewards come 150 customers late, so the first
    rewards after the change point are of decisions made before it)."""
    with make_engine(tmp_path, drift=DRIFT, selection=FAST) as eng:
        stream(eng, 0, CHANGE + 2500, lag=150)
        sel = eng._selection
        [c] = eng.recovery.challengers
        scored = sel.estimates("drift1")["ips"].n
        with DecisionLog(tmp_path) as log:
            met = [rec for seq, rec, _, _ in log.rewards_since(c.since) if not rec.holdout]
    after = [rec for rec in met if rec.created_at >= c.change_at]
    assert len(met) - len(after) >= 100  # late rewards of earlier decisions were there
    assert scored == len(after)


def test_a_challenger_survives_a_restart_where_it_stood(tmp_path):
    """Closed while the challenger is still catching up: it comes back held, with its cursor,
    model and estimates, and catches up after the restart."""
    slow = {**DRIFT, "recover_batch": 10}
    with make_engine(tmp_path, drift=slow, selection=FAST) as eng:
        stream(eng, 0, CHANGE)
        i = CHANGE
        while not eng.recovery.challengers:
            stream(eng, i, i + 10)
            i += 10
        stream(eng, i, i + 16)  # a few reads of the log: part of the way
        [c] = eng.recovery.challengers
        assert not c.caught_up and "drift1" in eng._selection.held
        cursor = eng._selection.cursors["drift1"]
        model = readout(eng._selection.learners["drift1"])
        values = eng._selection.values["drift1"].to_state()
    with make_engine(tmp_path, drift=slow, selection=FAST) as again:
        sel = again._selection
        assert "drift1" in sel.held and sel.cursors["drift1"] == cursor
        np.testing.assert_array_equal(readout(sel.learners["drift1"]), model)
        assert sel.values["drift1"].to_state() == values
        stream(again, i + 16, i + 1500)
        [c] = again.recovery.challengers
        assert c.caught_up and "drift1" not in sel.held
        assert again.stats()["drift_challengers"] == 1  # the alert re-read starts nothing
    starts = [e for e in recovery_events(tmp_path) if "started" in e["message"]]
    assert len(starts) == 1


def test_a_serving_challenger_survives_a_restart(tmp_path):
    with make_engine(tmp_path, drift=DRIFT, selection=FAST) as eng:
        stream(eng, 0, CHANGE + 2500)
        assert eng.stats()["serving_learner"] == "drift1"
        model = readout(eng._selection.learners["drift1"])
    with make_engine(tmp_path, drift=DRIFT, selection=FAST) as again:
        assert again.stats()["serving_learner"] == "drift1"
        np.testing.assert_array_equal(readout(again._selection.learner), model)


@pytest.mark.parametrize("options, match", [
    ({"recover": "yes"}, "drift.recover: expected true or false"),
    ({"recover_batch": 0}, "drift.recover_batch"),
    ({"recover_cooldown": -5}, "drift.recover_cooldown"),
])
def test_bad_recovery_settings_are_refused_naming_the_field(tmp_path, options, match):
    with pytest.raises(ConfigError, match=match):
        make_engine(tmp_path, drift=options)


def test_an_alert_met_again_starts_nothing(tmp_path):
    """The monitor re-reading the log (a rebuild after other settings, a crash before its save)
    meets the same alert again, maybe long after the cooldown: it is answered once."""
    from engine.drift.events import DriftEvent

    alert = DriftEvent("reward", "treatment", "alert", T0 + 500.0, 12.0, 10.0, T0 + 400.0, 9,
                       "treatment dropped")
    with make_engine(tmp_path, drift=DRIFT, selection=FAST) as eng:
        stream(eng, 0, 300)
        first = eng.recovery.on_events([alert], 300)
        again = eng.recovery.on_events([alert], 300 + 10 * DRIFT.get("recover_cooldown", 20_000))
        assert [e.subject for e in first] == ["drift1"] and again == []
        assert [c.name for c in eng.recovery.challengers] == ["drift1"]
