"""Metrics on tiny hand-computed records."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from experiments import metrics


def _rows():
    # two seeds of policy "a", one window each; b only on seed 0
    return pd.DataFrame([
        {"scenario": "s", "policy": "a", "seed": 0, "step": 10, "n_treated": 10,
         "expected_treated": 4.0, "oracle_treated": 10.0, "random_treated": 2.0, "regret": 6.0,
         "n_holdout": 2, "reward_treated": 5.0, "reward_sq_treated": 9.0, "reward_holdout": 0.0,
         "reward_sq_holdout": 0.0, "contacts": 8, "unsubscribed": 1, "churned": 0,
         "converted": 2, "ch_email": 6, "ch_sms": 2},
        {"scenario": "s", "policy": "a", "seed": 1, "step": 10, "n_treated": 10,
         "expected_treated": 6.0, "oracle_treated": 10.0, "random_treated": 2.0, "regret": 4.0,
         "n_holdout": 2, "reward_treated": 3.0, "reward_sq_treated": 5.0, "reward_holdout": 1.0,
         "reward_sq_holdout": 1.0, "contacts": 2, "unsubscribed": 0, "churned": 1,
         "converted": 0, "ch_email": 0, "ch_sms": 2},
    ])


def test_leaderboard_value_regret_capture_by_hand():
    board = metrics.leaderboard(_rows())
    row = board.iloc[0]
    assert row.value_per_1000 == pytest.approx(500.0)            # (400 + 600) / 2
    assert row.regret_per_1000 == pytest.approx(500.0)           # (600 + 400) / 2
    half = 12.706 * math.sqrt(2 * 100.0 ** 2) / math.sqrt(2)     # t(1) x sd / sqrt(2)
    assert (row.value_lo, row.value_hi) == pytest.approx((500 - half, 500 + half))
    assert row.capture == pytest.approx(((4 - 2) / 8 + (6 - 2) / 8) / 2)


def test_lift_welch_interval_by_hand():
    out = metrics.lift(_rows()).iloc[0]
    # treated: n=20, sum 8, sumsq 14 -> mean 0.4, var (14 - 20*0.16)/19; holdout: n=4, sum 1
    vt, vh = (14 - 20 * 0.16) / 19, (1 - 4 * 0.25 ** 2) / 3
    se = math.sqrt(vt / 20 + vh / 4)
    assert out.lift_per_1000 == pytest.approx(1000 * (0.4 - 0.25))
    assert out.lift_hi - out.lift_per_1000 == pytest.approx(1000 * metrics.Z95 * se)


def test_guardrails_per_1000_contacts_and_mix():
    g = metrics.guardrails(_rows()).iloc[0]
    assert g.contact_rate == pytest.approx(10 / 20)
    assert g.unsub_per_1000 == pytest.approx(100.0) and g.churn_per_1000 == pytest.approx(100.0)
    assert (g.email_share, g.sms_share) == pytest.approx((0.6, 0.4))


def test_regret_curve_is_cumulative_per_decision_with_seed_interval():
    rows = pd.concat([_rows(), _rows().assign(step=20)], ignore_index=True)
    c = metrics.regret_curves(rows)
    assert c["step"].tolist() == [10, 20]
    assert c["regret"].tolist() == pytest.approx([0.5, 0.5])
    assert c["lo"].iloc[0] < 0.5 < c["hi"].iloc[0]


def test_one_seed_has_an_infinite_interval_not_a_zero_width_one():
    assert metrics.mean_ci(pd.Series([3.0]))[1:] == (-math.inf, math.inf)


def test_paired_difference_is_per_seed_and_tighter_than_the_values():
    # b is a worse by 20 +- 1 on every seed while both swing by 200 between seeds
    rows = pd.DataFrame({"scenario": "s", "policy": ["a"] * 3 + ["b"] * 3,
                         "seed": [0, 1, 2] * 2, "n_treated": 1000,
                         "expected_treated": [100.0, 300.0, 200.0, 81.0, 279.0, 180.0],
                         "oracle_treated": 500.0, "random_treated": 50.0})
    d = metrics.paired(rows, "a").iloc[0]
    assert d.other == "b" and d.diff_per_1000 == pytest.approx(20.0)
    assert d.diff_lo > 0
    board = metrics.leaderboard(rows).set_index("policy")
    assert board.loc["a", "value_lo"] < board.loc["b", "value_hi"]   # the values overlap
