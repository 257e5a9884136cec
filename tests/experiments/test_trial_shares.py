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


def test_against_another_learner_splits_the_cells_by_the_candidates_share(tmp_path, capsys):
    folder = tmp_path / "cells"
    folder.mkdir()
    shares = [{"joint": 0.9, "regcb": 0.1}, {"joint": 0.5, "regcb": 0.5},
              {"joint": 0.2, "regcb": 0.8}]
    rows = [{"world": "w", "seed": i, "learner": "engine default", "shares": s,
             "switches": 0, "serving": "joint", "capture": 0.1 * (i + 1)}
            for i, s in enumerate(shares)]
    rows += [{"world": "w", "seed": i, "learner": "loop", "shares": {}, "switches": 0,
              "serving": None, "capture": 0.5 + 0.1 * i} for i in range(3)]
    (folder / "cells.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main([str(folder), "--against", "loop", "--candidate", "regcb"]) == 0
    out = capsys.readouterr().out.splitlines()
    # seeds 1 and 2 at a half or more: (0.2 + 0.3) / 2 against (0.6 + 0.7) / 2
    assert out[1] == ("  regcb at least half: 2 cells, 0.250 against 0.650; the rest: 1 cells, "
                      "0.100 against 0.500")
