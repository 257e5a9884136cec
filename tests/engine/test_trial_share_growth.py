"""A trial that grows with the evidence (``selection.trial_share_max``): the leading
challenger's share of each decision is the probability that its paired difference from the
serving candidate is above 0, kept between ``trial_share`` and ``trial_share_max``; a challenger
shown behind keeps the floor or leaves the trial; the share is logged in each propensity,
shown in ``stats()`` and kept across a restart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.candidates import SelectionSettings
from engine.errors import ConfigError
from engine.learner_selection import LearnerSelection, grown_share
from ope.estimators.result import OPEResult
from policies.vw_config import VWConfig
from policies.vw_learner import VWLearner
from tests.engine.engine_world import T0, make_engine, stream
from tests.engine.test_challenger_trial import STUCK_FIRST, assert_drawn_from

#: no switch within the test's rows (confirm far away): the share alone is under test
NO_SWITCH = {"min_samples": 300, "check_every": 50, "confirm": 10**6}
GROW = {**NO_SWITCH, "trial_share": 0.1, "trial_share_max": 0.9}


def shares(eng) -> dict[str, float]:
    return eng.stats()["candidate_share"]


def test_the_share_of_a_challenger_far_ahead_grows_to_the_cap(tmp_path):
    with make_engine(tmp_path / "fixed", candidates=STUCK_FIRST,
                     selection={**NO_SWITCH, "trial_share": 0.1}) as fixed:
        stream(fixed, 0, 600)
        assert shares(fixed) == {"stuck": pytest.approx(0.9), "squarecb": pytest.approx(0.1)}
    with make_engine(tmp_path / "grow", candidates=STUCK_FIRST, selection=GROW) as eng:
        stream(eng, 0, 250)  # fewer paired rows than min_samples: the floor
        assert shares(eng)["squarecb"] == pytest.approx(0.1)
        stream(eng, 250, 600)
        stats = eng.stats()
        assert stats["serving_learner"] == "stuck" and stats["learner_switches"] == 0
        assert shares(eng) == {"stuck": pytest.approx(0.1), "squarecb": pytest.approx(0.9)}
        # its standing says why: the paired difference's interval is above 0
        ahead, serving = stats["candidates"]["squarecb"], stats["candidates"]["stuck"]
        assert 0.0 < ahead["difference_low"] < ahead["difference"] < ahead["difference_high"]
        assert ahead["difference_n"] >= 300 and serving["difference"] is None
        # the decision is drawn from the grown mixture, and logged with its propensity
        assert_drawn_from(eng, {"stuck": 0.1, "squarecb": 0.9}, now=T0 + 5000)


def test_by_the_margin_a_challenger_far_ahead_still_grows_to_the_cap(tmp_path):
    margin = {**GROW, "trial_growth": "margin"}
    with make_engine(tmp_path, candidates=STUCK_FIRST, selection=margin) as eng:
        stream(eng, 0, 250)
        assert shares(eng)["squarecb"] == pytest.approx(0.1)
        stream(eng, 250, 600)
        assert shares(eng)["squarecb"] == pytest.approx(0.9, abs=0.01)
        assert eng.stats()["learner_switches"] == 0


EVEN = {**GROW, "trial_growth": "even"}
UNIFORM_FIRST = [{"name": "uniform", "exploration": "epsilon", "epsilon": 1.0}, "squarecb"]


def test_an_even_trial_starts_at_a_half_and_grows_to_the_cap_for_a_challenger_ahead(tmp_path):
    # "matching" gives the challenger the floor until min_samples paired rows; "even" gives
    # it a half, so the candidate named first is not the one that serves nine tenths. (Not
    # STUCK_FIRST: its greedy learner, tiny steps and all, finds each segment's best action
    # once half the decisions explore, and is then ahead of SquareCB, as the rule reads.)
    with make_engine(tmp_path, candidates=UNIFORM_FIRST, selection=EVEN) as eng:
        assert shares(eng) == {"uniform": pytest.approx(0.5), "squarecb": pytest.approx(0.5)}
        stream(eng, 0, 250)
        assert shares(eng) == {"uniform": pytest.approx(0.5), "squarecb": pytest.approx(0.5)}
        assert_drawn_from(eng, {"uniform": 0.5, "squarecb": 0.5}, now=T0 + 3000)
        stream(eng, 250, 600)
        assert shares(eng)["squarecb"] == pytest.approx(0.9)
        assert eng.stats()["learner_switches"] == 0
    with make_engine(tmp_path, candidates=UNIFORM_FIRST, selection=EVEN) as again:
        assert shares(again)["squarecb"] == pytest.approx(0.9)  # kept, not back at a half


def test_an_even_trial_takes_a_challenger_behind_down_from_its_half(tmp_path):
    poor_second = ["squarecb", {"name": "poor", "exploration": "epsilon", "epsilon": 1.0}]
    with make_engine(tmp_path, candidates=poor_second, selection=EVEN) as eng:
        stream(eng, 0, 100)
        assert shares(eng)["poor"] == pytest.approx(0.5)
        seen = []
        for lo in range(100, 1500, 100):
            stream(eng, lo, lo + 100)
            seen.append(shares(eng)["poor"])
        assert eng.stats()["serving_learner"] == "squarecb"
        assert seen[-1] <= 0.1 and min(seen) == 0.0  # at the floor or off trial by the end


def test_an_even_trial_starts_again_at_a_half_after_a_switch(tmp_path):
    # the old serving candidate becomes the challenger at a half (not at the floor), until
    # the next check reads the paired difference the two still hold
    with make_engine(tmp_path, candidates=UNIFORM_FIRST, selection={**EVEN, "confirm": 2}) as eng:
        for lo in range(0, 1500, 50):  # check_every rows at a time: stats right after a check
            stream(eng, lo, lo + 50)
            if eng.stats()["learner_switches"]:
                break
        assert eng.stats()["serving_learner"] == "squarecb"
        assert shares(eng) == {"uniform": pytest.approx(0.5), "squarecb": pytest.approx(0.5)}
        stream(eng, lo + 50, lo + 100)
        assert shares(eng)["uniform"] <= 0.1  # behind: the floor or off trial


def _estimate(name: str, value: float, half_width: float, n: int = 2000) -> OPEResult:
    return OPEResult(name, value, (value - half_width, value + half_width), half_width / 1.96,
                     float(n), 1.0, 0.0, n, 0.05, "normal")


def test_an_even_trial_reads_the_rules_estimate_alone_where_matching_reads_the_lower():
    # the rule's estimate (dr_cv) puts the challenger ahead, IPS puts it a little behind:
    # "matching" with agree takes the lower probability, "even" the rule's own
    diff = {"dr_cv": _estimate("dr_cv", 0.02, 0.02), "ips": _estimate("ips", -0.01, 0.05)}
    got = {}
    for growth in ("matching", "even"):
        settings = SelectionSettings(trial_share=0.1, trial_share_max=0.9, trial_growth=growth)
        learners = {n: VWLearner(VWConfig(exploration="squarecb"), seed=0) for n in "ab"}
        sel = LearnerSelection(learners, "a", settings, n_actions=2)
        got[growth] = sel._share_of(diff)
        sel.close()
    assert got["matching"] == pytest.approx(0.3475, abs=1e-3)  # P(IPS above 0), normal
    assert got["even"] == pytest.approx(0.9)  # P(dr_cv above 0) = 0.975, at the cap


_P = st.floats(0.0, 1.0)
_FLOOR = st.floats(0.01, 0.5)


@given(_P, _P, _FLOOR, st.floats(0.0, 0.45))
def test_the_margin_gives_a_challenger_no_more_than_matching_and_grows_with_p(p, q, floor,
                                                                              above):
    cap = floor + above + 0.01
    for growth in ("matching", "margin"):
        lo, hi = sorted((p, q))
        assert floor <= grown_share(lo, floor, cap, growth) <= grown_share(hi, floor, cap,
                                                                           growth) <= cap
    assert grown_share(p, floor, cap, "margin") <= grown_share(p, floor, cap, "matching")
    if p <= 0.5:  # no more likely ahead than behind: the floor
        assert grown_share(p, floor, cap, "margin") == floor
    assert grown_share(1.0, floor, cap, "margin") == pytest.approx(cap)


def test_an_unknown_growth_is_refused_not_read_as_matching():
    with pytest.raises(ValueError, match=r"growth: expected one of .*'margin'.*, got 'marg'"):
        grown_share(0.4, 0.1, 0.9, "marg")


def test_a_challenger_behind_never_gets_more_than_the_floor(tmp_path):
    poor_second = ["squarecb", {"name": "poor", "exploration": "epsilon", "epsilon": 1.0}]
    with make_engine(tmp_path, candidates=poor_second, selection=GROW) as eng:
        seen = []
        for lo in range(0, 1500, 100):
            stream(eng, lo, lo + 100)
            seen.append(shares(eng)["poor"])
        assert eng.stats()["serving_learner"] == "squarecb"
        assert max(seen) == pytest.approx(0.1)  # the floor, or 0 while off trial
        assert min(seen) == 0.0


def test_the_grown_share_survives_a_restart(tmp_path):
    with make_engine(tmp_path, candidates=STUCK_FIRST, selection=GROW) as eng:
        stream(eng, 0, 600)
        assert shares(eng)["squarecb"] == pytest.approx(0.9)
    with make_engine(tmp_path, candidates=STUCK_FIRST, selection=GROW) as again:
        assert shares(again)["squarecb"] == pytest.approx(0.9)
    # a restart with a lower cap keeps the share within the new settings
    lower = {**GROW, "trial_share_max": 0.5}
    with make_engine(tmp_path, candidates=STUCK_FIRST, selection=lower) as capped:
        assert shares(capped)["squarecb"] == pytest.approx(0.5)


@pytest.mark.parametrize("selection, match", [
    ({"trial_share": 0.2, "trial_share_max": 0.1}, r"selection.trial_share_max: expected 0, or"),
    ({"trial_share": 0.2, "trial_share_max": 0.2}, r"selection.trial_share_max: expected 0, or"),
    ({"trial_share": 0.2, "trial_share_max": 0.96}, r"selection.trial_share_max: expected"),
    ({"trial_share": 0.2, "trial_share_max": float("nan")}, r"selection.trial_share_max"),
    ({"trial_share": 0.2, "trial_share_max": True}, r"selection.trial_share_max: expected"),
    ({"trial_share": 0.2, "trial_share_max": "0.9"}, r"selection.trial_share_max: expected"),
    ({"trial_share_max": 0.9}, r"selection.trial_share_max: expected 0, or with trial_share "
                               r"above 0 a number above it \(0\)"),
    ({"trial_share": 0.2, "trial_share_max": 0.9, "rule": "unpaired"},
     r"selection.trial_share_max: needs rule = 'paired'"),
    ({"trial_share": 0.2, "trial_share_max": 0.9, "trial_growth": "linear"},
     r"selection.trial_growth: expected one of 'matching', 'margin', 'even', got 'linear'"),
    ({"trial_share": 0.2, "trial_share_max": 0.9, "trial_growth": None},
     r"selection.trial_growth: expected one of"),
])
def test_bad_growth_settings_are_refused_naming_the_field(tmp_path, selection, match):
    with pytest.raises(ConfigError, match=match):
        make_engine(tmp_path, selection=selection)
    assert not (tmp_path / "checkpoint.json").exists()
