"""The thread guard: one lock around the learner and the log's read-decide-write sequences.

Vowpal Wabbit's reduction stack is not thread-safe, and a decision's rules (frequency caps,
channel capacity) read the log and then write to it: both must run one at a time. The guard
counts how often a caller had to wait, so ``Engine.stats()`` shows contention;
``benchmarks/bench_engine.py`` measures what it costs.

Example:
    >>> g = Guard()
    >>> with g:
    ...     pass
    >>> g.acquisitions, g.contended
    (1, 0)
"""

from __future__ import annotations

import threading
from typing import Self

__all__ = ["Guard", "NoGuard"]


class Guard:
    """A re-entrant lock that counts acquisitions and contended acquisitions."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.acquisitions = 0
        self.contended = 0

    def __enter__(self) -> Self:
        if not self._lock.acquire(blocking=False):
            self._lock.acquire()
            self.contended += 1  # counted under the lock: exact
        self.acquisitions += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class NoGuard(Guard):
    """No lock (``thread_safe=False``): for one thread only, and to measure the guard's cost."""

    def __enter__(self) -> Self:
        self.acquisitions += 1
        return self

    def __exit__(self, *exc: object) -> None:
        return None
