"""An A/B test as a marketer runs it, per group of customers: explore uniformly until the group
has enough results, then roll out the action with the best estimated reward.

Two ways to read the test: ``"mean"``, each action's own mean reward (fine for a handful of
actions, hopelessly noisy for ~200: the winner is the luckiest), or ``"additive"``, the way a
factorial test is read, a ridge regression of the reward on the action's attributes (message,
channel, timing, ...), so every result informs every action sharing an attribute.

:class:`ABTest` holds the (groups, K) counts and reward sums (sufficient for both);
:mod:`policies.best_fixed_action` uses one group, :mod:`policies.segment_rules` one per segment.

Example:
    >>> import numpy as np
    >>> from policies.ab_test import ABTest
    >>> t = ABTest(n_groups=1, action_features=np.eye(3), explore_decisions=4, min_count=1,
    ...            keep_learning=False, estimate="mean")
    >>> g = np.zeros(4, dtype=np.int64)
    >>> t.record(g, np.array([0, 1, 2, 1]), np.array([0.0, 1.0, 0.5, 1.0]))
    >>> t.distribution(g[:1], np.array([[True, True, True]])).tolist()
    [[0.0, 1.0, 0.0]]
    >>> t.distribution(g[:1], np.array([[True, False, True]])).tolist()  # next best if ineligible
    [[0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from policies.param_checks import check_choice, check_int
from policies.sampling import greedy_distribution, uniform_distribution

__all__ = ["ESTIMATES", "ABTest", "ab_test_params"]

ESTIMATES = ("additive", "mean")


def ab_test_params(policy: str, explore_decisions: int, min_count: int, keep_learning: bool,
                   estimate: str) -> dict:
    """The validated parameters of an A/B-test policy (best fixed action, segment rules)."""
    return {
        "explore_decisions": check_int(policy, "explore_decisions", explore_decisions),
        "min_count": check_int(policy, "min_count", min_count),
        "keep_learning": bool(keep_learning),
        "estimate": check_choice(policy, "estimate", estimate, ESTIMATES),
    }
_RIDGE = 1.0  # shrinkage of the additive estimate; small next to a test's counts


class ABTest:
    """Per-group counts and mean rewards of every action, and the test's explore/exploit switch.

    Args:
        n_groups: number of customer groups (1 for a single global test).
        action_features: (K, F) attributes of the actions (used by the additive estimate).
        explore_decisions: learned decisions per group before the test ends and the winner plays.
        min_count: an action with fewer results than this in its group is never a winner.
        keep_learning: keep updating the means after the test (a marketer usually freezes them).
        estimate: ``"additive"`` (ridge on the action attributes) or ``"mean"`` (per action).
    """

    def __init__(self, n_groups: int, action_features: np.ndarray, explore_decisions: int,
                 min_count: int, keep_learning: bool, estimate: str) -> None:
        k = action_features.shape[0]
        self.z = np.hstack([np.ones((k, 1)), action_features])
        self.counts = np.zeros((n_groups, k), dtype=np.int64)
        self.sums = np.zeros((n_groups, k))
        self.estimate = estimate
        self.explore_decisions = explore_decisions
        self.min_count = min_count
        self.keep_learning = keep_learning

    def exploring(self, groups: np.ndarray) -> np.ndarray:
        """(n,) bool: is each row's group still in its test?"""
        return self.counts.sum(axis=1)[groups] < self.explore_decisions

    def record(self, groups: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add results; after a group's test they are ignored unless ``keep_learning``."""
        if not self.keep_learning:
            # Rows are admitted in order until each group's quota is full.
            order = np.argsort(groups, kind="stable")
            g = groups[order]
            starts = np.searchsorted(g, g, side="left")
            rank = np.arange(g.size) - starts
            room = self.explore_decisions - self.counts.sum(axis=1)[g]
            keep = order[rank < room]
            groups, actions, rewards = groups[keep], actions[keep], rewards[keep]
        np.add.at(self.counts, (groups, actions), 1)
        np.add.at(self.sums, (groups, actions), rewards)

    def distribution(self, groups: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """(n, K): uniform over eligible while exploring, else the best trusted eligible mean
        (uniform over eligible when the group has no trusted action yet)."""
        counts = self.counts[groups]
        trusted = counts >= max(self.min_count, 1)
        scores = np.where(trusted, self.estimates()[groups], -np.inf)
        winner = greedy_distribution(scores, eligible, tolerance=0.0)
        explore = self.exploring(groups)[:, None]
        return np.where(explore, uniform_distribution(eligible), winner)

    def estimates(self) -> np.ndarray:
        """(groups, K) estimated reward of every action in every group."""
        if self.estimate == "mean":
            return self.sums / np.maximum(self.counts, 1)
        # Normal equations of each group's ridge on [1, z]: G = sum_a n_a z z^T, h = sum_a s_a z.
        gram = np.einsum("ga,ai,aj->gij", self.counts.astype(np.float64), self.z, self.z)
        gram += _RIDGE * np.eye(self.z.shape[1])
        beta = np.linalg.solve(gram, (self.sums @ self.z)[:, :, None])[:, :, 0]
        return beta @ self.z.T
