"""Sparse and delayed rewards: twelve offers convert 1-6 % of the time, a conversion is an
order worth about 30 (log-normal), and it comes back after a random delay (geometric, mean
400 decisions, so the learner keeps deciding for hundreds of customers before it hears of one).

Example:
    >>> import numpy as np
    >>> w = SparseDelayed(horizon=200, batch_size=100, seed=0)
    >>> _ = w.observe()
    >>> m = w.play(np.zeros(100, dtype=np.int64))
    >>> m.refs.size < 100
    True
"""

from __future__ import annotations

import numpy as np

from experiments.worlds.world import TabularWorld
from policies import Problem

__all__ = ["SparseDelayed"]


class SparseDelayed(TabularWorld):
    """P(convert) = 0.03 exp(0.5 (b_a + theta_a . x)), clipped to [0.005, 0.15]; value ~ 30."""

    name = "sparse_delayed"
    n_actions = 12
    n_features = 8
    mean_delay = 400.0
    order_value = 30.0

    def _problem(self) -> Problem:
        k, d = self.n_actions, self.n_features
        self._theta = self.rng.normal(0.0, 1.0 / np.sqrt(d), (d, k))
        self._bias = self.rng.normal(0.0, 0.4, k)
        return Problem(context_names=tuple(f"x{j}" for j in range(d)),
                       action_names=tuple(f"offer{a}" for a in range(k)),
                       action_features=np.eye(k),
                       action_feature_names=tuple(f"is_offer{a}" for a in range(k)))

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = refs.size
        x = self.rng.standard_normal((n, self.n_features))
        p = np.clip(0.03 * np.exp(0.5 * (x @ self._theta + self._bias)), 0.005, 0.15)
        # log-normal order values with mean order_value: exp(N(mu, 0.5^2)), mu = log(v) - 0.125
        value = np.exp(self.rng.normal(np.log(self.order_value) - 0.125, 0.5, (n, 1)))
        realised = (self.rng.random((n, 1)) < p) * value
        return x, np.ones(p.shape, dtype=bool), p * self.order_value, realised

    def _delays(self, refs: np.ndarray) -> np.ndarray:
        return self.rng.geometric(1.0 / self.mean_delay, refs.size).astype(np.int64)
