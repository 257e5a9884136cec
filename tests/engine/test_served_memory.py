"""The serving candidate scored on the distribution it decided with (``served_memory``,
``engine/served_memory.py``): its reward's path does not ask it for its distribution again,
and with no challenger on trial its inverse-propensity estimate is then exactly the mean of
its rewards (each row's weight is its probability of the logged action over that same
probability). A reward the memory no longer holds, a correction, and a restart are scored
on the distribution at reward time, as before."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ConfigError
from engine.served_memory import ServedMemory
from tests.engine.engine_world import T0, context, make_engine, reward_of

LATE = 20  # each decision's reward comes this many decisions later: the learner moved since


def play_late(eng, decisions: int, start: int = 0) -> list[float]:
    """Decisions ``start`` .. ``start + decisions``, each rewarded :data:`LATE` decisions after
    it (the rest when the stream ends); the rewards, in the order they were given."""
    pending, got = [], []
    for i in range(start, start + decisions):
        ctx = context(i)
        pending.append((eng.choose(f"c{i}", ctx, now=T0 + i), ctx))
        if len(pending) > LATE or i == start + decisions - 1:
            for d, c in pending if i == start + decisions - 1 else pending[:1]:
                got.append(reward_of(c, d.message, d.channel))
                eng.reward(d.decision_id, got[-1], now=T0 + i + 1)
            pending = [] if i == start + decisions - 1 else pending[1:]
    return got


def serving_ips(eng) -> float:
    stats = eng.stats()
    return stats["candidates"][stats["serving_learner"]]["ips"]


NO_TRIAL = {"trial_share": 0.0}  # the default's challenger on trial would share the decisions


def test_the_serving_candidate_is_scored_on_the_distribution_it_decided_with(tmp_path):
    with make_engine(tmp_path / "held", selection=NO_TRIAL) as eng:
        got = play_late(eng, 300)
        assert len(eng._served) == 0  # every held distribution was taken by its reward
        assert serving_ips(eng) == pytest.approx(np.mean(got), abs=1e-12)
        stats = eng.stats()
        assert (stats["served_held"], stats["served_asked"]) == (len(got), 0)
    # the same stream scored at reward time: the learner moved in the 20 decisions between,
    # so its estimate is not its mean reward (it was 0.036 above it when this test was written)
    with make_engine(tmp_path / "asked", served_memory=0, selection=NO_TRIAL) as eng:
        got = play_late(eng, 300)
        assert abs(serving_ips(eng) - np.mean(got)) > 0.01


def test_a_reward_the_memory_no_longer_holds_is_scored_at_reward_time(tmp_path):
    # two held decisions: the 20 in flight push each one out long before its reward comes
    with make_engine(tmp_path / "small", served_memory=2) as eng:
        got = play_late(eng, 300)
        assert abs(serving_ips(eng) - np.mean(got)) > 0.01
        assert len(eng._served) == 0
        stats = eng.stats()
        # of the 20 rewarded together at the end, only the last two decisions were still held
        assert stats["served_held"] == 2 and stats["served_asked"] == len(got) - 2


def test_a_restart_forgets_the_held_distributions_and_scores_at_reward_time(tmp_path):
    with make_engine(tmp_path / "e") as eng:
        d = eng.choose("c0", context(0), now=T0)
        assert len(eng._served) == 1
    with make_engine(tmp_path / "e") as eng:
        assert len(eng._served) == 0
        ack = eng.reward(d.decision_id, 1.0, now=T0 + 1)  # learned as before the memory
        stats = eng.stats()
        assert ack.learned and stats["candidates"]["joint"]["n"] == 1
        assert (stats["served_held"], stats["served_asked"]) == (0, 1)


@pytest.mark.parametrize("bad", [-1, 1.5, "many", True, None, 10**8])
def test_a_bad_served_memory_is_refused_naming_it(tmp_path, bad):
    with pytest.raises(ConfigError, match="served_memory"):
        make_engine(tmp_path / "e", served_memory=bad)
    assert not (tmp_path / "e" / "decisions.sqlite3").exists()


def test_the_memory_holds_the_latest_decisions_and_gives_each_once():
    memory = ServedMemory(capacity=3)
    for i in range(5):
        memory.put(f"d{i}", "joint", np.full(2, i / 10))
    assert len(memory) == 3 and memory.take("d1") is None
    name, dist, trial = memory.take("d4")
    assert name == "joint" and dist.tolist() == [0.4, 0.4] and trial is None
    assert memory.take("d4") is None and len(memory) == 2
    none = ServedMemory(capacity=0)
    none.put("d0", "joint", np.ones(1))
    assert len(none) == 0


def test_the_memory_stays_within_its_bytes_whatever_the_catalog():
    memory = ServedMemory(capacity=1000, max_bytes=10 * 8 * 100)  # ten rows of 100 actions
    for i in range(50):
        memory.put(f"d{i}", "joint", np.full(100, 0.01))
    assert len(memory) == 10 and memory.nbytes == 8_000
    assert memory.take("d39") is None and memory.take("d40") is not None
    assert memory.nbytes == 7_200
    memory.put("d41", "ridge", np.ones(1))  # a second put of a held decision replaces it
    assert len(memory) == 9 and memory.nbytes == 6_408
    memory.put("big", "joint", np.ones(1001))  # larger than the whole memory: not held
    assert memory.take("big") is None and len(memory) == 9



def _record_parts(eng) -> list[tuple[np.ndarray, dict[str, np.ndarray]]]:
    """Each drawn decision's eligible actions and the parts of the distribution it was drawn
    from, in order (the selection's own method, wrapped to keep copies of what it returned)."""
    sel, kept = eng._selection, []
    real = sel.served_parts

    def served_parts(shared, eligible):
        mixed, parts = real(shared, eligible)
        kept.append((np.asarray(eligible).copy(), {k: p.copy() for k, p in parts.items()}))
        return mixed, parts

    sel.served_parts = served_parts
    return kept


TRIAL = {"trial_share": 0.3, "trial_share_max": 0.0}  # one challenger, a fixed share


def _late_trial(eng) -> tuple[str, float, float]:
    """300 decisions with a challenger on trial, every reward after every choice (so the
    learners moved between a decision and its reward); the challenger's name, its IPS as the
    engine holds it, and its IPS on the distributions it served with."""
    parts = _record_parts(eng)
    decisions = [eng.choose(f"c{i}", context(i), now=T0 + i) for i in range(300)]
    drawn = [d for d in decisions if not d.holdout]
    assert len(parts) == len(drawn)  # each drawn decision was drawn from the parts
    rewards = {}
    for i, d in enumerate(decisions):
        rewards[d.decision_id] = reward_of(context(i), d.message, d.channel)
        eng.reward(d.decision_id, rewards[d.decision_id], now=T0 + 400 + i)
    eng.follow()
    sel = eng._selection
    (name,) = [n for n in sel.learners if n != sel.serving]
    terms = [got[name][int(np.flatnonzero(eligible == d.action_index)[0])] / d.probability
             * rewards[d.decision_id] for d, (eligible, got) in zip(drawn, parts, strict=True)]
    return name, eng.stats()["candidates"][name]["ips"], float(np.mean(terms))


@pytest.mark.parametrize("follow_every", [1, 0, 7])
def test_a_challenger_on_trial_is_scored_on_the_distribution_it_served_with(tmp_path,
                                                                           follow_every):
    """Stop 50: scored at reward time, a challenger on trial was credited by where it had
    moved since it served, not by what it served; it is now scored as the serving candidate
    is, on its held part of the distribution the action was drawn from, whether it meets the
    reward with the serving candidate (1), from a follower (0, as ``offerbandit serve`` runs),
    or every few rewards (7)."""
    with make_engine(tmp_path / "held", selection=TRIAL, follow_every=follow_every) as eng:
        _, held, served = _late_trial(eng)
        assert held == pytest.approx(served, abs=1e-12)
        assert len(eng._unfollowed) == 0  # each held part was taken when its row was met
    # the same stream with nothing held: scored where the challenger had moved by the reward
    with make_engine(tmp_path / "asked", selection=TRIAL, served_memory=0) as eng:
        _, asked, served = _late_trial(eng)
        assert abs(asked - served) > 0.01
