"""Segment rules: what a marketer writes by hand, per customer segment the best message, channel
and timing found by an A/B test run within that segment.

Segments are read from the context's one-hot columns ``"<segment_column>=<value>"``
(:meth:`Problem.segment_columns`); a row with none of them set falls in an extra "no segment"
group. Without segment columns this is :class:`~policies.best_fixed_action.BestFixedAction`.

Example:
    >>> import numpy as np
    >>> from policies import Problem, SegmentRules
    >>> p = Problem(("segment=vip", "segment=new"), ("a", "b"), np.eye(2), ("is_a", "is_b"))
    >>> pol = SegmentRules(p, seed=0, explore_decisions=2, min_count=1)
    >>> vip, new = [1.0, 0.0], [0.0, 1.0]
    >>> pol.learn(np.array([vip, vip, new, new]), np.array([0, 1, 0, 1]), np.full(4, 0.5),
    ...           np.array([1.0, 0.0, 0.0, 1.0]))
    >>> pol.act(np.array([vip, new]), np.ones((2, 2), dtype=bool))[0]
    array([0, 1])
"""

from __future__ import annotations

import numpy as np

from policies.ab_test import ABTest, ab_test_params
from policies.distribution_policy import DistributionPolicy
from policies.problem import Problem

__all__ = ["SegmentRules"]


class SegmentRules(DistributionPolicy):
    """One A/B test per segment, then each segment's winner.

    Args:
        problem: the decision problem; its segment one-hot columns define the segments.
        seed: an int or a numpy Generator.
        explore_decisions: size of each segment's A/B test (decisions whose reward came back).
        min_count: results an action needs within a segment before it can win there.
        keep_learning: keep updating the means after the test (default: frozen, as in practice).
        estimate: how the test is read: ``"additive"`` (ridge of the reward on the action
            attributes, as a factorial test is read; the default: within a segment it beats
            per-action means on the simulator) or ``"mean"`` (each action's own mean).
    """

    name = "segment_rules"

    def __init__(self, problem: Problem, seed: int | np.random.Generator, *,
                 explore_decisions: int = 2500, min_count: int = 3,
                 keep_learning: bool = False, estimate: str = "additive") -> None:
        super().__init__(problem, seed)
        self.params = ab_test_params(self.name, explore_decisions, min_count, keep_learning,
                                     estimate)
        self._columns = problem.segment_columns()
        self._test = ABTest(self._columns.size + 1, problem.action_features, **self.params)

    def segments(self, contexts: np.ndarray) -> np.ndarray:
        """(n,) segment index of each row; ``len(segment_columns)`` means no segment set."""
        onehot = contexts[:, self._columns]
        if onehot.shape[1] == 0:
            return np.zeros(contexts.shape[0], dtype=np.int64)
        return np.where(onehot.max(axis=1) > 0, onehot.argmax(axis=1), self._columns.size)

    def in_test(self, contexts: np.ndarray) -> np.ndarray:
        """(n,) bool: is each row's segment still in its test (decided uniformly at random)?"""
        return self._test.exploring(self.segments(contexts))

    def _distribution(self, contexts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        return self._test.distribution(self.segments(contexts), eligible)

    def _learn(self, contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
               rewards: np.ndarray) -> None:
        self._test.record(self.segments(contexts), actions, rewards)
