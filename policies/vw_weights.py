"""Reading a Vowpal Wabbit model's weights the way VW indexes them: the one place that knows VW's
feature hashing, its pairwise-interaction index and its constant.

Both the explanation of one decision (:meth:`policies.vw_learner.VWLearner.explain`) and the
numpy batch scorer (:mod:`policies.vw_batch_scorer`) recompute VW's linear score from these.

Example:
    >>> from vowpalwabbit import Workspace
    >>> vw = Workspace(arg_list=["--quiet", "-b", "18"])
    >>> w = VWWeights(vw)
    >>> w.weight(w.feature_hash("c", "age")), w.constant_index == 11650396
    (0.0, True)
    >>> vw.finish()
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["VWWeights"]

_FNV_PRIME = 16777619  # VW combines the hashes of an interaction's features with it
_CONSTANT = 11650396  # VW's hash of its constant (bias) feature


class VWWeights:
    """Hashes and weights of one VW workspace (its first model; a ``bag`` reads model 0).

    Args:
        workspace: a live ``vowpalwabbit.Workspace``.
    """

    constant_index = _CONSTANT

    def __init__(self, workspace: Any) -> None:
        self._vw = workspace
        self._stride = int(workspace.get_stride())
        self._mask = int(workspace.num_weights()) - 1
        self._spaces: dict[str, int] = {}

    def feature_hash(self, namespace: str, name: str) -> int:
        """VW's hash of feature ``name`` in ``namespace`` (the index of its linear weight)."""
        space = self._spaces.get(namespace)
        if space is None:
            space = self._spaces[namespace] = int(self._vw.hash_space(namespace))
        return int(self._vw.hash_feature(name, space))

    def pair_index(self, first: int, second: int) -> int:
        """The weight index of the interaction of two features (hashes in interaction order)."""
        s = self._stride
        return (((_FNV_PRIME * first * s) ^ (second * s)) // s) & self._mask

    def pair_indices(self, first: int, second: np.ndarray) -> np.ndarray:
        """:meth:`pair_index` of one first feature with many second ones (uint64 arithmetic
        wraps as VW's does; only the low bits are kept)."""
        s = np.uint64(self._stride)
        left = (np.uint64(_FNV_PRIME) * np.uint64(first & 0xFFFFFFFFFFFFFFFF)) * s
        right = np.asarray(second, dtype=np.uint64) * s
        return ((left ^ right) // s) & np.uint64(self._mask)

    def pair_indices_of(self, first: np.ndarray, second: int) -> np.ndarray:
        """:meth:`pair_index` of many first features with one second one."""
        s = np.uint64(self._stride)
        left = (np.uint64(_FNV_PRIME) * np.asarray(first, dtype=np.uint64)) * s
        right = np.uint64(second & 0xFFFFFFFFFFFFFFFF) * s
        return ((left ^ right) // s) & np.uint64(self._mask)

    def weight(self, index: int) -> float:
        """The weight at ``index``."""
        return float(self._vw.get_weight(int(index)))

    def weights(self, indices: np.ndarray) -> np.ndarray:
        """(m,) the weights at many indices."""
        get = self._vw.get_weight
        return np.fromiter((get(int(i)) for i in np.asarray(indices).ravel()), dtype=np.float64,
                           count=int(np.asarray(indices).size))
