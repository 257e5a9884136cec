"""Lift with its CI and the reward-rate series, from the log's bucket rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.http.dashboard_data import (
    Z_95,
    bucket_for_span,
    lift_verdict,
    lift_with_ci,
    mix_by_axis,
    reward_rate_series,
)


def test_series_align_groups_on_the_same_buckets():
    rows = [(0.0, False, 10, 5.0), (60.0, True, 4, 1.0)]
    s = reward_rate_series(rows)
    assert [b["t"] for b in s["treatment"]] == [b["t"] for b in s["holdout"]] == [0.0, 60.0]
    assert [b["rate"] for b in s["treatment"]] == [0.5, None]
    assert [b["rate"] for b in s["holdout"]] == [None, 0.25]


def test_lift_needs_both_groups():
    out = lift_with_ci([(0.0, False, 10, 5.0)])
    assert out["difference"] is None and out["treatment_n"] == 10 and out["holdout_n"] == 0


def test_lift_interval_matches_the_two_proportion_formula():
    rows = [(0.0, False, 800, 240.0), (60.0, False, 200, 60.0), (0.0, True, 100, 20.0)]
    out = lift_with_ci(rows)
    se = math.sqrt(0.3 * 0.7 / 1000 + 0.2 * 0.8 / 100)
    assert math.isclose(out["difference"], 0.1)
    assert math.isclose(out["hi"] - out["difference"], Z_95 * se)
    assert math.isclose(out["relative"], 0.5)


def test_lift_interval_covers_the_truth_on_simulated_bernoulli_groups():
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(400):
        t, h = rng.random(2000) < 0.3, rng.random(500) < 0.25
        out = lift_with_ci([(0.0, False, t.size, float(t.sum())),
                            (0.0, True, h.size, float(h.sum()))])
        covered += out["lo"] <= 0.05 <= out["hi"]
    assert 0.92 <= covered / 400 <= 0.98


@pytest.mark.parametrize("lo, hi, word, relative", [
    (0.01, 0.05, "beats", True), (-0.05, -0.01, "trails", True),
    (-0.01, 0.07, "not distinguishable", False)])
def test_the_lift_verdict_follows_the_interval_and_names_relative_only_when_separated(
        lo, hi, word, relative):
    v = lift_verdict({"difference": (lo + hi) / 2, "lo": lo, "hi": hi, "relative": 0.3})
    assert v["word"] == word and (word in v["text"])
    assert ("relative" in v["text"]) is relative
    assert v["text"].split(" per 1,000 decisions")[0].endswith(f"{1000 * (lo + hi) / 2:+,.3g}")
    assert lift_verdict({"difference": None, "lo": None, "hi": None})["word"] is None


@pytest.mark.parametrize("span, bucket", [
    (5, 10), (90, 10), (600, 30), (3 * 3600, 300), (86400, 3600), (30 * 86400, 86400)])
def test_the_reward_rate_bucket_fits_the_span(span, bucket):
    width, label = bucket_for_span(span)
    assert width == bucket and span / width <= 40 and label


def test_every_mix_axis_sums_to_the_same_total():
    mix = mix_by_axis([("a", "email", "now", 3), ("a", "sms", "eve", 2), (None, None, None, 4)])
    assert {axis: sum(m.values()) for axis, m in mix.items()} == {
        "message": 9, "channel": 9, "timing": 9}
    assert list(mix["message"]) == ["a", "no contact"]  # most frequent first
