"""Validate the arrays handed to an estimator and derive the importance weights, once.

Every error names the array, the expectation and what came, and nothing is modified: the checks
only read their inputs.

Example:
    >>> import numpy as np
    >>> from ope.estimators.input_checks import check_batch
    >>> b = check_batch(rewards=[1.0, 0.0], actions=[0, 1], propensities=[0.5, 0.5],
    ...                 target_probs=[[1.0, 0.0], [0.0, 1.0]])
    >>> b.weights.tolist()
    [2.0, 2.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ope.errors import OPEInputError

__all__ = ["ROW_SUM_TOLERANCE", "LoggedBatch", "check_batch"]

# Target rows come from softmaxes and float32 model outputs; 1e-6 forgives rounding but catches
# a row that forgot an action.
ROW_SUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class LoggedBatch:
    """Validated logged decisions plus the quantities every estimator reuses.

    Attributes:
        rewards: (n,) float.
        actions: (n,) int64 in [0, K).
        propensities: (n,) float in (0, 1], the logger's probability of the logged action.
        target_probs: (n, K) float, rows sum to 1.
        reward_hat: (n, K) float or None, a reward model's prediction for every action.
        weights: (n,) importance weights ``target_probs[i, a_i] / propensities[i]``.
    """

    rewards: np.ndarray
    actions: np.ndarray
    propensities: np.ndarray
    target_probs: np.ndarray
    reward_hat: np.ndarray | None
    weights: np.ndarray

    @property
    def n(self) -> int:
        """Number of logged decisions."""
        return self.rewards.shape[0]

    @property
    def n_actions(self) -> int:
        """K, the number of actions (columns of ``target_probs``)."""
        return self.target_probs.shape[1]

    def direct_terms(self) -> np.ndarray:
        """(n,) the model's value of the target per row: ``sum_a target(a|x) reward_hat(x, a)``."""
        return np.einsum("ij,ij->i", self.target_probs, self._model("direct_terms"))

    def residuals(self) -> np.ndarray:
        """(n,) observed reward minus the model's prediction for the logged action."""
        return self.rewards - self._model("residuals")[np.arange(self.n), self.actions]

    def _model(self, needed_by: str) -> np.ndarray:
        if self.reward_hat is None:
            raise OPEInputError(f"{needed_by}: reward_hat is required; fit one with "
                                "ope.fit_reward_model")
        return self.reward_hat


def _float_array(name: str, value, ndim: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise OPEInputError(f"{name} must be numeric, got {type(value).__name__}: {exc}") from exc
    if arr.ndim != ndim:
        want = "(n,)" if ndim == 1 else "(n, K)"
        raise OPEInputError(f"{name} must have shape {want}, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise OPEInputError(f"{name} must be finite, got {arr[where]} at index {where}")
    return arr


def _action_array(actions, n_actions: int) -> np.ndarray:
    arr = np.asarray(actions)
    if arr.ndim != 1:
        raise OPEInputError(f"actions must have shape (n,), got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise OPEInputError("actions must be integer action indices, got non-integer floats")
    elif arr.dtype.kind not in "iu":
        raise OPEInputError(f"actions must be integer action indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    out = (arr < 0) | (arr >= n_actions)
    if out.any():
        i = int(np.argmax(out))
        raise OPEInputError(
            f"actions must be in [0, {n_actions}) (the columns of target_probs), "
            f"got {arr[i]} at row {i}"
        )
    return arr


def _check_probabilities(propensities: np.ndarray, target_probs: np.ndarray) -> None:
    bad = (propensities <= 0.0) | (propensities > 1.0)
    if bad.any():
        i = int(np.argmax(bad))
        raise OPEInputError(
            f"propensities must be in (0, 1], got {propensities[i]} at row {i}; a logged action "
            "needs the positive probability with which the logger chose it"
        )
    if (target_probs < 0.0).any():
        i, j = (int(v) for v in np.argwhere(target_probs < 0.0)[0])
        raise OPEInputError(f"target_probs must be >= 0, got {target_probs[i, j]} at [{i}, {j}]")
    sums = target_probs.sum(axis=1)
    off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
    if off.any():
        i = int(np.argmax(off))
        raise OPEInputError(f"target_probs rows must sum to 1, row {i} sums to {sums[i]:.8g}")


def check_batch(rewards, actions, propensities, target_probs, reward_hat=None) -> LoggedBatch:
    """Validate logged arrays and compute the importance weights.

    Args:
        rewards: (n,) observed rewards.
        actions: (n,) logged action indices in [0, K).
        propensities: (n,) logger's probability of each logged action, in (0, 1].
        target_probs: (n, K) target policy's distribution per row (rows sum to 1).
        reward_hat: optional (n, K) reward model predictions.

    Returns:
        The validated :class:`LoggedBatch`.

    Raises:
        OPEInputError: naming the offending array.
    """
    r = _float_array("rewards", rewards, 1)
    p = _float_array("propensities", propensities, 1)
    t = _float_array("target_probs", target_probs, 2)
    n = r.shape[0]
    if n == 0:
        raise OPEInputError("rewards is empty; give at least one logged decision")
    for name, arr in (("propensities", p), ("target_probs", t)):
        if arr.shape[0] != n:
            raise OPEInputError(
                f"{name} has {arr.shape[0]} rows but rewards has {n}; give one row per decision"
            )
    a = _action_array(actions, t.shape[1])
    if a.shape[0] != n:
        raise OPEInputError(f"actions has {a.shape[0]} rows but rewards has {n}")
    _check_probabilities(p, t)
    q = None
    if reward_hat is not None:
        q = _float_array("reward_hat", reward_hat, 2)
        if q.shape != t.shape:
            raise OPEInputError(
                f"reward_hat must have the shape of target_probs {t.shape}, got {q.shape}"
            )
    w = t[np.arange(n), a] / p
    return LoggedBatch(r, a, p, t, q, w)
