"""The one module that talks to Ray: one task per cell, results written as cells finish.

- Ray starts locally (``ray.init()``, ``workers`` CPUs) unless an ``address`` is given (a
  cluster, whose nodes must have offerbandit installed); an already running Ray is reused.
- At most ``workers`` cells are in flight; each is a Ray task that gets the :class:`CellSpec`
  (plain data) and builds the world and the policy itself.
- Failures, two kinds: a worker process that dies is re-run by Ray (``max_retries=1``); an
  exception raised inside a cell is caught here on ``ray.get`` and the cell is submitted again,
  up to ``retries`` more times. A cell that still fails is reported (progress line, manifest,
  return value), never dropped.
- Resumable: a cell whose Parquet file exists is skipped, and the run says which (stderr).
- Quiet: Ray's own start-up warnings (the token-authentication banner) are silenced; a cell's
  failure is still printed.
- The manifest records the code version and when the run started and finished.

Example:
    >>> CellOutcome("s__p__seed0", "failed", error="ValueError: boom").ok
    False
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from experiments import results_io
from experiments.cell import run_cell
from experiments.run_stamp import code_version, utc_now
from experiments.spec import CellSpec, ExperimentSpec

__all__ = ["CellOutcome", "run_grid", "skipped_message"]


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


@contextmanager
def _quiet_ray() -> Iterator[None]:
    """Ray logs start-up warnings (token authentication on by default) through Python logging;
    with no handler of ours they reach stderr on every run. Errors still pass."""
    logger = logging.getLogger("ray")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def skipped_message(spec: ExperimentSpec, results_dir: str | os.PathLike,
                    skipped: list[CellSpec]) -> str:
    """What a resumed run says before it starts: the cells it skips, by scenario and policy.

    Example:
        >>> spec = ExperimentSpec.from_dict({"name": "x", "scenarios": ["small"],
        ...     "seeds": [0, 1, 2], "horizon": 100, "batch_size": 100, "window": 100,
        ...     "policies": [{"name": "random"}]})
        >>> print(skipped_message(spec, "out", spec.cells()[:2]))
        ... # doctest: +NORMALIZE_WHITESPACE
        resuming experiment x: skipping 2 of 3 cells finished earlier (delete a cell's file in
        out/cells to run it again):
          small / random: seeds 0, 1
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for c in skipped:
        groups.setdefault((Path(c.scenario).stem, c.policy.label), []).append(c.seed)
    lines = [(f"resuming experiment {spec.name}: skipping {len(skipped)} of {len(spec.cells())} "
             f"cells finished earlier (delete a cell's file in "
             f"{Path(results_dir) / results_io.CELLS_DIR} to run it again):")]
    lines += [f"  {scenario} / {label}: seeds {', '.join(map(str, seeds))}"
              for (scenario, label), seeds in groups.items()]
    return "\n".join(lines)


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

    started_at = utc_now()
    cells = spec.cells()
    outcomes: dict[str, CellOutcome] = {}
    todo = []
    for c in cells:
        if results_io.has_cell(results_dir, c.cell_id):
            outcomes[c.cell_id] = CellOutcome(c.cell_id, "skipped")
        else:
            todo.append(c)
    if len(todo) < len(cells):
        print(skipped_message(spec, results_dir, [c for c in cells if c not in todo]),
              file=sys.stderr)
    started = bool(todo) and not ray.is_initialized()  # nothing left to run: no Ray at all
    if started:
        with _quiet_ray():
            ray.init(address=address, num_cpus=None if address else workers,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)
    limit = workers or 1
    if todo and not workers:
        limit = max(1, int(ray.available_resources().get("CPU", 1)))
    task = ray.remote(num_cpus=1, max_retries=1)(cell_fn or _timed_cell)
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
            "name": spec.name, "spec": spec.to_dict(), "code_version": code_version(),
            "started_at": started_at, "finished_at": utc_now(),
            "cells": [asdict(o) for o in ordered],
            "failed": [o.cell_id for o in ordered if not o.ok]})
        if started:
            ray.shutdown()
    return ordered
