"""Run a row-wise numpy computation on a few threads, one contiguous block of rows each.

numpy releases the GIL inside its loops, so a batch of independent customer rows splits across
cores the way a BLAS matmul does. The thread count follows the knob BLAS follows
(``OMP_NUM_THREADS``, which Ray sets to 1 in its workers), so an experiment grid running one
task per core is not oversubscribed; otherwise it is the number of cores this process may use.

Example:
    >>> import numpy as np
    >>> out = np.zeros(40_000)
    >>> def fill(rows: slice) -> None:
    ...     out[rows] = np.arange(rows.start, rows.stop)
    >>> run_row_blocks(fill, 40_000, threads=2, min_rows=10_000)
    >>> bool((out == np.arange(40_000)).all())
    True
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["default_threads", "run_row_blocks"]

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def default_threads() -> int:
    """``OMP_NUM_THREADS`` when set to a positive integer, else the cores this process may use."""
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < size:
            _pool, _pool_size = ThreadPoolExecutor(size, thread_name_prefix="rows"), size
        return _pool


def run_row_blocks(fill: Callable[[slice], None], n_rows: int, threads: int,
                   min_rows: int) -> None:
    """Call ``fill(rows)`` on contiguous blocks covering ``range(n_rows)``.

    Args:
        fill: computes and stores the result of one block of rows; blocks never overlap.
        n_rows: rows in all.
        threads: at most this many blocks run at once (1: one call on this thread).
        min_rows: no block smaller than this (below it, thread handoff costs more than it saves).
    """
    parts = max(1, min(threads, n_rows // max(min_rows, 1)))
    if parts == 1:
        fill(slice(0, n_rows))
        return
    bounds = [n_rows * i // parts for i in range(parts + 1)]
    blocks = [slice(bounds[i], bounds[i + 1]) for i in range(parts)]
    # the caller's thread takes the first block itself: one handoff fewer
    futures = [_executor(parts - 1).submit(fill, rows) for rows in blocks[1:]]
    fill(blocks[0])
    for f in futures:
        f.result()
