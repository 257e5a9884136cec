"""The Prometheus text the service exposes: families, buckets, escaping, percentiles."""

from __future__ import annotations

import math
import re

import pytest

from engine.metrics_text import LatencyHistogram, ServiceMetrics, escape_label


def _value(text: str, sample: str) -> float:
    m = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert m, f"{sample} not in metrics text"
    return float(m.group(1))


def test_counters_and_histogram_render_in_text_format():
    m = ServiceMetrics()
    m.observe_choose(0.003, [{"holdout": False, "channel": "email", "timing": "now"}])
    m.observe_choose(0.020, [{"holdout": True, "channel": None, "timing": None}])
    m.observe_reward(120.0)
    m.observe_error("UnknownDecisionError")
    m.observe_error("UnknownDecisionError")
    text = m.render({"default_rewards": 7})
    assert _value(text, 'offerbandit_decisions_total{group="treatment"}') == 1
    assert _value(text, 'offerbandit_decisions_total{group="holdout"}') == 1
    assert _value(text, 'offerbandit_decisions_by_channel_total{channel="no_contact"}') == 1
    assert _value(text, "offerbandit_rewards_total") == 1
    assert _value(text, "offerbandit_default_rewards_total") == 7
    assert _value(text, 'offerbandit_errors_total{type="UnknownDecisionError"}') == 2
    assert _value(text, 'offerbandit_choose_latency_seconds_bucket{le="0.004"}') == 1
    assert _value(text, 'offerbandit_choose_latency_seconds_bucket{le="0.025"}') == 2
    assert _value(text, 'offerbandit_choose_latency_seconds_bucket{le="+Inf"}') == 2
    assert _value(text, "offerbandit_choose_latency_seconds_count") == 2
    assert math.isclose(_value(text, "offerbandit_choose_latency_seconds_sum"), 0.023)
    assert _value(text, 'offerbandit_reward_delay_seconds_bucket{le="300"}') == 1
    # Every family is declared once, before its samples.
    families = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE)
    assert len(families) == len({f for f, _ in families})
    for line in text.splitlines():
        assert line.startswith("#") or re.match(r"^[a-z_]+(\{.*\})? \S+$", line), line


def test_histogram_is_cumulative_and_percentiles_use_recent_samples():
    h = LatencyHistogram((0.01, 0.1), recent=3)
    for s in (0.5, 0.001, 0.002, 0.003):
        h.observe(s)
    assert h.cumulative() == [3, 3, 4]
    assert h.percentiles((50, 100)) == [0.002, 0.003]  # 0.5 fell out of the ring of 3


def test_percentiles_are_none_without_samples():
    assert ServiceMetrics().latency_percentiles() == {"p50": None, "p99": None}


@pytest.mark.parametrize("buckets", [(0.1, 0.01), (0.1, 0.1)])
def test_histogram_refuses_unsorted_buckets(buckets):
    with pytest.raises(ValueError, match="strictly increasing"):
        LatencyHistogram(buckets)


def test_label_values_are_escaped():
    m = ServiceMetrics()
    m.observe_error('bad"type\\\n')
    assert 'type="bad\\"type\\\\\\n"' in m.render()
    assert escape_label("plain") == "plain"
