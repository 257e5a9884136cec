"""The one Parquet writer: a failed write leaves neither a partial file nor its temporary."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.parquet_file import write_parquet

SCHEMA = pa.schema([pa.field("x", pa.int64())])


def _tables_then_failure():
    yield pa.table({"x": [1, 2]}, schema=SCHEMA)
    raise RuntimeError("the source failed halfway")


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.parquet"
    write_parquet(path, SCHEMA, [pa.table({"x": [7]}, schema=SCHEMA)])
    with pytest.raises(RuntimeError, match="halfway"):
        write_parquet(path, SCHEMA, _tables_then_failure())
    assert pq.read_table(path)["x"].to_pylist() == [7]  # the old file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_a_table_of_another_schema_is_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "out.parquet"
    with pytest.raises((ValueError, pa.ArrowInvalid)):
        write_parquet(path, SCHEMA, [pa.table({"y": ["a"]})])
    assert list(tmp_path.iterdir()) == []


def test_rows_are_counted_across_row_groups(tmp_path):
    tables = [pa.table({"x": list(range(n))}, schema=SCHEMA) for n in (3, 0, 5)]
    assert write_parquet(tmp_path / "t.parquet", SCHEMA, tables) == 8
    assert pq.read_table(tmp_path / "t.parquet").num_rows == 8
