"""Direct method: the reward model's value of the target, ``mean_i sum_a pi(a|x_i) q(x_i, a)``.

Its interval is the normal interval on the per-row model values and so ignores the reward model's
own error: trust it only as far as the model (DR corrects the model with the logged rewards).

Example:
    >>> import numpy as np
    >>> from ope.estimators.dm import DirectMethod
    >>> from ope.estimators.input_checks import check_batch
    >>> b = check_batch([1.0, 0.0], [0, 1], [0.5, 0.5], [[1.0, 0.0], [0.5, 0.5]],
    ...                 reward_hat=[[0.8, 0.2], [0.4, 0.0]])
    >>> DirectMethod().value_and_gradient(DirectMethod().columns(b).mean(axis=0))[0]
    0.5
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ope.estimators.input_checks import LoggedBatch

__all__ = ["DirectMethod"]


@dataclass(frozen=True)
class DirectMethod:
    """The direct method (DM)."""

    name: str = "dm"
    needs_reward_hat: bool = True
    ci_method: str = "normal on per-row model values (ignores reward-model error)"

    def columns(self, batch: LoggedBatch) -> np.ndarray:
        """(n, 1): the model's value of the target on each row."""
        return batch.direct_terms()[:, None]

    def value_and_gradient(self, means: np.ndarray) -> tuple[float, np.ndarray]:
        """The mean itself."""
        return float(means[0]), np.ones(1)
