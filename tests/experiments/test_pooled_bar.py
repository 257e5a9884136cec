"""``benchmarks/pooled_bar.py``: the bar judged over pairs from folders of both kinds of draws,
a seed in sequence and the same seed with common draws counted as two worlds (stop 54)."""

from __future__ import annotations

import json

import pytest

from benchmarks import pooled_bar

A, B = "engine default", "vw regcb-opt costs declared"


def _folder(path, draws, values, horizon=6000):
    path.mkdir()
    recs = []
    for seed, (a, b) in enumerate(values):
        for label, v in ((A, a), (B, b)):
            rec = {"world": "capacity", "learner": label, "seed": seed, "chosen": v,
                   "capture": v, "horizon": horizon}
            if draws != "sequence":
                rec["draws"] = draws
            recs.append(rec)
    (path / "cells.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    return str(path)


def test_a_seed_of_each_draws_is_a_pair_of_its_own_and_a_repeated_cell_counts_once(
        tmp_path, capsys):
    """Catches pairs keyed by the seed alone: the common cells of seeds 0-2 would overwrite the
    sequence ones (3 pairs, mean -0.04, not -0.025 over 6)."""
    seq = _folder(tmp_path / "seq", "sequence", [(0.08, 0.1), (0.08, 0.1), (0.08, 0.1)])
    com = _folder(tmp_path / "com", "common", [(0.05, 0.1), (0.05, 0.1), (0.05, 0.1)])
    argv = ["--world", "capacity", "--learner", A, "--best", B, "--metrics", "chosen"]
    assert pooled_bar.main([*argv, "--folder", seq, "--folder", com, "--folder", seq]) == 0
    out = capsys.readouterr().out
    assert "draws (common, sequence)" in out
    assert "chosen: -0.025 [-0.042, -0.008] (6): below 0.9 x best, separated" in out
    assert pooled_bar.main([*argv, "--folder", f"{com}:sequence", "--folder", seq]) == 0
    assert "chosen: -0.010 [-0.010, -0.010] (3)" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="draws one of sequence, common"):
        pooled_bar.main([*argv, "--folder", f"{seq}:keyed"])
    full = _folder(tmp_path / "full", "common", [(0.05, 0.1)] * 3, horizon=40000)
    with pytest.raises(SystemExit, match="several horizons"):
        pooled_bar.main([*argv, "--folder", seq, "--folder", full])
    with pytest.raises(SystemExit, match=r"no cells\.jsonl"):
        pooled_bar.main([*argv, "--folder", str(tmp_path / "none")])
