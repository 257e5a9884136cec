"""The results folder of a run: one Parquet file per cell under ``<results>/cells/``, a manifest.

A cell's file appears atomically (:func:`engine.parquet_file.write_parquet`, the project's one
Parquet writer), so a file that exists is a finished cell: that is what makes a run resumable.
The manifest (``manifest.json``) records the spec, and per cell its status (``done``,
``skipped`` = already there, ``failed``), seconds, attempts and error.

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_cell(d, "s__p__seed0", [{"policy": "p", "step": 10, "regret": 1.5}])
    ...     has_cell(d, "s__p__seed0"), read_results(d)["regret"].tolist()
    (True, [1.5])
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from engine.parquet_file import write_parquet
from experiments.errors import ResultsError

__all__ = ["CELLS_DIR", "MANIFEST", "cell_path", "has_cell", "read_manifest", "read_results",
           "write_cell", "write_manifest"]

CELLS_DIR = "cells"
MANIFEST = "manifest.json"


def cell_path(results_dir: str | os.PathLike, cell_id: str) -> Path:
    """Where the cell's Parquet file lives."""
    return Path(results_dir) / CELLS_DIR / f"{cell_id}.parquet"


def has_cell(results_dir: str | os.PathLike, cell_id: str) -> bool:
    """Whether the cell finished in an earlier run (its file exists)."""
    return cell_path(results_dir, cell_id).is_file()


def write_cell(results_dir: str | os.PathLike, cell_id: str,
               records: Sequence[Mapping[str, Any]]) -> Path:
    """Write a cell's records (flat dicts, one per window) as one Parquet file, atomically.

    Raises:
        ResultsError: no records.
    """
    if not records:
        raise ResultsError(f"records of cell {cell_id!r}: expected at least one row, got none")
    path = cell_path(results_dir, cell_id)
    table = pa.Table.from_pylist([dict(r) for r in records])
    write_parquet(path, table.schema, [table])
    return path


def read_results(results_dir: str | os.PathLike) -> pd.DataFrame:
    """Every cell's rows as one DataFrame.

    Raises:
        ResultsError: the folder holds no cell file.
    """
    files = sorted((Path(results_dir) / CELLS_DIR).glob("*.parquet"))
    if not files:
        raise ResultsError(f"results: expected cell files under {str(results_dir)!r}/"
                           f"{CELLS_DIR}, found none (run `offerbandit experiment run` first)")
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def write_manifest(results_dir: str | os.PathLike, manifest: Mapping[str, Any]) -> Path:
    """Write ``manifest.json`` (atomically, like the cells)."""
    path = Path(results_dir) / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, default=str))
    os.replace(tmp, path)
    return path


def read_manifest(results_dir: str | os.PathLike) -> dict[str, Any]:
    """The manifest, or an empty dict when the folder has none."""
    path = Path(results_dir) / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else {}
