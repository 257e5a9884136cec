"""The report's verdicts, worded by the paired interval, from small synthetic results tables
whose differences are known; guardrail flags, seed warnings and units on the written page."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from experiments import metrics
from experiments.report import write_report
from experiments.verdict import scenario_lead, seeds_needed, verdicts
from tests.experiments import report_world

ENGINE = "engine (default)"
UNIT = "EUR per 1,000 customers"


def _verdicts(values, **kw):
    rows = report_world.rows(values, **kw)
    board = metrics.leaderboard(rows)
    return rows, board, {v.other: v for v in verdicts(rows, board)}


def test_separated_intervals_read_beats_and_only_then_wins():
    rows, board, found = _verdicts({
        ENGINE: ("engine", [600, 640, 610, 650]),
        "best fixed": ("best_fixed", [400, 445, 405, 455]),
        "LinTS": ("lints", [300, 330, 310, 350]),
        "random": ("random", [100, 101, 102, 103])})
    assert set(found) == {"best fixed", "LinTS"}  # the baseline and the best learner
    v = found["best fixed"]
    assert (v.word, v.role, v.seeds) == ("beats", "A/B-test baseline", 4)
    assert v.sentence(UNIT).startswith(
        "engine (default) beats the A/B-test baseline best fixed by 198.8 EUR per 1,000 "
        "customers (95% CI ")
    assert found["LinTS"].role == "best learner" and found["LinTS"].word == "beats"
    assert scenario_lead(rows, board, "s", UNIT).startswith(
        "engine (default) wins with 625.0 EUR per 1,000 customers")


def test_a_trailing_engine_reads_trails_with_the_gap_positive():
    rows, board, found = _verdicts({
        ENGINE: ("engine", [400, 420, 430, 410]),
        "segment rules": ("segment_rules", [500, 515, 535, 510])})
    v = found["segment rules"]
    assert v.word == "trails" and v.diff == pytest.approx(-100.0)
    text = v.sentence(UNIT)
    lo, hi = map(float, re.search(r"95% CI ([\d.]+) to ([\d.]+)", text).groups())
    assert 0 < lo < 100 < hi  # the interval of the gap (baseline - engine), not its negative
    assert "trails the A/B-test baseline segment rules by 100.0 EUR" in text
    assert scenario_lead(rows, board, "s", UNIT).startswith("segment rules wins")


def test_overlapping_intervals_are_not_distinguishable_with_the_seeds_it_would_take():
    diffs = np.array([50.0, -30.0, 80.0, -10.0])
    rows, board, found = _verdicts({
        ENGINE: ("engine", list(500 + diffs)),
        "best fixed": ("best_fixed", [500.0] * 4)})
    v = found["best fixed"]
    assert v.word == "not distinguishable"
    m = v.seeds_needed
    # m seeds with the observed spread would exclude 0, m - 1 would not
    sd = diffs.std(ddof=1)
    assert metrics.t95(m - 1) * sd / math.sqrt(m) < diffs.mean()
    assert metrics.t95(m - 2) * sd / math.sqrt(m - 1) >= diffs.mean()
    text = v.sentence(UNIT)
    assert "are not distinguishable at 4 seeds: engine (default) is ahead by 22.5" in text
    assert f"about {m} seeds would be needed" in text
    lead = scenario_lead(rows, board, "s", UNIT)
    assert lead.startswith("No policy wins outright at 4 seeds") and " wins with" not in lead


def test_seeds_needed_has_no_answer_without_a_difference_or_a_second_seed():
    assert seeds_needed(0.0, 10.0, 4) is None
    assert seeds_needed(5.0, math.inf, 1) is None
    assert seeds_needed(1.0, 1000.0, 4) > 10_000


def test_a_baseline_that_never_finished_its_test_is_labelled_so():
    whole = [[report_world.N] * report_world.WINDOWS] * 4  # every decision a test decision
    partly = [[report_world.N, 400, 0], [report_world.N, report_world.N, 300],
              [report_world.N, 200, 0], [report_world.N, 0, 0]]
    _, _, found = _verdicts({
        ENGINE: ("engine", [300, 320, 310, 330]),
        "best fixed": ("best_fixed", [100, 101, 102, 103]),
        "segment rules": ("segment_rules", [200, 210, 190, 220])},
        in_test={"best fixed": whole, "segment rules": partly})
    assert found["best fixed"].note == ("best fixed never finished its A/B test (on any of 4 "
                                        "seeds), so it played uniformly at random throughout")
    assert "never finished its A/B test" in found["best fixed"].sentence(UNIT)
    assert found["segment rules"].note.startswith(
        "segment rules was still testing at the end on 1 of 4 seeds")


def _report(tmp_path, frame, **kw):
    return write_report(report_world.write(tmp_path / "r", frame), **kw).read_text()


def test_the_page_flags_a_guardrail_breach_and_only_that_one(tmp_path):
    frame = report_world.rows({
        ENGINE: ("engine", [300, 320, 310, 330]),
        "LinTS": ("lints", [280, 300, 290, 310]),
        "random": ("random", [100, 101, 102, 103])},
        unsubscribed={ENGINE: 14, "LinTS": 3, "random": 2})
    text = _report(tmp_path, frame)
    breaches = re.findall(r"<li class='bad guardrail'>(.*?)</li>", text)
    assert breaches == [("Guardrail breach: engine (default) has 15.56 unsubscribes per 1,000 "
                        "contacts, 7.0x uniform random's 2.22.")]
    assert text.count("<td class='bad'>15.56</td>") == 1  # the guardrail table's cell


def test_too_few_seeds_warn_and_enough_do_not(tmp_path):
    two = report_world.rows({ENGINE: ("engine", [300, 320]), "r": ("random", [100, 101])})
    assert "id='few-seeds'" in _report(tmp_path / "a", two)
    four = report_world.rows({ENGINE: ("engine", [300, 320, 330, 340]),
                              "r": ("random", [100, 101, 102, 103])})
    assert "id='few-seeds'" not in _report(tmp_path / "b", four)


def test_money_carries_its_currency_everywhere(tmp_path):
    frame = report_world.rows({ENGINE: ("engine", [300, 320, 330, 340]),
                               "random": ("random", [100, 101, 102, 103])})
    text = _report(tmp_path, frame, currency="USD")
    assert "EUR" not in text
    headers = re.findall(r"<th(?: class=l)?>([^<]*)</th>", text)
    assert "expected value (USD per 1,000 customers) [95% CI]" in headers
    assert "lift (USD per 1,000 customers) [95% CI]" in headers
    assert "regret so far" in text and "(USD per 1,000 customers)" in text
    assert "capture" not in " ".join(headers)  # readable names, not column ids
    assert re.search(r"<dt>Horizon</dt><dd>3,150 decisions per cell</dd>", text)
