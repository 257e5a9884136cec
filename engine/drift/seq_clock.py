"""When each reward was logged: marks ``(time, sequence number)`` taken as the log is read, so
that a change point in time maps to the last reward logged before it (where a drift challenger
starts learning).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

__all__ = ["SeqClock"]


class SeqClock:
    """Which reward sequence number was logged when: marks ``(time, seq)`` taken as the log is
    read, so a change point in time maps to the last reward logged before it.

    Example:
        >>> c = SeqClock()
        >>> for t, q in ((10.0, 5), (20.0, 9), (30.0, 14)):
        ...     c.mark(t, q)
        >>> c.seq_before(25.0), c.seq_before(5.0)
        (9, 0)
    """

    def __init__(self, keep: int = 100_000) -> None:
        self.times: list[float] = []
        self.seqs: list[int] = []
        self.keep = keep

    def mark(self, at: float, seq: int) -> None:
        """Reward ``seq`` was logged at ``at`` (marks come in log order)."""
        if self.times and at < self.times[-1]:
            at = self.times[-1]  # two writers a hair apart: keep the marks sorted
        self.times.append(at)
        self.seqs.append(seq)
        if len(self.times) > self.keep:
            del self.times[: len(self.times) - self.keep]
            del self.seqs[: len(self.seqs) - self.keep]

    def seq_before(self, t: float) -> int:
        """The last marked sequence number logged before ``t`` (0 before every mark)."""
        i = bisect.bisect_left(self.times, t)
        return self.seqs[i - 1] if i else 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"times": self.times, "seqs": self.seqs}

    def load(self, state: Mapping[str, Any]) -> None:
        """From :meth:`to_dict`."""
        self.times, self.seqs = list(state["times"]), list(state["seqs"])
