"""Validate estimators where the truth is known: interval coverage and error over many seeds.

Works on any "world" that can sample a log with the target's distribution attached and knows the
target's true value: :class:`~experiments.ope.synthetic_world.SyntheticWorld` here, the
simulator's logs through the same two methods.

Example:
    >>> from experiments.ope.coverage import coverage_study
    >>> from experiments.ope.synthetic_world import SyntheticWorld
    >>> rows = coverage_study(SyntheticWorld(n_actions=3, context_dim=2), n_rows=500,
    ...                       seeds=range(3), estimators=("dr",))
    >>> rows[0].estimator, rows[0].runs
    ('dr', 3)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from experiments.ope.synthetic_world import SyntheticLog
from ope.estimators.estimate import ESTIMATORS, estimate
from ope.estimators.reward_model import fit_reward_model

__all__ = ["CoverageRow", "World", "coverage_study"]


class World(Protocol):
    """A world with a logger, a target and a known target value."""

    n_actions: int  # a world may also carry (K, F) ``action_features`` for the reward model

    def sample_log(self, n: int, seed: int) -> SyntheticLog:
        """A log of ``n`` decisions with the target's distribution on each context."""
        ...

    def true_value(self) -> float:
        """The target's mean reward per decision (used for logs that carry no ``truth``)."""
        ...


@dataclass(frozen=True)
class CoverageRow:
    """One estimator's record over the seeds.

    Attributes:
        estimator: name. runs: number of seeds. coverage: share of intervals holding the truth.
        mean_relative_error: mean of ``|value - truth| / |truth|``. bias: mean of ``value - truth``.
        empirical_sd: standard deviation of ``value - truth`` over seeds. mean_std_error: mean of
            the reported standard errors (close to ``empirical_sd`` when the intervals are
            honest).
        truth: the target's true value (the mean over seeds when each log has its own).
    """

    estimator: str
    runs: int
    coverage: float
    mean_relative_error: float
    bias: float
    empirical_sd: float
    mean_std_error: float
    truth: float


def coverage_study(world: World, n_rows: int, seeds: Iterable[int],
                   estimators: tuple[str, ...] = ESTIMATORS, alpha: float = 0.05,
                   folds: int = 5) -> list[CoverageRow]:
    """Estimate the target on one fresh log per seed; report coverage and error per estimator.

    A log with its own ``truth`` attribute (the simulator's: the target's value on the logged
    contexts) is judged against it; otherwise against ``world.true_value()``.
    """
    population_truth: float | None = None
    # Action attributes when the world has them (the simulator's catalog), else one model each.
    features = getattr(world, "action_features", None)
    features = world.n_actions if features is None else features
    truths: list[float] = []
    values: dict[str, list[float]] = {e: [] for e in estimators}
    ses: dict[str, list[float]] = {e: [] for e in estimators}
    hits: dict[str, list[bool]] = {e: [] for e in estimators}
    for seed in seeds:
        log = world.sample_log(n_rows, seed=seed)
        truth = getattr(log, "truth", None)
        if truth is None:
            if population_truth is None:
                population_truth = world.true_value()
            truth = population_truth
        truths.append(truth)
        q = fit_reward_model(log.contexts, log.actions, log.rewards, features,
                             folds=folds, seed=seed)
        for e in estimators:
            r = estimate(e, log.rewards, log.actions, log.propensities, log.target_probs, q, alpha)
            values[e].append(r.value)
            ses[e].append(r.std_error)
            hits[e].append(r.ci[0] <= truth <= r.ci[1])
    rows = []
    t = np.array(truths)
    for e in estimators:
        v = np.array(values[e])
        err = v - t
        rows.append(CoverageRow(
            estimator=e, runs=v.size, coverage=float(np.mean(hits[e])),
            mean_relative_error=float(np.mean(np.abs(err) / np.abs(t))),
            bias=float(err.mean()), empirical_sd=float(err.std(ddof=1)) if v.size > 1 else 0.0,
            mean_std_error=float(np.mean(ses[e])), truth=float(t.mean()),
        ))
    return rows
