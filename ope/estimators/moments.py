"""A mergeable running mean and co-moment matrix of a few per-row columns.

Every estimator here is a smooth function of the means of a few per-row columns (IPS: ``w r``;
SNIPS: ``w r`` and ``w``). Keeping the mean and the co-moment matrix is enough for the value and
its delta-method interval, and two partial results (Ray workers, file chunks) merge exactly with
Chan et al.'s pairwise update, which stays accurate where raw sums of squares would cancel.

Example:
    >>> import numpy as np
    >>> from ope.estimators.moments import Moments
    >>> x = np.arange(10.0).reshape(5, 2)
    >>> m = Moments.of(x[:2]) + Moments.of(x[2:])
    >>> m.n, m.mean.tolist()
    (5, [4.0, 5.0])
    >>> bool(np.allclose(m.covariance(), np.cov(x.T)))
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Moments"]


def _products(centred: np.ndarray) -> np.ndarray:
    """(p, p) sums of column products. Estimators have p <= 4 columns; plain elementwise sums
    beat BLAS here, whose threaded small-matrix kernels stall for milliseconds on a busy machine.
    """
    p = centred.shape[1]
    out = np.empty((p, p))
    for i in range(p):
        for j in range(i, p):
            out[i, j] = out[j, i] = float((centred[:, i] * centred[:, j]).sum())
    return out


@dataclass(frozen=True)
class Moments:
    """Count, column means (p,) and co-moment matrix (p, p) = sum of centred outer products."""

    n: int
    mean: np.ndarray
    comoment: np.ndarray

    @classmethod
    def empty(cls, p: int) -> Moments:
        """No rows yet, ``p`` columns."""
        return cls(0, np.zeros(p), np.zeros((p, p)))

    @classmethod
    def of(cls, columns: np.ndarray) -> Moments:
        """The moments of an (n, p) batch of per-row columns."""
        n = columns.shape[0]
        if n == 0:
            return cls.empty(columns.shape[1])
        mean = columns.mean(axis=0)
        centred = np.asfortranarray(columns - mean)
        return cls(n, mean, _products(centred))

    def __add__(self, other: Moments) -> Moments:
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / n)
        comoment = self.comoment + other.comoment + np.outer(delta, delta) * (self.n * other.n / n)
        return Moments(n, mean, comoment)

    def covariance(self) -> np.ndarray:
        """(p, p) sample covariance of the columns (ddof=1); zeros for fewer than two rows."""
        if self.n < 2:
            return np.zeros_like(self.comoment)
        return self.comoment / (self.n - 1)

    def replaced(self, old: np.ndarray, new: np.ndarray) -> Moments:
        """These moments with one row's columns ``old`` (p,) replaced by ``new`` (p,); ``old``
        must be a row these moments hold, and the count stays as it was. With ``a``, ``b`` the
        two rows centred on the old mean and ``d = new - old``, the co-moment gains
        ``b b' - a a' - d d' / n``.

        Example:
            >>> x = np.array([[1.0, 2.0], [3.0, 5.0], [4.0, 4.0]])
            >>> m = Moments.of(x).replaced(x[1], np.array([0.0, 7.0]))
            >>> y = np.array([[1.0, 2.0], [0.0, 7.0], [4.0, 4.0]])
            >>> bool(np.allclose(m.mean, y.mean(axis=0))), bool(np.allclose(m.covariance(),
            ...                                                              np.cov(y.T)))
            (True, True)
        """
        if self.n < 1:
            raise ValueError("replaced: no row to replace")
        a, b, d = old - self.mean, new - self.mean, new - old
        # broadcast products, not np.outer: its checks cost more than the arithmetic at p <= 4
        comoment = self.comoment + (b[:, None] * b - a[:, None] * a - d[:, None] * (d / self.n))
        return Moments(self.n, self.mean + d / self.n, comoment)
