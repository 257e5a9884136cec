"""Sparse, high-cardinality categories: a customer is a city (120, long-tailed: Zipf
frequencies), an interest (30) and a device (4), plus two numbers; each category level has its
own effect on each of 8 offers, and the chance of a conversion is a logistic of their sum
(base rate about 10 %).

Most of the signal sits in levels seen rarely, so what matters is sharing: a learner that
generalises over the frequent levels and does not overfit the rare ones.

Example:
    >>> w = SparseCategories(horizon=100, batch_size=50, seed=0)
    >>> b = w.observe()
    >>> w.problem.context_dim, int(b.contexts[:, :120].sum(axis=1).max())
    (156, 1)
"""

from __future__ import annotations

import numpy as np

from experiments.worlds.world import TabularWorld
from policies import Problem

__all__ = ["SparseCategories"]

_LEVELS = (("city", 120), ("interest", 30), ("device", 4))


class SparseCategories(TabularWorld):
    """8 offers; logit = -2.2 + offer + city x offer + interest x offer + device x offer + x . w."""

    name = "sparse_categories"
    n_actions = 8
    n_numbers = 2

    def _problem(self) -> Problem:
        k = self.n_actions
        self._freq = []
        self._effect = []
        for _, levels in _LEVELS:
            f = 1.0 / np.arange(1, levels + 1) ** 1.1  # Zipf: a long tail of rare levels
            self._freq.append(f / f.sum())
            self._effect.append(self.rng.normal(0.0, 0.8, (levels, k)))
        self._offer = self.rng.normal(0.0, 0.3, k)
        self._w = self.rng.normal(0.0, 0.3, (self.n_numbers, k))
        names = [f"{col}=v{j}" for col, levels in _LEVELS for j in range(levels)]
        names += [f"x{j}" for j in range(self.n_numbers)]
        return Problem(context_names=tuple(names),
                       action_names=tuple(f"offer{a}" for a in range(k)),
                       action_features=np.eye(k),
                       action_feature_names=tuple(f"is_offer{a}" for a in range(k)))

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n, k = refs.size, self.n_actions
        blocks, logit = [], np.full((n, k), -2.2) + self._offer
        for (_, levels), f, eff in zip(_LEVELS, self._freq, self._effect, strict=True):
            lv = self.rng.choice(levels, size=n, p=f)
            blocks.append(np.eye(levels)[lv])
            logit += eff[lv]
        nums = self.rng.standard_normal((n, self.n_numbers))
        logit += nums @ self._w
        p = 1.0 / (1.0 + np.exp(-logit))
        realised = (self.rng.random((n, 1)) < p).astype(np.float64)
        return np.hstack([*blocks, nums]), np.ones((n, k), dtype=bool), p, realised
