"""Per-action linear rewards with Gaussian noise: each of 10 actions has its own intercept and
slope on 8 standard-normal features; rewards are continuous (noise sd 1 around the mean).

The world every linear contextual bandit assumes; a learner that fails here fails everywhere.

Example:
    >>> w = PerActionLinear(horizon=100, batch_size=50, seed=0)
    >>> w.observe().expected.shape
    (50, 10)
"""

from __future__ import annotations

import numpy as np

from experiments.worlds.world import TabularWorld
from policies import Problem

__all__ = ["PerActionLinear"]


class PerActionLinear(TabularWorld):
    """r_a(x) = b_a + theta_a . x + N(0, 1), 10 actions, 8 features."""

    name = "per_action_linear"
    n_actions = 10
    n_features = 8
    noise = 1.0

    def _problem(self) -> Problem:
        k, d = self.n_actions, self.n_features
        self._theta = self.rng.normal(0.0, 1.0 / np.sqrt(d), (d, k))
        self._bias = self.rng.normal(0.0, 0.3, k)
        return Problem(context_names=tuple(f"x{j}" for j in range(d)),
                       action_names=tuple(f"a{a}" for a in range(k)),
                       action_features=np.eye(k),
                       action_feature_names=tuple(f"is_a{a}" for a in range(k)))

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = refs.size
        x = self.rng.standard_normal((n, self.n_features))
        mean = x @ self._theta + self._bias
        noise = self.rng.normal(0.0, self.noise, (n, 1))  # one draw per decision: shared luck
        return x, np.ones(mean.shape, dtype=bool), mean, mean + noise
