"""The JSON API under ``/v1/dashboard`` that feeds the dashboard page.

Routes: ``summary`` (counts, lift with CI and its verdict in words, exploration rate, the mix of
messages, channels and timings, choose latency), ``reward-rate`` (treatment vs holdout over time,
the bucket fitted to the data's span), ``alternatives`` (off-policy estimates of other policies,
as regret, with their effective sample size), ``experiment`` (regret curves of an experiment
results folder), ``latest-decision`` (the last decision served, explained), ``drift`` (which
features moved, when and how much; the reward streams with their change points; the lift's
trend; the drift events and what the engine did about them).

Every answer says its scope (``scope``: what it counts, over which time) and ``as_of`` (epoch
seconds), so each card of the page can say "last 7 days, as of 07:04".

Example:
    >>> from engine.http.dashboard_api import dashboard_router
    >>> sorted(r.path for r in dashboard_router(DashboardSources(engine=None,
    ...        metrics=None)).routes)  # doctest: +NORMALIZE_WHITESPACE
    ['/dashboard/alternatives', '/dashboard/drift', '/dashboard/experiment',
     '/dashboard/latest-decision', '/dashboard/reward-rate', '/dashboard/summary']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter, Query

from engine.candidates import SelectionSettings
from engine.decision_store import DecisionStore
from engine.drift.drift_view import drift_view
from engine.http.dashboard_data import (
    MIN_ESS,
    bucket_for_span,
    lift_verdict,
    lift_with_ci,
    mix_by_axis,
    reward_rate_series,
)
from engine.http.decisions import decision_dict
from engine.http.metrics import ServiceMetrics

if TYPE_CHECKING:
    from engine.drift.log_follower import LogFollower

__all__ = ["MAX_WINDOW_S", "DashboardSources", "dashboard_router"]


class LoggingEngine(Protocol):
    """What the dashboard reads of the served engine: its log, its counts and its drift
    monitor (None when turned off)."""

    log: DecisionStore
    drift: LogFollower | None

    def clock(self) -> float: ...

    def stats(self) -> dict[str, Any]: ...


@dataclass
class DashboardSources:
    """Where the dashboard's figures come from.

    Attributes:
        engine: the served engine; its ``log`` (a ``DecisionStore``) gives the reward-rate buckets
            and its ``stats()`` the exploration rate.
        metrics: the service's counters (the choose latency of this process).
        experiment: regret curves of an experiment, or None.
        estimate_alternatives: returns ``{"estimator", "n", "estimates": [{"name", "value",
            "lo", "hi", "ess", "max_weight"}, ...]}`` with the logging policy first, or None
            when not plugged in.
        latest_decision: returns the last decision served (an ``engine.Decision``), or None.
        min_ess: alternatives whose effective sample size is below this are marked untrusted
            (the page greys them out).
    """

    engine: LoggingEngine
    metrics: ServiceMetrics | None
    experiment: Mapping[str, Any] | None = None
    estimate_alternatives: Callable[[], Mapping[str, Any]] | None = None
    latest_decision: Callable[[], Any] | None = None
    min_ess: float = MIN_ESS
    cache_s: float = 10.0
    _cache: dict[tuple, tuple[float, Any]] = field(default_factory=dict)

    def _cached(self, key: tuple, read: Callable[[float], Any]) -> Any:
        # Kept cache_s seconds: the queries aggregate a whole window, and several open
        # dashboards refreshing every few seconds must not repeat them on the serving process.
        now = time.time()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.cache_s:
            return hit[1]
        value = read(now)
        self._cache[key] = (now, value)
        return value

    def bucket_rows(self, bucket_s: float, window_s: float) -> list[tuple[float, bool, int, float]]:
        """The log's ``(bucket_start, holdout, n, sum_reward)`` rows of the last ``window_s``."""
        log = self.engine.log
        return self._cached(("buckets", bucket_s, window_s),
                            lambda now: log.reward_rate_by_bucket(bucket_s, now - window_s))

    def mix(self, window_s: float) -> dict[str, dict[str, int]]:
        """Treatment decisions of the last ``window_s`` per message, channel and timing."""
        log = self.engine.log
        return self._cached(("mix", window_s),
                            lambda now: mix_by_axis(log.action_mix(now - window_s)))

    def span(self, window_s: float) -> float:
        """Seconds from the first decision of the last ``window_s`` to now (0 if none)."""
        log = self.engine.log
        first = self._cached(("first", window_s), lambda now: log.first_decision_at(now - window_s))
        return 0.0 if first is None else max(time.time() - first, 0.0)


def _exploration_rate(stats: Mapping[str, Any]) -> float | None:
    value = stats.get("exploration_rate")
    return float(value) if isinstance(value, int | float) else None


def _with_regret(result: Mapping[str, Any], min_ess: float) -> dict[str, Any]:
    """Regret of the served policy against each alternative (alternative value minus ours), and
    whether each estimate rests on enough comparable decisions (``trusted``: ESS >= min_ess)."""
    estimates = [dict(e) for e in result.get("estimates", ())]
    ours = estimates[0]["value"] if estimates else None
    for i, e in enumerate(estimates):
        e["regret"] = None if i == 0 or ours is None else e["value"] - ours
        ess = e.get("ess")
        e["trusted"] = ess is None or ess >= min_ess
    return {"available": bool(estimates), "estimator": result.get("estimator"),
            "n": result.get("n", 0), "estimates": estimates, "min_ess": min_ess,
            "reason": result.get("reason", "" if estimates else "no logged rewards yet")}


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _window_words(seconds: float) -> str:
    days = seconds / 86400
    if days >= 1 and days == int(days):
        return f"last {int(days)} day{'s' if days != 1 else ''}"
    hours = seconds / 3600
    return f"last {hours:g} hour{'s' if hours != 1 else ''}"


#: The longest window (and bucket) a dashboard query takes: ten years, in seconds. Finite bounds
#: keep every answer finite JSON (``window_s=inf`` was echoed back as a bare Infinity).
MAX_WINDOW_S = 10 * 366 * 86400.0


def dashboard_router(src: DashboardSources) -> APIRouter:
    """The ``/dashboard/...`` routes (mounted under ``/v1`` behind the token)."""
    router = APIRouter(prefix="/dashboard", tags=["dashboard"])

    @router.get("/summary")
    def summary(window_s: float = Query(7 * 86400.0, gt=0, le=MAX_WINDOW_S,
                                        allow_inf_nan=False)) -> dict[str, Any]:
        """Decisions in the log, lift vs holdout with its 95 % CI and verdict, exploration, the
        mix of messages, channels and timings, and choose latency; ``scope`` says what each
        covers."""
        now = time.time()
        stats = src.engine.stats()
        rows = src.bucket_rows(window_s, window_s)
        total, holdout = int(stats.get("decisions", 0)), int(stats.get("holdout_decisions", 0))
        lift = lift_with_ci(rows)
        window = _window_words(window_s)
        return {"decisions": {"treatment": total - holdout, "holdout": holdout},
                "rewarded_decisions": int(stats.get("rewarded_decisions", 0)),
                "default_rewards": int(stats.get("default_rewards", 0)),
                "lift": {**lift, "verdict": lift_verdict(lift)}, "lift_window_s": window_s,
                "exploration_rate": _exploration_rate(stats),
                "action_mix": src.mix(window_s),
                "latency": src.metrics.latency_percentiles() if src.metrics else {"p50": None,
                                                                                  "p99": None},
                "scope": {"decisions": "whole log", "lift": f"{window}, active decisions",
                          "exploration": "since this process started",
                          "action_mix": f"{window}, treatment decisions",
                          "latency": "this process, recent requests",
                          "learners": "whole log, each candidate scored before it learns each "
                                      "reward"},
                "engine": {k: v for k, v in stats.items() if isinstance(v, int | float | str)},
                "learners": {"serving": stats.get("serving_learner"),
                             "estimator": stats.get("selection_estimator",
                                                    SelectionSettings().estimator),
                             "candidates": stats.get("candidates", {}),
                             "switches": src.engine.log.switches(limit=10)},
                "generated_at": now, "as_of": now}

    @router.get("/reward-rate")
    def reward_rate(bucket_s: float | None = Query(None, ge=1, le=MAX_WINDOW_S,
                                                   allow_inf_nan=False),
                    window_s: float = Query(6 * 3600.0, gt=0, le=MAX_WINDOW_S,
                                            allow_inf_nan=False)) -> dict[str, Any]:
        """Reward rate per time bucket, treatment vs holdout (decisions awaiting a reward count
        as zero until it comes). The bucket, unless given, fits the span of the data in the
        window: about 40 buckets of a readable width (10 s, 1 min, 5 min, 1 h, ...)."""
        span = src.span(window_s)
        if bucket_s is None:
            bucket, label = bucket_for_span(max(span, 60.0))
        else:
            bucket, label = bucket_s, f"{bucket_s:g} s"
        series = reward_rate_series(src.bucket_rows(bucket, window_s))
        return {"bucket_s": bucket, "bucket_label": label, "window_s": window_s, "span_s": span,
                "scope": f"{_window_words(window_s)}, active decisions", "as_of": time.time(),
                **series}

    @router.get("/alternatives")
    def alternatives() -> dict[str, Any]:
        """Off-policy estimates: the served policy vs uniform random and the best fixed action,
        each with its effective sample size (``trusted`` when at least ``min_ess``)."""
        if src.estimate_alternatives is None:
            return {"available": False, "estimates": [], "estimator": None, "n": 0,
                    "reason": "off-policy evaluation not plugged in", "as_of": time.time()}
        return {**_with_regret(src.estimate_alternatives(), src.min_ess),
                "scope": "last 7 days, rewarded treatment decisions", "as_of": time.time()}

    @router.get("/drift")
    def drift(events: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
        """Drift: per context feature its PSI (recent vs reference window) and level, the
        features that moved charted over time against the thresholds, each reward stream's
        block means with detected change points, the lift's trend, and the latest ``events``
        drift events (alerts and the engine's actions), newest first."""
        follower = src.engine.drift
        if follower is None:
            return {"available": False, "reason": "drift monitoring is turned off "
                    "([engine.drift] enabled = false)", "as_of": time.time()}
        snap = src._cached(("drift", events), lambda now: follower.snapshot(events))
        ctx = snap["context"]
        span = ctx["reference_span"]
        reference = ("reference not built yet" if span is None else
                     f"reference: {ctx['reference_size']:,} decisions from "
                     f"{_clock(span[0])} to {_clock(span[1])}")
        # the engine's clock, not the wall's: the monitor's times are the log's (a simulation's
        # engine runs on its own clock)
        return {"available": True, **drift_view(snap, src.engine.clock()), "phase": ctx["phase"],
                "decisions_seen": snap["decisions_seen"], "rewards_seen": snap["rewards_seen"],
                "resumed": snap["resumed"],
                "scope": f"the last {ctx['window']:,} decisions against the {reference}; "
                         f"reward streams in blocks of {snap['reward']['block']:,} rewards, "
                         f"in the order they were logged",
                "as_of": time.time()}

    @router.get("/experiment")
    def experiment() -> dict[str, Any]:
        """Regret curves of the experiment the server was started with (``--experiment``)."""
        if not src.experiment:
            return {"available": False, "name": None, "curves": []}
        return {"available": True, **src.experiment}

    @router.get("/latest-decision")
    def latest_decision() -> dict[str, Any]:
        """The last decision this process served, with its explanation (as ``?explain=true``
        answers it)."""
        d = src.latest_decision() if src.latest_decision is not None else None
        if d is None:
            return {"available": False, "decision": None, "as_of": time.time()}
        return {"available": True, "decision": decision_dict(d, explain=True),
                "scope": "the last decision served by this process", "as_of": time.time()}

    return router
