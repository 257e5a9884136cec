"""A larger synthetic multiclass world: 60 classes, 16 Gaussian features, labels drawn from a
softmax of per-class linear scores (so even the oracle is wrong sometimes), reward 1 for the
drawn label.

The expected reward of action ``a`` is exactly ``P(label = a | x)``; the label itself is drawn
once per decision (Gumbel-max), so every learner meeting decision ``i`` meets the same label.

Example:
    >>> w = Multiclass(horizon=100, batch_size=50, seed=0)
    >>> b = w.observe()
    >>> b.expected.shape, bool(abs(b.expected.sum(axis=1) - 1).max() < 1e-9)
    ((50, 60), True)
"""

from __future__ import annotations

import numpy as np

from experiments.worlds.world import TabularWorld
from policies import Problem

__all__ = ["Multiclass"]


class Multiclass(TabularWorld):
    """60 classes, softmax labels over linear scores of 16 standard-normal features."""

    name = "multiclass60"
    n_classes = 60
    n_features = 16
    scale = 1.4  # the oracle's mean expected reward is about 0.6 at this scale

    def _problem(self) -> Problem:
        self._w = self.rng.normal(0.0, self.scale, (self.n_features, self.n_classes))
        k = self.n_classes
        return Problem(context_names=tuple(f"x{j}" for j in range(self.n_features)),
                       action_names=tuple(f"class{a}" for a in range(k)),
                       action_features=np.eye(k),
                       action_feature_names=tuple(f"is_class{a}" for a in range(k)))

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n, k = refs.size, self.n_classes
        x = self.rng.standard_normal((n, self.n_features))
        logits = x @ self._w
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        label = (logits + self.rng.gumbel(size=(n, k))).argmax(axis=1)
        realised = (label[:, None] == np.arange(k)).astype(np.float64)
        return x, np.ones((n, k), dtype=bool), p, realised
