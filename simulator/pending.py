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
    """Refs, due hours and totals of the decisions still pending, one block per ``add``.

    Blocks (not one flat buffer) so that a step touches only the blocks with something due: a
    block whose every decision is due leaves whole, one with nothing due is skipped on its
    earliest due hour, and only a block that straddles ``now`` is filtered. Nothing is
    re-concatenated on ``add``. Refs increase across blocks, so reading the blocks in order
    gives ref order.
    """

    def __init__(self) -> None:
        # each block: [refs, due, total, earliest due, latest due]
        self._blocks: list[list] = []

    def __len__(self) -> int:
        return sum(len(b[0]) for b in self._blocks)

    def add(self, refs: np.ndarray, due: np.ndarray, total: np.ndarray) -> None:
        """Enter decisions (all (n,) arrays, refs greater than any entered before)."""
        if len(refs):
            self._blocks.append([refs, due, total, due.min(), due.max()])

    def pop_due(self, now: float) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return (refs, totals) of every decision due at or before ``now``, in ref
        order."""
        out_refs, out_total, kept = [], [], []
        for block in self._blocks:
            refs, due, total, first, last = block
            if first > now:             # nothing due yet
                kept.append(block)
            elif last <= now:           # all due: leaves whole, no filtering
                out_refs.append(refs)
                out_total.append(total)
            else:
                # indices once, then plain takes: five boolean compressions cost twice as much
                is_due = due <= now
                go, stay = np.flatnonzero(is_due), np.flatnonzero(~is_due)
                out_refs.append(refs.take(go))
                out_total.append(total.take(go))
                rest = due.take(stay)
                kept.append([refs.take(stay), rest, total.take(stay), rest.min(), last])
        self._blocks = kept
        return _joined(out_refs, out_total)

    def flush(self) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return every pending (refs, totals), in ref order."""
        out = _joined([b[0] for b in self._blocks], [b[2] for b in self._blocks])
        self._blocks = []
        return out


def _joined(refs: list[np.ndarray], totals: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One fresh (refs, totals) pair of arrays from lists of parts (always a copy: a whole
    block's refs are the very array ``step`` returned as ``info["refs"]`` earlier)."""
    if not refs:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    return np.concatenate(refs), np.concatenate(totals)
