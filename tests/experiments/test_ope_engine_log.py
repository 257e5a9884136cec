"""The engine's own log, exported to Parquet, evaluated by ``offerbandit ope``: real Engine,
real SQLite, real Parquet."""

from __future__ import annotations

import json

import numpy as np
import pytest

from experiments.cli import main
from experiments.ope.parquet_log import read_parquet_log

engine_mod = pytest.importorskip("engine")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("engine_ope")
    rng = np.random.default_rng(0)
    rules = {"max_per_day": None, "max_per_week": None, "quiet_hours": None,
             "consent_required": False}
    with engine_mod.Engine(messages=["welcome10", "winback20"], channels=["email", "sms"],
                           timings=["now"], state_dir=tmp / "state", seed=0,
                           rules=rules) as eng:
        for i in range(300):
            seg = "vip" if i % 3 == 0 else "regular"
            d = eng.choose(f"c{i}", {"age": int(rng.integers(18, 80)), "segment": seg},
                           now=1_700_000_000.0 + i)
            # vips answer sms; leave some decisions without a reward (not yet known)
            if i % 10 != 9:
                eng.reward(d.decision_id, float(d.channel == "sms" and seg == "vip"),
                           now=1_700_000_000.0 + i + 1)
        n = eng.export_parquet(tmp / "log.parquet")
        k = len(eng.catalog.actions)
    return tmp / "log.parquet", n, k


def test_export_reads_as_logged_decisions(exported):
    path, n, k = exported
    log = read_parquet_log(path, n_actions=k)
    assert n == 300
    assert log.n == 270 and dict(log.skipped) == {"no reward yet": 30}
    assert log.n_actions == k
    assert "age" in log.context_names and "segment=vip" in log.context_names
    assert np.all((log.propensities > 0) & (log.propensities <= 1))
    assert np.all(log.eligible[np.arange(log.n), log.actions])
    assert any("/" in name for name in log.action_names)  # names like welcome10/email/now


def test_ope_command_on_the_engine_export(exported, capsys):
    path, _, k = exported
    rc = main(["ope", "--log", str(path), "--format", "parquet", "--n-actions", str(k),
               "--target", "random", "--estimators", "ips,snips,dr", "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rc == 0 and [r["n"] for r in rows] == [270] * 3
    for r in rows:
        assert r["ci_low"] <= r["value"] <= r["ci_high"]
