"""Switch doubly robust: DR where the importance weight is at most ``tau``, the model elsewhere.

Per row: ``sum_a pi(a|x) q(x, a) + 1[w <= tau] w (r - q(x, a))`` (the form of Wang, Agarwal and
Dudik 2017 as written in Open Bandit Pipeline): rows whose weight would explode trust the model
instead, trading a little bias for much less variance. ``tau = inf`` is plain DR.

Example:
    >>> from ope.estimators.switch_dr import SwitchDR
    >>> from ope.estimators.input_checks import check_batch
    >>> b = check_batch([1.0, 0.0], [0, 1], [0.5, 0.5], [[1.0, 0.0], [0.5, 0.5]],
    ...                 reward_hat=[[0.8, 0.2], [0.4, 0.0]])
    >>> SwitchDR(tau=1.5).columns(b).ravel().round(6).tolist()  # row 0 has w = 2 > 1.5
    [0.8, 0.2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ope.errors import OPEInputError
from ope.estimators.input_checks import LoggedBatch

__all__ = ["DEFAULT_TAU", "SwitchDR"]

# Weights above 20 mean the logger played the action 20x less often than the target would: a
# handful of such rows can dominate DR's variance, so the model takes over there.
DEFAULT_TAU = 20.0


@dataclass(frozen=True)
class SwitchDR:
    """Switch doubly robust (Switch-DR) with weight threshold ``tau``."""

    tau: float = DEFAULT_TAU
    name: str = "switch_dr"
    needs_reward_hat: bool = True
    ci_method: str = "normal on per-row Switch-DR terms (ignores the bias of switched rows)"

    def __post_init__(self) -> None:
        if not self.tau > 0.0:
            raise OPEInputError(f"tau must be > 0 (inf for plain DR), got {self.tau}")

    def columns(self, batch: LoggedBatch) -> np.ndarray:
        """(n, 1): the Switch-DR term of each row."""
        w = batch.weights
        kept = np.where(w <= self.tau, w, 0.0)
        return (batch.direct_terms() + kept * batch.residuals())[:, None]

    def value_and_gradient(self, means: np.ndarray) -> tuple[float, np.ndarray]:
        """The mean itself."""
        return float(means[0]), np.ones(1)
