"""With ``selection.correction = "total"`` a Vowpal Wabbit candidate learns a correction (a
conversion after a provisional 0, or a later reward in ``reward_mode = "sum"``) so that the
decision counts at its total, not at the mean of its rows as by default; the engine counts
the rows that taught the same live and on replay."""

from __future__ import annotations

import numpy as np
import pytest

from engine.candidate_learners import new_learner
from engine.candidates import SelectionSettings
from engine.errors import ConfigError
from engine.learner_selection import LearnerSelection, LoggedRow, correction_target
from engine.reward_scale import RewardScale
from policies.vw_config import VWConfig
from tests.engine.engine_world import T0, context, make_engine, reward_of

ACTIONS = [{"m": {"msg": "late"}}, {"m": {"msg": "sure"}}]
SHARED = {"c": {"k": 1.0}}


def _late_and_sure(n: int, sure: float) -> list[LoggedRow]:
    """Action 0 always converts, worth 1, but only 10 rows after its provisional 0; action 1
    is worth ``sure`` at once."""
    rows: list[LoggedRow] = []
    pending: list[int] = []
    for i in range(n):
        a = i % 2
        rows.append(LoggedRow(len(rows) + 1, SHARED, (0, 1), a, 0.5, 0.0 if a == 0 else sure))
        if a == 0:
            pending.append(i + 10)
        while pending and pending[0] <= i:
            pending.pop(0)
            rows.append(LoggedRow(len(rows) + 1, SHARED, (0, 1), 0, 0.5, 1.0, previous=0.0,
                                  taught_before=1))
    return rows


def _vw() -> object:
    learner = new_learner(VWConfig(exploration="epsilon", epsilon=0.05, cb_type="dm"))
    learner.set_actions(ACTIONS)
    return learner


def _scores(learner) -> list[float]:
    return [learner.explain(SHARED, a)[0] for a in (0, 1)]


def _through_selection(correction: str, scaled: bool) -> list[float]:
    sel = LearnerSelection({"vw": _vw()}, "vw", SelectionSettings(correction=correction), 2,
                           reward_scale=scaled)
    for row in _late_and_sure(400, 0.8):
        sel.process_all(row)
    out = _scores(sel.learners["vw"])
    sel.close()
    return out


def _taught_directly(rewards) -> list[float]:
    learner = _vw()
    for row, reward in zip(_late_and_sure(400, 0.8), rewards, strict=True):
        learner.learn(row.shared, row.eligible, row.action, row.probability, reward)
    out = _scores(learner)
    learner.close()
    return out


def test_a_conversion_after_the_provisional_zero_is_learned_at_twice_its_value():
    """With ``"total"`` the decision's two examples, 0 and 2, average to its total, 1; with
    ``"added"`` (the default) the second is 1, and the decision counts as half a
    conversion."""
    rows = _late_and_sure(400, 0.8)
    whole = [r.reward if r.previous is None else 2.0 * r.reward for r in rows]
    assert _through_selection("total", False) == _taught_directly(whole)
    assert _through_selection("added", False) == _taught_directly([r.reward for r in rows])
    assert _through_selection("total", False) != _through_selection("added", False)


def test_a_scaled_candidate_learns_the_correction_on_its_scale():
    scale = RewardScale()
    rewards = []
    for row in _late_and_sure(400, 0.8):
        scale.observe(row.reward)
        reward = scale.normalise(row.reward)
        if row.previous is not None:
            reward = correction_target(reward, scale.normalise(row.previous), 1)
        rewards.append(reward)
    assert _through_selection("total", True) == _taught_directly(rewards)


def test_the_target_holds_the_mean_at_the_total_over_several_corrections():
    learned, total = [2.0], 2.0  # a first reward of 2, then +1, +0.5, -3 in "sum" mode
    for value in (1.0, 0.5, -3.0):
        learned.append(correction_target(total + value, total, len(learned)))
        total += value
        assert np.mean(learned) == pytest.approx(total)


def test_a_bad_correction_setting_is_refused_naming_it():
    with pytest.raises(ConfigError,
                       match=r"selection\.correction: expected one of 'added', 'total'"):
        SelectionSettings(correction="half")


def _rows_taught(eng) -> list[tuple[int, float | None, int]]:
    out = []
    for seq, rec, _, _ in eng.log.rewards_since(0):
        row = eng._row(rec, seq)
        out.append((seq, row.previous, row.taught_before))
    return out


def _rewarded_in_sum_mode(eng, log_reads: list[str]) -> dict[int, tuple]:
    """40 decisions rewarded 0, 0, a conversion and 0.5 in ``"sum"`` mode; what the live path
    built for each reward (previous total, rows taught), and each read of a decision's rows
    into ``log_reads``."""
    seen: dict[int, tuple[int, float | None, int]] = {}
    real_row, real_read = eng._row, eng.log.rewards_of

    def row_spy(rec, seq, total=None, previous=None, served=None, first=None):
        row = real_row(rec, seq, total, previous, served, first)
        seen.setdefault(seq, (seq, row.previous, row.taught_before))
        return row

    def read_spy(decision_id):
        log_reads.append(decision_id)
        return real_read(decision_id)

    eng._row, eng.log.rewards_of = row_spy, read_spy
    for i in range(40):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        for value in (0.0, 0.0, reward_of(ctx, d.message, d.channel) + 1.0, 0.5):
            eng.reward(d.decision_id, value, now=T0 + i)
    eng._row, eng.log.rewards_of = real_row, real_read
    return seen


def test_live_and_replayed_rows_count_the_same_rows_taught(tmp_path):
    """With ``"total"``, in "sum" mode with rewards of 0 among them (which teach nothing), the
    live path counts the decision's earlier rows that taught as a replay after a crash
    does."""
    with make_engine(tmp_path, exploration="squarecb", reward_mode="sum",
                     selection={"correction": "total"}) as eng:
        seen = _rewarded_in_sum_mode(eng, [])
        replayed = _rows_taught(eng)
    assert sorted(seen.values()) == replayed
    assert {t for _, _, t in replayed} == {0, 1, 2}  # first, after one, after two that taught


def test_by_default_a_live_correction_reads_the_log_no_more(tmp_path):
    """Only ``"total"`` counts the rows taught; with ``"added"`` a live reward reads the
    decision's rows once (``reward`` sums them in "sum" mode), as before stop 46."""
    reads: dict[str, list[str]] = {"added": [], "total": []}
    for mode, got in reads.items():
        with make_engine(tmp_path / mode, exploration="squarecb", reward_mode="sum",
                         selection={"correction": mode}) as eng:
            seen = _rewarded_in_sum_mode(eng, got)
        assert {t for _, _, t in seen.values()} == ({0} if mode == "added" else {0, 1, 2})
    assert len(reads["added"]) == 4 * 40  # one read per reward
    assert len(reads["total"]) > len(reads["added"])
