"""The ledger of decisions whose final reward is not known yet.

Every decision enters once with the simulated hour at which its outcome becomes final and its
total realized reward; it leaves exactly once, through :meth:`PendingRewards.pop_due` or
:meth:`PendingRewards.flush`.

Example:
    >>> import numpy as np
    >>> led = PendingRewards()
    >>> led.add(np.array([0, 1]), np.array([5.0, 1.0]), np.array([2.0, -0.1]))
    >>> led.pop_due(3.0)
    (array([1]), array([-0.1]))
    >>> led.flush()
    (array([0]), array([2.]))
    >>> len(led)
    0
"""

from __future__ import annotations

import numpy as np

__all__ = ["PendingRewards"]


class PendingRewards:
    """Refs, due hours and totals of the decisions still pending (one flat buffer each)."""

    def __init__(self) -> None:
        self._refs = np.empty(0, dtype=np.int64)
        self._due = np.empty(0, dtype=np.float64)
        self._total = np.empty(0, dtype=np.float64)

    def __len__(self) -> int:
        return len(self._refs)

    def add(self, refs: np.ndarray, due: np.ndarray, total: np.ndarray) -> None:
        """Enter decisions (all (n,) arrays)."""
        self._refs = np.concatenate([self._refs, refs])
        self._due = np.concatenate([self._due, due])
        self._total = np.concatenate([self._total, total])

    def pop_due(self, now: float) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return (refs, totals) of every decision due at or before ``now``, in ref
        order."""
        if len(self._due) and self._due.max() <= now:  # everything is due: no filtering
            return self.flush()
        due = self._due <= now
        if not due.any():
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        out = self._refs[due], self._total[due]
        keep = ~due
        self._refs, self._due, self._total = self._refs[keep], self._due[keep], self._total[keep]
        return out

    def flush(self) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return every pending (refs, totals), in ref order."""
        out = self._refs, self._total
        self.__init__()
        return out
