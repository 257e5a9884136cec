"""Price-based allocation against first come, first served on the simulator's campaign mode."""

from __future__ import annotations

import numpy as np

from experiments.campaign_days import campaign_days


def test_prices_keep_every_cap_and_beat_first_come_on_the_same_customers():
    days = campaign_days("capacity", seed=3, days=4, n_customers=4000)
    assert all(d["price_violations"] == 0 and d["fcfs_violations"] == 0 for d in days)
    for d in days:  # the caps bind: both use the scarce SMS room, prices use it better
        assert d["price_sends"][1] <= 60 and d["fcfs_sends"][1] == 60
        assert d["channel_prices"][1] > 0
    gain = np.array([d["price_value"] - d["fcfs_value"] for d in days])
    assert (gain > 0).all(), gain


def test_a_daily_budget_is_kept_and_priced():
    days = campaign_days("capacity", seed=0, days=2, n_customers=4000, daily_budget=1.0)
    assert all(d["price_violations"] == 0 and d["fcfs_violations"] == 0 for d in days)
    assert all(d["budget_price"] > 0 for d in days)
