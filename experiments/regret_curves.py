"""An experiment's regret curves, in the plain shape the dashboard draws.

The engine's server never imports the lab: ``offerbandit experiment run`` and ``report`` write the
curves as JSON into the results folder (:func:`write_regret_curves`, the file
:data:`engine.experiment_curves.CURVES_FILE`), and ``offerbandit serve --experiment DIR`` reads that
file: ``{"name", "metric", "unit", "policies", "curves": [{"label", "scenario", "policy",
"steps", "regret", "lo", "hi"}]}`` (``policies``: the labels in the spec's order, so a policy
keeps its colour in every chart, as in the report). The numbers are
:func:`experiments.metrics.regret_curves` (one implementation: cumulative regret per treated
decision at each window end, mean over seeds with its interval) on
:func:`experiments.results_io.read_results`, per 1,000 customers as everywhere in the report;
this module only thins, scales and reshapes them.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"scenario": "s", "policy": "a", "step": [100, 200],
    ...                       "regret": [0.2, 0.1], "lo": [0.1, 0.05], "hi": [0.3, 0.15]})
    >>> curve = curves_from_frame(frame)[0]
    >>> curve["label"], curve["scenario"], curve["policy"], curve["regret"]
    ('s / a', 's', 'a', [200.0, 100.0])
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.experiment_curves import CURVES_FILE
from experiments.metrics import regret_curves
from experiments.results_io import read_manifest, read_results

__all__ = ["METRIC", "curves_from_frame", "load_regret_curves", "write_regret_curves"]

METRIC = "average regret over the decisions so far (mean over seeds, 95% CI)"


def _finite(values: np.ndarray) -> list[float | None]:
    # JSON has no NaN: an interval that cannot be computed (one seed) is sent as null.
    return [float(v) if math.isfinite(v) else None for v in values]


def curves_from_frame(curves: pd.DataFrame, max_points: int = 200) -> list[dict[str, Any]]:
    """One dashboard curve per (scenario, policy), thinned to at most ``max_points`` points,
    regret per 1,000 customers.

    Args:
        curves: the output of :func:`experiments.metrics.regret_curves` (columns scenario,
            policy, step, regret, lo, hi).
        max_points: keep at most this many points per curve (always the first and the last).
    """
    out = []
    for (scenario, policy), g in curves.sort_values("step").groupby(["scenario", "policy"],
                                                                    sort=True):
        idx = np.unique(np.linspace(0, len(g) - 1, min(max_points, len(g))).astype(int))
        g = g.iloc[idx]
        out.append({"label": f"{scenario} / {policy}", "scenario": str(scenario),
                    "policy": str(policy), "steps": [int(s) for s in g["step"]],
                    "regret": _finite(1000 * g["regret"].to_numpy(float)),
                    "lo": _finite(1000 * g["lo"].to_numpy(float)),
                    "hi": _finite(1000 * g["hi"].to_numpy(float))})
    return out


def load_regret_curves(results_dir: str | os.PathLike, max_points: int = 200) -> dict[str, Any]:
    """Read a results folder (``offerbandit experiment run --out DIR``) into dashboard curves.

    Raises:
        ResultsError: the folder holds no cell file (a ``ValueError``).
    """
    rows = read_results(results_dir)
    spec = read_manifest(results_dir).get("spec", {})
    labels = [p.get("label") or p.get("name") for p in spec.get("policies", [])]
    seen = set(rows["policy"].unique())
    policies = [p for p in labels if p in seen] + sorted(seen - set(labels))
    return {"name": Path(results_dir).name, "metric": METRIC,
            "unit": f"{spec.get('currency', 'EUR')} per 1,000 customers", "policies": policies,
            "curves": curves_from_frame(regret_curves(rows), max_points)}


def write_regret_curves(results_dir: str | os.PathLike, max_points: int = 200) -> Path:
    """Write the dashboard's curves file into ``results_dir`` (atomically) and return its path."""
    path = Path(results_dir) / CURVES_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(load_regret_curves(results_dir, max_points)), encoding="utf-8")
    os.replace(tmp, path)
    return path
