"""Batch prediction for a Vowpal Wabbit ``--cb_explore_adf`` model: every action's estimated
reward for many customers at once, in numpy, from the model's weights.

VW's score of action ``a`` for a customer is linear: the shared features' weights, the action's
own features' weights, the constant, and one weight per pair of features of each interaction
(``policies.vw_weights`` knows how VW indexes them). Split by where the features come from:

- everything that involves only the action (its features, action x action interactions, the
  constant) is one number per action, computed once;
- each shared feature ``f`` (value ``v``) adds ``v * u_f[a]``, where ``u_f`` (K,) holds its own
  weight plus its interaction weights with every action's features: computed once per distinct
  feature and kept, so a campaign pays it once per feature, not per customer;

so a batch's scores are one product ``X @ U`` of its (n, F) shared feature values and the
(F, K) columns of its distinct features. Shared x shared interactions and triples are not
supported (the engine's feature layout has none): the scorer refuses them at construction.
Scores are on the reward scale (VW predicts costs, ``cost = -reward``); they equal VW's own
predictions up to float32 rounding (``tests/policies/test_vw_batch_scorer.py``).

Example:
    >>> from policies.vw_config import VWConfig
    >>> from policies.vw_learner import VWLearner
    >>> with VWLearner(VWConfig(interactions=("cm",)), seed=0) as vw:
    ...     vw.set_actions([{"m": {"msg": "a"}}, {"m": {"msg": "b"}}])
    ...     vw.learn({"c": {"x": 1.0}}, [0, 1], chosen=1, probability=0.5, reward=1.0)
    ...     scores = VWBatchScorer(vw).scores([{"c": {"x": 1.0}}, {"c": {"x": 0.0}}])
    ...     scores.shape, bool(scores[0, 1] > scores[0, 0])
    ((2, 2), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from policies.errors import PolicyConfigError
from policies.vw_format import FeatureSet, feature_items
from policies.vw_learner import VWLearner

__all__ = ["VWBatchScorer"]

_ITEM_CACHE = 1 << 18  # distinct raw features remembered (cleared when full)


class VWBatchScorer:
    """Scores of every action for batches of shared feature sets, from one learner's weights.

    The learner must stay open and unchanged while the scorer is used (the feature columns
    are cached: a learner that learns more needs a new scorer).

    Args:
        learner: a :class:`VWLearner` with its actions set.

    Raises:
        PolicyConfigError: an interaction the scorer cannot split (shared x shared, or not a
            pair).
    """

    def __init__(self, learner: VWLearner) -> None:
        self._w = learner.weights()
        self._reads = learner.config.shared  # the part of a shared set the model learned from
        sets = learner.action_sets
        if not sets:
            raise PolicyConfigError("learner: expected actions set (set_actions), got none")
        self._k = len(sets)
        action_ns = {ns[:1] for s in sets for ns in s}
        # (shared letter, action letter, whether the shared one comes first in the term)
        self._pairs: list[tuple[str, str, bool]] = []
        action_pairs: list[tuple[str, str]] = []
        for term in learner.config.interactions:
            if len(term) != 2:
                raise PolicyConfigError(f"interactions: batch scoring supports pairs only, got "
                                        f"{term!r}")
            first, second = term[0] in action_ns, term[1] in action_ns
            if first and second:
                action_pairs.append((term[0], term[1]))
            elif not first and not second:
                raise PolicyConfigError(f"interactions: batch scoring needs an action namespace "
                                        f"in every pair, got the shared x shared {term!r}")
            else:
                shared, act = (term[1], term[0]) if first else (term[0], term[1])
                self._pairs.append((shared, act, not first))
        self._action_ns = action_ns
        # each action's features by namespace letter: (hashes, values)
        self._items: list[dict[str, tuple[np.ndarray, np.ndarray]]] = []
        for s in sets:
            by_ns: dict[str, list[tuple[int, float]]] = {}
            for ns, name, value in feature_items(s):
                by_ns.setdefault(ns[:1], []).append((self._w.feature_hash(ns, name), value))
            self._items.append({ns: (np.array([h for h, _ in v], dtype=np.uint64),
                                     np.array([x for _, x in v])) for ns, v in by_ns.items()})
        self._base = self._action_terms(action_pairs)
        self._columns: dict[tuple[str, str], np.ndarray] = {}
        self._feature_index: dict[tuple[str, str], int] = {}  # (namespace, name) -> column
        self._names: list[tuple[str, str]] = []
        self._item_cache: dict[tuple, tuple[tuple[int, float], ...]] = {}
        self._flat: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @property
    def n_actions(self) -> int:
        """K."""
        return self._k

    def _action_terms(self, action_pairs: list[tuple[str, str]]) -> np.ndarray:
        """(K,) the reward-scale score of each action's own part: its features, action x action
        interactions and the constant."""
        w = self._w
        out = np.full(self._k, -w.weight(w.constant_index))
        for a, items in enumerate(self._items):
            for hashes, values in items.values():
                out[a] -= float(values @ w.weights(hashes))
            for p, q in action_pairs:
                for h1, v1 in zip(*items.get(p, ((), ())), strict=True):
                    h2, v2 = items.get(q, (np.zeros(0, np.uint64), np.zeros(0)))
                    out[a] -= v1 * float(v2 @ w.weights(w.pair_indices(int(h1), h2)))
        return out

    def _column(self, ns: str, name: str) -> np.ndarray:
        """(K,) what one unit of shared feature ``ns:name`` adds to each action's score."""
        key = (ns, name)
        col = self._columns.get(key)
        if col is not None:
            return col
        if ns[:1] in self._action_ns:
            raise PolicyConfigError(f"shared features: namespace {ns!r} is also an action "
                                    f"namespace; expected distinct first letters")
        w = self._w
        h = w.feature_hash(ns, name)
        col = np.full(self._k, -w.weight(h))
        for shared, act, shared_first in self._pairs:
            if shared != ns[:1]:
                continue
            # every action's features of namespace `act` at once: one index array per pair
            actions, hashes, values = self._flat_items(act)
            if hashes.size == 0:
                continue
            idx = w.pair_indices(h, hashes) if shared_first else w.pair_indices_of(hashes, h)
            col -= np.bincount(actions, weights=values * w.weights(idx), minlength=self._k)
        col.setflags(write=False)
        self._columns[key] = col
        return col

    def _flat_items(self, act: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(action, hash, value)`` of every action's features in namespace ``act``, flat."""
        found = self._flat.get(act)
        if found is None:
            parts = [(np.full(items[act][0].size, a), *items[act])
                     for a, items in enumerate(self._items) if act in items]
            found = ((np.concatenate([p[0] for p in parts]).astype(np.int64),
                      np.concatenate([p[1] for p in parts]),
                      np.concatenate([p[2] for p in parts])) if parts else
                     (np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0)))
            self._flat[act] = found
        return found

    def _shared_items(self, ns: str, key: str, value: Any) -> tuple[tuple[int, float], ...]:
        """``(column, value)`` of one raw shared feature, through :func:`feature_items` once
        per distinct (namespace, key, value): values repeat from customer to customer."""
        cache_key = (ns, key, tuple(value) if isinstance(value, list) else value)
        found = self._item_cache.get(cache_key)
        if found is None:
            if len(self._item_cache) > _ITEM_CACHE:
                self._item_cache.clear()
            found = tuple((self._feature_index.setdefault((n, name), len(self._feature_index)),
                           v) for n, name, v in feature_items({ns: {key: value}}))
            self._item_cache[cache_key] = found
        return found

    def scores(self, shared: Sequence[FeatureSet]) -> np.ndarray:
        """(n, K) float64 estimated reward of every action for each shared feature set."""
        return self.scores_of(*self.design(shared))

    def score_one(self, shared: FeatureSet) -> np.ndarray:
        """(K,) the scores of one shared feature set: :meth:`scores` of one row without its
        matrix set-up (what a live ``choose`` pays per call).

        Example:
            >>> from policies.vw_config import VWConfig
            >>> with VWLearner(VWConfig(interactions=("cm",)), seed=0) as vw:
            ...     vw.set_actions([{"m": {"msg": "a"}}, {"m": {"msg": "b"}}])
            ...     vw.learn({"c": {"x": 2.0}}, [0, 1], chosen=0, probability=0.5, reward=1.0)
            ...     sc = VWBatchScorer(vw)
            ...     bool(np.allclose(sc.score_one({"c": {"x": 2.0}}),
            ...                      sc.scores([{"c": {"x": 2.0}}])[0]))
            True
        """
        out = self._base.copy()
        names = self._feature_names()
        for ns, namespace in self._reads(shared).items():
            for key, value in namespace.items():
                for j, v in self._shared_items(ns, key, value):
                    if j >= len(names):
                        names = self._feature_names()
                    out += v * self._column(*names[j])
        return out

    def design(self, shared: Sequence[FeatureSet]
               ) -> tuple[np.ndarray, tuple[tuple[str, str], ...]]:
        """``(x, keys)``: the (n, F) values of the F distinct shared features the sets use, and
        those features' ``(namespace, name)``. It does not depend on the weights: a caller
        scoring the same customers again with a newer model keeps it (:meth:`scores_of`)."""
        n = len(shared)
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for i, feats in enumerate(shared):
            for ns, namespace in self._reads(feats).items():
                for key, value in namespace.items():
                    for j, v in self._shared_items(ns, key, value):
                        rows.append(i)
                        cols.append(j)
                        vals.append(v)
        used, local = np.unique(np.array(cols, dtype=np.int64), return_inverse=True)
        x = np.zeros((n, used.size))
        np.add.at(x, (np.array(rows, dtype=np.int64), local), np.array(vals))
        names = self._feature_names()
        return x, tuple(names[j] for j in used.tolist())

    def scores_of(self, x: np.ndarray, keys: Sequence[tuple[str, str]]) -> np.ndarray:
        """(n, K) the scores of a :meth:`design` (made by this scorer or another of the same
        actions and interactions)."""
        u = np.empty((len(keys), self._k))
        for c, key in enumerate(keys):
            u[c] = self._column(*key)
        return x @ u + self._base

    def _feature_names(self) -> list[tuple[str, str]]:
        if len(self._names) != len(self._feature_index):
            self._names = list(self._feature_index)
        return self._names
