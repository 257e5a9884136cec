"""LinUCB on a joint linear model of context x action features.

The upper confidence bound of action ``a`` for context ``x`` is
``mean(x, a) + alpha * sigma * sqrt(phi^T A^-1 phi)`` with ``phi = vec([1, x] outer [1, z_a])``
and ``A`` the precision of one shared ridge regression (:class:`~policies.joint_ridge.JointRidge`)
and ``sigma`` the standard deviation of the rewards seen (so ``alpha`` is unitless). This is the
shared part of Li et al.'s hybrid LinUCB; a disjoint model per action would learn 200 actions
one at a time. The best bound plays; ties (a fresh model) split evenly over the tied actions.

Example:
    >>> import numpy as np
    >>> from policies import LinUCB, Problem
    >>> p = Problem(("x",), ("a", "b"), np.eye(2), ("is_a", "is_b"))
    >>> pol = LinUCB(p, seed=0, alpha=1.0)
    >>> pol.action_probabilities(np.ones((1, 1)), np.ones((1, 2), dtype=bool)).tolist()
    [[0.5, 0.5]]
    >>> pol.learn(np.ones((4, 1)), np.array([0, 0, 0, 1]), np.full(4, 0.5), np.zeros(4))
    >>> pol.action_probabilities(np.ones((1, 1)), np.ones((1, 2), dtype=bool)).tolist()
    [[0.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from policies.distribution_policy import DistributionPolicy
from policies.joint_ridge import JointRidge
from policies.param_checks import check_range
from policies.problem import Problem
from policies.sampling import greedy_distribution

__all__ = ["LinUCB"]


class LinUCB(DistributionPolicy):
    """Optimism in the face of uncertainty on a joint linear model.

    Args:
        problem: the decision problem.
        seed: an int or a numpy Generator (used only to break ties).
        alpha: width of the confidence bound in reward standard deviations (>= 0; 0 is greedy).
        ridge: L2 penalty of the model (> 0).
    """

    name = "linucb"

    def __init__(self, problem: Problem, seed: int | np.random.Generator, *,
                 alpha: float = 0.3, ridge: float = 1.0) -> None:
        super().__init__(problem, seed)
        self.params = {
            "alpha": check_range(self.name, "alpha", alpha, low=0.0),
            "ridge": check_range(self.name, "ridge", ridge, low=0.0, low_open=True),
        }
        self.model = JointRidge(problem.context_dim, problem.action_features,
                                self.params["ridge"])

    def upper_bounds(self, contexts: np.ndarray) -> np.ndarray:
        """(n, K) upper confidence bound of every action (contexts already checked)."""
        bound = self.model.means(contexts)
        if self.params["alpha"] > 0.0:
            width = self.params["alpha"] * self.model.reward_std
            bound += width * np.sqrt(self.model.variances(contexts))
        return bound

    def _distribution(self, contexts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        return greedy_distribution(self.upper_bounds(contexts), eligible)

    def _learn(self, contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
               rewards: np.ndarray) -> None:
        self.model.update(contexts, actions, rewards)
