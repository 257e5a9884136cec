"""Service counters and histograms, rendered in the Prometheus text exposition format (0.0.4).

Hand-written rather than ``prometheus_client``: the service needs six families, one registry per
app (tests build many apps in one process, and the client's default registry is a global), and
the choose latency must also give the dashboard exact recent p50/p99, which a histogram cannot.

Example:
    >>> m = ServiceMetrics()
    >>> m.observe_choose(0.004, [{"holdout": False, "channel": "sms", "timing": "now"}])
    >>> m.observe_error("UnknownDecisionError")
    >>> text = m.render({"default_rewards": 2})
    >>> 'offerbandit_decisions_total{group="treatment"} 1' in text
    True
    >>> "offerbandit_default_rewards_total 2" in text
    True
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["LatencyHistogram", "ServiceMetrics", "escape_label"]

# Seconds. Fine below 25 ms because that is where the choose latency target sits.
CHOOSE_BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015,
                                     0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Seconds between a decision and its reward: a minute to a month.
DELAY_BUCKETS: tuple[float, ...] = (1, 10, 60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400,
                                    7 * 86400, 30 * 86400)


def escape_label(value: str) -> str:
    """Escape a label value as the text format requires (backslash, quote, newline).

    Example:
        >>> escape_label('a"b')
        'a\\\\"b'
    """
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(x: float) -> str:
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


def _family(name: str, kind: str, help_text: str, samples: Sequence[tuple[str, float]]
            ) -> list[str]:
    """HELP and TYPE lines, then one ``name{labels} value`` line per sample."""
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}",
            *(f"{name}{labels} {_number(v)}" for labels, v in samples)]


class LatencyHistogram:
    """Cumulative histogram plus a ring of the most recent samples for exact percentiles.

    Args:
        buckets: increasing upper bounds, in seconds (``+Inf`` is implicit).
        recent: how many recent samples to keep for :meth:`percentiles`.

    Example:
        >>> h = LatencyHistogram((0.01, 0.1), recent=4)
        >>> for s in (0.005, 0.02, 0.5):
        ...     h.observe(s)
        >>> h.cumulative()
        [1, 2, 3]
        >>> h.percentiles((50,))
        [0.02]
    """

    def __init__(self, buckets: Sequence[float], recent: int = 4096) -> None:
        self.bounds = tuple(float(b) for b in buckets)
        if list(self.bounds) != sorted(set(self.bounds)):
            raise ValueError(f"buckets must be strictly increasing, got {buckets!r}")
        self._counts = [0] * (len(self.bounds) + 1)
        self._ring = np.full(recent, np.nan)
        self._next = 0
        self.total = 0.0
        self.count = 0

    def observe(self, seconds: float) -> None:
        """Record one sample (seconds)."""
        self._counts[bisect.bisect_left(self.bounds, seconds)] += 1
        self._ring[self._next % self._ring.size] = seconds
        self._next += 1
        self.total += seconds
        self.count += 1

    def cumulative(self) -> list[int]:
        """Cumulative counts per bound, the last one for ``+Inf``."""
        return list(np.cumsum(self._counts).tolist())

    def percentiles(self, qs: Sequence[float]) -> list[float | None]:
        """Percentiles (0-100) of the recent samples; None for each when there are none."""
        recent = self._ring[~np.isnan(self._ring)]
        if recent.size == 0:
            return [None for _ in qs]
        return [float(v) for v in np.percentile(recent, qs, method="nearest")]

    def lines(self, name: str, help_text: str) -> list[str]:
        """The text-format lines of this histogram."""
        out = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
        for bound, c in zip((*self.bounds, math.inf), self.cumulative(), strict=True):
            out.append(f'{name}_bucket{{le="{_number(bound)}"}} {c}')
        out += [f"{name}_sum {_number(self.total)}", f"{name}_count {self.count}"]
        return out


class ServiceMetrics:
    """What the HTTP service counts. Thread-safe; one instance per app."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.decisions = {"treatment": 0, "holdout": 0}
        self.by_channel: dict[str, int] = {}
        self.by_timing: dict[str, int] = {}
        self.rewards = 0
        self.errors: dict[str, int] = {}
        self.choose_latency = LatencyHistogram(CHOOSE_BUCKETS)
        self.reward_delay = LatencyHistogram(DELAY_BUCKETS, recent=1)

    def observe_choose(self, seconds: float | None, decisions: Sequence[Mapping[str, Any]]
                       ) -> None:
        """Record the decisions of one request, and its latency when given.

        Args:
            seconds: how long the request took (one sample per request, batch or not).
            decisions: the answered decisions, as dicts with ``holdout``, ``channel``, ``timing``.
        """
        with self._lock:
            for d in decisions:
                self.decisions["holdout" if d.get("holdout") else "treatment"] += 1
                channel, timing = d.get("channel") or "no_contact", d.get("timing") or "no_contact"
                self.by_channel[channel] = self.by_channel.get(channel, 0) + 1
                self.by_timing[timing] = self.by_timing.get(timing, 0) + 1
            if seconds is not None:
                self.choose_latency.observe(seconds)

    def observe_reward(self, delay_s: float | None) -> None:
        """Record one accepted reward and, when known, its delay after the decision."""
        with self._lock:
            self.rewards += 1
            if delay_s is not None and math.isfinite(delay_s):
                self.reward_delay.observe(max(0.0, delay_s))

    def observe_error(self, kind: str) -> None:
        """Count one refused request by error type (class name, or ``validation``, ...)."""
        with self._lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1

    def action_mix(self) -> dict[str, dict[str, int]]:
        """Decisions served since start, by channel and by timing (``no_contact`` for none)."""
        with self._lock:
            return {"channel": dict(sorted(self.by_channel.items())),
                    "timing": dict(sorted(self.by_timing.items()))}

    def latency_percentiles(self) -> dict[str, float | None]:
        """Choose latency p50 and p99 in seconds over the recent requests."""
        with self._lock:
            p50, p99 = self.choose_latency.percentiles((50, 99))
        return {"p50": p50, "p99": p99}

    def render(self, engine_stats: Mapping[str, object] | None = None) -> str:
        """The whole exposition text; ``engine_stats`` supplies the engine-side default rewards.

        Args:
            engine_stats: ``Engine.stats()``; its ``default_rewards`` (rewards learnt when a
                window passed with none) is exported as a counter when present.
        """
        stats = engine_stats or {}
        with self._lock:
            out = _family("offerbandit_decisions_total", "counter",
                          "Decisions served, by treatment or holdout.",
                          [(f'{{group="{g}"}}', n) for g, n in self.decisions.items()])
            out += _family("offerbandit_decisions_by_channel_total", "counter",
                           "Decisions served since start, by channel.",
                           [(f'{{channel="{escape_label(k)}"}}', n)
                            for k, n in sorted(self.by_channel.items())])
            out += _family("offerbandit_rewards_total", "counter", "Rewards accepted over HTTP.",
                           [("", self.rewards)])
            default = stats.get("default_rewards")
            if isinstance(default, int | float):
                out += _family("offerbandit_default_rewards_total", "counter",
                               "Default rewards learnt when a reward window passed with none.",
                               [("", default)])
            out += _family("offerbandit_errors_total", "counter", "Refused requests, by type.",
                           [(f'{{type="{escape_label(k)}"}}', n)
                            for k, n in sorted(self.errors.items())])
            out += self.choose_latency.lines("offerbandit_choose_latency_seconds",
                                             "Time to answer a choose request.")
            out += self.reward_delay.lines("offerbandit_reward_delay_seconds",
                                           "Time from a decision to its reward.")
        return "\n".join(out) + "\n"
