"""One cell on the real simulator: exact regret, the holdout, matured rewards, the action mix."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.holdout import in_holdout
from experiments.cell import run_cell
from experiments.control_group import ControlGroup
from experiments.spec import CellSpec, PolicyEntry
from policies.errors import PolicyConfigError


def _cell(name: str, holdout: float = 0.1, scenario: str = "small", **params) -> CellSpec:
    return CellSpec(scenario, PolicyEntry(name, params), seed=3, horizon=600, batch_size=100,
                    window=200, holdout_fraction=holdout)


def test_the_oracle_as_contestant_has_zero_regret_and_random_has_positive_regret():
    oracle = run_cell(_cell("oracle"))
    random = run_cell(_cell("random"))
    assert all(r["regret"] == pytest.approx(0.0, abs=1e-9) for r in oracle)
    assert all(r["regret"] > 0 for r in random)
    cum = [r["cumulative_regret"] for r in random]
    assert cum == pytest.approx(np.cumsum([r["regret"] for r in random]).tolist())
    # the same world and holdout whichever policy: the same customers are held out, and the
    # oracle's value differs only through the contact pressure the policies left behind
    assert [r["n_holdout"] for r in oracle] == [r["n_holdout"] for r in random]
    assert [r["oracle_treated"] for r in oracle] == pytest.approx(
        [r["oracle_treated"] for r in random], rel=0.02)
    other_world = run_cell(replace(_cell("random"), seed=4))
    assert [r["oracle_treated"] for r in other_world] != pytest.approx(
        [r["oracle_treated"] for r in random], rel=0.02)


def test_the_holdout_gets_no_contact_and_counts_add_up():
    rows = run_cell(_cell("random", holdout=0.3))
    for r in rows:
        assert r["n_treated"] + r["n_holdout"] == r["n"] == 200
        assert r["contacts"] + r["no_contact"] == r["n_treated"]
        chans = sum(v for k, v in r.items() if k.startswith("ch_"))
        times = sum(v for k, v in r.items() if k.startswith("tm_"))
        assert chans == times == r["contacts"]
    assert 0.15 < sum(r["n_holdout"] for r in rows) / 600 < 0.45
    assert sum(r["reward_holdout"] for r in rows) == 0.0   # no contact earns nothing here


def test_without_holdout_every_decision_is_treated():
    rows = run_cell(_cell("segment_rules", holdout=0.0))
    assert sum(r["n_holdout"] for r in rows) == 0 and sum(r["n_treated"] for r in rows) == 600


def test_a_bad_parameter_value_raises_inside_the_cell():
    with pytest.raises(PolicyConfigError, match=r"epsilon: expected a number in \[0, 1\], got 2.0"):
        run_cell(_cell("epsilon_greedy", epsilon=2.0))


def test_control_group_is_the_engines_holdout_stable_salted_and_near_its_fraction():
    ids = np.arange(50_000)
    a = ControlGroup(0.2).mask(ids)
    assert a.mean() == pytest.approx(0.2, abs=0.01)
    assert [in_holdout(str(i), 0.2) for i in range(300)] == a[:300].tolist()  # one hash
    group = ControlGroup(0.2)
    assert (group.mask(ids[::-1]) == a[::-1]).all()
    assert (group.mask(ids[:7]) == a[:7]).all()  # remembered ids answer the same
    assert (ControlGroup(0.2, salt="other").mask(ids) != a).mean() > 0.2
    assert not ControlGroup(0.0).mask(ids).any()
