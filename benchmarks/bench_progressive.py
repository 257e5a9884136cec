"""What keeping the control-variate DR costs the live selection: microseconds per logged row of
:class:`ope.estimators.progressive.ProgressiveValue` (each candidate's value and each pair's
difference is one) with the estimators it keeps today (IPS, DR, ``dr_cv``) against IPS and DR
alone (before stop 19), measured in the same run at 49 and 201 actions.

    python benchmarks/bench_progressive.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from ope.estimators import progressive  # noqa: E402


def per_row_us(k: int, rows: int, estimators: dict) -> float:
    """Microseconds per ``add`` (folds and a final read included) over ``rows`` rows."""
    rng = np.random.default_rng(0)
    a = rng.integers(0, k, rows)
    r = np.where(rng.random(rows) < 0.05, rng.exponential(10.0, rows), 0.0)
    targets = rng.dirichlet(np.ones(k), size=64)
    with mock.patch.dict(progressive._ESTIMATORS, estimators, clear=True):
        v = progressive.ProgressiveValue(k)
        start = time.perf_counter()
        for i in range(rows):
            v.add(i + 1, int(a[i]), 1.0 / k, float(r[i]), targets[i % 64])
        v.results()
        return (time.perf_counter() - start) / rows * 1e6


def main() -> int:
    today = dict(progressive._ESTIMATORS)
    before = {k: e for k, e in today.items() if k != "dr_cv"}
    print("actions  IPS+DR (before)  IPS+DR+dr_cv (today)  ratio")
    for k in (49, 201):
        per_row_us(k, 2000, today)  # warm up
        b = min(per_row_us(k, 20000, before) for _ in range(3))
        t = min(per_row_us(k, 20000, today) for _ in range(3))
        print(f"{k:7d}  {b:13.1f} us  {t:18.1f} us  {t / b:5.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
