"""The one place that writes Parquet files: atomically, so a reader never sees half a file.

The table is written to a hidden temporary name beside ``path`` (unique to the process) and
renamed into place; on any failure the temporary file is removed and nothing replaces ``path``.
Used by the engine's log export and by the lab's results folder alike.

Example:
    >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> schema = pa.schema([pa.field("x", pa.int64())])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_parquet(f"{d}/t.parquet", schema, [pa.table({"x": [1, 2]}, schema=schema)])
    ...     pq.read_table(f"{d}/t.parquet")["x"].to_pylist()
    2
    [1, 2]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["write_parquet"]


def write_parquet(path: str | os.PathLike, schema: pa.Schema, tables: Iterable[pa.Table]) -> int:
    """Write ``tables`` (each with ``schema``) as one Parquet file at ``path``, atomically.

    Args:
        path: the file (parent folders are created; an existing file is replaced).
        schema: the file's schema (a file with no rows when ``tables`` is empty).
        tables: the row groups, written in order as they come (memory stays one table deep).

    Returns:
        The number of rows written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    n = 0
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for table in tables:
                writer.write_table(table)
                n += table.num_rows
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return n
