"""What a decision's later reward costs the live selection since stop 48: microseconds per
logged row of :class:`ope.estimators.progressive.ProgressiveValue` (each candidate's value and
each pair's difference is one) keeping each row's terms so that a correction can replace them,
against the same code with the keeping switched off (the rows' terms neither computed nor
written at the fold; since stop 49 they are written there, vectorised, not one row per
``add``), and the
microseconds of one :meth:`~ope.estimators.progressive.ProgressiveValue.correct` against one
``add``; measured in the same run at 49 and 201 actions.

    python benchmarks/bench_progressive_corrections.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from benchmarks import bench_progressive  # noqa: E402
from ope.estimators import progressive  # noqa: E402


def per_row_us(k: int, rows: int, keep: bool) -> float:
    """Microseconds per ``add`` (:func:`benchmarks.bench_progressive.per_row_us`, with today's
    estimators), with each row's terms kept or not."""
    put = progressive.ProgressiveValue._keep if keep else (lambda *args: None)
    with mock.patch.object(progressive.ProgressiveValue, "_keep", put):
        return bench_progressive.per_row_us(k, rows, dict(progressive._ESTIMATORS))


def per_correction_us(k: int, rows: int, corrections: int) -> float:
    """Microseconds per ``correct`` of rows spread over the last ``rows`` (one read at the end,
    as the switch rule reads every 100 rows at most)."""
    rng = np.random.default_rng(0)
    a, targets = rng.integers(0, k, rows), rng.dirichlet(np.ones(k), size=64)
    v = progressive.ProgressiveValue(k)
    for i in range(rows):
        v.add(i + 1, int(a[i]), 1.0 / k, 0.0, targets[i % 64])
    seqs = np.random.default_rng(1).integers(1, rows + 1, corrections)
    start = time.perf_counter()
    for s in seqs:
        if not v.correct(int(s), 1.0):
            raise AssertionError(f"row {s} not kept")
    v.results()
    return (time.perf_counter() - start) / corrections * 1e6


def main() -> int:
    print("actions  add, terms not kept  add, kept (today)  ratio  one correct  correct/add")
    for k in (49, 201):
        per_row_us(k, 2000, True)  # warm up
        off = min(per_row_us(k, 20000, False) for _ in range(3))
        on = min(per_row_us(k, 20000, True) for _ in range(3))
        fix = min(per_correction_us(k, 20000, 2000) for _ in range(3))
        print(f"{k:7d}  {off:16.1f} us  {on:14.1f} us  {on / off:5.2f}x  {fix:8.1f} us"
              f"  {fix / on:9.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
