"""The distributions each recent decision was drawn from, held until its reward.

The switch rule scores every candidate on each logged reward with its probability of the
logged action, taken before it learns that decision (``engine/learner_selection.py``). For the
candidate that served the decision, and for each challenger on trial that served a share of
it, the distribution it decided with is such a probability, and the one its part of the
decision was drawn from: the engine holds them from ``choose`` to the reward, so that the
reward's path does not ask those candidates again, and so that a challenger on trial is
credited with what it served, not with where it has moved since (stop 50). Held in memory for
the latest ``capacity`` decisions only, and within :data:`SERVED_BYTES` (a catalog of thousands
of actions holds fewer); a reward for an older decision, or one after a restart, is scored as
the other candidates are, on the distribution at reward time.

Example:
    >>> import numpy as np
    >>> memory = ServedMemory(capacity=2)
    >>> memory.put("d1", "joint", np.array([0.75, 0.25]))
    >>> memory.put("d2", "joint", np.array([0.5, 0.5]), {"regcb": np.array([0.0, 1.0])})
    >>> memory.put("d3", "ridge", np.array([1.0]))
    >>> memory.take("d1") is None  # the oldest made room
    True
    >>> memory.take("d3")
    Served(candidate='ridge', probabilities=array([1.]), trial=None)
    >>> memory.take("d3") is None  # taken once
    True
    >>> memory.take("d2").trial
    {'regcb': array([0., 1.])}
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

__all__ = ["SERVED_BYTES", "SERVED_MEMORY", "Served", "ServedMemory"]

#: The default of ``EngineOptions.served_memory``: decisions whose serving distribution is
#: held, 6.4 MB of float64 at 49 eligible actions and 25 MB at 193 (16,384 x K x 8 bytes). The
#: ids, tuples, array headers and the dict add about 320 bytes a decision, which
#: :data:`SERVED_BYTES` does not count (714 bytes a decision in all at 49 actions, measured
#: with tracemalloc over 16,384 puts of fresh ids and arrays).
SERVED_MEMORY = 16_384
#: The most the held distributions' floats take, whatever the catalog's size (32 MiB: 16,384
#: decisions up to 256 eligible actions each, 4,096 at 1,024).
SERVED_BYTES = 32 << 20


class Served(NamedTuple):
    """What one decision was drawn from: the serving candidate, its distribution over the
    eligible actions, and each challenger's on trial (None when none was)."""

    candidate: str
    probabilities: np.ndarray
    trial: Mapping[str, np.ndarray] | None = None

    @property
    def nbytes(self) -> int:
        """The distributions' bytes."""
        return self.probabilities.nbytes + sum(
            p.nbytes for p in (self.trial or {}).values())


class ServedMemory:
    """Decision id -> :class:`Served`, the latest ``capacity`` decisions (0 holds none) whose
    distributions fit in ``max_bytes``."""

    def __init__(self, capacity: int = SERVED_MEMORY, max_bytes: int = SERVED_BYTES) -> None:
        self.capacity, self.max_bytes = capacity, max_bytes
        self._held: OrderedDict[str, Served] = OrderedDict()
        self._bytes = 0

    def put(self, decision_id: str, candidate: str, probabilities: np.ndarray,
            trial: Mapping[str, np.ndarray] | None = None) -> None:
        """Hold ``probabilities`` as ``candidate``'s distribution for ``decision_id``, and
        ``trial``'s as the challengers' on trial (the caller's arrays, not copied: it must not
        change them); the oldest make room."""
        served = Served(candidate, probabilities, trial or None)
        if self.capacity <= 0 or served.nbytes > self.max_bytes:
            return
        self.take(decision_id)  # a second put replaces the first, counted once
        self._held[decision_id] = served
        self._bytes += served.nbytes
        while len(self._held) > self.capacity or self._bytes > self.max_bytes:
            self._bytes -= self._held.popitem(last=False)[1].nbytes

    def take(self, decision_id: str) -> Served | None:
        """The held :class:`Served` of ``decision_id``, no longer held after this; None when it
        is not held."""
        held = self._held.pop(decision_id, None)
        if held is not None:
            self._bytes -= held.nbytes
        return held

    @property
    def nbytes(self) -> int:
        """The held distributions' bytes."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._held)
