"""The paired switch rule: the per-row difference of two candidates' DR terms on the same rows
separates a better candidate far sooner than two intervals do, does not switch between equals
over many checks, survives a restart, and pairs a late challenger only on rows since it joined.

The selection-level worlds: two actions logged uniformly (propensity 0.5), action 1 pays
``effect`` more on average, every reward carries Gaussian noise of sd 2; the serving candidate
is uniform (VW epsilon 1.0), the challenger a VW epsilon-greedy learner.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.candidates import SelectionSettings
from engine.learner_selection import LearnerSelection, LoggedRow
from policies.vw_config import VWConfig
from policies.vw_learner import VWLearner
from tests.engine.engine_world import T0, context, make_engine, reward_of

SHARED = {"c": {"k": 1}}
ACTIONS = [{"m": {"x": "a"}}, {"m": {"x": "b"}}]


def _learner(epsilon: float) -> VWLearner:
    learner = VWLearner(VWConfig(exploration="epsilon", epsilon=epsilon), seed=0)
    learner.set_actions(ACTIONS)
    return learner


def _selection(rule: str | None, **settings) -> LearnerSelection:
    """Uniform serving, greedy challenging; ``rule`` None: the default rule."""
    learners = {"uniform": _learner(1.0), "greedy": _learner(0.1)}
    if rule is not None:
        settings["rule"] = rule
    return LearnerSelection(learners, "uniform", SelectionSettings(**settings), n_actions=2)


def _rows(n: int, effect: float, seed: int, start: int = 1):
    rng = np.random.default_rng(seed)
    for seq in range(start, start + n):
        a = int(rng.integers(2))
        yield LoggedRow(seq, SHARED, (0, 1), a, 0.5, effect * a + 2.0 * rng.standard_normal())


def _first_switch(rule: str | None, n: int = 4000, **settings):
    sel = _selection(rule, min_samples=200, check_every=50, confirm=2, **settings)
    try:
        for row in _rows(n, effect=0.5, seed=0):
            sel.process_all(row)
            switch = sel.check(row.seq, at=float(row.seq))
            if switch is not None:
                return switch
        return None
    finally:
        sel.close()


def test_the_paired_rule_switches_to_a_better_candidate_in_far_fewer_rows():
    """Catches a default rule that compares the two intervals (the unpaired rule) or pairs
    nothing. Measured on this stream (seed 0): paired at row 500, unpaired at 1,850 (seeds 1
    and 2: 400 / 1,000 and 500 / 1,800)."""
    paired, unpaired = _first_switch(None), _first_switch("unpaired")
    assert paired is not None and unpaired is not None
    assert (paired.to_learner, unpaired.to_learner) == ("greedy", "greedy")
    assert paired.seq * 3 <= unpaired.seq
    diff = paired.evidence["difference"]["dr"]
    assert diff["ci_low"] > 0 and diff["n"] >= 200
    # the unpaired rule could not yet have switched on the rows the paired one used
    own, serving = paired.evidence["greedy"]["dr"], paired.evidence["uniform"]["dr"]
    assert own["ci_low"] <= serving["ci_high"]
    assert "difference" not in unpaired.evidence


@pytest.mark.parametrize("estimator", ["dr", "dr_cv"])
def test_equal_candidates_are_not_switched_over_many_checks(estimator):
    """Catches a rule that reads the difference's mean, or a one-sided bound at >= 0, instead
    of its lower bound above 0: the two candidates are worth the same (every action pays 0 on
    average), the greedy one chases noise, and over 70 checks its estimated difference is above
    0 at some of them."""
    sel = _selection(None, estimator=estimator)  # else the defaults: 1,000 rows, a check
    means = []                                   # every 100, 3 in a row
    for row in _rows(8000, effect=0.0, seed=3):
        sel.process_all(row)
        assert sel.check(row.seq, at=float(row.seq)) is None
        if row.seq % 100 == 0 and row.seq >= 1000:
            means.append(sel.difference("greedy", "uniform")[estimator].value)
    assert sel.serving == "uniform"
    assert max(means) > 0  # a rule reading the mean alone would have had its chance
    assert sel.difference("greedy", "uniform")["dr"].n == 8000
    sel.close()


def test_a_challenger_added_later_is_paired_only_on_rows_since_it_joined():
    """Catches a late challenger compared on the serving candidate's rows from before it
    joined, or not paired on the rows it replays from the log."""
    sel = _selection("paired", min_samples=200, check_every=50, confirm=2)
    rows = list(_rows(1500, effect=0.0, seed=1))
    for row in rows[:1200]:
        sel.process_all(row)
    # a drift challenger from row 1000 on, replayed through process from there
    sel.add_candidate("late", _learner(0.1), since=1000)
    for row in rows[1000:1200]:
        sel.process("late", row)
    for row in rows[1200:]:
        sel.process_all(row)
    assert sel.difference("late", "uniform")["dr"].n == 500  # rows 1001..1500
    assert sel.difference("greedy", "uniform")["dr"].n == 1500
    assert sel.difference("uniform", "late")["dr"].value == -sel.difference(
        "late", "uniform")["dr"].value
    sel.close()


def _stream(eng, lo: int, hi: int) -> None:
    for i in range(lo, hi):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        eng.reward(d.decision_id, reward_of(ctx, d.message, d.channel), now=T0 + i)


CANDIDATES = ["squarecb", "epsilon"]
SLOW = {"min_samples": 5000}  # no switch here: the serving choice stays put


def test_the_pair_state_survives_a_restart(tmp_path):
    """Catches pairs left out of the checkpoint (they would restart empty, and every switch
    after a restart would wait for min_samples new rows)."""
    with make_engine(tmp_path, candidates=CANDIDATES, selection=SLOW) as eng:
        _stream(eng, 0, 600)
        before = eng._selection.difference("epsilon", "squarecb")
    assert before["dr"].n == 600
    with make_engine(tmp_path, candidates=CANDIDATES, selection=SLOW) as again:
        assert again._selection.difference("epsilon", "squarecb") == before
        _stream(again, 600, 700)
        assert again._selection.difference("epsilon", "squarecb")["dr"].n == 700


def test_a_checkpoint_without_pairs_opens_with_empty_pairs(tmp_path):
    """A checkpoint written before the paired rule (format 2, no ``pairs``) still opens: the
    pairs start empty and fill from the next reward on."""
    with make_engine(tmp_path, candidates=CANDIDATES, selection=SLOW) as eng:
        _stream(eng, 0, 300)
    sidecar = tmp_path / "checkpoint.json"
    info = json.loads(sidecar.read_text())
    del info["state"]["selection"]["pairs"]
    sidecar.write_text(json.dumps(info))
    with make_engine(tmp_path, candidates=CANDIDATES, selection=SLOW) as again:
        assert again._selection.pairs == {}
        assert again.stats()["candidates"]["epsilon"]["n"] == 300
        _stream(again, 300, 350)
        assert again._selection.difference("epsilon", "squarecb")["dr"].n == 50


class _Fixed:
    """A candidate that never learns: the same distribution on every row."""

    def __init__(self, p: list[float]) -> None:
        self.p = np.asarray(p)

    def probabilities(self, shared, eligible=None) -> np.ndarray:
        return self.p.copy()

    def learn(self, *args) -> None:
        pass

    def close(self) -> None:
        pass


def _first_switch_on_a_misreported_log(**settings):
    """Actions logged uniformly but action 1's propensity reported as 0.1; action 0 pays 0.5,
    action 1 pays 0.4. The challenger (0.9 on action 0) is worth 0.08 more: DR, whose reward
    model learns each action's mean, says so within a few rows; IPS, reading the misreported
    weights, puts it 1.2 behind. Returns the switch, or None over 3,000 rows."""
    sel = LearnerSelection({"serving": _Fixed([0.1, 0.9]), "challenger": _Fixed([0.9, 0.1])},
                           "serving", SelectionSettings(**settings), n_actions=2)
    rng = np.random.default_rng(0)
    try:
        for seq in range(1, 3001):
            a = int(rng.integers(2))
            row = LoggedRow(seq, SHARED, (0, 1), a, 0.5 if a == 0 else 0.1, 0.5 - 0.1 * a)
            sel.process_all(row)
            switch = sel.check(seq, at=float(seq))
            if switch is not None:
                return switch
        return None
    finally:
        sel.close()


def test_a_challenger_switches_only_when_dr_and_ips_agree():
    """Catches a rule that reads one estimate alone (``agree`` ignored) or the other estimate
    the wrong way round: on this log the two disagree, each interval far from 0."""
    alone = _first_switch_on_a_misreported_log(agree=False, estimator="dr")
    assert alone is not None and alone.to_learner == "challenger"
    diff = alone.evidence["difference"]
    assert diff["dr"]["ci_low"] > 0.0 > diff["ips"]["ci_high"]
    assert "(and ips)" not in alone.evidence["rule"]
    assert _first_switch_on_a_misreported_log() is None  # the default: they must agree
    ips = _first_switch_on_a_misreported_log(agree=False, estimator="ips")
    assert ips is None  # IPS alone reads the challenger as behind: no switch either


def test_with_both_agreeing_the_switch_evidence_names_both():
    """The default rule reads the control-variate DR (since stop 20) with IPS agreeing; the
    evidence names both and both bounds are above 0."""
    switch = _first_switch(None)
    assert switch is not None and switch.evidence["rule"].startswith("paired dr_cv (and ips)")
    diff = switch.evidence["difference"]
    assert diff["dr_cv"]["ci_low"] > 0.0 and diff["ips"]["ci_low"] > 0.0


def test_the_rule_can_still_read_dr():
    switch = _first_switch(None, estimator="dr")
    assert switch is not None and switch.evidence["rule"].startswith("paired dr (and ips)")
    diff = switch.evidence["difference"]
    assert diff["dr"]["ci_low"] > 0.0 and diff["ips"]["ci_low"] > 0.0


def test_the_anytime_interval_switches_later_on_the_same_evidence():
    """Catches ``anytime`` ignored: its band is wider than the fixed interval at every row, so
    on the same stream it cannot switch sooner, and here (measured: row 1,150 against 500) it
    switches later; the evidence says which bound it read."""
    fixed, anytime = _first_switch(None), _first_switch(None, anytime=True)
    assert fixed is not None and anytime is not None
    assert anytime.seq > fixed.seq
    assert "anytime 95 % lower bound" in anytime.evidence["rule"]
    assert "anytime" not in fixed.evidence["rule"]


def test_the_rule_can_read_the_control_variate_dr():
    """Catches ``estimator = "dr_cv"`` accepted but not read (the evidence would show DR's
    bound), and the other estimate's agreement dropped with it."""
    switch = _first_switch(None, estimator="dr_cv")
    assert switch is not None and switch.to_learner == "greedy"
    assert switch.evidence["rule"].startswith("paired dr_cv (and ips)")
    diff = switch.evidence["difference"]
    assert diff["dr_cv"]["ci_low"] > 0.0 and diff["ips"]["ci_low"] > 0.0


def test_a_checkpoint_without_dr_cv_opens_and_the_rule_waits_for_its_rows(tmp_path):
    """A checkpoint written before ``dr_cv`` was kept still opens under a rule that reads it:
    the candidates' and pairs' ``dr_cv`` start from the next reward, IPS and DR keep theirs,
    and no check fails on the missing estimate."""
    with make_engine(tmp_path, candidates=CANDIDATES, selection=SLOW) as eng:
        _stream(eng, 0, 300)
    sidecar = tmp_path / "checkpoint.json"
    info = json.loads(sidecar.read_text())
    sel = info["state"]["selection"]
    for state in [*sel["values"].values(), *(p for _, _, p in sel["pairs"])]:
        for block in state["blocks"]:
            del block["dr_cv"]
    sidecar.write_text(json.dumps(info))
    with make_engine(tmp_path, candidates=CANDIDATES,
                     selection={**SLOW, "estimator": "dr_cv"}) as again:
        assert "dr_cv" not in again._selection.difference("epsilon", "squarecb")
        _stream(again, 300, 350)
        diff = again._selection.difference("epsilon", "squarecb")
        assert (diff["dr"].n, diff["dr_cv"].n) == (350, 50)
