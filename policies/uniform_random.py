"""Uniform random: every eligible action equally likely. The floor every learner must beat, and
the logging policy that makes off-policy evaluation easiest.

Example:
    >>> import numpy as np
    >>> from policies import Problem, UniformRandom
    >>> p = Problem(("x",), ("a", "b", "c"), np.eye(3), ("is_a", "is_b", "is_c"))
    >>> pol = UniformRandom(p, seed=0)
    >>> pol.action_probabilities(np.zeros((1, 1)), np.array([[True, False, True]])).tolist()
    [[0.5, 0.0, 0.5]]
"""

from __future__ import annotations

import numpy as np

from policies.distribution_policy import DistributionPolicy
from policies.problem import Problem
from policies.sampling import uniform_distribution

__all__ = ["UniformRandom"]


class UniformRandom(DistributionPolicy):
    """Plays each eligible action with equal probability and learns nothing.

    Args:
        problem: the decision problem.
        seed: an int or a numpy Generator.
    """

    name = "random"

    def __init__(self, problem: Problem, seed: int | np.random.Generator) -> None:
        super().__init__(problem, seed)

    def _distribution(self, contexts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        return uniform_distribution(eligible)

    def _learn(self, contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
               rewards: np.ndarray) -> None:
        pass
