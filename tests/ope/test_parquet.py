"""Reading the engine's Parquet export (decisions joined with rewards)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ope import LogFormatError
from ope.readers.parquet_log import read_parquet_log


def _write(path, metadata=None, **columns):
    base = {
        "decision_id": ["d1", "d2", "d3", "d4", "d5"],
        "created_at": [5.0, 1.0, 2.0, 3.0, 4.0],
        "action_index": [2, 0, 1, 0, 1],
        "probability": [0.5, 0.25, 0.5, 0.5, 0.75],
        "eligible": [[0, 1, 2], [0, 1], [1], [0, 2], [1, 2]],
        "context": [json.dumps({"age": a, "segment": s})
                    for a, s in ((50, "vip"), (10, "new"), (20, "vip"), (30, "new"), (40, "vip"))],
        "reward": [1.0, 0.0, None, 1.0, 0.0],
        "active": [True, True, True, True, False],
        "holdout": [False, False, False, True, False],
    }
    base.update(columns)
    table = pa.table({k: v for k, v in base.items() if v is not None})
    if metadata:
        table = table.replace_schema_metadata(metadata)
    pq.write_table(table, path)
    return path


def test_rows_are_sorted_and_filtered(tmp_path):
    log = read_parquet_log(_write(tmp_path / "x.parquet"), n_actions=3)
    # kept: d2 (t=1) and d1 (t=5); d3 no reward, d4 holdout, d5 inactive
    assert log.actions.tolist() == [0, 2]
    assert log.propensities.tolist() == [0.25, 0.5]
    assert log.rewards.tolist() == [0.0, 1.0]
    assert log.eligible.tolist() == [[True, True, False], [True, True, True]]
    assert log.context_names == ("age", "segment=new", "segment=vip")
    assert log.contexts.tolist() == [[10.0, 1.0, 0.0], [50.0, 0.0, 1.0]]
    assert dict(log.skipped) == {"no reward yet": 1, "holdout (control group)": 1,
                                 "inactive": 1}


def test_rows_without_an_action_are_skipped(tmp_path):
    log = read_parquet_log(_write(tmp_path / "x.parquet", action_index=[2, -1, 1, 0, 1]),
                           n_actions=3)
    assert log.actions.tolist() == [2] and dict(log.skipped)["no action (index -1)"] == 1


def test_action_names_from_schema_metadata(tmp_path):
    meta = {b"action_names": json.dumps(["a/email/now", "b/sms/now", "no_contact"]).encode()}
    log = read_parquet_log(_write(tmp_path / "x.parquet", metadata=meta))
    assert log.action_names == ("a/email/now", "b/sms/now", "no_contact")


def test_an_n_actions_that_contradicts_the_metadata_is_refused(tmp_path):
    meta = {b"action_names": json.dumps(["a/email/now", "b/sms/now", "no_contact"]).encode()}
    path = _write(tmp_path / "x.parquet", metadata=meta)
    with pytest.raises(LogFormatError, match=r"n_actions \(--n-actions\): expected 3, .* got 49"):
        read_parquet_log(path, n_actions=49)
    assert read_parquet_log(path, n_actions=3).n_actions == 3  # agreeing is fine


def test_minimal_columns(tmp_path):
    path = _write(tmp_path / "x.parquet", eligible=None, context=None, active=None,
                  holdout=None, created_at=None, decision_id=None)
    log = read_parquet_log(path)
    assert log.n == 4 and log.n_actions == 3 and log.contexts.shape == (4, 0)
    assert np.all(log.eligible)


@pytest.mark.parametrize(("columns", "match"), [
    ({"probability": None}, r"missing column\(s\) probability"),
    ({"reward": [None] * 5}, r"no rewarded decisions to evaluate"),
    ({"context": ["{", "{}", "{}", "{}", "{}"]}, r"column context holds invalid JSON"),
])
def test_bad_files(tmp_path, columns, match):
    with pytest.raises(LogFormatError, match=match):
        read_parquet_log(_write(tmp_path / "x.parquet", **columns))


def test_too_few_action_names_and_missing_file(tmp_path):
    with pytest.raises(LogFormatError, match=r"action indices must be in \[0, 2\)"):
        read_parquet_log(_write(tmp_path / "x.parquet"), n_actions=2)
    with pytest.raises(LogFormatError, match="does not exist"):
        read_parquet_log(tmp_path / "none.parquet")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(LogFormatError, match="cannot read"):
        read_parquet_log(tmp_path / "junk.parquet")
