"""A tiny grid end to end on real Ray: Parquet cells, manifest, report; resume; failures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from experiments import results_io
from experiments.cell import run_cell
from experiments.commands.experiment import run as run_command
from experiments.ray_runner import run_grid
from experiments.report import write_report
from experiments.spec import ExperimentSpec

TINY = {"name": "tiny", "scenarios": ["small"], "seeds": [0, 1], "horizon": 600,
        "batch_size": 100, "window": 200, "holdout_fraction": 0.2,
        "policies": [{"name": "random"}, {"name": "segment_rules"},
                     {"name": "engine", "label": "engine default"}]}


@pytest.fixture(scope="module")
def finished(ray_local, tmp_path_factory):
    out = tmp_path_factory.mktemp("grid")
    spec = ExperimentSpec.from_dict(TINY)
    outcomes = run_grid(spec, out, workers=2, progress=False)
    return spec, out, outcomes


def test_every_cell_is_written_with_its_windows(finished):
    spec, out, outcomes = finished
    assert [o.status for o in outcomes] == ["done"] * 6
    rows = results_io.read_results(out)
    assert len(rows) == 6 * 3
    assert sorted(rows["policy"].unique()) == ["engine default", "random", "segment_rules"]
    assert (rows["n_treated"] + rows["n_holdout"] == 200).all()
    # a cell run by a Ray worker is the cell run here: its spec travelled whole
    cell = next(c for c in spec.cells() if c.policy.name == "segment_rules" and c.seed == 1)
    local = pd.DataFrame(run_cell(cell))
    remote = rows[(rows["policy"] == "segment_rules") & (rows["seed"] == 1)]
    pd.testing.assert_frame_equal(remote[local.columns].sort_values("window")
                                  .reset_index(drop=True), local, check_dtype=False)
    # the holdout is a stable hash of the customer: same share for every policy of a seed
    share = rows.groupby(["seed", "policy"])["n_holdout"].sum().unstack()
    assert (share.nunique(axis=1) == 1).all() and share.to_numpy().min() > 0
    # every decision's total was learned or recorded: realized sums are finite
    assert np.isfinite(rows["reward_treated"]).all()
    manifest = json.loads((out / results_io.MANIFEST).read_text())
    assert manifest["failed"] == [] and manifest["spec"]["horizon"] == 600


def test_report_is_self_contained_and_leads_with_the_verdict(finished):
    _, out, _ = finished
    path = write_report(out)
    text = path.read_text()
    verdict = text[text.index("id='verdict'"):text.index("<h2>Leaderboard")]
    # the engine against the A/B-test baseline, worded by the interval
    assert "engine default" in verdict and "the A/B-test baseline segment_rules" in verdict
    assert "id='few-seeds'" in text  # 2 seeds
    assert text.count("<figure class='chart regret'") == 1 and "<svg" in text
    assert "src=\"http" not in text and "href=\"http" not in text
    assert (out / "regret_small.svg").stat().st_size > 1000
    assert {"leaderboard.csv", "lift.csv", "guardrails.csv", "ab_tests.csv"} <= {
        p.name for p in out.iterdir()}
    manifest = json.loads((out / results_io.MANIFEST).read_text())
    assert manifest["code_version"].startswith("offerbandit ") and manifest["finished_at"]


def test_a_second_run_skips_finished_cells_and_runs_only_missing_ones(finished, capsys):
    spec, out, _ = finished
    victim = results_io.cell_path(out, spec.cells()[0].cell_id)
    before = {p.name: p.stat().st_mtime_ns for p in (out / results_io.CELLS_DIR).iterdir()}
    victim.unlink()
    outcomes = run_grid(spec, out, workers=2, progress=False)
    assert [o.status for o in outcomes] == ["done"] + ["skipped"] * 5
    said = capsys.readouterr().err
    assert "resuming experiment tiny: skipping 5 of 6 cells finished earlier" in said
    assert "small / random: seeds 1\n" in said and "small / engine default: seeds 0, 1" in said
    after = {p.name: p.stat().st_mtime_ns for p in (out / results_io.CELLS_DIR).iterdir()}
    assert {k for k in after if after[k] != before.get(k)} == {victim.name}


def test_a_failing_cell_is_retried_reported_and_not_dropped(ray_local, tmp_path):
    spec = ExperimentSpec.from_dict({**TINY, "seeds": [0], "policies": [
        {"name": "random"}, {"name": "epsilon_greedy", "params": {"epsilon": 5.0}}]})
    outcomes = run_grid(spec, tmp_path, workers=2, retries=1, progress=False)
    bad = outcomes[1]
    assert (outcomes[0].status, bad.status, bad.attempts) == ("done", "failed", 2)
    assert "PolicyConfigError" in bad.error and "epsilon: expected a number in" in bad.error
    assert json.loads((tmp_path / results_io.MANIFEST).read_text())["failed"] == [bad.cell_id]
    assert not results_io.has_cell(tmp_path, bad.cell_id)
    write_report(tmp_path)
    assert "Failed cells" in (tmp_path / "report.html").read_text()


def test_the_command_exits_1_and_still_reports_when_a_cell_fails(ray_local, tmp_path, capsys):
    spec = tmp_path / "g.toml"
    spec.write_text('scenarios = ["small"]\nseeds = [0]\nhorizon = 200\nbatch_size = 100\n'
                    'window = 100\n[[policies]]\nname = "random"\n[[policies]]\n'
                    'name = "lints"\nparams = { n_samples = 0 }\n')
    import argparse

    args = argparse.Namespace(spec=str(spec), out=str(tmp_path / "r"), address=None, workers=2,
                              retries=0, quiet=True)
    assert run_command(args) == 1
    captured = capsys.readouterr()
    assert captured.out.strip().endswith("report.html")
    assert "failed: small__lints__seed0" in captured.err


def test_report_of_an_empty_folder_says_what_to_run(tmp_path, capsys):
    import argparse

    from experiments.commands.experiment import report

    assert report(argparse.Namespace(results=str(tmp_path), currency=None)) == 2
    assert "run `offerbandit experiment run` first" in capsys.readouterr().err


def test_a_bad_spec_file_exits_2_naming_the_field(tmp_path, capsys):
    import argparse

    spec = tmp_path / "bad.toml"
    spec.write_text('scenarios = ["small"]\nseeds = [0]\nhorizon = 100\nbatch_size = 30\n'
                    'window = 100\n[[policies]]\nname = "random"\n')
    args = argparse.Namespace(spec=str(spec), out=str(tmp_path / "r"), address=None, workers=1,
                              retries=0, quiet=True)
    assert run_command(args) == 2
    assert "window: expected a multiple of batch_size=30" in capsys.readouterr().err


@pytest.mark.parametrize("scenario, match", [
    ("smal", "scenarios: unknown scenario 'smal'"),
    ("worlds/missing.toml", "scenarios: scenario file 'worlds/missing.toml' does not exist"),
])
def test_a_spec_naming_a_missing_scenario_is_refused_before_ray_starts(tmp_path, capsys,
                                                                       scenario, match):
    import argparse

    spec = tmp_path / "s.toml"
    spec.write_text(f'scenarios = ["{scenario}"]\nseeds = [0]\nhorizon = 100\nbatch_size = 100\n'
                    'window = 100\n[[policies]]\nname = "random"\n')
    args = argparse.Namespace(spec=str(spec), out=str(tmp_path / "r"), address=None, workers=1,
                              retries=0, quiet=True)
    assert run_command(args) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # run_grid always writes a manifest: it never ran


def test_the_command_is_quiet_about_ray_and_says_what_a_resumed_run_skips(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    spec = tmp_path / "q.toml"
    spec.write_text('scenarios = ["small"]\nseeds = [0]\nhorizon = 200\nbatch_size = 100\n'
                    'window = 100\n[[policies]]\nname = "random"\n')
    cmd = [sys.executable, "-m", "engine.cli", "experiment", "run", str(spec), "--out",
           str(tmp_path / "r"), "--workers", "1", "--quiet"]
    root = Path(__file__).resolve().parents[2]
    first = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300,
                           check=False)
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""  # no Ray banner (token authentication), no warnings
    again = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300,
                           check=False)
    assert again.returncode == 0 and again.stdout.strip().endswith("report.html")
    assert again.stderr.startswith("resuming experiment q: skipping 1 of 1 cells finished "
                                   "earlier")
    assert "small / random: seeds 0" in again.stderr
