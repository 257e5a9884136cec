"""The dashboard's off-policy estimates, computed from a running engine's own log.

The service builds one :class:`LiveAlternatives` per engine (``engine.http.create_app``). It reads
the rewarded treatment decisions of a recent window from the engine's log and asks
:func:`ope.dashboard_estimates` (the one implementation) for the logged policy, uniform random
and the best fixed action. Results are cached for ``ttl_s``: a
dashboard refreshing every few seconds must not re-read the log each time.

Example:
    >>> import tempfile
    >>> from engine import Engine
    >>> with tempfile.TemporaryDirectory() as d, Engine(messages=["m"], channels=["email"],
    ...                                                 state_dir=d) as eng:
    ...     for i in range(3):
    ...         _ = eng.reward(eng.choose(f"c{i}", {"consent": {"email": True}}).decision_id, 1.0)
    ...     out = LiveAlternatives(eng, min_rows=10)()
    >>> out["n"], out["estimates"], out["reason"]
    (3, [], 'needs 10 rewarded decisions, has 3')
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ope import OPEError, dashboard_estimates

__all__ = ["LiveAlternatives", "logged_arrays"]


def _columns() -> tuple[str, ...]:
    # The export rows are the log's decision columns, then the reward sum and kinds.
    from engine.log_rows import DECISION_COLUMNS

    return (*(c.strip() for c in DECISION_COLUMNS.split(",")), "reward_total", "reward_kinds")


def logged_arrays(log: Any, n_actions: int, since: float, max_rows: int,
                  catalog_version: str | None = None) -> dict[str, np.ndarray]:
    """Rewards, actions, propensities and eligibility of rewarded treatment decisions.

    Holdout decisions (the control treatment, not the policy's choice), decisions still awaiting
    a reward, decisions with no action (index -1) and, when ``catalog_version`` is given,
    decisions made under another catalog (their action indices mean other actions) are left out.

    Args:
        log: an ``engine.store.DecisionLog``.
        n_actions: K, the catalog's number of actions.
        since: only decisions made at or after this epoch time.
        max_rows: keep at most this many (the most recent).
        catalog_version: keep only decisions made under this catalog version.

    Returns:
        ``rewards`` (n,), ``actions`` (n,), ``propensities`` (n,), ``eligible`` (n, K) bool,
        ``created_at`` (n,).
    """
    col = {name: i for i, name in enumerate(_columns())}
    keep = []
    for batch in log.iter_export_rows(since=since):
        keep += [r for r in batch if not r[col["holdout"]] and r[col["reward_total"]] is not None
                 and r[col["action_index"]] >= 0
                 and catalog_version in (None, r[col["catalog_version"]])]
    keep.sort(key=lambda r: r[col["created_at"]])
    keep = keep[-max_rows:]
    eligible = np.zeros((len(keep), n_actions), dtype=bool)
    for i, r in enumerate(keep):
        eligible[i, json.loads(r[col["eligible_json"]])] = True
    return {"rewards": np.array([r[col["reward_total"]] for r in keep], dtype=float),
            "actions": np.array([r[col["action_index"]] for r in keep], dtype=np.int64),
            "propensities": np.array([r[col["probability"]] for r in keep], dtype=float),
            "eligible": eligible,
            "created_at": np.array([r[col["created_at"]] for r in keep], dtype=float)}


class LiveAlternatives:
    """Callable hook: ``{"estimator", "n", "estimates": [...]}`` for the dashboard.

    Args:
        engine: the served ``engine.Engine`` (its ``log`` and ``catalog`` are read).
        window_s: only decisions of the last ``window_s`` seconds.
        max_rows: at most this many decisions (the most recent) per estimate.
        min_rows: below this many rewarded decisions, answer with a reason instead.
        ttl_s: how long an answer is reused.
        clock: the time source (epoch seconds).
    """

    def __init__(self, engine: Any, window_s: float = 7 * 86400.0, max_rows: int = 20_000,
                 min_rows: int = 30, ttl_s: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine, self.window_s, self.max_rows = engine, window_s, max_rows
        self.min_rows, self.ttl_s, self.clock = min_rows, ttl_s, clock
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, Any]] | None = None

    def __call__(self) -> dict[str, Any]:
        """The estimates, from the cache when it is younger than ``ttl_s``."""
        now = self.clock()
        with self._lock:
            if self._cached is not None and now - self._cached[0] < self.ttl_s:
                return self._cached[1]
            result = self._estimate(now)
            self._cached = (now, result)
            return result

    def _recent(self, now: float) -> dict[str, np.ndarray]:
        """The newest ``max_rows`` usable rows, reading back from a minute and widening 8x at a
        time up to ``window_s``: a busy log is never read a week deep."""
        span = min(60.0, self.window_s)
        while True:
            data = logged_arrays(self.engine.log, self.engine.catalog.n_actions, now - span,
                                 self.max_rows, self.engine.catalog.version)
            if data["rewards"].size >= self.max_rows or span >= self.window_s:
                return data
            span = min(span * 8, self.window_s)

    def _estimate(self, now: float) -> dict[str, Any]:
        catalog = self.engine.catalog
        data = self._recent(now)
        n = data["rewards"].size
        if n < self.min_rows:
            return {"estimator": None, "n": n, "estimates": [],
                    "reason": f"needs {self.min_rows} rewarded decisions, has {n}"}
        try:
            est = dashboard_estimates(data["rewards"], data["actions"], data["propensities"],
                                      data["eligible"], n_actions=catalog.n_actions,
                                      action_names=[a.name for a in catalog.actions])
        except OPEError as exc:  # a log the estimators refuse: the page says why, not a 500
            return {"estimator": None, "n": n, "estimates": [], "reason": str(exc)}
        return est.to_dict()
