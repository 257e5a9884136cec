"""Batch prediction for the closed-form ridge learner: every action's estimated reward for many
customers at once, one matrix product.

The ridge learner's estimate of action ``a`` is ``theta_a . x``, ``x`` the shared features
hashed into ``dim`` slots plus a constant (:meth:`RidgeLearner.features`). A batch's hashed
features are one ``(n, dim + 1)`` matrix ``X``, so its scores are ``X @ theta.T``, ``(n, K)``.
Each distinct raw feature (namespace, key, value) is tokenised and hashed once and kept (values
repeat from customer to customer); building ``X`` is then one ``bincount`` of the batch's
``(row, slot, value)`` triples. Scores are on the scale the learner learned (the engine's
``reward / scale``, as :meth:`RidgeLearner.estimates`), equal to its own estimates up to the
order of float64 sums (``tests/policies/test_ridge_batch_scorer.py``: 1e-9).

Example:
    >>> from policies.ridge_learner import RidgeConfig, RidgeLearner
    >>> with RidgeLearner(RidgeConfig(dim=16)) as r:
    ...     r.set_actions([{"m": {"msg": "a"}}, {"m": {"msg": "b"}}])
    ...     r.learn({"c": {"x": 1.0}}, [0, 1], chosen=1, probability=0.5, reward=1.0)
    ...     scores = RidgeBatchScorer(r).scores([{"c": {"x": 1.0}}, {"c": {"x": 0.0}}])
    ...     own = r.estimates({"c": {"x": 1.0}})
    >>> scores.shape, bool(scores[0, 1] > scores[0, 0]), bool(abs(scores[0] - own).max() < 1e-12)
    ((2, 2), True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from policies.errors import PolicyConfigError
from policies.joint_ridge_learner import JointRidgeLearner
from policies.ridge_learner import RidgeLearner
from policies.vw_format import FeatureSet, feature_items

__all__ = ["RidgeBatchScorer"]

_ITEM_CACHE = 1 << 18  # distinct raw features remembered (cleared when full)


class RidgeBatchScorer:
    """Scores of every action for batches of shared feature sets, from one ridge learner's
    weights (copied at construction: a learner that learns more needs a new scorer).

    Args:
        learner: a :class:`RidgeLearner` with its actions set, or a
            :class:`~policies.joint_ridge_learner.JointRidgeLearner` (the same hashed features;
            its ``weights()`` are each action's effective weights over them).

    Raises:
        PolicyConfigError: the learner has no actions set.
    """

    def __init__(self, learner: RidgeLearner | JointRidgeLearner) -> None:
        if not learner.n_actions:
            raise PolicyConfigError("learner: expected actions set (set_actions), got none")
        self._dim = learner.config.dim
        # the learner's slots as they stand: a feature with none weighs 0 and is left out
        self._slot = learner.feature_slots().slot
        self._read = learner.number_scale().read  # numbers on the learner's scale, as it reads
        self._theta_t = np.ascontiguousarray(learner.weights().T)  # (dim + 1, K)
        self._items: dict[tuple, tuple[tuple[int, float], ...]] = {}

    @property
    def n_actions(self) -> int:
        """K."""
        return self._theta_t.shape[1]

    def _slots(self, ns: str, key: str, value: Any) -> tuple[tuple[int, float], ...]:
        """``(slot, value)`` of one raw shared feature, tokenised and hashed once per distinct
        (namespace, key, value)."""
        cache_key = (ns, key, tuple(value) if isinstance(value, list) else value)
        found = self._items.get(cache_key)
        if found is None:
            if len(self._items) > _ITEM_CACHE:
                self._items.clear()
            found = tuple((slot, self._read(n, name, v))
                          for n, name, v in feature_items({ns: {key: value}})
                          if (slot := self._slot(n, name)) >= 0)
            self._items[cache_key] = found
        return found

    def features(self, shared: Sequence[FeatureSet]) -> np.ndarray:
        """(n, dim + 1) float64: each row :meth:`RidgeLearner.features` of one feature set."""
        width = self._dim + 1
        get = self._items.get
        cells: list[int] = []  # row * width + slot, in the order the learner adds them
        values: list[float] = []
        for i, feats in enumerate(shared):
            base = i * width
            for ns, namespace in feats.items():
                for key, value in namespace.items():
                    found = None if isinstance(value, list) else get((ns, key, value))
                    if found is None:
                        found = self._slots(ns, key, value)
                    for slot, v in found:
                        cells.append(base + slot)
                        values.append(v)
        # bincount adds in input order, as the learner's own x[slot] += value does
        x = np.bincount(np.array(cells, dtype=np.int64), weights=np.array(values, dtype=float),
                        minlength=len(shared) * width).reshape(len(shared), width)
        x[:, -1] = 1.0  # the constant
        return x

    def scores(self, shared: Sequence[FeatureSet]) -> np.ndarray:
        """(n, K) float64 estimated reward of every action for each shared feature set."""
        return self.features(shared) @ self._theta_t
