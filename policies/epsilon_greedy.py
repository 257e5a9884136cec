"""Epsilon-greedy on a linear model of context x action features.

The model is :class:`~policies.joint_ridge.JointRidge`: one ridge regression over
``[1, x] outer [1, z_a]``, shared by all actions (not a mean per action, which would not
generalise across ~200 actions). With probability ``1 - epsilon`` the action with the best
predicted reward plays (ties split evenly), otherwise a uniformly random eligible one.

Example:
    >>> import numpy as np
    >>> from policies import EpsilonGreedy, Problem
    >>> p = Problem(("x",), ("a", "b"), np.eye(2), ("is_a", "is_b"))
    >>> pol = EpsilonGreedy(p, seed=0, epsilon=0.2)
    >>> pol.learn(np.ones((2, 1)), np.array([0, 1]), np.full(2, 0.5), np.array([0.0, 1.0]))
    >>> pol.action_probabilities(np.ones((1, 1)), np.ones((1, 2), dtype=bool)).tolist()
    [[0.1, 0.9]]
"""

from __future__ import annotations

import numpy as np

from policies.distribution_policy import DistributionPolicy
from policies.joint_ridge import JointRidge
from policies.param_checks import check_range
from policies.problem import Problem
from policies.sampling import greedy_distribution, mix_uniform

__all__ = ["EpsilonGreedy"]


class EpsilonGreedy(DistributionPolicy):
    """Greedy on a joint linear model, uniform over eligible actions with probability epsilon.

    Args:
        problem: the decision problem.
        seed: an int or a numpy Generator.
        epsilon: exploration probability in [0, 1].
        ridge: L2 penalty of the model (> 0).
    """

    name = "epsilon_greedy"

    def __init__(self, problem: Problem, seed: int | np.random.Generator, *,
                 epsilon: float = 0.05, ridge: float = 1.0) -> None:
        super().__init__(problem, seed)
        self.params = {
            "epsilon": check_range(self.name, "epsilon", epsilon, low=0.0, high=1.0),
            "ridge": check_range(self.name, "ridge", ridge, low=0.0, low_open=True),
        }
        self.model = JointRidge(problem.context_dim, problem.action_features,
                                self.params["ridge"])

    def _distribution(self, contexts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        greedy = greedy_distribution(self.model.means(contexts), eligible)
        return mix_uniform(greedy, eligible, self.params["epsilon"])

    def _learn(self, contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
               rewards: np.ndarray) -> None:
        self.model.update(contexts, actions, rewards)
