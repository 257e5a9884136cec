"""The oracle: plays the action with the best expected reward, which only a simulator knows.

Protocol-compatible, with one extra step (:class:`policies.base.SeesTruth`): a runner calls
``see_expected(expected)`` with the (n, K) expected rewards of the coming batch right before
``act`` (or ``action_probabilities``) on that same batch. The oracle plays the argmax over
eligible actions with probability 1 and learns nothing. Regret is measured against it.

Example:
    >>> import numpy as np
    >>> from policies import Oracle, Problem
    >>> p = Problem(("x",), ("a", "b", "c"), np.eye(3), ("is_a", "is_b", "is_c"))
    >>> oracle = Oracle(p, seed=0)
    >>> oracle.see_expected(np.array([[0.1, 0.9, 0.5]]))
    >>> oracle.act(np.zeros((1, 1)), np.array([[True, False, True]]))
    (array([2]), array([1.]))
"""

from __future__ import annotations

import numpy as np

from policies.distribution_policy import DistributionPolicy
from policies.errors import PolicyInputError
from policies.problem import Problem
from policies.sampling import greedy_distribution

__all__ = ["Oracle"]


class Oracle(DistributionPolicy):
    """Argmax of the true expected reward over eligible actions.

    Args:
        problem: the decision problem.
        seed: an int or a numpy Generator (used only if two actions tie exactly).
    """

    name = "oracle"

    def __init__(self, problem: Problem, seed: int | np.random.Generator) -> None:
        super().__init__(problem, seed)
        self._expected: np.ndarray | None = None

    def see_expected(self, expected: np.ndarray) -> None:
        """Show the (n, K) expected reward of every action for the next batch."""
        e = np.asarray(expected, dtype=np.float64)
        if e.ndim != 2 or e.shape[1] != self.problem.n_actions:
            raise PolicyInputError(
                f"expected must have shape (n, {self.problem.n_actions}), got shape {e.shape}"
            )
        if not np.isfinite(e).all():
            raise PolicyInputError("expected must be finite (found NaN or inf)")
        self._expected = e

    def _distribution(self, contexts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        if self._expected is None or self._expected.shape[0] != contexts.shape[0]:
            seen = None if self._expected is None else self._expected.shape[0]
            raise PolicyInputError(
                f"oracle: call see_expected(expected) with this batch's {contexts.shape[0]} rows "
                f"before act; it holds expected rewards for {seen} rows"
            )
        return greedy_distribution(self._expected, eligible, tolerance=0.0)

    def _learn(self, contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
               rewards: np.ndarray) -> None:
        pass
