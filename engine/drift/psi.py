"""Distances between two binned distributions: the population stability index and chi-square.

Both compare the counts of a reference window with those of a recent window over the same bins
(quantile bins of the reference for numbers, categories for strings). PSI is the symmetrised
Kullback-Leibler divergence of the two shares, ``sum((r - q) * ln(r / q))``; the usual reading
(and the default thresholds of ``[engine.drift]``) is: below 0.1 stable, 0.1-0.25 a moderate
shift worth a look, 0.25 and above a shift that matters. Shares are smoothed by half a count per
bin, so an empty bin on either side gives a large but finite term.

Example:
    >>> ref = np.array([25, 25, 25, 25])
    >>> round(psi(ref, ref), 6), round(psi(ref, np.array([10, 20, 30, 40])), 4)
    (0.0, 0.218)
    >>> edges = quantile_edges(np.arange(100.0), bins=4)
    >>> edges.tolist(), bin_numbers(np.array([-1.0, 30.0, np.nan, 99.0]), edges).tolist()
    ([24.0, 49.0, 74.0], [0, 1, 4, 3])
"""

from __future__ import annotations

import math

import numpy as np

from engine.quantile_bins import bin_numbers, quantile_edges

__all__ = ["SMOOTHING", "bin_numbers", "chi_square", "psi", "quantile_edges"]

SMOOTHING = 0.5  # counts added to every bin before taking shares


def _shares(counts: np.ndarray) -> np.ndarray:
    c = np.asarray(counts, dtype=np.float64) + SMOOTHING
    return c / c.sum()


def psi(reference: np.ndarray, recent: np.ndarray) -> float:
    """Population stability index of ``recent`` against ``reference`` (counts over the same
    bins, shape (k,)); 0 for identical shares, larger the further they part.

    Example:
        >>> round(psi(np.array([90, 10]), np.array([50, 50])), 3)
        0.853
    """
    r, q = _shares(recent), _shares(reference)
    return float(np.sum((r - q) * np.log(r / q)))


def chi_square(reference: np.ndarray, recent: np.ndarray) -> tuple[float, int, float]:
    """Pearson's chi-square test of homogeneity of two count vectors over the same bins.

    Bins empty in both windows are left out. The p-value uses the Wilson-Hilferty normal
    approximation of the chi-square distribution (numpy only; within about 0.01 of the exact
    tail for 3+ degrees of freedom).

    Returns:
        ``(statistic, degrees_of_freedom, p_value)``; ``(0.0, 0, 1.0)`` when either window is
        empty or only one bin is used.

    Example:
        >>> stat, dof, p = chi_square(np.array([50, 50, 0]), np.array([30, 70, 0]))
        >>> round(stat, 3), dof, p < 0.01
        (8.333, 1, True)
    """
    table = np.vstack([np.asarray(reference, float), np.asarray(recent, float)])
    table = table[:, table.sum(axis=0) > 0]
    n = table.sum()
    if table.shape[1] < 2 or table[0].sum() == 0 or table[1].sum() == 0:
        return 0.0, 0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    stat = float(((table - expected) ** 2 / expected).sum())
    dof = table.shape[1] - 1
    # Wilson-Hilferty: (X / k)^(1/3) is about normal with mean 1 - 2/(9k), variance 2/(9k)
    z = ((stat / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / math.sqrt(2 / (9 * dof))
    return stat, dof, 0.5 * math.erfc(z / math.sqrt(2))
