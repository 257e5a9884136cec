"""What a change does to the logged data: per message, the treatment's mean reward before and
after the change, the mean residual against a reward model fitted on a reference window
before it (per-message ridge on the context), and its answers (rewards above 0) before and
after, on an engine log kept by
``bench_drift.py --keep-logs``.

The question it answers: is a response change (``drift``: tastes rotate) visible per message in
the reward given the context, and how big is it against the noise of a block of rewards?

Run: ``python benchmarks/drift_anatomy.py results/logs/drift-0 --change-hour 504``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

import numpy as np

from experiments.engine_policy import T0


def load(folder: Path) -> tuple[list[dict], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First rewards in log order: contexts, messages, values, arrival times, decision times."""
    db = sqlite3.connect(folder / "decisions.sqlite3")
    rows = db.execute(
        "SELECT d.context_json, COALESCE(d.message, 'no_contact'), r.value, r.at, d.created_at "
        "FROM rewards r JOIN decisions d ON d.decision_id = r.decision_id "
        "WHERE r.kind != 'correction' AND d.holdout = 0 ORDER BY r.seq").fetchall()
    ctx = [json.loads(r[0]) for r in rows]
    return (ctx, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
            np.array([r[3] for r in rows]), np.array([r[4] for r in rows]))


def design(ctx: list[dict]) -> tuple[np.ndarray, list[str]]:
    """Numbers and bools as they are, strings one-hot, an intercept."""
    cols: dict[str, int] = {}
    for c in ctx[:2000]:
        for k, v in c.items():
            if isinstance(v, bool | int | float):
                cols.setdefault(k, len(cols))
            elif isinstance(v, str):
                cols.setdefault(f"{k}={v}", len(cols))
    x = np.zeros((len(ctx), len(cols) + 1))
    x[:, -1] = 1.0
    for i, c in enumerate(ctx):
        for k, v in c.items():
            j = cols.get(f"{k}={v}" if isinstance(v, str) else k)
            if j is not None and not isinstance(v, list | dict) and v is not None:
                x[i, j] = 1.0 if isinstance(v, str) else float(v)
    return x, list(cols)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("log", type=Path)
    p.add_argument("--change-hour", type=float, default=504.0)
    p.add_argument("--reference", type=int, default=10_000,
                   help="treatment rewards before the change that fit the model")
    p.add_argument("--ridge", type=float, default=1.0)
    a = p.parse_args()
    ctx, msg, val, _, made = load(a.log)
    x, _ = design(ctx)
    t_change = T0 + a.change_hour * 3600.0
    before = made < t_change  # decided before the change (their rewards mostly before too)
    ref = np.flatnonzero(before)[-a.reference:]
    print(f"{a.log.name}: {len(val):,} treatment rewards, {before.sum():,} decided before the "
          f"change; model fitted on the last {len(ref):,} of those")
    print(f"{'message':>22} {'n before':>8} {'n after':>8} {'mean bef':>9} {'mean aft':>9} "
          f"{'resid bef':>9} {'resid aft':>9} {'z after':>8} {'sd':>7} {'ans bef':>7} "
          f"{'ans aft':>7}")
    for m in np.unique(msg):
        rm = ref[msg[ref] == m]
        fit = np.zeros(x.shape[1])
        if rm.size > 20:
            xr = x[rm]
            fit = np.linalg.solve(xr.T @ xr + a.ridge * np.eye(x.shape[1]), xr.T @ val[rm])
        resid = val - x @ fit
        b, af = (msg == m) & before, (msg == m) & ~before
        sd = float(resid[b].std()) if b.any() else float("nan")
        z = resid[af].mean() / (sd / np.sqrt(max(af.sum(), 1))) if af.any() else float("nan")
        print(f"{m:>22} {b.sum():>8} {af.sum():>8} {val[b].mean():>9.4f} "
              f"{val[af].mean() if af.any() else float('nan'):>9.4f} {resid[b].mean():>9.4f} "
              f"{resid[af].mean() if af.any() else float('nan'):>9.4f} {z:>8.1f} {sd:>7.3f} "
              f"{int((val[b] > 0).sum()):>7} {int((val[af] > 0).sum()):>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
