"""Inverse propensity scoring: ``mean_i w_i r_i`` with ``w_i = pi(a_i|x_i) / p_i``.

Unbiased when the logger gives every action the target plays a positive probability; its
variance grows with the importance weights.

Example:
    >>> from ope.estimators.ips import IPS
    >>> from ope.estimators.input_checks import check_batch
    >>> b = check_batch([1.0, 0.0], [0, 1], [0.5, 0.5], [[1.0, 0.0], [0.5, 0.5]])
    >>> IPS().columns(b).ravel().tolist()
    [2.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ope.estimators.input_checks import LoggedBatch

__all__ = ["IPS"]


@dataclass(frozen=True)
class IPS:
    """Inverse propensity scoring (IPS)."""

    name: str = "ips"
    needs_reward_hat: bool = False
    ci_method: str = "normal on per-row terms w*r"

    def columns(self, batch: LoggedBatch) -> np.ndarray:
        """(n, 1): ``w_i r_i``."""
        return (batch.weights * batch.rewards)[:, None]

    def value_and_gradient(self, means: np.ndarray) -> tuple[float, np.ndarray]:
        """The mean itself."""
        return float(means[0]), np.ones(1)
