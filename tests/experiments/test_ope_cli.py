"""``offerbandit ope`` end to end on real files: DSJSON and a Parquet log."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.cli import main
from experiments.ope import estimate
from experiments.ope.synthetic_world import SyntheticWorld

TINY = Path(__file__).parents[1] / "ope" / "data" / "tiny.dsjson"


@pytest.fixture(scope="module")
def parquet_log(tmp_path_factory):
    world = SyntheticWorld(n_actions=3, context_dim=2, seed=0)
    log = world.sample_log(3000, seed=1)
    contexts = [json.dumps({"x0": float(a), "x1": float(b)}) for a, b in log.contexts]
    table = pa.table({
        "decision_id": [f"d{i}" for i in range(log.actions.size)],
        "created_at": np.arange(log.actions.size, dtype=float),
        "action_index": log.actions, "probability": log.propensities,
        "eligible": [[0, 1, 2]] * log.actions.size, "context": contexts, "reward": log.rewards,
    }).replace_schema_metadata({b"action_names": json.dumps(["a", "b", "c"]).encode()})
    path = tmp_path_factory.mktemp("ope") / "log.parquet"
    pq.write_table(table, path)
    return path, log


def test_dsjson_table(capsys):
    rc = main(["ope", "--log", str(TINY), "--format", "dsjson", "--target", "random",
               "--estimators", "ips,snips"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "4 decisions, 3 actions" in out and "skipped" in out
    ips_line = next(line for line in out.splitlines() if line.startswith("ips "))
    assert ips_line.split()[1] == f"{((1 / 3) / 0.8 + (1 / 3) / 0.5) / 4:.4f}"
    assert "delta method" in out


def test_parquet_json_matches_the_library(parquet_log, capsys):
    path, log = parquet_log
    rc = main(["ope", "--log", str(path), "--format", "parquet", "--target", "random",
               "--estimators", "ips,dr,switch_dr", "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rc == 0 and [r["estimator"] for r in rows] == ["ips", "dr", "switch_dr"]
    uniform = np.full((log.actions.size, 3), 1 / 3)
    want = estimate("ips", log.rewards, log.actions, log.propensities, uniform)
    assert rows[0]["value"] == pytest.approx(want.value)
    # uniform's value on these contexts: the mean of every action's expected reward
    world = SyntheticWorld(n_actions=3, context_dim=2, seed=0)
    truth = float(world.mean_reward(log.contexts).mean())
    assert rows[1]["ci_low"] - 0.02 < truth < rows[1]["ci_high"] + 0.02


def test_trained_target_is_evaluated_on_the_rest(parquet_log, capsys):
    path, _ = parquet_log
    rc = main(["ope", "--log", str(path), "--format", "parquet", "--target", "epsilon_greedy",
               "--target-param", "epsilon=0.1", "--train-fraction", "0.5",
               "--estimators", "snips,dr", "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rc == 0 and all(r["n"] == 1500 for r in rows)


@pytest.mark.parametrize(("extra", "match"), [
    (["--target", "nope"], "target policy 'nope': unknown policy"),
    (["--target", "engine"], "--target engine needs --engine-state DIR and --catalog PATH"),
    (["--target", "random", "--train-fraction", "1.5"], r"train fraction must be in \[0, 1\)"),
    (["--target", "epsilon_greedy", "--target-param", "epsilon=7"], "target policy"),
])
def test_bad_input_exits_2_with_a_message(parquet_log, capsys, extra, match):
    path, _ = parquet_log
    rc = main(["ope", "--log", str(path), "--format", "parquet", *extra])
    assert rc == 2
    assert re.search(match, capsys.readouterr().err)


def test_missing_log_and_bad_estimator(capsys):
    assert main(["ope", "--log", "nowhere.json", "--format", "dsjson", "--target", "random"]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ope", "--log", str(TINY), "--format", "dsjson", "--target", "random",
              "--estimators", "ips,magic"])
    assert "estimators must be a comma list" in capsys.readouterr().err


def test_simulated_log_prints_the_truth(capsys):
    rc = main(["ope", "--log", "small", "--format", "simulator", "--logger", "random",
               "--rows", "2000", "--target", "random", "--estimators", "ips,dr"])
    out = capsys.readouterr().out
    assert rc == 0
    truth = float(next(line for line in out.splitlines() if line.startswith("truth")).split()[1])
    # target = logger (uniform over eligible): IPS weights are all 1, so IPS is the mean reward
    ips = next(line for line in out.splitlines() if line.startswith("ips ")).split()
    assert float(ips[2]) <= truth <= float(ips[3])
    assert "warning" not in out


def test_thin_overlap_is_flagged(capsys):
    rc = main(["ope", "--log", "small", "--format", "simulator", "--logger", "random",
               "--rows", "2000", "--target", "epsilon_greedy", "--target-param", "epsilon=0",
               "--train-fraction", "0.5", "--estimators", "snips"])
    assert rc == 0 and "warning: effective sample size" in capsys.readouterr().out
