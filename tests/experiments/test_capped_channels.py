"""A simulator world's capped channels as the suite sees them (``benchmarks/capped_channels.py``,
issue 12, stop 53): the room each channel has left today, taken off by the sends played."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import capped_channels
from experiments.learning_suite.contestants import learner
from experiments.learning_suite.suite_cell import SuiteCell, run_suite_cell
from experiments.worlds import make_world


def test_room_left_falls_by_the_sends_played_and_not_by_what_the_world_refused():
    """Catches a room that ignores the sends (or counts a pick the world turned into no
    contact), and a channel index that is not the action's."""
    world = make_world("capacity", seed=0, horizon=300)
    assert world.channels == ("email", "sms", "push", "inapp")
    room = world.room_left()
    assert room[:2].tolist() == [300.0, 60.0] and np.isinf(room[2:]).all()
    b = world.observe()
    sms = np.flatnonzero(world.channel_of(np.arange(b.eligible.shape[1])) == 1)
    # every row sends its first eligible sms, or nothing where it has none
    nc = b.eligible.shape[1] - 1
    picks = np.array([next((a for a in sms if row[a]), nc) for row in b.eligible])
    assert (world.channel_of(picks[picks != nc]) == 1).all()
    world.play(picks)
    sent = int((picks != nc).sum())
    assert 0 < sent <= 60
    assert world.room_left()[1] == 60 - sent and world.room_left()[0] == 300
    world.close()


def test_the_benchmark_counts_the_tail_sends_and_refuses_a_world_without_channels():
    """Catches sends counted outside the tail (the whole run's 400 rows) and a world without
    channels run to a crash instead of refused."""
    out = capped_channels.spend("capacity", "best fixed", 0, horizon=400)
    assert out["batches"] == 1  # the tail is the last quarter: one batch of 100
    assert 0 < out["sends"].sum() <= 100
    with pytest.raises(SystemExit, match="expected a simulator world"):
        capped_channels.main(["--world", "iris", "--seeds", "0"])


def test_the_regret_by_channel_adds_up_to_the_tail_and_its_columns_are_the_sends():
    """Catches a regret table that does not sum to the tail's oracle minus its value (a row
    counted twice or left out), and one whose axes are swapped (the played channel's counts
    in the rows)."""
    out = capped_channels.spend("capacity", "epsilon greedy", 1, horizon=400)
    regret, pairs = out["regret"], out["pairs"]
    assert regret.shape == pairs.shape == (5, 5) and out["rows"] == 100 == pairs.sum()
    assert regret.sum() / out["rows"] == pytest.approx(out["oracle"] - out["chosen"])
    assert regret.sum() > 0  # epsilon greedy loses something over a tail of 100 rows
    assert pairs[:, 1:].sum(axis=0).tolist() == out["sends"].tolist()


def test_the_regret_tables_rows_are_the_channel_of_each_rows_best_eligible_action():
    """Catches rows taken from the best action over all actions (eligible or not), or from
    the played one: each row of the tail is counted again here, one at a time."""
    tail, best_channels = capped_channels._TailSpend(), []

    def both(world, b, played):
        tail(world, b, played)
        if b.refs[0] >= world.horizon - round(world.horizon * world.tail_fraction):
            for eligible, expected in zip(b.eligible, b.expected, strict=True):
                best = max(np.flatnonzero(eligible), key=lambda a: expected[a])
                best_channels.append(int(world.channel_of(np.array([best]))[0]) + 1)

    run_suite_cell(SuiteCell("capacity", learner("epsilon greedy"), 1, quick=True, horizon=400),
                   both)
    assert len(best_channels) == 100
    assert tail.pairs.sum(axis=1).tolist() == np.bincount(best_channels, minlength=5).tolist()
