"""The JSON API under ``/v1/dashboard`` that feeds the dashboard page.

Routes: ``summary`` (counts, lift with CI, exploration rate, action mix, choose latency),
``reward-rate`` (treatment vs holdout over time), ``alternatives`` (off-policy estimates of other
policies, as regret), ``experiment`` (regret curves of an experiment results folder).

Example:
    >>> from engine.http.dashboard_api import dashboard_router
    >>> sorted(r.path for r in dashboard_router(DashboardSources(engine=None,
    ...        metrics=None)).routes)  # doctest: +NORMALIZE_WHITESPACE
    ['/dashboard/alternatives', '/dashboard/experiment', '/dashboard/reward-rate',
     '/dashboard/summary']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Query

from engine.http.dashboard_data import lift_with_ci, reward_rate_series
from engine.http.metrics import ServiceMetrics

__all__ = ["DashboardSources", "dashboard_router"]


@dataclass
class DashboardSources:
    """Where the dashboard's figures come from.

    Attributes:
        engine: the served engine; its ``log`` (a ``DecisionLog``) gives the reward-rate buckets
            and its ``stats()`` the exploration rate.
        metrics: the service's counters (action mix and latency of this process).
        experiment: regret curves of an experiment, or None.
        estimate_alternatives: returns ``{"estimator", "n", "estimates": [{"name", "value",
            "lo", "hi"}, ...]}`` with the logging policy first, or None when not plugged in.
    """

    engine: Any
    metrics: ServiceMetrics | None
    experiment: Mapping[str, Any] | None = None
    estimate_alternatives: Callable[[], Mapping[str, Any]] | None = None
    cache_s: float = 10.0
    _cache: dict[tuple[float, float], tuple[float, list]] = field(default_factory=dict)

    def bucket_rows(self, bucket_s: float, window_s: float) -> list[tuple[float, bool, int, float]]:
        """The log's ``(bucket_start, holdout, n, sum_reward)`` rows of the last ``window_s``.

        Kept ``cache_s`` seconds: the query aggregates the whole window, and several open
        dashboards refreshing every few seconds must not repeat it on the serving process.
        """
        log = getattr(self.engine, "log", None)
        if log is None:
            return []
        now = time.time()
        hit = self._cache.get((bucket_s, window_s))
        if hit is not None and now - hit[0] < self.cache_s:
            return hit[1]
        rows = log.reward_rate_by_bucket(bucket_s, now - window_s)
        self._cache[(bucket_s, window_s)] = (now, rows)
        return rows


def _exploration_rate(stats: Mapping[str, Any]) -> float | None:
    value = stats.get("exploration_rate")
    return float(value) if isinstance(value, int | float) else None


def _with_regret(result: Mapping[str, Any]) -> dict[str, Any]:
    """Regret of the served policy against each alternative: alternative value minus ours."""
    estimates = [dict(e) for e in result.get("estimates", ())]
    ours = estimates[0]["value"] if estimates else None
    for i, e in enumerate(estimates):
        e["regret"] = None if i == 0 or ours is None else e["value"] - ours
    return {"available": bool(estimates), "estimator": result.get("estimator"),
            "n": result.get("n", 0), "estimates": estimates,
            "reason": result.get("reason", "" if estimates else "no logged rewards yet")}


def dashboard_router(src: DashboardSources) -> APIRouter:
    """The ``/dashboard/...`` routes (mounted under ``/v1`` behind the token)."""
    router = APIRouter(prefix="/dashboard", tags=["dashboard"])

    @router.get("/summary")
    def summary(window_s: float = Query(7 * 86400.0, gt=0)) -> dict[str, Any]:
        """Decisions in the log, lift vs holdout with its 95 % CI, exploration, and this process's
        action mix and choose latency."""
        stats = src.engine.stats()
        rows = src.bucket_rows(window_s, window_s)
        total, holdout = int(stats.get("decisions", 0)), int(stats.get("holdout_decisions", 0))
        return {"decisions": {"treatment": total - holdout, "holdout": holdout},
                "rewarded_decisions": int(stats.get("rewarded_decisions", 0)),
                "default_rewards": int(stats.get("default_rewards", 0)),
                "lift": lift_with_ci(rows), "lift_window_s": window_s,
                "exploration_rate": _exploration_rate(stats),
                "action_mix": src.metrics.action_mix() if src.metrics else {"channel": {},
                                                                             "timing": {}},
                "latency": src.metrics.latency_percentiles() if src.metrics else {"p50": None,
                                                                                  "p99": None},
                "engine": {k: v for k, v in stats.items() if isinstance(v, int | float | str)},
                "generated_at": time.time()}

    @router.get("/reward-rate")
    def reward_rate(bucket_s: float | None = Query(None, gt=0),
                    window_s: float = Query(6 * 3600.0, gt=0)) -> dict[str, Any]:
        """Reward rate per time bucket, treatment vs holdout (decisions awaiting a reward count
        as zero until it comes). Buckets default to a minute, or window/120 if that is longer."""
        bucket = bucket_s if bucket_s is not None else max(60.0, window_s / 120)
        series = reward_rate_series(src.bucket_rows(bucket, window_s))
        return {"bucket_s": bucket, "window_s": window_s, **series}

    @router.get("/alternatives")
    def alternatives() -> dict[str, Any]:
        """Off-policy estimates: the served policy vs uniform random and the best fixed action."""
        if src.estimate_alternatives is None:
            return {"available": False, "estimates": [], "estimator": None, "n": 0,
                    "reason": "off-policy evaluation not plugged in"}
        return _with_regret(src.estimate_alternatives())

    @router.get("/experiment")
    def experiment() -> dict[str, Any]:
        """Regret curves of the experiment the server was started with (``--experiment``)."""
        if not src.experiment:
            return {"available": False, "name": None, "curves": []}
        return {"available": True, **src.experiment}

    return router
