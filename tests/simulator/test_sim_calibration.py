"""Calibration: a uniform-random policy on baseline reproduces the public benchmark rates the
scenario is tuned to (sources in docs/simulator.md), within a tolerance."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import FunnelCounter, measure_funnel
from simulator.calibration import BASELINE_TARGETS

# Relative tolerance: rates come from 600k decisions (about a second); conversions and
# unsubscribes are counted in hundreds, so their tolerance is wider. In-app unsubscribes are too
# rare (about 1 in 5,000) to check this way.
_TOLERANCE = {"open_rate": 0.08, "click_rate": 0.10, "conversion_per_click": 0.35,
              "unsubscribe_rate": 0.30}
_TOO_RARE = 0.001


@pytest.fixture(scope="module")
def baseline_rates():
    return measure_funnel("baseline", decisions=600_000, batch_size=5000, seed=11)


@pytest.mark.parametrize("channel", sorted(BASELINE_TARGETS))
def test_random_policy_reproduces_the_benchmark_rates(baseline_rates, channel):
    for rate, target in BASELINE_TARGETS[channel].items():
        if rate == "unsubscribe_rate" and target < _TOO_RARE:
            continue
        got = baseline_rates[channel][rate]
        assert abs(got - target) <= _TOLERANCE[rate] * target, (channel, rate, got, target)


def test_email_open_rate_is_in_the_retail_range(baseline_rates):
    assert 0.12 <= baseline_rates["email"]["open_rate"] <= 0.14


def test_channels_rank_as_in_the_reports(baseline_rates):
    r = baseline_rates
    assert r["sms"]["open_rate"] > r["inapp"]["open_rate"] > r["email"]["open_rate"] > r[
        "push"]["open_rate"]
    assert r["sms"]["unsubscribe_rate"] > r["email"]["unsubscribe_rate"]
    per_send = {c: r[c]["conversion_per_send"] for c in r}
    assert max(per_send, key=per_send.get) == "sms"


def test_funnel_counter_merges_and_names_empty_channels():
    a, b = FunnelCounter(("email",)), FunnelCounter(("email",))
    info = {k: np.array([True]) for k in FunnelCounter.STAGES[1:]}
    a.add(np.array([0]), info)
    b.add(np.array([-1]), info)
    merged = a + b
    assert merged.counts["email"]["sent"] == 1 and merged.no_contact == 1
    assert np.isnan(FunnelCounter(("sms",)).rates()["sms"]["open_rate"])
