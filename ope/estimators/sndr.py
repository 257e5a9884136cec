"""Self-normalised doubly robust: ``mean_i dm_i + sum_i w_i (r_i - q_i) / sum_i w_i``.

The model's value plus a self-normalised correction: DR's robustness with SNIPS's tameness under
large weights. Interval: delta method on ``m0 + m1 / m2``.

Example:
    >>> from ope.estimators.sndr import SelfNormalizedDR
    >>> from ope.estimators.input_checks import check_batch
    >>> b = check_batch([1.0, 0.0], [0, 1], [0.5, 0.5], [[1.0, 0.0], [0.5, 0.5]],
    ...                 reward_hat=[[0.8, 0.2], [0.4, 0.0]])
    >>> e = SelfNormalizedDR()
    >>> round(e.value_and_gradient(e.columns(b).mean(axis=0))[0], 6)  # 0.5 + (0.4 + 0) / 3
    0.633333
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ope.estimators.input_checks import LoggedBatch
from ope.estimators.snips import ratio_value_and_gradient

__all__ = ["SelfNormalizedDR"]


@dataclass(frozen=True)
class SelfNormalizedDR:
    """Self-normalised doubly robust (SNDR)."""

    name: str = "sndr"
    needs_reward_hat: bool = True
    ci_method: str = "delta method on mean(dm) + mean(w*(r-q))/mean(w)"

    def columns(self, batch: LoggedBatch) -> np.ndarray:
        """(n, 3): model value, weighted residual, weight."""
        w = batch.weights
        return np.column_stack([batch.direct_terms(), w * batch.residuals(), w])

    def value_and_gradient(self, means: np.ndarray) -> tuple[float, np.ndarray]:
        """``m0 + m1 / m2`` and its gradient."""
        ratio, grad = ratio_value_and_gradient(float(means[1]), float(means[2]))
        return float(means[0]) + ratio, np.concatenate([[1.0], grad])
