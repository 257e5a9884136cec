"""What the quick horizon lets a learner see (``benchmarks/matured_by_horizon.py``): on
``fatigue`` (four contacts a customer a week) the horizon ends before any conversion window
closes, so no contact that did not convert ever reaches a learner; on ``small`` nearly all do."""

from __future__ import annotations

import pytest

from benchmarks.matured_by_horizon import seen_by_the_end


def test_fatigues_quick_horizon_shows_no_learner_a_contact_that_did_not_convert():
    seen = seen_by_the_end("fatigue", seed=0, quick=True)
    assert seen["hours"] == pytest.approx(6000 / (10_000 * 4 / 168))  # 25.2 hours
    assert seen["hours"] < 72  # the conversion window
    assert seen["not converted seen"] == 0.0
    assert 0.3 < seen["converted seen"] < 0.9  # delays of 12 hours in mean: some, not all


def test_smalls_quick_horizon_shows_nearly_every_outcome():
    seen = seen_by_the_end("small", seed=0, quick=True)
    assert seen["hours"] == pytest.approx(6000 / (500 / 168))  # 84 days
    assert seen["not converted seen"] > 0.9 and seen["converted seen"] > 0.9
