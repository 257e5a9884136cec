"""Each decision reported as 0 when made (or learned at 0 by the engine itself,
``provisional_after``) and its conversion added as a correction later (``reward_mode =
"sum"``, or in the default's place with ``provisional_after`` and ``"refuse"``): the engine's
ridge candidates end as the model that learned every decision once, at its total; a restart
and a crash change nothing."""

from __future__ import annotations

import heapq

import numpy as np
import pytest

from tests.engine.engine_world import (
    T0,
    context,
    model_of_log,
    probe,
    readout,
    reward_of,
)
from tests.engine.engine_world import make_ridges_engine as make_engine

DELAY = 7  # a conversion is reported this many decisions after its decision


def provisional_stream(eng, lo: int, hi: int, unit: float = 1.0, pending=None) -> list:
    """Customers ``c{lo}``..: each decision rewarded 0 at once, its conversion (times
    ``unit``) added :data:`DELAY` decisions later; returns the decisions still pending."""
    pending = [] if pending is None else pending
    for i in range(lo, hi):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        eng.reward(d.decision_id, 0.0, now=T0 + i)
        pending.append((i + DELAY, d.decision_id, unit * reward_of(ctx, d.message, d.channel)))
        while pending and pending[0][0] <= i:
            _, did, value = pending.pop(0)
            if value:
                eng.reward(did, value, now=T0 + i)
    return pending


@pytest.mark.parametrize("unit", [1.0, 80.0])
def test_the_ridge_candidates_learn_each_decision_once_at_its_total(tmp_path, unit):
    with make_engine(tmp_path / "s", reward_mode="sum") as eng:
        pending = provisional_stream(eng, 0, 400, unit)
        provisional_stream(eng, 400, 400 + DELAY, unit, pending)  # the last ones reported
        names = [n for n in eng._selection.learners if n in ("joint", "ridge")]
        assert names == ["joint", "ridge"]  # the two kinds of ridge candidate
        assert eng.stats()["rewards"] > 400 + DELAY  # corrections were written and learned
        for name in names:
            np.testing.assert_allclose(readout(eng._selection.learners[name]),
                                       model_of_log(eng.log, options=eng.options,
                                                    candidate=name, once=True), atol=1e-8)


def test_corrected_candidates_resume_after_a_restart_and_a_crash(tmp_path):
    with make_engine(tmp_path / "clean", reward_mode="sum") as eng:
        provisional_stream(eng, 0, 300)
        before = [readout(eng._selection.learners[n]) for n in eng._selection.learners]
    with make_engine(tmp_path / "clean", reward_mode="sum") as again:
        assert again.stats()["replayed_on_start"] == 0
        for got, want in zip((readout(again._selection.learners[n])
                              for n in again._selection.learners), before, strict=True):
            np.testing.assert_array_equal(got, want)
    eng = make_engine(tmp_path / "crash", reward_mode="sum", checkpoint_every=100)
    provisional_stream(eng, 0, 300)
    expected = [readout(eng._selection.learners[n]) for n in eng._selection.learners]
    replayed = eng._learned_seq % 100
    eng.log.close()  # a crash: the rewards after the last checkpoint are replayed
    eng._selection.close()
    with make_engine(tmp_path / "crash", reward_mode="sum", checkpoint_every=100) as again:
        assert again.stats()["replayed_on_start"] == replayed > 0
        for got, want in zip((readout(again._selection.learners[n])
                              for n in again._selection.learners), expected, strict=True):
            np.testing.assert_array_equal(got, want)


# -- the engine's own provisional rewards (``provisional_after``) ------------------------------
MINUTE, HOUR = 60.0, 3600.0


def settled_stream(eng, clock, n: int) -> list:
    """Customers decided a minute apart. A conversion (:func:`reward_of`) is reported 30
    minutes after its decision for even customers and two hours after it for odd ones; no
    conversion is never reported. The engine learns the default an hour after a decision with
    no reward (its settler runs before every event, as the HTTP service's does between
    requests). Returns ``(customer, decision id, conversion)`` in order decided."""
    queue = [(T0 + i * MINUTE, i, "") for i in range(n)]  # "": the customer's decision
    heapq.heapify(queue)
    out = []
    while queue:
        t, i, decision_id = heapq.heappop(queue)
        clock.set(t)
        eng.expire_rewards()
        if not decision_id:
            ctx = context(i)
            d = eng.choose(f"c{i}", ctx, now=t)
            value = reward_of(ctx, d.message, d.channel)
            out.append((i, d.decision_id, value))
            if value:
                heapq.heappush(queue, (t + (0.5 if i % 2 == 0 else 2.0) * HOUR, i,
                                       d.decision_id))
        else:
            ack = eng.reward(decision_id, 1.0, now=t)
            assert (ack.kind, ack.total) == ("reward" if i % 2 == 0 else "correction", 1.0)
    return out


def provisional_engine(state_dir, clock=None, mode="sum", **options):
    from engine.clock import ManualClock

    clock = clock or ManualClock(T0)
    return make_engine(state_dir, clock=clock, reward_mode=mode, reward_window="1d",
                       provisional_after="1h", **options), clock


def settled_engine(state_dir, mode: str, n: int = 300):
    """:func:`provisional_engine` after :func:`settled_stream` of ``n`` customers and the
    settling two hours after the last: ``(engine, clock, the stream's decisions)``."""
    eng, clock = provisional_engine(state_dir, mode=mode)
    try:
        out = settled_stream(eng, clock, n)
        clock.set(T0 + n * MINUTE + 2 * HOUR)
        eng.expire_rewards()
    except BaseException:
        eng.close()
        raise
    return eng, clock, out


@pytest.mark.parametrize("mode", ["sum", "refuse"])
def test_the_engine_learns_the_default_early_and_a_later_conversion_as_its_correction(
        tmp_path, mode):
    eng, clock, out = settled_engine(tmp_path / "s", mode)
    with eng:
        kinds = {did: [k for _, _, _, k in eng.log.rewards_of(did)] for _, did, _ in out}
        want = {did: (["reward"] if value and i % 2 == 0 else ["default", "correction"] if value
                      else ["default"]) for i, did, value in out}
        assert kinds == want
        assert sum(1 for _, _, v in out if v) > 50  # both kinds of conversion were met
        for name in ("joint", "ridge"):  # each decision learned once, at its total
            np.testing.assert_allclose(readout(eng._selection.learners[name]),
                                       model_of_log(eng.log, options=eng.options,
                                                    candidate=name, once=True), atol=1e-8)
        clock.set(T0 + 300 * MINUTE + 2 * 86400.0)
        assert eng.expire_rewards() == 0  # the window's end adds nothing: each has its default
        before = probe(eng)
    again, _ = provisional_engine(tmp_path / "s", clock=clock, mode=mode)
    with again:  # every candidate resumes as it was
        np.testing.assert_array_equal(probe(again), before)


@pytest.mark.parametrize("mode", ["sum", "refuse"])
def test_a_correction_that_leaves_the_total_teaches_no_candidate(tmp_path, mode):
    eng, clock = provisional_engine(tmp_path / "s", mode=mode)
    with eng:
        out = settled_stream(eng, clock, 120)
        clock.set(T0 + 3 * HOUR)
        eng.expire_rewards()
        unconverted = next(did for _, did, v in out[:100] if not v)
        before = probe(eng)
        learned, values = eng._learned_seq, {n: v.n for n, v in eng._selection.values.items()}
        ack = eng.reward(unconverted, 0.0, now=T0 + 3 * HOUR)  # the world's 0 at its end
        assert (ack.kind, ack.total, ack.learned) == ("correction", 0.0, False)
        np.testing.assert_array_equal(probe(eng), before)  # squarecb (VW) too
        assert eng._learned_seq == ack.seq > learned
        assert {n: v.n for n, v in eng._selection.values.items()} == values


@pytest.mark.parametrize("default", [0.0, -0.5])
def test_with_refuse_the_clients_one_reward_replaces_the_default_and_a_second_is_refused(
        tmp_path, default):
    from engine.errors import DuplicateRewardError

    eng, clock = provisional_engine(tmp_path / "s", mode="refuse", default_reward=default,
                                    reward_range=(-1.0, 2.0))
    with eng:
        early, late, never = (eng.choose(f"c{i}", context(i), now=T0 + i).decision_id
                              for i in range(3))
        assert eng.reward(early, 1.0, now=T0 + 10).kind == "reward"
        clock.set(T0 + 2 * HOUR)
        assert eng.expire_rewards() == 2  # late and never; early has its reward
        ack = eng.reward(late, 1.0, now=T0 + 2 * HOUR)
        assert (ack.kind, ack.total, ack.learned) == ("correction", 1.0, True)  # in its place
        rows = {d: [(v, k) for _, v, _, k in eng.log.rewards_of(d)] for d in (early, late)}
        assert rows == {early: [(1.0, "reward")],
                        late: [(default, "default"), (1.0 - default, "correction")]}
        learned, seq = eng._learned_seq, eng.log.last_seq()
        for did in (early, late):
            with pytest.raises(DuplicateRewardError, match=f"^decision_id: {did!r} already"):
                eng.reward(did, 0.5, now=T0 + 2 * HOUR)
        assert (eng._learned_seq, eng.log.last_seq()) == (learned, seq)  # nothing written
        assert [v for _, v, _, _ in eng.log.rewards_of(never)] == [default]
        for name in ("joint", "ridge"):  # each decision learned once, at its outcome
            np.testing.assert_allclose(readout(eng._selection.learners[name]),
                                       model_of_log(eng.log, options=eng.options,
                                                    candidate=name, once=True), atol=1e-8)


@pytest.mark.parametrize(("options", "field"), [
    ({"provisional_after": "1d"}, "expected less than reward_window"),
    ({"provisional_after": "1d", "reward_mode": "sum"}, "expected less than reward_window"),
    ({"provisional_after": "soon"}, "expected a positive duration"),
    ({"provisional_after": -5}, "expected a positive duration"),
])
def test_a_bad_provisional_time_is_refused_naming_it(tmp_path, options, field):
    from engine.errors import ConfigError

    with pytest.raises(ConfigError, match=f"^provisional_after: .*{field}"):
        make_engine(tmp_path / "s", reward_window="1d", **options)
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())


# -- the default since stop 47: zeros after 12 hours where the window is longer -------------------
def test_by_default_a_decision_unrewarded_12_hours_is_learned_at_the_default(tmp_path):
    from engine.clock import ManualClock

    clock = ManualClock(T0)
    with make_engine(tmp_path / "s", clock=clock) as eng:  # reward_window 7 days, "refuse"
        assert eng.options.provisional_after_s == 12 * HOUR
        late, never = (eng.choose(f"c{i}", context(i), now=T0).decision_id for i in range(2))
        clock.set(T0 + 12 * HOUR - 1.0)
        assert eng.expire_rewards() == 0
        clock.set(T0 + 12 * HOUR)
        assert eng.expire_rewards() == 2  # days before the window's end
        clock.set(T0 + 2 * 86400.0)
        ack = eng.reward(late, 1.0, now=T0 + 2 * 86400.0)  # a conversion two days on
        assert (ack.kind, ack.total, ack.learned) == ("correction", 1.0, True)
        assert [k for _, _, _, k in eng.log.rewards_of(never)] == ["default"]


@pytest.mark.parametrize(("options", "due_h"), [
    ({"reward_window": "6h"}, 6.0),           # a window no longer than 12 hours: off
    ({"reward_window": "12h"}, 12.0),
    ({"provisional_after": "off"}, 7 * 24.0),  # off: the window's end, as before stop 47
    ({"provisional_after": None}, 7 * 24.0),
    ({"provisional_after": "auto", "reward_window": "2d"}, 12.0),
    ({"provisional_after": "3h"}, 3.0),
])
def test_the_default_is_learned_when_the_setting_says(tmp_path, options, due_h):
    from engine.clock import ManualClock

    clock = ManualClock(T0)
    with make_engine(tmp_path / "s", clock=clock, **options) as eng:
        eng.choose("c0", context(0), now=T0)
        clock.set(T0 + due_h * HOUR - 1.0)
        assert eng.expire_rewards() == 0
        clock.set(T0 + due_h * HOUR)
        assert eng.expire_rewards() == 1


def test_a_bad_provisional_setting_names_what_it_accepts(tmp_path):
    from engine.errors import ConfigError

    want = r"^provisional_after: expected a positive duration .*, 'auto' or 'off', got 'automatic'$"
    with pytest.raises(ConfigError, match=want):
        make_engine(tmp_path / "s", provisional_after="automatic")


def _learned(eng, ids) -> int:
    """How many of the decisions ``ids`` the candidates learn (active, not holdout, a
    contact)."""
    return sum(1 for did in ids if (rec := eng.log.get_decision(did)).active
               and not rec.holdout and rec.action_index >= 0)


@pytest.mark.parametrize("mode", ["sum", "refuse"])
def test_a_conversion_after_the_default_counts_its_decision_once_in_every_estimate(
        tmp_path, mode):
    # stop 48: scored as a row of its own, the conversion counted its decision a second time
    eng, _, out = settled_engine(tmp_path / "s", mode)
    with eng:
        assert eng.stats()["corrections"] > 20  # odd customers' conversions, after the default
        learned = _learned(eng, [did for _, did, _ in out])
        sel = eng._selection
        assert learned > 250
        assert {n: v.n for n, v in sel.values.items()} == dict.fromkeys(sel.learners, learned)
        assert sel.pairs and {p.n for p in sel.pairs.values()} == {learned}
        assert {row["n"] for row in eng.stats()["candidates"].values()} == {learned}


def test_a_client_conversion_after_the_default_reads_no_rows_of_its_decision(tmp_path):
    # stop 49: the store hands the engine the default's seq from the reward's own
    # transaction; before, each late conversion in "refuse" mode read its decision's rows
    eng, clock = provisional_engine(tmp_path / "s", mode="refuse")
    reads: list[str] = []
    real_read = eng.log.rewards_of

    def read_spy(decision_id):
        reads.append(decision_id)
        return real_read(decision_id)

    with eng:
        eng.log.rewards_of = read_spy
        settled_stream(eng, clock, 300)
        assert eng.stats()["corrections"] > 20
        assert reads == []


@pytest.mark.parametrize("crash", [False, True])
def test_a_conversion_after_a_restart_counts_its_decision_once_in_every_estimate(
        tmp_path, crash):
    # stop 49: the estimates' correctable rows are in the checkpoint; before, a conversion
    # after a restart, of a decision scored before it, counted as a row of its own
    eng, clock = provisional_engine(tmp_path / "s", mode="refuse", checkpoint_every=100)
    out = []
    for i in range(290):  # 290 defaults: the last checkpoint is at the 200th
        clock.set(T0 + i * MINUTE)
        eng.expire_rewards()
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx)
        out.append((d.decision_id, reward_of(ctx, d.message, d.channel)))
    clock.set(T0 + 290 * MINUTE + 2 * HOUR)
    eng.expire_rewards()  # every decision has its default now, none its conversion
    if crash:  # the rewards after the last checkpoint are replayed on the restart
        eng.log.close()
        eng._selection.close()
    else:
        eng.close()
    again, _ = provisional_engine(tmp_path / "s", clock=clock, mode="refuse",
                                  checkpoint_every=100)
    with again:
        assert (again.stats()["replayed_on_start"] > 0) == crash
        kinds = [again.reward(did, 1.0).kind for did, value in out if value]
        assert len(kinds) > 50 and set(kinds) == {"correction"}
        learned = _learned(again, [did for did, _ in out])
        sel = again._selection
        assert learned > 250
        assert {n: v.n for n, v in sel.values.items()} == dict.fromkeys(sel.learners, learned)
        assert sel.pairs and {p.n for p in sel.pairs.values()} == {learned}

