"""What ``GET /metrics`` exposes, kept and rendered by ``prometheus_client``, one registry per app.

Two sources, each counted once:

- what the service sees per request (decisions by group, channel and timing, accepted rewards,
  refusals, choose latency, reward delay): ``Counter`` and ``Histogram`` objects observed on the
  hot path;
- what the engine already counts (``Engine.stats()``): read at scrape time by
  :class:`EngineStatsCollector`, one family per :class:`StatFamily` row of :data:`ENGINE_STATS`.

Every app gets its own ``CollectorRegistry``, never the client's process-global default: tests
build many apps in one process, and two engines in one process must not share counters. The
choose latency also keeps its most recent samples (:class:`RecentSamples`), because the dashboard
shows exact p50/p99, which a histogram's buckets cannot give.

Example:
    >>> from prometheus_client.parser import text_string_to_metric_families
    >>> m = ServiceMetrics(stats=lambda: {"default_rewards": 2})
    >>> m.observe_choose(0.004, [{"holdout": False, "channel": "sms", "timing": "now"}])
    >>> m.observe_error("UnknownDecisionError")
    >>> samples = {(s.name, tuple(s.labels.items())): s.value for f in
    ...            text_string_to_metric_families(m.render().decode()) for s in f.samples}
    >>> samples["offerbandit_decisions_total", (("group", "treatment"),)]
    1.0
    >>> samples["offerbandit_default_rewards_total", ()]
    2.0
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeGuard

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from engine.errors import ConfigError

__all__ = ["CONTENT_TYPE", "ENGINE_STATS", "EngineStatsCollector", "MetricKind", "RecentSamples",
           "ServiceMetrics", "StatFamily"]

# What ``generate_latest`` writes: the Prometheus text format 0.0.4, which every scraper reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The format's classic names: the client also takes any UTF-8, which older scrapers refuse.
METRIC_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# Seconds. Fine below 25 ms because that is where the choose latency target sits.
CHOOSE_BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015,
                                     0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Seconds between a decision and its reward: a second to a month.
DELAY_BUCKETS: tuple[float, ...] = (1, 10, 60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400,
                                    7 * 86400, 30 * 86400)
NO_CONTACT = "no_contact"  # the channel and timing label of a decision that sends nothing


class MetricKind(StrEnum):
    """The Prometheus types a :class:`StatFamily` can have."""

    COUNTER = "counter"  # only grows (a reset is a restart); the name ends in ``_total``
    GAUGE = "gauge"  # goes up and down


@dataclass(frozen=True)
class StatFamily:
    """One metric family read from one key of ``Engine.stats()`` at each scrape.

    Attributes:
        key: the key in the stats mapping; a missing key (or ``None``) leaves the family out.
        name: the exposed name; a counter's ends in ``_total``.
        kind: counter or gauge.
        help: the family's ``# HELP`` text.
        label: None when the stat is one number. Otherwise the label that tells its samples
            apart: a stat that is a mapping ``{label value: number}`` gives one sample per item
            (e.g. PSI per feature), and a stat that is a string gives one sample of value 1
            with the string as the label (e.g. the serving model's version).

    Example:
        >>> psi = StatFamily("drift_psi", "offerbandit_drift_psi", MetricKind.GAUGE,
        ...                  "PSI of each feature, recent vs reference window.", label="feature")
        >>> [(s.labels, s.value) for s in psi.family({"drift_psi": {"age": 0.3}}).samples]
        [({'feature': 'age'}, 0.3)]
    """

    key: str
    name: str
    kind: MetricKind
    help: str
    label: str | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", MetricKind(self.kind))
        except ValueError:
            raise ConfigError(f"StatFamily {self.name!r}: kind: expected one of "
                              f"{[k.value for k in MetricKind]}, got {self.kind!r}") from None
        if not METRIC_NAME_RE.fullmatch(self.name):
            raise ConfigError(f"StatFamily: name: expected letters, digits, '_' or ':', not "
                              f"starting with a digit, got {self.name!r}")
        if (self.kind == MetricKind.COUNTER) != self.name.endswith("_total"):
            raise ConfigError(f"StatFamily {self.name!r}: name: a counter's name ends in '_total' "
                              f"and only a counter's does (kind {self.kind.value!r})")
        if self.label is not None and not (LABEL_NAME_RE.fullmatch(self.label)
                                           and not self.label.startswith("__")):
            raise ConfigError(f"StatFamily {self.name!r}: label: expected letters, digits or '_', "
                              f"not starting with a digit or '__', got {self.label!r}")

    def empty(self) -> CounterMetricFamily | GaugeMetricFamily:
        """The family without samples (what the registry reads to refuse clashing names)."""
        labels = [] if self.label is None else [self.label]
        if self.kind == MetricKind.COUNTER:
            return CounterMetricFamily(self.name, self.help, labels=labels)
        return GaugeMetricFamily(self.name, self.help, labels=labels)

    def family(self, stats: Mapping[str, object]) -> Metric | None:
        """The family with this scrape's samples; None when the stat is absent or not a number
        (nor, with a label, a mapping of numbers or a string)."""
        value, out = stats.get(self.key), self.empty()
        if self.label is None:
            if not _is_number(value):
                return None
            out.add_metric([], float(value))
        elif isinstance(value, str):
            out.add_metric([value], 1.0)
        elif isinstance(value, Mapping):
            for k, v in sorted(value.items()):
                if _is_number(v):
                    out.add_metric([str(k)], float(v))
        else:
            return None
        return out


def _is_number(value: object) -> TypeGuard[float | int | np.number]:
    return isinstance(value, int | float | np.integer | np.floating)


# What /metrics shows of Engine.stats(). A stat the engine does not report is left out.
ENGINE_STATS: tuple[StatFamily, ...] = (
    StatFamily("default_rewards", "offerbandit_default_rewards_total", MetricKind.COUNTER,
               "Default rewards learnt when a reward window passed with none (from the log)."),
    StatFamily("rewards_not_learned", "offerbandit_rewards_not_learned_total", MetricKind.COUNTER,
               "Logged rewards not learned since the engine started (holdout, no-contact or "
               "inactive decisions, or another catalog's)."),
    StatFamily("served_held", "offerbandit_served_held_total", MetricKind.COUNTER,
               "First rewards since the engine started whose serving candidate was scored on "
               "the distribution it decided with, held since its choose (served_memory)."),
    StatFamily("served_asked", "offerbandit_served_asked_total", MetricKind.COUNTER,
               "First rewards since the engine started whose serving candidate was asked for "
               "its distribution again (the decision no longer held: older than "
               "served_memory decisions, made before a restart, or by another candidate)."),
    StatFamily("last_seq", "offerbandit_logged_reward_seq", MetricKind.GAUGE,
               "Sequence number of the last reward written to the log."),
    StatFamily("learned_seq", "offerbandit_learned_reward_seq", MetricKind.GAUGE,
               "Sequence number of the last reward the learner has learned."),
    StatFamily("follow_lag", "offerbandit_follow_lag", MetricKind.GAUGE,
               "Reward sequence numbers the furthest-behind candidate learner has still to "
               "meet (with follow_every = 0 the service follows the log between requests)."),
    StatFamily("exploration_rate", "offerbandit_exploration_rate", MetricKind.GAUGE,
               "Share of decisions since the engine started that were not the policy's most "
               "probable action."),
    StatFamily("serving_learner", "offerbandit_serving_learner", MetricKind.GAUGE,
               "The candidate learner that serves (value 1, its name as the label).",
               label="learner"),
    StatFamily("learner_switches", "offerbandit_learner_switches_total", MetricKind.COUNTER,
               "Changes of the serving learner (from the log)."),
    StatFamily("candidate_dr", "offerbandit_candidate_value_dr", MetricKind.GAUGE,
               "Each candidate learner's value per decision, doubly robust, progressive on the "
               "live log (scored before it learns each reward).", label="learner"),
    StatFamily("candidate_dr_low", "offerbandit_candidate_value_dr_low", MetricKind.GAUGE,
               "Lower end of the 95 % interval of offerbandit_candidate_value_dr.",
               label="learner"),
    StatFamily("candidate_dr_high", "offerbandit_candidate_value_dr_high", MetricKind.GAUGE,
               "Upper end of the 95 % interval of offerbandit_candidate_value_dr.",
               label="learner"),
    StatFamily("candidate_dr_cv", "offerbandit_candidate_value_dr_cv", MetricKind.GAUGE,
               "Each candidate learner's value per decision, doubly robust with the reward "
               "model weighted for the least variance (ope.estimators.dr_cv), progressive on "
               "the live log.", label="learner"),
    StatFamily("candidate_dr_cv_low", "offerbandit_candidate_value_dr_cv_low",
               MetricKind.GAUGE,
               "Lower end of the 95 % interval of offerbandit_candidate_value_dr_cv.",
               label="learner"),
    StatFamily("candidate_dr_cv_high", "offerbandit_candidate_value_dr_cv_high",
               MetricKind.GAUGE,
               "Upper end of the 95 % interval of offerbandit_candidate_value_dr_cv.",
               label="learner"),
    StatFamily("candidate_ips", "offerbandit_candidate_value_ips", MetricKind.GAUGE,
               "Each candidate learner's value per decision, inverse propensity scored, "
               "progressive on the live log.", label="learner"),
    StatFamily("candidate_n", "offerbandit_candidate_rewards_scored", MetricKind.GAUGE,
               "Logged rewards each candidate learner has been scored on.", label="learner"),
    StatFamily("candidate_on_trial", "offerbandit_candidate_on_trial", MetricKind.GAUGE,
               "1 for each challenger that serves its share of decisions (selection "
               "trial_share), 0 for the others.", label="learner"),
    StatFamily("candidate_share", "offerbandit_candidate_share", MetricKind.GAUGE,
               "The share of each decision drawn from each candidate learner's distribution: "
               "the serving one's and those on trial (selection trial_share, or up to "
               "trial_share_max while the evidence puts the leader ahead).", label="learner"),
    StatFamily("checkpoint_failures", "offerbandit_checkpoint_failures_total",
               MetricKind.COUNTER, "Periodic checkpoints that could not be written since the "
               "engine started (each retried later; the log keeps every reward)."),
    StatFamily("settle_failures", "offerbandit_settle_failures_total", MetricKind.COUNTER,
               "Failed attempts to settle expired decisions since the engine started (each "
               "retried)."),
    StatFamily("model_version", "offerbandit_model_version", MetricKind.GAUGE,
               "Version of the published model snapshot this replica serves (0: none yet)."),
    StatFamily("model_age_s", "offerbandit_model_age_seconds", MetricKind.GAUGE,
               "Seconds since the serving snapshot was published."),
    # the drift monitor (engine/drift, docs/drift.md)
    StatFamily("drift_psi", "offerbandit_drift_psi", MetricKind.GAUGE,
               "PSI of each watched context feature, recent window vs reference window.",
               label="feature"),
    StatFamily("drift_feature_level", "offerbandit_drift_feature_level", MetricKind.GAUGE,
               "Drift level of each context feature: 0 ok, 1 warn (PSI >= psi_warn), 2 alert "
               "(PSI >= psi_alert).", label="feature"),
    StatFamily("drift_reward_statistic", "offerbandit_drift_reward_statistic", MetricKind.GAUGE,
               "Page-Hinkley statistic of each reward stream, in units of its threshold (a "
               "change is detected at 1).", label="stream"),
    StatFamily("drift_reward_level", "offerbandit_drift_reward_state", MetricKind.GAUGE,
               "State of each reward stream's change detector: 0 warming up, 1 watching, 2 a "
               "change detected at its last block.", label="stream"),
    StatFamily("drift_reward_rate", "offerbandit_drift_reward_rate", MetricKind.GAUGE,
               "Mean reward per decision of each reward stream's last block.", label="stream"),
    StatFamily("drift_response_statistic", "offerbandit_drift_response_statistic",
               MetricKind.GAUGE, "CUSUM statistic of each message's rewards against the "
               "reference reward model of the context, in units of its threshold (a change of "
               "the answer is detected at 1).", label="stream"),
    StatFamily("drift_events", "offerbandit_drift_events_total", MetricKind.COUNTER,
               "Drift events found since the monitor started, by kind/level (context, reward, "
               "lift, recovery / info, warn, alert, action).", label="event"),
    StatFamily("drift_active_alerts", "offerbandit_drift_active_alerts", MetricKind.GAUGE,
               "Context features at alert level plus reward streams whose last block detected "
               "a change."),
    StatFamily("drift_lift_slope", "offerbandit_drift_lift_slope", MetricKind.GAUGE,
               "Slope of the treatment-minus-holdout lift per lift window (reward per decision)."),
    StatFamily("drift_lift_falling", "offerbandit_drift_lift_falling", MetricKind.GAUGE,
               "1 when the lift's 95% interval of slope lies below 0, else 0."),
    StatFamily("drift_decisions_seen", "offerbandit_drift_decisions_read_total",
               MetricKind.COUNTER, "Decisions the drift monitor has read from the log."),
    StatFamily("drift_rewards_seen", "offerbandit_drift_rewards_read_total", MetricKind.COUNTER,
               "Rewards the drift monitor has read from the log."),
    StatFamily("drift_failures", "offerbandit_drift_failures_total", MetricKind.COUNTER,
               "Failed reads of the log by the drift monitor since the engine started (each "
               "retried: the next read starts where the failed one would have)."),
    StatFamily("drift_challengers", "offerbandit_drift_challengers_total", MetricKind.COUNTER,
               "Challenger learners the engine started on confirmed changes (recover = true)."),
    StatFamily("drift_challengers_catching_up", "offerbandit_drift_challengers_catching_up",
               MetricKind.GAUGE, "Challengers still meeting the log since their change point "
               "(not yet in the switch rule)."),
    StatFamily("drift_challengers_served", "offerbandit_drift_challengers_served_total",
               MetricKind.COUNTER, "Challengers that took over by the selection's rule."),
)


class EngineStatsCollector:
    """A ``prometheus_client`` collector that reads the engine's stats at each scrape.

    Args:
        stats: called once per scrape (``Engine.stats``).
        families: which stats to expose, and how.
    """

    def __init__(self, stats: Callable[[], Mapping[str, object]],
                 families: Sequence[StatFamily] = ENGINE_STATS) -> None:
        names = [f.name for f in families]
        if len(set(names)) != len(names):
            raise ConfigError(f"families: expected distinct names, got {names}")
        self._stats, self._families = stats, tuple(families)

    def describe(self) -> list[Metric]:
        """The families without samples: the registry refuses names that clash, at register."""
        return [f.empty() for f in self._families]

    def collect(self) -> Iterator[Metric]:
        """One family per stat present in this scrape's ``stats()``."""
        stats = self._stats()
        for f in self._families:
            family = f.family(stats)
            if family is not None:
                yield family


class RecentSamples:
    """A ring of the most recent samples, for exact percentiles over them.

    Args:
        size: how many samples to keep.

    Example:
        >>> r = RecentSamples(size=2)
        >>> for s in (0.5, 0.001, 0.003):
        ...     r.observe(s)
        >>> r.percentiles((50, 100))
        [0.001, 0.003]
    """

    def __init__(self, size: int = 4096) -> None:
        if size < 1:
            raise ConfigError(f"RecentSamples: size: expected >= 1, got {size!r}")
        self._ring = np.full(size, np.nan)
        self._next = 0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        """Keep one sample, dropping the oldest once full."""
        with self._lock:
            self._ring[self._next % self._ring.size] = value
            self._next += 1

    def percentiles(self, qs: Sequence[float]) -> list[float | None]:
        """Percentiles (0-100) of the kept samples; None for each when there are none."""
        with self._lock:
            kept = self._ring[~np.isnan(self._ring)]
        if kept.size == 0:
            return [None for _ in qs]
        return [float(v) for v in np.percentile(kept, qs, method="nearest")]


class ServiceMetrics:
    """What one app counts and exposes; thread-safe.

    Args:
        stats: the engine's ``stats`` (read at each scrape); None exposes the service's only.
        engine_stats: which of those stats to expose (see :class:`StatFamily`).

    Attributes:
        registry: this app's own registry; anything else to expose registers its collector here.
    """

    def __init__(self, stats: Callable[[], Mapping[str, object]] | None = None,
                 engine_stats: Sequence[StatFamily] = ENGINE_STATS) -> None:
        self.registry = reg = CollectorRegistry()
        decisions = Counter("offerbandit_decisions_total",
                            "Decisions served since start, by treatment or holdout.", ["group"],
                            registry=reg)
        # Label children bound once: .labels() takes a lock and builds a key on every call.
        self._group = {False: decisions.labels("treatment"), True: decisions.labels("holdout")}
        self._by_channel = Counter("offerbandit_decisions_by_channel_total",
                                   "Decisions served since start, by channel.", ["channel"],
                                   registry=reg)
        self._by_timing = Counter("offerbandit_decisions_by_timing_total",
                                  "Decisions served since start, by timing.", ["timing"],
                                  registry=reg)
        self._channels: dict[str, Counter] = {}
        self._timings: dict[str, Counter] = {}
        self._rewards = Counter("offerbandit_rewards_total",
                                "Rewards accepted over HTTP since start.", registry=reg)
        self._errors = Counter("offerbandit_errors_total", "Refused requests, by type.", ["type"],
                               registry=reg)
        self._latency = Histogram("offerbandit_choose_latency_seconds",
                                  "Time to answer a choose request (one sample per request).",
                                  buckets=CHOOSE_BUCKETS, registry=reg)
        self._delay = Histogram("offerbandit_reward_delay_seconds",
                                "Time from a decision to its reward.", buckets=DELAY_BUCKETS,
                                registry=reg)
        self._recent = RecentSamples()
        if stats is not None:
            self.registry.register(EngineStatsCollector(stats, engine_stats))

    def observe_choose(self, seconds: float | None, decisions: Sequence[Mapping[str, object]]
                       ) -> None:
        """Count the decisions of one request, and its latency when given.

        Args:
            seconds: how long the request took (one sample per request, batch or not).
            decisions: the answered decisions, as dicts with ``holdout``, ``channel``, ``timing``.
        """
        if len(decisions) == 1:  # the common case, without the tally
            d = decisions[0]
            self._group[bool(d.get("holdout"))].inc()
            _child(self._by_channel, self._channels, d.get("channel")).inc()
            _child(self._by_timing, self._timings, d.get("timing")).inc()
        else:
            self._count_batch(decisions)
        if seconds is not None:
            self._latency.observe(seconds)
            self._recent.observe(seconds)

    def _count_batch(self, decisions: Sequence[Mapping[str, object]]) -> None:
        """One increment per distinct label, not per decision (a batch holds up to 1000)."""
        holdout = 0
        channels: dict[object, int] = {}
        timings: dict[object, int] = {}
        for d in decisions:
            holdout += bool(d.get("holdout"))
            channels[d.get("channel")] = channels.get(d.get("channel"), 0) + 1
            timings[d.get("timing")] = timings.get(d.get("timing"), 0) + 1
        for held, n in ((True, holdout), (False, len(decisions) - holdout)):
            if n:
                self._group[held].inc(n)
        for counter, children, counts in ((self._by_channel, self._channels, channels),
                                          (self._by_timing, self._timings, timings)):
            for value, n in counts.items():
                _child(counter, children, value).inc(n)

    def observe_reward(self, delay_s: float | None) -> None:
        """Count one accepted reward and, when known, its delay after the decision."""
        self._rewards.inc()
        if delay_s is not None and math.isfinite(delay_s):
            self._delay.observe(max(0.0, delay_s))

    def observe_error(self, kind: str) -> None:
        """Count one refused request by error type (class name, or ``validation``, ...)."""
        self._errors.labels(kind).inc()

    def action_mix(self) -> dict[str, dict[str, int]]:
        """Decisions served since start, by channel and by timing (``no_contact`` for none)."""
        return {"channel": _counts(self._by_channel, "channel"),
                "timing": _counts(self._by_timing, "timing")}

    def latency_percentiles(self) -> dict[str, float | None]:
        """Choose latency p50 and p99 in seconds over the most recent 4096 requests."""
        p50, p99 = self._recent.percentiles((50, 99))
        return {"p50": p50, "p99": p99}

    def render(self) -> bytes:
        """The exposition, in the text format of :data:`CONTENT_TYPE` (reads the engine's stats)."""
        return generate_latest(_WithoutCreated(self.registry))


class _WithoutCreated:
    """The registry's families less the ``_created`` sample of each counter and histogram.

    The text format has no field for when a series started, so the client writes it as one more
    gauge family per counter and histogram (twice the families, none of them asked for); its own
    switch (``disable_created_metrics``) is process-global, which one app must not change.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():  # fresh objects on every collect: ours to edit
            if family.type in ("counter", "histogram"):
                created = family.name + "_created"
                family.samples = [s for s in family.samples if s.name != created]
            yield family


def _child(counter: Counter, children: dict[str, Counter], value: object) -> Counter:
    """``counter.labels(value)``, bound once per label value (``no_contact`` for None)."""
    label = NO_CONTACT if value is None or value == "" else str(value)
    child = children.get(label)
    if child is None:
        child = children[label] = counter.labels(label)
    return child


def _counts(counter: Counter, label: str) -> dict[str, int]:
    """The current ``{label value: count}`` of a one-label counter, sorted by label value."""
    return dict(sorted((s.labels[label], int(s.value)) for family in counter.collect()
                       for s in family.samples if s.name.endswith("_total")))
