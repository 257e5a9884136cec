"""The serving candidate's distribution of each recent decision, held until its reward.

The switch rule scores every candidate on each logged reward with its probability of the
logged action, taken before it learns that decision (``engine/learner_selection.py``). For the
candidate that served the decision, the distribution it decided with is such a probability,
and the one the decision was drawn from: the engine holds it from ``choose`` to the reward,
so that the reward's path does not ask the serving candidate for it a second time. Held in
memory for the latest ``capacity`` decisions only, and within :data:`SERVED_BYTES` (a catalog of
thousands of actions holds fewer); a reward for an older decision, or one after a restart, is
scored as the other candidates are, on the distribution at reward time.

Example:
    >>> import numpy as np
    >>> memory = ServedMemory(capacity=2)
    >>> memory.put("d1", "joint", np.array([0.75, 0.25]))
    >>> memory.put("d2", "joint", np.array([0.5, 0.5]))
    >>> memory.put("d3", "ridge", np.array([1.0]))
    >>> memory.take("d1") is None  # the oldest made room
    True
    >>> memory.take("d3")
    ('ridge', array([1.]))
    >>> memory.take("d3") is None  # taken once
    True
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

__all__ = ["SERVED_BYTES", "SERVED_MEMORY", "ServedMemory"]

#: The default of ``EngineOptions.served_memory``: decisions whose serving distribution is
#: held, 6.4 MB of float64 at 49 eligible actions and 25 MB at 193 (16,384 x K x 8 bytes). The
#: ids, tuples, array headers and the dict add about 320 bytes a decision, which
#: :data:`SERVED_BYTES` does not count (714 bytes a decision in all at 49 actions, measured
#: with tracemalloc over 16,384 puts of fresh ids and arrays).
SERVED_MEMORY = 16_384
#: The most the held distributions' floats take, whatever the catalog's size (32 MiB: 16,384
#: decisions up to 256 eligible actions each, 4,096 at 1,024).
SERVED_BYTES = 32 << 20


class ServedMemory:
    """Decision id -> (serving candidate, its distribution over the eligible actions), the
    latest ``capacity`` decisions (0 holds none) whose distributions fit in ``max_bytes``."""

    def __init__(self, capacity: int = SERVED_MEMORY, max_bytes: int = SERVED_BYTES) -> None:
        self.capacity, self.max_bytes = capacity, max_bytes
        self._held: OrderedDict[str, tuple[str, np.ndarray]] = OrderedDict()
        self._bytes = 0

    def put(self, decision_id: str, candidate: str, probabilities: np.ndarray) -> None:
        """Hold ``probabilities`` (the caller's array, not copied: it must not change it) as
        ``candidate``'s distribution for ``decision_id``; the oldest make room."""
        if self.capacity <= 0 or probabilities.nbytes > self.max_bytes:
            return
        self.take(decision_id)  # a second put replaces the first, counted once
        self._held[decision_id] = (candidate, probabilities)
        self._bytes += probabilities.nbytes
        while len(self._held) > self.capacity or self._bytes > self.max_bytes:
            self._bytes -= self._held.popitem(last=False)[1][1].nbytes

    def take(self, decision_id: str) -> tuple[str, np.ndarray] | None:
        """The held ``(candidate, distribution)`` of ``decision_id``, no longer held after
        this; None when it is not held."""
        held = self._held.pop(decision_id, None)
        if held is not None:
            self._bytes -= held[1].nbytes
        return held

    @property
    def nbytes(self) -> int:
        """The held distributions' bytes."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._held)
