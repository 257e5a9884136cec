"""What the engine does when its disk fails it: a committed reward is acknowledged whatever the
checkpoint after it does, a batch is all or nothing, and closing always releases the engine."""

from __future__ import annotations

import json
import time

import pytest

from engine import Engine
from engine.catalog import Catalog, Channel
from engine.checkpoint import SIDECAR
from engine.clock import ManualClock
from engine.errors import CheckpointError, ContextError
from tests.engine.engine_world import OPEN_RULES, T0, context, make_engine


def _block_checkpoints(state_dir) -> None:
    # The sidecar is written to a temp file first: a folder in its place makes every checkpoint
    # fail with a real OSError (root or not), after the reward was committed.
    (state_dir / (SIDECAR + ".tmp")).mkdir(parents=True)


def _unblock_checkpoints(state_dir) -> None:
    (state_dir / (SIDECAR + ".tmp")).rmdir()


def test_a_reward_is_acknowledged_when_the_checkpoint_after_it_fails(tmp_path):
    with make_engine(tmp_path, checkpoint_every=1) as eng:
        d1, d2, d3 = (eng.choose(f"c{i}", context(i)) for i in range(3))
        _block_checkpoints(tmp_path)
        ack = eng.reward(d1.decision_id, 1.0)
        assert ack.seq == 1 and ack.learned
        assert eng.stats()["checkpoint_failures"] == 1
        assert eng.log.rewards_of(d1.decision_id)[0][1] == 1.0
        eng.reward(d2.decision_id, 1.0)  # within the backoff: no second attempt yet
        assert eng.stats()["checkpoint_failures"] == 1
        assert not list(tmp_path.glob("model-*.vw"))  # nothing half written is left
        _unblock_checkpoints(tmp_path)
        time.sleep(1.05)  # the first retry waits 1 s
        eng.reward(d3.decision_id, 1.0)
        assert json.loads((tmp_path / SIDECAR).read_text())["learned_seq"] == 3
        assert eng.stats()["checkpoint_failures"] == 1


def test_close_releases_the_engine_when_its_checkpoint_fails_and_nothing_is_lost(tmp_path):
    eng = make_engine(tmp_path, checkpoint_every=10**6)
    d = eng.choose("c", context(0))
    eng.reward(d.decision_id, 1.0)
    _block_checkpoints(tmp_path)
    with pytest.raises(CheckpointError, match="cannot write model"):
        eng.close()
    eng.close()  # closed: safe again
    _unblock_checkpoints(tmp_path)
    with make_engine(tmp_path) as again:  # the log replays what no checkpoint holds
        assert again.stats()["replayed_on_start"] == 1
        assert again.stats()["learned_seq"] == again.stats()["last_seq"] == 1


def test_a_batch_that_fails_while_deciding_changes_nothing_not_even_the_capacity(tmp_path):
    cat = Catalog.from_names(["m"], [Channel("sms", daily_capacity=2)], ["now"],
                             no_contact=False)
    with Engine(catalog=cat, rules=OPEN_RULES, state_dir=tmp_path, seed=0,
                clock=ManualClock(T0)) as eng:
        eng.set_profile("bad", {"tenure_days": "long"})  # found only while deciding
        consent = {"consent": {"sms": True}}
        with pytest.raises(ContextError, match="tenure_days"):
            eng.choose_batch([("a", consent), ("b", consent), ("bad", consent)])
        assert eng.stats()["decisions"] == 0
        sent = [d.channel for d in eng.choose_batch([("a", consent), ("b", consent),
                                                     ("c", consent)])]
        assert sent == ["sms", "sms", None]  # the failed batch used none of the capacity


def test_a_batch_settles_on_the_clock_before_it_decides(tmp_path):
    with make_engine(tmp_path, reward_window="1h", expire_batch=100) as eng:
        eng.choose("old", context(0))
        eng.clock.set(T0 + 7200)
        for i in range(15):
            eng.choose(f"n{i}", context(i))
        eng.choose_batch([("b", context(0))])  # the 16th call: settles the expired one first
        assert eng.stats()["default_rewards"] == 1
