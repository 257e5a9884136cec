"""Checks on the batches handed to ``act`` and ``learn``: one place, so every policy refuses the
same bad input with the same message (naming the argument, the expected and the actual value).

Example:
    >>> import numpy as np
    >>> from policies.batch_checks import check_decision_batch
    >>> x, e = check_decision_batch(np.zeros((2, 3)), np.ones((2, 4), dtype=bool), 3, 4)
    >>> x.shape, e.shape
    ((2, 3), (2, 4))
    >>> check_decision_batch(np.zeros((2, 3)), np.zeros((2, 4), dtype=bool), 3, 4)
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    policies.errors.PolicyInputError: eligible must have at least one True per row;
        rows [0, 1] have none
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from policies.errors import PolicyInputError

__all__ = ["check_contexts", "check_decision_batch", "check_eligible", "check_learn_batch",
           "eligible_indices"]

_MAX_LISTED = 5  # rows named in an error message; more would drown the point


def _rows(mask: npt.ArrayLike) -> str:
    bad = np.flatnonzero(mask)
    listed = ", ".join(str(int(i)) for i in bad[:_MAX_LISTED])
    more = f", ... ({bad.size} in all)" if bad.size > _MAX_LISTED else ""
    return f"[{listed}{more}]"


def check_contexts(contexts: np.ndarray, context_dim: int) -> np.ndarray:
    """Return ``contexts`` as a finite (n, d) float64 array, or raise :class:`PolicyInputError`."""
    try:
        x = np.asarray(contexts, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PolicyInputError(
            f"contexts must be numeric, got {type(contexts).__name__}: {exc}") from exc
    if x.ndim != 2 or x.shape[1] != context_dim:
        raise PolicyInputError(
            f"contexts must have shape (n, {context_dim}), got shape {x.shape}"
        )
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        raise PolicyInputError(f"contexts must be finite; rows {_rows(~finite)} hold NaN or inf")
    return x


def check_eligible(eligible: np.ndarray, n: int, n_actions: int) -> np.ndarray:
    """Return ``eligible`` as an (n, K) bool array with a True in every row, or raise."""
    e = np.asarray(eligible)
    if e.dtype != np.bool_:
        raise PolicyInputError(f"eligible must be a bool array, got dtype {e.dtype}")
    if e.shape != (n, n_actions):
        raise PolicyInputError(f"eligible must have shape ({n}, {n_actions}), got shape {e.shape}")
    empty = ~e.any(axis=1)
    if empty.any():
        raise PolicyInputError(
            f"eligible must have at least one True per row; rows {_rows(empty)} have none"
        )
    return e


def check_decision_batch(contexts: np.ndarray, eligible: np.ndarray, context_dim: int,
                         n_actions: int) -> tuple[np.ndarray, np.ndarray]:
    """Check the arguments of ``act`` / ``action_probabilities``.

    Args:
        contexts: (n, d) numbers, all finite.
        eligible: (n, K) bool, at least one True per row.
        context_dim: d expected by the problem.
        n_actions: K expected by the problem.

    Returns:
        contexts as float64 (n, d) and eligible as bool (n, K).
    """
    x = check_contexts(contexts, context_dim)
    return x, check_eligible(eligible, x.shape[0], n_actions)


def check_learn_batch(contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
                      rewards: np.ndarray, context_dim: int, n_actions: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check the arguments of ``learn``.

    Args:
        contexts: (n, d) numbers, all finite.
        actions: (n,) integers in [0, K).
        probabilities: (n,) logged probabilities in (0, 1].
        rewards: (n,) finite numbers.
        context_dim: d expected by the problem.
        n_actions: K expected by the problem.

    Returns:
        contexts (n, d) float64, actions (n,) int64, probabilities (n,) float64, rewards (n,)
        float64.
    """
    x = check_contexts(contexts, context_dim)
    n = x.shape[0]
    a = np.asarray(actions)
    if a.shape != (n,):
        raise PolicyInputError(f"actions must have shape ({n},), got shape {a.shape}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise PolicyInputError(f"actions must be integers, got dtype {a.dtype}")
    a = a.astype(np.int64)
    outside = (a < 0) | (a >= n_actions)
    if outside.any():
        raise PolicyInputError(
            f"actions must lie in [0, {n_actions}); rows {_rows(outside)} hold "
            f"{a[outside][:_MAX_LISTED].tolist()}"
        )
    p = _floats("probabilities", probabilities, n)
    bad_p = ~((p > 0.0) & (p <= 1.0))
    if bad_p.any():
        raise PolicyInputError(
            f"probabilities must lie in (0, 1]; rows {_rows(bad_p)} hold "
            f"{p[bad_p][:_MAX_LISTED].tolist()}"
        )
    r = _floats("rewards", rewards, n)
    bad_r = ~np.isfinite(r)
    if bad_r.any():
        raise PolicyInputError(f"rewards must be finite; rows {_rows(bad_r)} hold NaN or inf")
    return x, a, p, r


def _floats(name: str, values: np.ndarray, n: int) -> np.ndarray:
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PolicyInputError(f"{name} must be numeric: {exc}") from exc
    if v.shape != (n,):
        raise PolicyInputError(f"{name} must have shape ({n},), got shape {v.shape}")
    return v


def eligible_indices(eligible: Sequence[int] | np.ndarray | None, n_actions: int) -> np.ndarray:
    """One decision's eligible actions as an index array (all ``n_actions`` when None): the
    learners that score a customer at a time (VW, ridge) refuse a bad list the same way.

    Example:
        >>> eligible_indices([2, 0], 3).tolist(), eligible_indices(None, 2).tolist()
        ([2, 0], [0, 1])
    """
    if n_actions == 0:
        raise PolicyInputError("no actions: call set_actions(...) first")
    if eligible is None:
        return np.arange(n_actions)
    idx = np.asarray(eligible)
    if idx.ndim != 1 or idx.size == 0:
        raise PolicyInputError(
            f"eligible must be a non-empty 1-d list of action indices, got shape {idx.shape}")
    if not np.issubdtype(idx.dtype, np.integer):
        raise PolicyInputError(f"eligible must hold integers, got dtype {idx.dtype}")
    if idx.min() < 0 or idx.max() >= n_actions:
        raise PolicyInputError(f"eligible indices must lie in [0, {n_actions}), got min "
                               f"{idx.min()} max {idx.max()}")
    return idx
