"""Thresholds on numbers: six offers, six uniform numbers, and each offer converts well only on
one side of a cut in one or two of the numbers (age over 0.6, spend under 0.3...): step
functions that a model linear in the raw numbers can only approximate.

Example:
    >>> w = Thresholds(horizon=100, batch_size=50, seed=0)
    >>> b = w.observe()
    >>> float(b.expected.min()) >= 0.05, float(b.expected.max()) <= 0.6
    (True, True)
"""

from __future__ import annotations

import numpy as np

from experiments.worlds.world import TabularWorld
from policies import Problem

__all__ = ["Thresholds"]


class Thresholds(TabularWorld):
    """P(convert | a) = 0.05 + 0.25 [x_i(a) > c_a] + 0.25 [x_j(a) < e_a] (a few with one cut)."""

    name = "thresholds"
    n_actions = 6
    n_features = 6

    def _problem(self) -> Problem:
        k, d = self.n_actions, self.n_features
        self._i = self.rng.integers(0, d, k)
        self._j = self.rng.integers(0, d, k)
        self._c = self.rng.uniform(0.2, 0.8, k)
        self._e = self.rng.uniform(0.2, 0.8, k)
        self._two = self.rng.random(k) < 0.5  # half the offers have a second cut
        return Problem(context_names=tuple(f"x{j}" for j in range(d)),
                       action_names=tuple(f"offer{a}" for a in range(k)),
                       action_features=np.eye(k),
                       action_feature_names=tuple(f"is_offer{a}" for a in range(k)))

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = refs.size
        x = self.rng.random((n, self.n_features))
        p = 0.05 + 0.25 * (x[:, self._i] > self._c) + 0.25 * self._two * (x[:, self._j] < self._e)
        realised = (self.rng.random((n, 1)) < p).astype(np.float64)
        return x, np.ones(p.shape, dtype=bool), p, realised
