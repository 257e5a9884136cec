"""A Vowpal Wabbit ``--cb_explore_adf`` learner that parses each action once and reuses it.

Text parsing dominates a plain VW loop (about 80% of a predict+learn pair at 50 actions). The
action lines of a catalog never change, so :class:`VWLearner` parses them once
(:meth:`VWLearner.set_actions`) into examples owned by Python and hands the same examples to VW on
every call; only the shared (context) line is parsed per call, and the played action gets a fresh
labelled copy when learning (VW's label setter appends costs instead of replacing them, so a
reused action example must never carry a label). Predictions are bit-for-bit those of the text
loop (``tests/policies/test_vw_learner.py`` checks it).

The learner is not thread-safe (VW's reduction stack is not); callers that share one across
threads hold a lock around it (the engine does).

Example:
    >>> from policies.vw_config import VWConfig
    >>> from policies.vw_learner import VWLearner
    >>> with VWLearner(VWConfig(exploration="epsilon", epsilon=0.2), seed=1) as vw:
    ...     vw.set_actions([{"m": {"msg": "a"}}, {"m": {"msg": "b"}}])
    ...     p = vw.probabilities({"c": {"x": 1.0}})
    ...     vw.learn({"c": {"x": 1.0}}, [0, 1], chosen=1, probability=float(p[1]), reward=1.0)
    ...     [round(float(v), 2) for v in vw.probabilities({"c": {"x": 1.0}})]
    [0.1, 0.9]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Self

import numpy as np
from vowpalwabbit import Example, Workspace

from policies.batch_checks import eligible_indices
from policies.errors import PolicyConfigError, PolicyInputError
from policies.vw_config import VWConfig
from policies.vw_format import (
    FeatureSet,
    action_line,
    cb_label,
    cost_of,
    feature_items,
    shared_line,
)
from policies.vw_weights import VWWeights

__all__ = ["VWLearner"]

class VWLearner:
    """VW ``--cb_explore_adf`` over a fixed list of actions, each parsed once.

    Args:
        config: the learner's settings.
        seed: VW's random seed (used by ``bag``).
        model_path: a file written by :meth:`save` to resume from (learned weights and the
            exploration state, e.g. SquareCB's counter, travel in it).
    """

    def __init__(self, config: VWConfig | None = None, *, seed: int = 0,
                 model_path: str | os.PathLike | None = None) -> None:
        self.config = config or VWConfig()
        self.seed = int(seed)
        args = self.config.arguments(self.seed)
        if model_path is not None:
            path = Path(model_path)
            if not path.is_file():
                raise PolicyConfigError(f"model_path must be an existing file, got {str(path)!r}")
            # The model file keeps its own random seed (bag rewrites it); passing ours again
            # would make VW refuse the load as a disagreement.
            i = args.index("--random_seed")
            args = args[:i] + args[i + 2:] + ["-i", str(path)]
        self._vw: Workspace | None = Workspace(arg_list=args)
        self._lines: list[str] = []
        self._sets: list[FeatureSet] = []
        self._examples: list[Example] = []

    # -- actions -------------------------------------------------------------------------------
    def set_actions(self, actions: Sequence[FeatureSet]) -> None:
        """Parse the action feature sets once; later calls refer to actions by index.

        Args:
            actions: one feature set per action (K of them), in action-index order.
        """
        if not actions:
            raise PolicyInputError("actions must hold at least one action, got none")
        vw = self._workspace()
        self._sets = list(actions)
        self._lines = [action_line(a) for a in actions]
        self._examples = [Example(vw, line) for line in self._lines]

    @property
    def n_actions(self) -> int:
        """K, the number of actions set by :meth:`set_actions`."""
        return len(self._lines)

    @property
    def action_sets(self) -> tuple[FeatureSet, ...]:
        """The action feature sets given to :meth:`set_actions`, in action-index order."""
        return tuple(self._sets)

    def weights(self) -> VWWeights:
        """The model's weights as VW indexes them (valid while this learner is open)."""
        return VWWeights(self._workspace())

    def _indices(self, eligible: Sequence[int] | np.ndarray | None) -> np.ndarray:
        return eligible_indices(eligible, self.n_actions)

    # -- predict / learn -----------------------------------------------------------------------
    def probabilities(self, shared: FeatureSet,
                      eligible: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """The exploration distribution over the eligible actions.

        Args:
            shared: the shared (context) feature set.
            eligible: indices of the actions that may be played (default: all).

        Returns:
            (len(eligible),) float64 probabilities, aligned with ``eligible``, summing to 1.
        """
        idx = self._indices(eligible)
        vw = self._workspace()
        ex = [Example(vw, shared_line(self.config.shared(shared)))]
        ex += [self._examples[i] for i in idx]
        return self.config.floor(np.asarray(vw.predict(ex), dtype=np.float64))

    def learn(self, shared: FeatureSet, eligible: Sequence[int] | np.ndarray | None, chosen: int,
              probability: float, reward: float) -> None:
        """Learn from one logged decision.

        Args:
            shared: the shared feature set the decision was made with.
            eligible: the action indices that were eligible then (default: all).
            chosen: the action index that was played (must be among ``eligible``).
            probability: the probability with which it was played, in (0, 1].
            reward: the observed reward (more is better).
        """
        idx = self._indices(eligible)
        pos = np.flatnonzero(idx == chosen)
        if pos.size == 0:
            raise PolicyInputError(f"chosen must be one of the eligible actions, got {chosen}")
        label = cb_label(cost_of(reward), float(probability))
        vw = self._workspace()
        ex = [Example(vw, shared_line(self.config.shared(shared)))]
        ex += [self._examples[i] for i in idx]
        ex[1 + int(pos[0])] = Example(vw, f"{label} {self._lines[int(chosen)]}")
        vw.learn(ex)

    # -- introspection -------------------------------------------------------------------------
    def weight(self, namespace: str, feature: str) -> float:
        """The learned weight of one (namespace, feature) of the first regressor.

        For a numeric feature give its name; for a category give ``name=value``. The weight is
        on VW's cost scale (negative = the feature raises the reward).
        """
        vw = self._workspace()
        return float(vw.get_weight(vw.hash_feature(feature, vw.hash_space(namespace))))

    def explain(self, shared: FeatureSet, action: int, top: int = 5
                ) -> tuple[float, list[tuple[str, float]]]:
        """The estimated reward of one action in this context, and its heaviest features.

        Recomputes VW's linear score from the learned weights (features, pairwise interactions
        and the constant, as VW hashes them), on the reward scale. With ``bag`` it reads the
        first bootstrap model.

        Args:
            shared: the shared feature set.
            action: the action index.
            top: how many contributions to return.

        Returns:
            ``(score, [(feature, contribution), ...])`` with the ``top`` contributions of largest
            magnitude; an interaction is named ``"c:seg=vip*m:msg=a"``.
        """
        idx = self._indices([action])
        w = self.weights()
        items: dict[str, list[tuple[str, int, float]]] = {}
        for ns, name, value in (feature_items(self.config.shared(shared))
                                + feature_items(self._sets[int(idx[0])])):
            items.setdefault(ns[:1], []).append((f"{ns}:{name}", w.feature_hash(ns, name), value))
        contrib: dict[str, float] = {"constant": -w.weight(w.constant_index)}
        for feats in items.values():
            for label, h, v in feats:
                contrib[label] = contrib.get(label, 0.0) - v * w.weight(h)
        for term in self.config.interactions:
            if len(term) != 2:
                continue  # triples are learned but left out of the explanation
            for l1, h1, v1 in items.get(term[0], ()):
                for l2, h2, v2 in items.get(term[1], ()):
                    contrib[f"{l1}*{l2}"] = -v1 * v2 * w.weight(w.pair_index(h1, h2))
        score = float(sum(contrib.values()))
        heavy = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))[:top]
        return score, [(k, float(v)) for k, v in heavy if v != 0.0]

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the whole learner state to ``path`` atomically (temp file + rename)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        self._workspace().save(str(tmp))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())  # the rename must never expose a half-written model
        os.replace(tmp, path)

    def close(self) -> None:
        """Release VW. Safe to call twice."""
        if self._vw is not None:
            self._examples = []
            self._vw.finish()
            self._vw = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _workspace(self) -> Workspace:
        if self._vw is None:
            raise PolicyInputError("this VWLearner is closed")
        return self._vw
