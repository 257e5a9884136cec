"""The change detectors: Page-Hinkley against river's, reward streams, PSI, chi-square, lift."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from river.drift import PageHinkley as RiverPageHinkley
from scipy.stats import chi2

from engine.drift.lift_trend import LiftTrend
from engine.drift.page_hinkley import PageHinkley
from engine.drift.psi import bin_numbers, chi_square, psi, quantile_edges
from engine.drift.reward_drift import RewardStream
from engine.errors import ConfigError

RIVER_MODE = {"both": "both", "rise": "up", "drop": "down"}


@pytest.mark.parametrize("seed", range(12))
def test_page_hinkley_detects_where_river_does(seed):
    """Same parameters, same stream: detections at the same positions (fading included)."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 1, int(rng.integers(100, 1500))),
                        rng.normal(rng.choice([-1, 1]) * rng.uniform(0.3, 2), 1, 1500),
                        rng.normal(0, 1, 800)])
    kw = {"delta": float(rng.uniform(0.001, 0.4)), "threshold": float(rng.uniform(5, 60)),
          "min_instances": int(rng.integers(1, 50)),
          "alpha": float(rng.choice([1.0, 0.9999, 0.999]))}
    mode = ("both", "rise", "drop")[seed % 3]
    ours, theirs = PageHinkley(mode=mode, **kw), RiverPageHinkley(mode=RIVER_MODE[mode], **kw)
    found_ours, found_theirs = [], []
    for i, v in enumerate(x.tolist()):
        if ours.update(v):
            found_ours.append(i)
        theirs.update(v)
        if theirs.drift_detected:
            found_theirs.append(i)
    assert found_ours == found_theirs
    assert len(found_ours) >= (0 if mode != "both" else 1)


def test_page_hinkley_says_direction_and_onset():
    ph = PageHinkley(delta=0.05, threshold=4.0, min_instances=5)
    x = [1.0] * 50 + [0.0] * 30
    hits = [i for i, v in enumerate(x) if ph.update(v)]
    assert hits and hits[0] > 50 and ph.direction == "drop" and ph.change_index == 50


def test_a_forgetting_mean_sees_a_drop_after_a_slow_rise():
    """A learner's reward rises for a while, levels off, then drops: measured from a mean that
    still remembers the low start the drop is hidden; from one that forgets it is not."""
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(0, 2, 300), np.full(200, 2.0), np.full(300, 1.3)])
    x = (x + rng.normal(0, 0.2, x.size)).tolist()
    hits = {}
    for memory in (0, 100):
        ph = PageHinkley(delta=0.1, threshold=15.0, mode="drop", mean_memory=memory)
        hits[memory] = [i for i, v in enumerate(x) if ph.update(v)]
    assert hits[0] == [] and 500 < hits[100][0] < 560
    ph = PageHinkley(mean_memory=2)  # plain mean for the first 2 values, then weight 1/2
    for v in (1.0, 3.0, 7.0):
        ph.update(v)
    assert ph.mean == pytest.approx(((1.0 + 3.0) / 2 + 7.0) / 2)


def test_page_hinkley_resumes_exactly():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 1, 400), rng.normal(1, 1, 400)]).tolist()
    whole, first = PageHinkley(delta=0.1, threshold=10), PageHinkley(delta=0.1, threshold=10)
    a = [i for i, v in enumerate(x) if whole.update(v)]
    b = [i for i, v in enumerate(x[:300]) if first.update(v)]
    second = PageHinkley.from_dict(first.to_dict(), delta=0.1, threshold=10)
    b += [300 + i for i, v in enumerate(x[300:]) if second.update(v)]
    assert a == b and a


@pytest.mark.parametrize(("kw", "match"), [
    ({"delta": -1.0}, r"delta: expected a number >= 0, got -1.0"),
    ({"threshold": 0}, r"threshold: expected a number > 0, got 0"),
    ({"mode": "up"}, r"mode: expected one of both, rise, drop, got 'up'"),
    ({"alpha": 1.5}, r"alpha: expected a number in \(0, 1\], got 1.5"),
])
def test_page_hinkley_refuses_bad_settings(kw, match):
    with pytest.raises(ConfigError, match=match):
        PageHinkley(**kw)


def _stream(**kw) -> RewardStream:
    return RewardStream("treatment", **{"block": 200, "warmup_blocks": 10, "shift": 0.2,
                                        "threshold": 12.0, **kw})


def test_reward_stream_finds_a_drop_of_rare_large_rewards_and_dates_it():
    """Revenue-like rewards (3 % convert, worth ~50): a 40 % drop is found, dated near it."""
    rng = np.random.default_rng(0)
    n0, n1 = 30_000, 30_000
    conv = np.concatenate([rng.random(n0) < 0.03, rng.random(n1) < 0.018])
    values = conv * rng.lognormal(np.log(50), 0.5, n0 + n1)
    changes = _stream().add(values, np.arange(n0 + n1, dtype=float))
    assert [c.direction for c in changes][:1] == ["drop"]
    first = changes[0]
    assert abs(first.change_at - n0) <= 3000 and first.at > n0
    assert first.before == pytest.approx(1.5 * 1.13, rel=0.2)  # 0.03 * 50 * e^(0.5^2 / 2)


def test_reward_stream_stays_quiet_on_a_stationary_stream():
    rng = np.random.default_rng(1)
    n = 400_000
    values = (rng.random(n) < 0.03) * rng.lognormal(np.log(50), 0.5, n)
    s = _stream()
    assert s.add(values, np.arange(n, dtype=float)) == []
    assert s.state == "watching" and s.blocks == n // 200


def test_reward_stream_of_zeros_waits_for_spread():
    s = _stream()
    assert s.add(np.zeros(5000), np.arange(5000.0)) == [] and s.state == "constant"


def test_reward_stream_resumes_exactly_and_in_any_batches():
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.binomial(1, 0.2, 20_000), rng.binomial(1, 0.12, 20_000)])
    times = np.arange(values.size, dtype=float)
    whole = _stream().add(values.astype(float), times)
    resumed, first = [], _stream()
    cuts = [0, 777, 5000, 5001, 19_999, 31_234, values.size]
    for a, b in itertools.pairwise(cuts):
        if a == 19_999:  # save and reload mid-stream, as a restart does
            state = first.to_dict()
            first = _stream()
            first.load(state)
        resumed += first.add(values[a:b].astype(float), times[a:b])
    assert resumed == whole and whole


def test_psi_by_hand():
    ref, cur = np.array([40, 30, 20, 10]), np.array([10, 20, 30, 40])
    r = (ref + 0.5) / (ref + 0.5).sum()
    q = (cur + 0.5) / (cur + 0.5).sum()
    assert psi(ref, cur) == pytest.approx(float(np.sum((q - r) * np.log(q / r))))
    assert psi(ref, ref) == 0.0 and psi(ref, cur) == pytest.approx(psi(cur, ref))


@pytest.mark.parametrize("seed", range(6))
def test_chi_square_p_value_is_close_to_the_exact_tail(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(3, 12))
    ref = rng.integers(20, 400, k)
    cur = rng.integers(20, 400, k)
    stat, dof, p = chi_square(ref, cur)
    assert dof == k - 1 and abs(p - chi2.sf(stat, dof)) < 0.01


def test_quantile_bins_cut_the_reference_evenly_and_keep_missing_apart():
    v = np.random.default_rng(0).normal(size=10_000)
    edges = quantile_edges(v, 10)
    counts = np.bincount(bin_numbers(v, edges), minlength=len(edges) + 2)
    assert len(edges) == 9 and counts[:-1].min() >= 990 and counts[-1] == 0
    assert bin_numbers(np.array([np.nan]), edges).tolist() == [10]
    assert quantile_edges(np.array([0.0, 0.0, 1.0, 1.0]), 10).tolist() == [0.0, 1.0]


def test_lift_trend_falls_only_when_it_falls():
    rng = np.random.default_rng(0)

    def run(lifts):
        trend = LiftTrend(window=4000, windows=6)
        for lift in lifts:
            held = rng.random(4000) < 0.2
            v = rng.binomial(1, np.where(held, 0.1, 0.1 + lift)).astype(float)
            trend.add(v, held, np.zeros(4000))
        return trend.trend()

    falling, flat = run([0.06, 0.05, 0.04, 0.02, 0.01, 0.0]), run([0.04] * 6)
    assert falling["direction"] == "falling" and falling["slope_hi"] < 0
    assert flat["direction"] == "flat" and flat["slope_lo"] < 0 < flat["slope_hi"]
    assert flat["lift"] == pytest.approx(0.04, abs=0.03)
