"""Best fixed action: one A/B test over all customers, then the winner for everyone.

This is what a marketer does without a model: test every message, channel and timing on a slice
of traffic, then roll out the best. When the winner is not eligible for a customer, the next best
eligible action plays.

Example:
    >>> import numpy as np
    >>> from policies import BestFixedAction, Problem
    >>> p = Problem(("x",), ("a", "b"), np.eye(2), ("is_a", "is_b"))
    >>> pol = BestFixedAction(p, seed=0, explore_decisions=2, min_count=1)
    >>> pol.learn(np.zeros((2, 1)), np.array([0, 1]), np.full(2, 0.5), np.array([0.0, 1.0]))
    >>> pol.act(np.zeros((1, 1)), np.ones((1, 2), dtype=bool))
    (array([1]), array([1.]))
    >>> pol.in_test(np.zeros((1, 1)))  # two results came back: the test is over
    array([False])
"""

from __future__ import annotations

import numpy as np

from policies.ab_test import ABTest, ab_test_params
from policies.distribution_policy import DistributionPolicy
from policies.problem import Problem

__all__ = ["BestFixedAction"]


class BestFixedAction(DistributionPolicy):
    """Uniform exploration for ``explore_decisions`` learned decisions, then the best mean.

    Args:
        problem: the decision problem.
        seed: an int or a numpy Generator.
        explore_decisions: size of the A/B test (decisions whose reward came back).
        min_count: results an action needs before it can win.
        keep_learning: keep updating the means after the test (default: frozen, as in practice).
        estimate: how the test is read: ``"mean"`` (each action's own mean; the default, as
            one additive model over a whole mixed population misleads more than noise does on
            the simulator) or ``"additive"`` (ridge of the reward on the action attributes, as a
            factorial test is read).
    """

    name = "best_fixed"

    def __init__(self, problem: Problem, seed: int | np.random.Generator, *,
                 explore_decisions: int = 5000, min_count: int = 5,
                 keep_learning: bool = False, estimate: str = "mean") -> None:
        super().__init__(problem, seed)
        self.params = ab_test_params(self.name, explore_decisions, min_count, keep_learning,
                                     estimate)
        self._test = ABTest(1, problem.action_features, **self.params)

    def in_test(self, contexts: np.ndarray) -> np.ndarray:
        """(n,) bool: True while the test runs (every row is decided uniformly at random)."""
        return self._test.exploring(np.zeros(contexts.shape[0], dtype=np.int64))

    def _distribution(self, contexts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        return self._test.distribution(np.zeros(contexts.shape[0], dtype=np.int64), eligible)

    def _learn(self, contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
               rewards: np.ndarray) -> None:
        self._test.record(np.zeros(contexts.shape[0], dtype=np.int64), actions, rewards)
