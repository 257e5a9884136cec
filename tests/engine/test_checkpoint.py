"""Checkpoints hold everything; a restart = checkpoint + replay; a kill loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import Engine
from engine.candidate_learners import new_learner
from engine.errors import CheckpointError
from engine.features import action_feature_sets
from engine.reward_scale import RewardScale
from tests.engine.engine_world import make_engine, probe, readout, stream

ROOT = Path(__file__).resolve().parents[2]


def _from_log_alone(eng: Engine) -> np.ndarray:
    """Fresh learners (one per candidate) fed every logged reward once, in sequence order: the
    log's models, read as :func:`probe` reads them."""
    sel = eng._selection
    out = []
    for name in [sel.serving, *(n for n in sel.learners if n != sel.serving)]:
        scale = RewardScale()
        with new_learner(eng.options.candidate(name).config, seed=eng.seed) as ref:
            ref.set_actions(action_feature_sets(eng.catalog, eng.options.prune_features))
            for seq, rec, _, _ in eng.log.rewards_since(0):
                if rec.holdout or rec.action_index < 0:
                    continue
                total = sum(v for s, v, _, _ in eng.log.rewards_of(rec.decision_id) if s <= seq)
                if eng.options.reward_scale:
                    scale.observe(total)
                    total = scale.normalise(total)
                ref.learn(json.loads(rec.features_json), rec.eligible, rec.action_index,
                          rec.probability, total)
            out.append(readout(ref))
    return np.concatenate(out)


def test_restart_resumes_from_checkpoint_plus_replay(tmp_path):
    eng = make_engine(tmp_path, checkpoint_every=10)
    stream(eng, 0, 95)  # last checkpoint at 90: 5 rewards to replay
    expected = probe(eng)
    eng.log.close()  # a crash: no checkpoint on close
    eng._selection.close()
    sidecar = json.loads((tmp_path / "checkpoint.json").read_text())
    assert sidecar["learned_seq"] == 90
    with make_engine(tmp_path, checkpoint_every=10) as again:
        assert again.stats()["replayed_on_start"] == 5
        assert again.stats()["learned_seq"] == 95
        np.testing.assert_array_equal(probe(again), expected)
        np.testing.assert_array_equal(probe(again), _from_log_alone(again))


def test_close_writes_a_checkpoint_and_nothing_is_replayed(tmp_path):
    with make_engine(tmp_path) as eng:
        stream(eng, 0, 30)
        expected = probe(eng)
    with make_engine(tmp_path) as again:
        assert again.stats()["replayed_on_start"] == 0
        np.testing.assert_array_equal(probe(again), expected)
    names = [c.name for c in eng.options.candidate_specs]
    assert sorted(p.name for p in tmp_path.glob("model-*.vw")) == sorted(
        f"model-30-{n}.vw" for n in names)


@pytest.mark.parametrize("change, match", [
    ({"messages": ["welcome", "other"]}, "checkpoint catalog_version"),
    ({"exploration": "squarecb"}, "checkpoint learner_config"),
])
def test_a_checkpoint_of_another_catalog_or_config_is_refused(tmp_path, change, match):
    with make_engine(tmp_path) as eng:
        stream(eng, 0, 5)
    kwargs = {"messages": ["welcome", "winback"], "channels": ["email", "sms"],
              "timings": ["now"], **change}
    with pytest.raises(CheckpointError, match=match):
        Engine(state_dir=tmp_path, **kwargs)


def test_a_corrupt_sidecar_is_refused(tmp_path):
    with make_engine(tmp_path) as eng:
        stream(eng, 0, 3)
    (tmp_path / "checkpoint.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"checkpoint\.json: expected a checkpoint sidecar"):
        make_engine(tmp_path)


def test_the_estimates_correctable_rows_are_one_file_beside_the_models(tmp_path):
    # stop 49: without them a conversion after a restart counted its decision twice
    with make_engine(tmp_path, checkpoint_every=10) as eng:
        stream(eng, 0, 25)
        kept = {n: v.n_kept for n, v in eng._selection.values.items()}
    assert [p.name for p in tmp_path.glob("rows-*.npz")] == ["rows-25.npz"]  # older ones gone
    sidecar = json.loads((tmp_path / "checkpoint.json").read_text())
    assert sidecar["rows_file"] == "rows-25.npz"
    with make_engine(tmp_path) as again:
        assert {n: v.n_kept for n, v in again._selection.values.items()} == kept
        assert set(kept.values()) == {25}


@pytest.mark.parametrize("damage, match", [
    ("missing", r"rows file 'rows-5\.npz' is missing"),
    ("corrupt", r"rows file 'rows-5\.npz': expected NumPy arrays"),
    ("wrong", r"rows file: kept rows: expected n rows in increasing seq"),
])
def test_a_damaged_rows_file_is_refused_naming_it(tmp_path, damage, match):
    with make_engine(tmp_path) as eng:
        stream(eng, 0, 5)
    path = tmp_path / "rows-5.npz"
    if damage == "missing":
        path.unlink()
    elif damage == "corrupt":
        path.write_bytes(b"not a zip")
    else:
        arrays = dict(np.load(path))
        arrays["e0.seq"] = arrays["e0.seq"][::-1].copy()
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    with pytest.raises(CheckpointError, match=match):
        make_engine(tmp_path)


def test_a_checkpoint_without_a_rows_file_resumes_with_no_row_kept(tmp_path):
    # a checkpoint written before stop 49: its corrections fall back to rows of their own
    with make_engine(tmp_path) as eng:
        stream(eng, 0, 20)
        expected = probe(eng)
        n = {name: v.n for name, v in eng._selection.values.items()}
    sidecar = json.loads((tmp_path / "checkpoint.json").read_text())
    (tmp_path / sidecar.pop("rows_file")).unlink()
    (tmp_path / "checkpoint.json").write_text(json.dumps(sidecar))
    with make_engine(tmp_path) as again:
        np.testing.assert_array_equal(probe(again), expected)
        assert {name: v.n for name, v in again._selection.values.items()} == n
        assert {v.n_kept for v in again._selection.values.values()} == {0}


def test_sigkill_at_a_random_moment_loses_nothing_and_learns_nothing_twice(tmp_path):
    rng = np.random.default_rng(int.from_bytes(os.urandom(4), "little"))
    acked_d, acked_r = set(), set()
    for run, start in enumerate((0, 10_000)):  # killed twice: replay after replay
        kill_after = int(rng.integers(40, 160))
        child = subprocess.Popen([sys.executable, "-m", "tests.engine.crash_child",
                                  str(tmp_path), str(start)], cwd=ROOT,
                                 stdout=subprocess.PIPE, text=True)
        for lines, line in enumerate(child.stdout, start=1):
            kind, did = line.split()
            (acked_d if kind == "D" else acked_r).add(did)
            if lines == kill_after:
                child.send_signal(signal.SIGKILL)
                break
        child.wait()
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL, f"run {run}: the child died on its own"
    with make_engine(tmp_path, checkpoint_every=7) as eng:
        for did in acked_d:
            eng.log.get_decision(did)  # raises if an acknowledged decision is missing
        for did in acked_r:
            assert len(eng.log.rewards_of(did)) == 1, "an acknowledged reward is missing"
        stats = eng.stats()
        assert stats["learned_seq"] == stats["last_seq"] >= len(acked_r)
        np.testing.assert_array_equal(probe(eng), _from_log_alone(eng))
