"""Doubly robust: ``mean_i [ sum_a pi(a|x_i) q(x_i, a) + w_i (r_i - q(x_i, a_i)) ]``.

Unbiased if either the propensities or the reward model are right; with a cross-fitted model
(:func:`ope.fit_reward_model`) the normal interval on the per-row terms is valid.

Example:
    >>> from ope.estimators.dr import DoublyRobust
    >>> from ope.estimators.input_checks import check_batch
    >>> b = check_batch([1.0, 0.0], [0, 1], [0.5, 0.5], [[1.0, 0.0], [0.5, 0.5]],
    ...                 reward_hat=[[0.8, 0.2], [0.4, 0.0]])
    >>> DoublyRobust().columns(b).ravel().round(6).tolist()  # 0.8 + 2*0.2, 0.2 + 1*0
    [1.2, 0.2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ope.estimators.input_checks import LoggedBatch

__all__ = ["DoublyRobust"]


@dataclass(frozen=True)
class DoublyRobust:
    """Doubly robust (DR)."""

    name: str = "dr"
    needs_reward_hat: bool = True
    ci_method: str = "normal on per-row DR terms"

    def columns(self, batch: LoggedBatch) -> np.ndarray:
        """(n, 1): the DR term of each row."""
        return (batch.direct_terms() + batch.weights * batch.residuals())[:, None]

    def value_and_gradient(self, means: np.ndarray) -> tuple[float, np.ndarray]:
        """The mean itself."""
        return float(means[0]), np.ones(1)
