"""``benchmarks/trial_shares.py`` reads where each cell's trial ended: a challenger at the floor,
one off trial, one that grew; cells of other learners are not counted."""

from __future__ import annotations

import json

from benchmarks.trial_shares import main


def _write(folder, shares: list[dict], learner: str = "engine default") -> None:
    folder.mkdir()
    rows = [{"world": "w", "seed": i, "learner": learner, "shares": s, "switches": i % 2,
             "serving": max(s, key=s.get)} for i, s in enumerate(shares)]
    rows.append({"world": "w", "seed": 0, "learner": "other", "shares": {}, "switches": 9})
    (folder / "cells.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_the_trial_shares_are_counted_at_the_floor_off_trial_and_grown(tmp_path, capsys):
    # the third switched to regcb, which now serves 0.6 of each decision: joint is on trial
    _write(tmp_path / "now", [{"joint": 0.9, "regcb": 0.1}, {"joint": 1.0, "regcb": 0.0},
                              {"joint": 0.4, "regcb": 0.6}])
    _write(tmp_path / "then", [{"joint": 0.9, "regcb": 0.1}] * 3)
    assert main([str(tmp_path / "now"), "--before", str(tmp_path / "then")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("w (3 cells): challengers' share 0.167, at the floor on 1 of 3, "
                          "none on trial on 1, 1 switches; before: challengers' share 0.100, "
                          "at the floor on 3 of 3, none on trial on 0, 1 switches")
