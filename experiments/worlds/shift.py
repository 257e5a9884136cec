"""A shift halfway: per-action logistic conversions on 8 numbers, and at the middle of the run
every offer's response is drawn anew (what sold stops selling). The suite scores the last
quarter, long after the shift: a learner must unlearn, not only learn.

Example:
    >>> import numpy as np
    >>> w = Shift(horizon=200, batch_size=100, seed=0)
    >>> a = w.observe().expected
    >>> _ = w.play(np.zeros(100, dtype=np.int64))
    >>> b = w.observe().expected
    >>> bool(abs(a.mean(axis=0) - b.mean(axis=0)).max() > 0.01)
    True
"""

from __future__ import annotations

import numpy as np

from experiments.worlds.world import TabularWorld
from policies import Problem

__all__ = ["Shift"]


class Shift(TabularWorld):
    """8 offers, P(convert) = sigmoid(-1.5 + b_a + theta_a . x), redrawn at horizon / 2."""

    name = "shift"
    n_actions = 8
    n_features = 8

    def _problem(self) -> Problem:
        k, d = self.n_actions, self.n_features
        self._params = [(self.rng.normal(0.0, 2.0 / np.sqrt(d), (d, k)),
                         self.rng.normal(0.0, 0.7, k)) for _ in range(2)]
        return Problem(context_names=tuple(f"x{j}" for j in range(d)),
                       action_names=tuple(f"offer{a}" for a in range(k)),
                       action_features=np.eye(k),
                       action_feature_names=tuple(f"is_offer{a}" for a in range(k)))

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = refs.size
        theta, bias = self._params[int(refs[0] >= self.horizon // 2)]
        x = self.rng.standard_normal((n, self.n_features))
        p = 1.0 / (1.0 + np.exp(1.5 - x @ theta - bias))
        realised = (self.rng.random((n, 1)) < p).astype(np.float64)
        return x, np.ones(p.shape, dtype=bool), p, realised
