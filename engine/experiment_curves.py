"""An experiment's regret curves, read for the dashboard from the file the lab writes.

``offerbandit experiment run`` (and ``report``) write :data:`CURVES_FILE` into the results folder:
``{"name", "metric", "unit", "policies", "curves": [{"label", "scenario", "policy", "steps",
"regret", "lo", "hi"}, ...]}`` (``unit``, ``policies``, ``scenario`` and ``policy`` may be
missing from older files). The engine reads that file, never the lab's code: the JSON is the
contract between the two rooms.

Example:
    >>> import json, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (pathlib.Path(d) / CURVES_FILE).write_text(json.dumps({"name": "x",
    ...         "metric": "m", "curves": [{"label": "s / a", "steps": [1], "regret": [0.1],
    ...                                     "lo": [None], "hi": [None]}]}))
    ...     read_experiment_curves(d)["curves"][0]["label"]
    's / a'
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

__all__ = ["CURVES_FILE", "read_experiment_curves"]

CURVES_FILE = "dashboard_curves.json"
_CURVE_KEYS = ("label", "steps", "regret", "lo", "hi")


def read_experiment_curves(results_dir: str | os.PathLike) -> dict[str, Any]:
    """The regret curves of an experiment results folder, checked.

    Raises:
        ConfigError: the folder holds no curves file (run ``offerbandit experiment report DIR``
            to write it) or the file is malformed; the message names the file and the key.
    """
    path = Path(results_dir) / CURVES_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--experiment: {str(path)!r} does not exist; run `offerbandit "
                          f"experiment report {results_dir}` to write it") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--experiment: cannot read {str(path)!r}: {exc}") from None
    curves = doc.get("curves") if isinstance(doc, dict) else None
    if not isinstance(curves, list):
        raise ConfigError(f"--experiment: {str(path)!r}: expected an object with a 'curves' list")
    for i, curve in enumerate(curves):
        missing = [k for k in _CURVE_KEYS if not isinstance(curve, dict) or k not in curve]
        if missing:
            raise ConfigError(f"--experiment: {str(path)!r}: curves[{i}] lacks {missing[0]!r}")
    return {"name": str(doc.get("name", Path(results_dir).name)),
            "metric": str(doc.get("metric", "")), "unit": str(doc.get("unit", "")),
            "policies": [str(p) for p in doc.get("policies", [])], "curves": curves}
