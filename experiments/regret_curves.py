"""Regret curves of an experiment results folder, in the plain shape the dashboard draws.

The engine's server must not import experiments, so ``offerbandit serve --experiment DIR`` reads
the folder here and hands the app ``{"name", "curves": [{"label", "steps", "regret"}]}``.

The folder holds Parquet files of per-step rows. The curve of a (scenario, policy) is the mean
over seeds of the cumulative regret at each step, thinned to at most ``max_points`` points.

Example:
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"policy": ["a"] * 4, "scenario": ["s"] * 4, "seed": [0, 0, 1, 1],
    ...                      "step": [0, 1, 0, 1], "regret": [1.0, 0.0, 0.0, 1.0]})
    >>> curves_from_rows(rows)[0]
    {'label': 's / a', 'steps': [0, 1], 'regret': [0.5, 1.0]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["curves_from_rows", "load_regret_curves"]

_STEP = ("step", "t", "round")
_CUMULATIVE = ("cumulative_regret", "cum_regret")
_INSTANT = ("regret", "instant_regret")
_SERIES = ("scenario", "policy")
_SEED = ("seed", "replicate")


def _first(columns: Any, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in columns), None)


def curves_from_rows(rows: pd.DataFrame, max_points: int = 200) -> list[dict[str, Any]]:
    """Mean cumulative regret per step of every (scenario, policy) in per-step rows.

    Args:
        rows: one row per step with a step column (``step``/``t``), a ``policy`` (and optionally
            ``scenario`` and ``seed``) column, and ``cumulative_regret`` or per-step ``regret``.
        max_points: thin each curve to at most this many points.

    Raises:
        ValueError: a needed column is missing (the message names the columns found).
    """
    step = _first(rows.columns, _STEP)
    cum, inst = _first(rows.columns, _CUMULATIVE), _first(rows.columns, _INSTANT)
    if step is None or "policy" not in rows.columns or (cum is None and inst is None):
        raise ValueError(f"results rows: expected columns step, policy and regret (or "
                         f"cumulative_regret), got {sorted(rows.columns)}")
    series = [c for c in _SERIES if c in rows.columns]
    seed = _first(rows.columns, _SEED)
    rows = rows.sort_values([*series, *([seed] if seed else []), step])
    if cum is None:
        rows = rows.assign(_cum=rows.groupby([*series, *([seed] if seed else [])])[inst].cumsum())
        cum = "_cum"
    curves = []
    for key, group in rows.groupby(series, sort=True):
        mean = group.groupby(step)[cum].mean()
        idx = np.unique(np.linspace(0, len(mean) - 1, min(max_points, len(mean))).astype(int))
        label = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        curves.append({"label": label, "steps": [int(s) for s in mean.index[idx]],
                       "regret": [float(v) for v in mean.to_numpy()[idx]]})
    return curves


def load_regret_curves(results_dir: Path, max_points: int = 200) -> dict[str, Any]:
    """Read every Parquet file under ``results_dir`` into dashboard curves.

    Raises:
        FileNotFoundError: the folder holds no Parquet file.
    """
    files = sorted(Path(results_dir).rglob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"experiment: no .parquet files under {str(results_dir)!r}")
    rows = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return {"name": Path(results_dir).name, "curves": curves_from_rows(rows, max_points)}
