"""What ``/metrics`` exposes: names, labels, buckets, escaping, the engine's stats read at scrape
time, one registry per app; every exposition read back by prometheus_client's parser."""

from __future__ import annotations

import math

import prometheus_client
import pytest

from engine.errors import ConfigError
from engine.http.metrics import (
    ENGINE_STATS,
    MetricKind,
    RecentSamples,
    ServiceMetrics,
    StatFamily,
)
from tests.service.service_world import Scrape


def _scrape(m: ServiceMetrics) -> Scrape:
    return Scrape(m.render().decode())


def test_counters_and_histograms_keep_their_names_labels_and_buckets():
    m = ServiceMetrics(stats=lambda: {"default_rewards": 7})
    m.observe_choose(0.003, [{"holdout": False, "channel": "email", "timing": "now"}])
    m.observe_choose(0.020, [{"holdout": True, "channel": None, "timing": None}])
    m.observe_reward(120.0)
    m.observe_reward(None)  # counted, no delay
    m.observe_error("UnknownDecisionError")
    m.observe_error("UnknownDecisionError")
    s = _scrape(m)
    assert s.value("offerbandit_decisions_total", group="treatment") == 1
    assert s.value("offerbandit_decisions_total", group="holdout") == 1
    assert s.value("offerbandit_decisions_by_channel_total", channel="email") == 1
    assert s.value("offerbandit_decisions_by_channel_total", channel="no_contact") == 1
    assert s.value("offerbandit_decisions_by_timing_total", timing="no_contact") == 1
    assert s.value("offerbandit_rewards_total") == 2
    assert s.value("offerbandit_default_rewards_total") == 7
    assert s.value("offerbandit_errors_total", type="UnknownDecisionError") == 2
    latency = "offerbandit_choose_latency_seconds"
    assert s.value(f"{latency}_bucket", le="0.002") == 0
    assert s.value(f"{latency}_bucket", le="0.004") == 1
    assert s.value(f"{latency}_bucket", le="0.025") == 2
    assert s.value(f"{latency}_bucket", le="+Inf") == 2
    assert s.value(f"{latency}_count") == 2
    assert math.isclose(s.value(f"{latency}_sum"), 0.023)
    assert s.value("offerbandit_reward_delay_seconds_bucket", le="60.0") == 0
    assert s.value("offerbandit_reward_delay_seconds_bucket", le="300.0") == 1
    assert s.value("offerbandit_reward_delay_seconds_count") == 1
    assert s.types["offerbandit_decisions"] == "counter"
    assert s.types[latency] == "histogram"
    # No `_created` family per counter: the text format has no use for them.
    assert not [k for k in s.types if k.endswith("_created")]


def test_a_batch_counts_each_decision_once_and_its_latency_once():
    m = ServiceMetrics()
    m.observe_choose(0.01, [{"holdout": False, "channel": "sms", "timing": "now"}] * 3
                     + [{"holdout": True, "channel": None, "timing": None}] * 2
                     + [{"holdout": False, "channel": "email", "timing": "evening"}])
    s = _scrape(m)
    assert s.value("offerbandit_decisions_total", group="treatment") == 4
    assert s.value("offerbandit_decisions_total", group="holdout") == 2
    assert m.action_mix() == {"channel": {"email": 1, "no_contact": 2, "sms": 3},
                              "timing": {"evening": 1, "no_contact": 2, "now": 3}}
    assert s.value("offerbandit_choose_latency_seconds_count") == 1


def test_engine_stats_are_read_at_each_scrape_not_copied():
    stats = {"default_rewards": 1, "learned_seq": 3, "last_seq": 5, "exploration_rate": 0.25,
             "rewards_not_learned": 2, "catalog_version": "abc"}
    m = ServiceMetrics(stats=lambda: stats)
    first = _scrape(m)
    assert first.value("offerbandit_learned_reward_seq") == 3
    assert first.value("offerbandit_logged_reward_seq") == 5
    assert first.value("offerbandit_exploration_rate") == 0.25
    assert first.value("offerbandit_rewards_not_learned_total") == 2
    stats.update(default_rewards=4, learned_seq=5)
    second = _scrape(m)
    assert second.value("offerbandit_default_rewards_total") == 4
    assert second.value("offerbandit_learned_reward_seq") == 5
    # A stat the engine does not report is left out, not shown as 0.
    del stats["exploration_rate"]
    assert "offerbandit_exploration_rate" not in _scrape(m).types


def test_each_service_has_its_own_registry():
    a, b = ServiceMetrics(), ServiceMetrics()
    a.observe_error("validation")
    a.observe_choose(0.001, [{"holdout": False, "channel": "sms", "timing": "now"}])
    assert _scrape(a).value("offerbandit_errors_total", type="validation") == 1
    assert ("offerbandit_errors_total", frozenset({("type", "validation")})) not in \
        _scrape(b).samples
    assert b.action_mix() == {"channel": {}, "timing": {}}
    global_text = prometheus_client.generate_latest(prometheus_client.REGISTRY).decode()
    assert "offerbandit_" not in global_text


def test_stat_families_with_a_label_take_a_mapping_or_a_string():
    families = (StatFamily("psi", "offerbandit_drift_psi", MetricKind.GAUGE, "PSI per feature.",
                           label="feature"),
                StatFamily("model", "offerbandit_model_version", MetricKind.GAUGE,
                           "Serving model.", label="version"),
                StatFamily("alerts", "offerbandit_drift_alerts_total", MetricKind.COUNTER,
                           "Alerts raised.", label="feature"))
    stats = {"psi": {"age": 0.31, "segment": 0.02, "broken": "n/a"}, "model": "v7",
             "alerts": {"age": 2}}
    s = _scrape(ServiceMetrics(stats=lambda: stats, engine_stats=families))
    assert s.value("offerbandit_drift_psi", feature="age") == 0.31
    assert s.value("offerbandit_drift_psi", feature="segment") == 0.02
    assert ("offerbandit_drift_psi", frozenset({("feature", "broken")})) not in s.samples
    assert s.value("offerbandit_model_version", version="v7") == 1
    assert s.value("offerbandit_drift_alerts_total", feature="age") == 2
    assert s.types["offerbandit_drift_alerts"] == "counter"


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "offerbandit_x", "kind": "histogram"}, "kind: expected one of"),
    ({"name": "offerbandit_x", "kind": MetricKind.COUNTER}, "ends in '_total'"),
    ({"name": "offerbandit_x_total", "kind": MetricKind.GAUGE}, "ends in '_total'"),
    ({"name": "offerbandit x", "kind": MetricKind.GAUGE}, "name: expected .*'offerbandit x'"),
    ({"name": "9x", "kind": MetricKind.GAUGE}, "name: expected letters.*'9x'"),
    ({"name": "offerbandit_x", "kind": MetricKind.GAUGE, "label": "le-x"}, "label: .*'le-x'"),
    ({"name": "offerbandit_x", "kind": MetricKind.GAUGE, "label": "__x"}, "label: .*'__x'"),
])
def test_malformed_stat_families_are_refused_when_declared(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        StatFamily(key="x", help="x", **kwargs)


def test_a_stat_family_that_clashes_with_another_family_is_refused():
    clash = StatFamily("rewards", "offerbandit_rewards_total", MetricKind.COUNTER, "again")
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        ServiceMetrics(stats=dict, engine_stats=(*ENGINE_STATS, clash))
    twice = StatFamily("other", ENGINE_STATS[0].name, ENGINE_STATS[0].kind, "again")
    with pytest.raises(ConfigError, match="families: expected distinct names"):
        ServiceMetrics(stats=dict, engine_stats=(*ENGINE_STATS, twice))


def test_label_values_are_escaped_and_read_back_unchanged():
    m = ServiceMetrics()
    kind = 'bad"type\\\n'
    m.observe_error(kind)
    assert _scrape(m).value("offerbandit_errors_total", type=kind) == 1


def test_recent_samples_give_percentiles_of_the_newest_only():
    r = RecentSamples(size=3)
    assert r.percentiles((50, 99)) == [None, None]
    for s in (0.5, 0.001, 0.002, 0.003):
        r.observe(s)
    assert r.percentiles((50, 100)) == [0.002, 0.003]  # 0.5 fell out of the ring of 3
    assert ServiceMetrics().latency_percentiles() == {"p50": None, "p99": None}


def test_recent_samples_refuse_an_empty_ring():
    with pytest.raises(ConfigError, match="size: expected >= 1, got 0"):
        RecentSamples(size=0)
