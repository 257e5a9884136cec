"""The engine's one module that talks to Ray: a customers file streamed through Ray Data.

The lab's Ray module (``experiments/ray_runner.py``) runs experiment grids and may not be
imported by the engine, so the engine has this one of its own (``docs/DESIGN.md``).

- Ray starts locally with one logical CPU more than the workers (the file's reader needs one:
  with every CPU held by a scoring worker Ray Data would wait forever), unless an ``address``
  is given (``auto`` or ``ray://...``: a cluster whose nodes have offerbandit installed and can
  read the customers file and the state folder); an already running Ray is reused.
- The customers file is read by Ray Data (``read_parquet``) in small blocks; ``map_batches``
  hands batches to a pool of ``workers`` scoring actors. Each actor receives the
  :class:`ScoringSetup` (catalog text, state folder, the model snapshot's bytes: one object put
  in Ray's object store once and fetched by every actor) and builds its scorer once.
- Streaming: blocks flow through as they are read and are consumed by the caller batch after
  batch; Ray Data's backpressure keeps a bounded number in flight, so memory does not grow with
  the file (one Parquet row group is the largest piece read at once).
- Quiet: Ray's start-up banner and Ray Data's own progress output are silenced (the caller shows
  one progress bar).

Example:
    >>> callable(scored_batches)
    True
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import numpy as np

from engine.campaign.scoring import CustomerScorer, ScoringSetup
from engine.errors import CampaignError

__all__ = ["ray_session", "scored_batches"]

_BLOCK_BYTES = 1 << 20  # small blocks: a file becomes many pieces to share among the workers


@contextmanager
def ray_session(address: str | None, workers: int) -> Iterator[None]:
    """Ray for the duration of a ``with``: started here (and shut down after) unless running."""
    import ray
    import ray.data

    started = not ray.is_initialized()
    if started:
        logger = logging.getLogger("ray")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            ray.init(address=address, num_cpus=None if address else workers + 1,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)
        finally:
            logger.setLevel(level)
    have = ray.cluster_resources().get("CPU", 0)
    if not started and not address and have < workers + 1:
        raise CampaignError(f"workers: the running Ray has {have:g} CPUs; {workers} scoring "
                            f"workers need {workers + 1} (one reads the file)")
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    context.target_max_block_size = _BLOCK_BYTES
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():  # Ray Data's advice on block counts, for small files
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        if started:
            ray.shutdown()


class _Worker:
    """A scoring actor: one :class:`CustomerScorer`, built once from the broadcast setup."""

    def __init__(self, setup: tuple[Any]) -> None:
        import ray

        # a reference to the one copy in the object store, fetched once here (wrapped in a
        # tuple: a bare reference among an actor's arguments makes Ray warn at every start)
        self.scorer = CustomerScorer(ray.get(setup[0]))

    def __call__(self, batch: Any) -> dict[str, np.ndarray]:
        return self.scorer(batch)


def scored_batches(path: str | os.PathLike, setup: ScoringSetup, *, batch_size: int,
                   workers: int) -> Iterator[dict[str, np.ndarray]]:
    """Score every customer of ``path`` on Ray.

    Call inside :func:`ray_session`.

    Args:
        path: the customers Parquet file (readable by every node).
        setup: what the workers need.
        batch_size: customers per scored batch.
        workers: scoring actors.

    Yields:
        Scored batches (:meth:`CustomerScorer.__call__`'s columns), in no particular order.
    """
    import ray
    import ray.data

    scored = ray.data.read_parquet(os.fspath(path)).map_batches(
        _Worker, fn_constructor_kwargs={"setup": (ray.put(setup),)}, batch_size=batch_size,
        batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1)
    for batch in scored.iter_batches(batch_format="numpy", batch_size=None, prefetch_batches=1):
        yield cast(dict[str, np.ndarray], batch)
