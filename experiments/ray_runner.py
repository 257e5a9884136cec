"""The one module that talks to Ray: one task per cell, results written as cells finish.

:func:`run_tasks` is the generic part (any picklable items, any module-level function: the
learning suite uses it too); :func:`run_grid` runs an experiment spec's cells with it.

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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from experiments import results_io
from experiments.cell import run_cell
from experiments.run_stamp import code_version, utc_now
from experiments.spec import CellSpec, ExperimentSpec

__all__ = ["CellOutcome", "TaskOutcome", "run_grid", "run_tasks", "skipped_message"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class TaskOutcome:
    """What became of one task of :func:`run_tasks`: ``done`` (with its ``value``) or
    ``failed`` (with the worker's error, one line)."""

    status: str
    value: Any = None
    attempts: int = 0
    error: str = ""


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


def run_tasks(fn: Callable[[T], R], items: Sequence[T], *, address: str | None = None,
              workers: int | None = None, retries: int = 1, progress: bool = True,
              desc: str = "tasks", key: Callable[[T], str] = str,
              on_done: Callable[[T, R], None] | None = None, done_before: int = 0
              ) -> dict[str, TaskOutcome]:
    """Run ``fn(item)`` for every item as Ray tasks, at most ``workers`` in flight.

    Ray starts locally unless it already runs or an ``address`` is given, and only if there is
    work (it is shut down at the end if this call started it). A task whose worker dies is
    re-run by Ray (``max_retries=1``); a task that raises is submitted again up to ``retries``
    more times, then reported as failed (never dropped). Items must be plain data (they are
    pickled to workers).

    Args:
        fn: what a task runs; a module-level function.
        items: the work, one task each.
        address: a Ray cluster address; None = local.
        workers: tasks in flight at once (and CPUs of a local Ray); default: all CPUs.
        retries: extra submissions of a task that raised.
        progress: show a tqdm bar.
        desc: the bar's title.
        key: an item's unique name (outcomes are keyed by it).
        on_done: called in this process with each item and its result as it finishes (write
            results there, so an interrupted run keeps what finished).
        done_before: items finished by an earlier run (the bar starts there).

    Returns:
        ``key(item) -> TaskOutcome`` for every item (``failed``, ``interrupted`` if the run was
        stopped before it finished).

    Example:
        >>> run_tasks(abs, [], progress=False)  # no work: Ray is not even started
        {}
    """
    import ray
    from tqdm import tqdm

    todo = list(items)
    attempts = {key(i): 0 for i in todo}
    outcomes: dict[str, TaskOutcome] = {}
    if not todo:
        return outcomes
    started = not ray.is_initialized()
    if started:
        with _quiet_ray():
            ray.init(address=address, num_cpus=None if address else workers,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)
    limit = workers or max(1, int(ray.available_resources().get("CPU", 1)))
    task = ray.remote(num_cpus=1, max_retries=1)(fn)
    in_flight: dict[Any, T] = {}
    bar = tqdm(total=done_before + len(todo), initial=done_before, unit="task", desc=desc,
               disable=not progress)
    try:
        while todo or in_flight:
            while todo and len(in_flight) < limit:
                item = todo.pop(0)
                attempts[key(item)] += 1
                in_flight[task.remote(item)] = item
            [ref], _ = ray.wait(list(in_flight), num_returns=1)
            item = in_flight.pop(ref)
            k = key(item)
            try:
                value = ray.get(ref)
            except ray.exceptions.RayError as exc:  # the task's own error or a lost worker
                if attempts[k] <= retries:
                    todo.append(item)
                    continue
                outcomes[k] = TaskOutcome("failed", None, attempts[k], _cause(exc))
                bar.write(f"FAILED {k} after {attempts[k]} attempts: {outcomes[k].error}")
            else:
                if on_done is not None:
                    on_done(item, value)
                outcomes[k] = TaskOutcome("done", value, attempts[k])
            bar.update(1)
    finally:
        bar.close()
        for k, n in attempts.items():
            outcomes.setdefault(k, TaskOutcome("failed", None, n, "interrupted"))
        if started:
            ray.shutdown()
    return outcomes


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
    started_at = utc_now()
    cells = spec.cells()
    todo = [c for c in cells if not results_io.has_cell(results_dir, c.cell_id)]
    if len(todo) < len(cells):
        print(skipped_message(spec, results_dir, [c for c in cells if c not in todo]),
              file=sys.stderr)

    def write(cell: CellSpec, result: tuple[list[dict[str, Any]], float]) -> None:
        results_io.write_cell(results_dir, cell.cell_id, result[0])

    ran: dict[str, TaskOutcome] = {}
    try:
        ran = run_tasks(cell_fn or _timed_cell, todo, address=address, workers=workers,
                        retries=retries, progress=progress, desc=f"experiment {spec.name}",
                        key=lambda c: c.cell_id, on_done=write,
                        done_before=len(cells) - len(todo))
    finally:
        ordered = [_cell_outcome(c.cell_id, ran.get(c.cell_id), c in todo) for c in cells]
        results_io.write_manifest(results_dir, {
            "name": spec.name, "spec": spec.to_dict(), "code_version": code_version(),
            "started_at": started_at, "finished_at": utc_now(),
            "cells": [asdict(o) for o in ordered],
            "failed": [o.cell_id for o in ordered if not o.ok]})
    return ordered


def _cell_outcome(cell_id: str, ran: TaskOutcome | None, was_todo: bool) -> CellOutcome:
    if not was_todo:
        return CellOutcome(cell_id, "skipped")
    if ran is None:
        return CellOutcome(cell_id, "failed", error="interrupted")
    if ran.status == "failed":
        return CellOutcome(cell_id, "failed", attempts=ran.attempts, error=ran.error)
    return CellOutcome(cell_id, "done", ran.value[1], ran.attempts)
