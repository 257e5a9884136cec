"""Quantile bins of numbers: the edges that cut a sample into bins of about equal counts, and
the bin of each value. One definition for the engine's number features (``engine/number_bins.py``)
and the drift monitor's reference bins (``engine/drift/psi.py``).

Example:
    >>> import numpy as np
    >>> edges = quantile_edges(np.arange(100.0), bins=4)
    >>> edges.tolist(), bin_numbers(np.array([0.0, 50.0, np.nan]), edges).tolist()
    ([24.0, 49.0, 74.0], [0, 2, 4])
"""

from __future__ import annotations

import numpy as np

__all__ = ["bin_numbers", "quantile_edges"]


def quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Inner edges cutting ``values`` (finite, shape (n,)) into ``bins`` bins of about equal
    counts; repeated edges (a discrete feature) are merged, so there may be fewer bins."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.empty(0)
    # edges at observed values: a discrete feature gets one bin per value, not interpolations
    return np.unique(np.quantile(v, np.arange(1, bins) / bins, method="inverted_cdf"))


def bin_numbers(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index of each value (shape (n,)): ``0 .. len(edges)`` by the edges (a value on an
    edge goes to the bin above it), and ``len(edges) + 1`` for a missing value (NaN)."""
    v = np.asarray(values, dtype=np.float64)
    out = np.searchsorted(edges, v, side="right")
    out[np.isnan(v)] = len(edges) + 1
    return out
