"""What every estimator module provides: per-row columns and a smooth function of their means.

An estimator's value is ``f(mean of columns)``; its standard error is the delta method,
``sqrt(grad f' Cov grad f / n)``. For the mean-type estimators (DM, IPS, DR, Switch-DR) ``f`` is the
identity on one column, so this is the usual normal interval on the per-row terms; for the
self-normalised ones (SNIPS, SNDR) it is the delta method on a ratio of means.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ope.estimators.input_checks import LoggedBatch

__all__ = ["Estimator"]


class Estimator(Protocol):
    """One off-policy estimator (a frozen dataclass: its attributes are read-only)."""

    @property
    def name(self) -> str:
        """The estimator's name, as :data:`ope.ESTIMATORS` lists it."""
        ...

    @property
    def needs_reward_hat(self) -> bool:
        """Whether ``columns`` reads the batch's reward model predictions."""
        ...

    @property
    def ci_method(self) -> str:
        """How the interval is computed, in words."""
        ...

    def columns(self, batch: LoggedBatch) -> np.ndarray:
        """(n, p) per-row columns whose means determine the estimate."""
        ...

    def value_and_gradient(self, means: np.ndarray) -> tuple[float, np.ndarray]:
        """The estimate ``f(means)`` and its gradient (p,) for the delta method."""
        ...
