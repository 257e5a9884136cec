"""Parquet export of the log: schema, joined rewards, the since filter, the CLI, a real Engine."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from engine import Engine
from engine.cli import main
from engine.clock import ManualClock
from engine.parquet_export import SCHEMA, export_parquet
from engine.store import DecisionLog, DecisionRecord


def rec(did: str, at: float, channel: str | None = "email", active: bool = True,
        holdout: bool = False) -> DecisionRecord:
    return DecisionRecord(did, f"cust-{did}", at, 0 if channel else 4, 0.5, holdout,
                          json.dumps({"age": 30}), json.dumps({"c": {"age": 30}}), (0, 2, 4),
                          at + 5 if channel else None, active, "v1",
                          "m" if channel else None, channel, "now" if channel else None)


@pytest.fixture()
def log(tmp_path):
    with DecisionLog(tmp_path / "state") as store:
        store.write_decision(rec("a", 10.0))
        store.write_decision(rec("b", 20.0, channel=None, holdout=True))
        store.write_decision(rec("c", 30.0, active=False))
        store.write_reward("a", 1.0, at=11.0)
        store.write_reward("a", -0.25, at=12.0, kind="correction")
        store.write_reward("b", 0.0, at=99.0, kind="default")
        yield store


def test_rows_and_schema(log, tmp_path):
    out = tmp_path / "deep" / "log.parquet"
    assert export_parquet(log, out) == 3
    table = pq.read_table(out)
    assert table.schema.equals(SCHEMA)
    rows = {r["decision_id"]: r for r in table.to_pylist()}
    assert [r["decision_id"] for r in table.to_pylist()] == ["a", "b", "c"]
    a, b, c = rows["a"], rows["b"], rows["c"]
    assert (a["reward"], a["reward_kind"]) == (0.75, "reward,correction")
    assert (b["reward"], b["reward_kind"]) == (0.0, "default")
    assert (c["reward"], c["reward_kind"]) == (None, None)
    assert a["action_name"] == "m/email/now" and b["action_name"] == "no_contact"
    assert (a["message"], a["channel"], a["timing"]) == ("m", "email", "now")
    assert b["message"] is None and b["holdout"] and not a["holdout"]
    assert a["eligible"] == [0, 2, 4] and a["n_eligible"] == 3
    assert json.loads(a["context"]) == {"age": 30} and json.loads(a["features"])["c"]
    assert a["probability"] == 0.5 and a["catalog_version"] == "v1"
    assert a["send_at"] == 15.0 and b["send_at"] is None
    assert a["active"] and not c["active"] and c["activated_at"] is None
    assert not list(tmp_path.glob("deep/.*tmp"))


def test_since_filter_and_empty_export(log, tmp_path):
    assert export_parquet(log, tmp_path / "s.parquet", since=20.0) == 2
    assert pq.read_table(tmp_path / "s.parquet").column("decision_id").to_pylist() == ["b", "c"]
    assert export_parquet(log, tmp_path / "none.parquet", since=1e12) == 0
    empty = pq.read_table(tmp_path / "none.parquet")
    assert empty.num_rows == 0 and empty.schema.equals(SCHEMA)


def test_export_replaces_an_existing_file(log, tmp_path):
    out = tmp_path / "x.parquet"
    export_parquet(log, out)
    assert export_parquet(log, out, since=25.0) == 1
    assert pd.read_parquet(out)["decision_id"].tolist() == ["c"]


def test_pagination_keeps_every_row_once(tmp_path):
    with DecisionLog(tmp_path) as log:
        for i in range(23):
            log.write_decision(rec(f"d{i:02d}", at=float(i // 4)))  # ties on created_at
        batches = list(log.iter_export_rows(batch=5))
        ids = [row[0] for b in batches for row in b]
        assert len(batches) == 5 and sorted(ids) == ids and len(set(ids)) == 23


def test_cli_export(log, tmp_path, capsys):
    out = tmp_path / "cli.parquet"
    assert main(["export", "--state-dir", str(tmp_path / "state"), "--out", str(out),
                 "--since", "1970-01-01T00:00:15"]) == 0
    assert "2 decisions" in capsys.readouterr().out
    assert pq.read_table(out).column("decision_id").to_pylist() == ["b", "c"]


def test_cli_refuses_a_folder_without_a_log(tmp_path, capsys):
    assert main(["export", "--state-dir", str(tmp_path / "nothing"), "--out",
                 str(tmp_path / "o.parquet")]) == 2
    assert "--state-dir: expected a folder holding decisions.sqlite3" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists()


def test_cli_refuses_a_bad_since(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["export", "--state-dir", str(tmp_path), "--out", "x", "--since", "yesterday"])
    assert "--since: expected an ISO date" in capsys.readouterr().err


def test_engine_log_exports_for_off_policy_evaluation(tmp_path):
    with Engine(messages=["a", "b"], channels=["email", "sms"], timings=["now", "evening"],
                state_dir=tmp_path / "s", seed=1, rules={"quiet_hours": False},
                clock=ManualClock(1.7e9)) as eng:
        ids = []
        for i in range(20):
            d = eng.choose(f"c{i}", {"consent": {"email": True, "sms": i % 2 == 0}},
                           now=1.7e9 + i)
            ids.append(d)
            if i % 3 == 0:
                eng.reward(d.decision_id, 1.0, now=1.7e9 + 100)
        assert eng.export_parquet(tmp_path / "e.parquet") == 20
    rows = {r["decision_id"]: r for r in pq.read_table(tmp_path / "e.parquet").to_pylist()}
    assert sum(r["reward"] is not None for r in rows.values()) == 7
    for d in ids:
        row = rows[d.decision_id]
        assert row["action_index"] == d.action_index and row["probability"] == d.probability
        assert row["channel"] == d.channel and d.action_index in row["eligible"]
        assert 0 < row["probability"] <= 1
