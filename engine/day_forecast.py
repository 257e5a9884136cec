"""Today's customers as the log forecasts them: a uniform sample of the customers decided on the
last few days, with their shared features, the actions the rules allowed them, and the time of
day they came (what priced live ``choose`` scores to price the scarce channels,
``engine/live_prices.py``).

A log kept first come, first served recorded a full channel as ineligible for every customer who
came after it filled, so its eligible sets undercount the demand for that channel. For a customer
who could be contacted at all (a contact action was eligible), the capacity-limited channels'
actions that the rules allow without the capacity rule (consent, segment, tenure, quiet hours at
the hour they came; their contact history is not read) are added back. Holdout decisions (their
action does not move with prices) and decisions of another catalog are left out.

Example:
    >>> import tempfile
    >>> from engine import Engine
    >>> from engine.clock import ManualClock
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with Engine(["a"], ["email"], state_dir=d, clock=ManualClock(1.7e9), rules={
    ...             "quiet_hours": False}) as eng:
    ...         _ = eng.choose("c1", {"consent": {"email": True}})
    ...         rows = forecast_rows(eng.log, eng.rules, eng.catalog, 1.7e9 + 86400, days=3,
    ...                              sample_size=100, seed=0)
    >>> rows.eligible.tolist(), rows.days, rows.weight
    ([[True, True]], 1, 1.0)
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from engine.catalog import Catalog
from engine.contact_rules import ContactRules
from engine.decision_store import DecisionStore
from engine.errors import ContextError
from policies.vw_format import FeatureSet

__all__ = ["ForecastRows", "forecast_rows"]

_DAY = 86400.0
_HOUR = 3600.0
# column positions in a row of DecisionStore.iter_export_rows (the decision columns' order)
_CUSTOMER, _CREATED, _HOLDOUT, _CONTEXT, _FEATURES, _ELIGIBLE, _VERSION = 1, 2, 5, 6, 7, 8, 11


@dataclass(frozen=True)
class ForecastRows:
    """A sample of the recent days' customers.

    Attributes:
        shared: (m,) their shared feature sets, as logged.
        eligible: (m, K) bool, what the rules allowed them (capacity aside, see the module).
        second_of_day: (m,) float, when in its UTC day each came.
        weight: expected customers today each row stands for (customers in the window over
            ``m * days``).
        days: how many of the window's days had a decision.
    """

    shared: list[FeatureSet]
    eligible: np.ndarray
    second_of_day: np.ndarray
    weight: float
    days: int

    @classmethod
    def empty(cls, n_actions: int) -> ForecastRows:
        """No forecast (no decision logged in the window)."""
        return cls([], np.zeros((0, n_actions), dtype=bool), np.zeros(0), 0.0, 0)


def forecast_rows(log: DecisionStore, rules: ContactRules, catalog: Catalog, day: float, *,
                  days: int, sample_size: int, seed: int) -> ForecastRows:
    """The customers decided in the ``days`` UTC days before ``day`` (a day's start), sampled.

    The sample is a reservoir over the log's rows in logged order, seeded by ``seed`` and the
    day: the same log gives the same sample (a restarted engine prices as the one before).
    """
    version = catalog.version
    rng = np.random.default_rng([seed, int(day // _DAY)])
    keep: list[tuple] = []
    seen = 0
    on_day: set[int] = set()
    for batch in log.iter_export_rows(since=day - days * _DAY):
        for row in batch:
            created = float(row[_CREATED])
            if created >= day or row[_HOLDOUT] or row[_VERSION] != version:
                continue
            on_day.add(int(created // _DAY))
            if len(keep) < sample_size:
                keep.append(row)
            else:
                j = int(rng.integers(0, seen + 1))
                if j < sample_size:
                    keep[j] = row
            seen += 1
    if not keep:
        return ForecastRows.empty(catalog.n_actions)
    eligible = np.zeros((len(keep), catalog.n_actions), dtype=bool)
    for i, row in enumerate(keep):
        eligible[i, json.loads(row[_ELIGIBLE])] = True
    _add_capped_channels(eligible, keep, log, rules, catalog)
    made_at = np.array([float(r[_CREATED]) for r in keep])
    return ForecastRows([json.loads(r[_FEATURES]) for r in keep], eligible, made_at % _DAY,
                        seen / (len(keep) * len(on_day)), len(on_day))


def _add_capped_channels(eligible: np.ndarray, rows: list[tuple], log: DecisionStore,
                         rules: ContactRules, catalog: Catalog) -> None:
    """Add back, for contactable rows, the capacity-limited channels' actions the rules allow
    without the capacity rule (the rules run once per hour the rows came in)."""
    capped = np.array([c.daily_capacity is not None for c in catalog.channels], dtype=bool)
    ch = np.asarray(catalog.action_channel)
    on_capped = (ch >= 0) & capped[np.maximum(ch, 0)]
    contactable = (eligible & (ch >= 0)).any(axis=1)
    if not on_capped.any() or not contactable.any():
        return
    rows_at: dict[float, list[int]] = defaultdict(list)
    for i in np.flatnonzero(contactable).tolist():
        created = float(rows[i][_CREATED])
        rows_at[created - created % _HOUR].append(i)
    for hour, idx in rows_at.items():
        contexts = [json.loads(rows[i][_CONTEXT]) for i in idx]
        try:
            allowed = rules.apply_batch(contexts, [None] * len(idx), hour, {},
                                        log.profiles([rows[i][_CUSTOMER] for i in idx])).allowed
        except ContextError:
            continue  # a stored profile the rules refuse: these rows keep their logged sets
        eligible[idx] |= allowed & on_capped
