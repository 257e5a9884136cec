"""Batch operations on (n, K) action distributions: build them from eligibility or scores, and
sample one action per row. No Python loop over rows.

Example:
    >>> import numpy as np
    >>> from policies.sampling import greedy_distribution, sample_actions
    >>> eligible = np.array([[True, True, False], [False, True, True]])
    >>> p = greedy_distribution(np.array([[1.0, 1.0, 9.0], [0.0, 2.0, 1.0]]), eligible)
    >>> p.tolist()
    [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]]
    >>> sample_actions(p, np.random.default_rng(0)).shape
    (2,)
"""

from __future__ import annotations

import numpy as np

__all__ = ["greedy_distribution", "mix_uniform", "sample_actions", "uniform_distribution"]

# Scores closer than this to the row's best count as ties, so a fresh model (all scores equal)
# spreads its choice over every eligible action instead of always playing the first.
TIE_TOLERANCE = 1e-9


def uniform_distribution(eligible: np.ndarray) -> np.ndarray:
    """(n, K) uniform over each row's eligible actions."""
    e = eligible.astype(np.float64)
    return e / e.sum(axis=1, keepdims=True)


def greedy_distribution(scores: np.ndarray, eligible: np.ndarray,
                        tolerance: float = TIE_TOLERANCE) -> np.ndarray:
    """(n, K) uniform over each row's best eligible scores (ties within ``tolerance``)."""
    masked = np.where(eligible, scores, -np.inf)
    best = masked.max(axis=1, keepdims=True)
    return uniform_distribution(eligible & (masked >= best - tolerance))


def mix_uniform(probs: np.ndarray, eligible: np.ndarray, epsilon: float) -> np.ndarray:
    """``(1 - epsilon) * probs + epsilon * uniform`` over eligible actions."""
    return (1.0 - epsilon) * probs + epsilon * uniform_distribution(eligible)


def sample_actions(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One action per row of ``probs`` (n, K), drawn with one uniform per row.

    An action of probability zero is never drawn: its cumulative sum equals its left
    neighbour's, so it can never be the first to exceed the draw.
    """
    cum = np.cumsum(probs, axis=1)
    u = rng.random((probs.shape[0], 1)) * cum[:, -1:]
    actions = (cum > u).argmax(axis=1)
    return actions.astype(np.int64)
