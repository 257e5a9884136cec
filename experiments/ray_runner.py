"""The one module that talks to Ray: one task per cell, results written as cells finish.

- Ray starts locally (``ray.init()``, ``workers`` CPUs) unless an ``address`` is given (a
  cluster, whose nodes must have offerbandit installed); an already running Ray is reused.
- At most ``workers`` cells are in flight; each is a Ray task that gets the :class:`CellSpec`
  (plain data) and builds the world and the policy itself.
- Failures, two kinds: a worker process that dies is re-run by Ray (``max_retries=1``); an
  exception raised inside a cell is caught here on ``ray.get`` and the cell is submitted again,
  up to ``retries`` more times. A cell that still fails is reported (progress line, manifest,
  return value), never dropped.
- Resumable: a cell whose Parquet file exists is skipped.

Example:
    >>> CellOutcome("s__p__seed0", "failed", error="ValueError: boom").ok
    False
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from experiments import results_io
from experiments.cell import run_cell
from experiments.spec import CellSpec, ExperimentSpec

__all__ = ["CellOutcome", "run_grid"]


@dataclass(frozen=True)
class CellOutcome:
    """What became of one cell: ``done``, ``skipped`` (finished earlier) or ``failed``."""

    cell_id: str
    status: str
    seconds: float = 0.0
    attempts: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        """True unless the cell failed."""
        return self.status != "failed"


def _timed_cell(cell: CellSpec) -> tuple[list[dict[str, Any]], float]:
    start = time.perf_counter()
    return run_cell(cell), time.perf_counter() - start


def _cause(exc: BaseException) -> str:
    """The worker's own exception, one line (RayTaskError wraps it)."""
    inner = getattr(exc, "cause", None) or exc
    return f"{type(inner).__name__}: {str(inner).strip().splitlines()[-1] if str(inner) else ''}"


def run_grid(spec: ExperimentSpec, results_dir: str | os.PathLike, *, address: str | None = None,
             workers: int | None = None, retries: int = 1, progress: bool = True,
             cell_fn: Callable[[CellSpec], tuple[list[dict[str, Any]], float]] | None = None
             ) -> list[CellOutcome]:
    """Run every unfinished cell of ``spec`` on Ray; write each as it finishes; write the manifest.

    Args:
        spec: the experiment.
        results_dir: the results folder (created if missing).
        address: a Ray cluster address (``ray://host:10001`` or ``auto``); None = local.
        workers: cells in flight at once (and CPUs of a local Ray); default: all CPUs.
        retries: extra submissions of a cell that raised.
        progress: show a tqdm bar over cells.
        cell_fn: what a task runs (default: the real cell, timed); tests swap in a failing one.

    Returns:
        One :class:`CellOutcome` per cell, in grid order.
    """
    import ray
    from tqdm import tqdm

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else workers,
                 include_dashboard=False, log_to_driver=False, configure_logging=False)
    limit = workers or max(1, int(ray.available_resources().get("CPU", 1)))
    task = ray.remote(num_cpus=1, max_retries=1)(cell_fn or _timed_cell)
    cells = spec.cells()
    outcomes: dict[str, CellOutcome] = {}
    todo = []
    for c in cells:
        if results_io.has_cell(results_dir, c.cell_id):
            outcomes[c.cell_id] = CellOutcome(c.cell_id, "skipped")
        else:
            todo.append(c)
    bar = tqdm(total=len(cells), initial=len(cells) - len(todo), unit="cell",
               desc=f"experiment {spec.name}", disable=not progress)
    attempts = {c.cell_id: 0 for c in todo}
    in_flight: dict[Any, CellSpec] = {}
    try:
        while todo or in_flight:
            while todo and len(in_flight) < limit:
                c = todo.pop(0)
                attempts[c.cell_id] += 1
                in_flight[task.remote(c)] = c
            [ref], _ = ray.wait(list(in_flight), num_returns=1)
            c = in_flight.pop(ref)
            try:
                records, seconds = ray.get(ref)
            except ray.exceptions.RayError as exc:  # the cell's own error or a lost worker
                if attempts[c.cell_id] <= retries:
                    todo.append(c)
                    continue
                outcomes[c.cell_id] = CellOutcome(c.cell_id, "failed",
                                                  attempts=attempts[c.cell_id], error=_cause(exc))
                bar.write(f"FAILED {c.cell_id} after {attempts[c.cell_id]} attempts: "
                          f"{outcomes[c.cell_id].error}")
            else:
                results_io.write_cell(results_dir, c.cell_id, records)
                outcomes[c.cell_id] = CellOutcome(c.cell_id, "done", seconds,
                                                  attempts[c.cell_id])
            bar.update(1)
    finally:
        bar.close()
        ordered = [outcomes.get(c.cell_id, CellOutcome(c.cell_id, "failed", error="interrupted"))
                   for c in cells]
        results_io.write_manifest(results_dir, {
            "name": spec.name, "spec": spec.to_dict(),
            "cells": [asdict(o) for o in ordered],
            "failed": [o.cell_id for o in ordered if not o.ok]})
        if started:
            ray.shutdown()
    return ordered
