"""Self-normalised IPS: ``sum_i w_i r_i / sum_i w_i``.

Slightly biased, but bounded by the reward range and far less variable than IPS when weights are
large. The interval is the delta method on the ratio of means: the per-row influence is
``w_i (r_i - V) / mean(w)``.

Example:
    >>> import numpy as np
    >>> from ope.estimators.snips import SNIPS
    >>> from ope.estimators.input_checks import check_batch
    >>> b = check_batch([1.0, 0.0, 1.0], [0, 1, 1], [0.5, 0.5, 0.5],
    ...                 [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    >>> round(SNIPS().value_and_gradient(SNIPS().columns(b).mean(axis=0))[0], 6)  # 4 / 5
    0.8
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ope.errors import OPEInputError
from ope.estimators.input_checks import LoggedBatch

__all__ = ["SNIPS", "ratio_value_and_gradient"]


def ratio_value_and_gradient(top: float, bottom: float) -> tuple[float, np.ndarray]:
    """``top / bottom`` and its gradient; refuses a zero total weight (no overlap at all)."""
    if bottom <= 0.0:
        raise OPEInputError(
            "target_probs gives zero probability to every logged action, so the importance "
            "weights sum to 0 and a self-normalised estimate is undefined"
        )
    return top / bottom, np.array([1.0 / bottom, -top / bottom**2])


@dataclass(frozen=True)
class SNIPS:
    """Self-normalised inverse propensity scoring (SNIPS)."""

    name: str = "snips"
    needs_reward_hat: bool = False
    ci_method: str = "delta method on the ratio mean(w*r)/mean(w)"

    def columns(self, batch: LoggedBatch) -> np.ndarray:
        """(n, 2): ``w_i r_i`` and ``w_i``."""
        return np.column_stack([batch.weights * batch.rewards, batch.weights])

    def value_and_gradient(self, means: np.ndarray) -> tuple[float, np.ndarray]:
        """The ratio of the two means."""
        return ratio_value_and_gradient(float(means[0]), float(means[1]))
