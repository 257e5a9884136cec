"""The response test on counts, with a refreshed reference: rare conversions of heavy-tailed
value, as revenue is. A stable world raises nothing over 200,000 rewards; a conversion rate that
falls by 40 % at once is found; a larger basket (the same rate) is not a change of how often
customers answer; a slow decline is followed, not reported; a message the policy takes up
late gets watched; the state does not depend on batches and resumes exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.drift.monitor import DriftMonitor
from engine.drift.options import DriftOptions
from engine.drift.response_drift import ResponseDrift
from engine.errors import ConfigError
from tests.engine.test_drift_response import feed

N = 200_000
CHANGE = 100_000


def world(seed: int, *, rate: float = 1.0, value: float = 1.0, decline: float = 0.0,
          late_b: bool = False, target: float | None = None):
    """Three messages. ``a`` converts at 0.05 % to 6 % as a customer's ``x`` rises (as its
    4th power: a linear model of the chance predicts below 0 for many customers), ``b`` at
    1-2 % by segment,
    ``c`` at 1.5 %; a conversion is worth a lognormal basket (median 33, a long tail), any other
    send costs 0.01.

    From :data:`CHANGE` on, ``a`` converts ``rate`` times as often and its baskets are
    ``value`` times as large; ``decline`` lowers a's chance steadily, by that share over the
    whole run. ``late_b``: ``b`` is not sent before 20,000 (a message the policy took up late).
    ``target``: from :data:`CHANGE` on the policy sends ``a`` to every customer with ``x``
    above it and to no one else (who gets what changes; how they answer does not).
    """
    rng = np.random.default_rng(seed)
    x = rng.random(N)
    seg = rng.choice(["new", "vip"], N, p=[0.7, 0.3])
    i = np.arange(N)
    msg = rng.choice(["a", "b", "c"], N, p=[0.5, 0.3, 0.2])
    if late_b:
        msg = np.where((msg == "b") & (i < 20_000), "c", msg)
    if target is not None:
        late = i >= CHANGE
        msg = np.where(late & (x > target), "a", np.where(late & (msg == "a"), "b", msg))
    p = np.select([msg == "a", msg == "b"], [0.0005 + 0.06 * x ** 4, 0.01 + 0.01 * (seg == "vip")],
                  0.015)
    a = msg == "a"
    p = np.where(a & (i >= CHANGE), p * rate, p) * np.where(a, 1 - decline * i / N, 1.0)
    basket = rng.lognormal(3.5, 1.2, N) * np.where(a & (i >= CHANGE), value, 1.0)
    y = np.where(rng.random(N) < p, basket, -0.01)
    ctx = [{"x": float(v), "segment": str(s)} for v, s in zip(x, seg, strict=True)]
    return ctx, msg.tolist(), y, i.astype(float)


def counts(refresh: int = 2) -> ResponseDrift:
    """The engine's default response test (``[engine.drift]``'s defaults)."""
    return ResponseDrift(reference=20_000, counts=True, refresh=refresh, threshold=10.0)


def test_a_stable_world_of_rare_conversions_raises_nothing():
    """Neither a fixed reference nor a refreshed one alerts where nothing changes, though the
    linear model predicts a chance below 0 for many of a's customers (the Poisson log-likelihood
    ratio is linear in the prediction; a floor on it raised a's expected count and alerted
    drops)."""
    for seed in range(3):
        ctx, msg, y, t = world(seed)
        assert feed(counts(), ctx, msg, y, t) == [], seed
        fixed = ResponseDrift(reference=20_000, counts=True)
        assert feed(fixed, ctx, msg, y, t) == [], seed
        pred = (fixed._design(ctx[:5000]) * fixed.beta["a"]).sum(axis=1)
        assert (pred[np.asarray(msg[:5000]) == "a"] < 0).mean() > 0.1  # the case in point


def test_a_conversion_rate_that_halves_is_found_after_it_fell():
    """a's reference holds about 120 conversions, so the test cannot be sure of a's rate to
    better than about 10 %: a change must be large to show within a reference or two."""
    for seed in range(4):
        found = feed(counts(), *world(seed, rate=0.5))
        assert found, seed
        first = found[0]
        assert (first.stream, first.direction) == ("response/message=a", "drop"), seed
        assert CHANGE < first.at < CHANGE + 30_000, (seed, first.at)
        # the window's answers against the model's: a drop of at least the shift tested
        assert 0 < first.after < first.before / 1.25, seed


def test_larger_baskets_are_not_a_change_of_how_often_customers_answer():
    """The level test reads a's baskets growing threefold as a rise (it is one, of the
    revenue); the count test, asked how often customers answer, sees none."""
    for seed in range(3):
        data = world(seed, value=3.0)
        assert feed(counts(), *data) == [], seed
        level = feed(ResponseDrift(reference=20_000), *data)
        assert ("response/message=a", "rise") in [(c.stream, c.direction) for c in level], seed


def test_a_policy_that_sends_a_to_those_who_answer_it_raises_nothing():
    """From the middle on ``a`` goes only to customers with ``x`` above 0.5: its rate per send
    rises 1.8 times, and the linear model, wrong in shape (the chance grows as ``x**4``),
    misjudges those customers; yet nobody answers differently, and the refreshed reference
    learns the new mix before the misjudgement adds up. Sent only above 0.8, where the linear
    model is furthest off, the default alerts a rise on 1 of these 5 seeds (seed 0); with steps
    at 5 quantiles of ``x`` (``bins``, ``response_bins``) on none."""
    for seed in range(5):
        ctx, msg, y, t = world(seed, target=0.5)
        a, late = np.asarray(msg) == "a", t >= CHANGE
        assert (y[a & late] > 0).mean() > 1.6 * (y[a & ~late] > 0).mean()
        assert feed(counts(), ctx, msg, y, t) == [], seed
        stepped = ResponseDrift(reference=20_000, counts=True, refresh=2, threshold=10.0, bins=5)
        assert feed(stepped, *world(seed, target=0.8)) == [], seed


def test_a_slow_decline_is_followed_by_a_refreshed_reference_not_reported():
    """a's chance falls by half over the run, 5 % per reference: the refreshed model moves
    with it (its rate for a ends near a's late rate, the first model's stays at the early
    one) and reports nothing."""
    for seed in range(3):
        ctx, msg, y, t = world(seed, decline=0.5)
        refreshed = counts()
        assert feed(refreshed, ctx, msg, y, t) == [], seed
        first = counts()
        feed(first, ctx[:30_000], msg[:30_000], y[:30_000], t[:30_000])
        assert refreshed.fits == 10 and first.fits == 1
        # the model watching at the end was fitted on rewards 160,000-180,000 (the last
        # reference, 180,000-200,000, waits behind it): a's chance there is 0.55-0.60 times
        # the chance of the first 20,000 (0.95-1)
        assert 0.5 < refreshed.mean["a"] / first.mean["a"] < 0.8, seed


def test_a_message_taken_up_after_the_first_reference_gets_watched():
    ctx, msg, y, t = world(0, late_b=True)
    fixed, refreshed = ResponseDrift(reference=20_000, counts=True), counts(refresh=1)
    for rd in (fixed, refreshed):
        feed(rd, ctx[:70_000], msg[:70_000], y[:70_000], t[:70_000])
    assert "b" not in fixed.beta and set(fixed.beta) == {"a", "c"}
    assert set(refreshed.beta) == {"a", "b", "c"} and refreshed.fits == 3


def test_a_message_with_few_answers_in_its_reference_is_not_counted():
    """A message whose reference holds no answer is expected to have none, and any answer
    would read as a rise without bound: the count test watches a message from 10 answers in
    its reference (the level test watches it from its rows)."""
    ctx, msg, y, t = world(0)
    m = np.asarray(msg)
    y = np.where((m == "c") & (t < 20_000), -0.01, y)  # c answered by no one at first
    y = np.where((m == "b") & (t < 20_000) & (y > 0) & (np.cumsum((m == "b") & (y > 0)) > 9),
                 -0.01, y)  # b by 9 customers
    counted, level = counts(), ResponseDrift(reference=20_000)
    for rd in (counted, level):
        feed(rd, ctx[:21_000], msg[:21_000], y[:21_000], t[:21_000])
    assert counted.positive["b"] == 9 and counted.positive["c"] == 0
    assert set(counted.beta) == {"a"} and set(level.beta) == {"a", "b", "c"}


def test_the_watching_model_lags_by_refresh_references():
    ctx, msg, y, t = world(1)
    one, two = counts(refresh=1), counts(refresh=2)
    for rd in (one, two):
        feed(rd, ctx[:100_000], msg[:100_000], y[:100_000], t[:100_000])
    assert one.fits == two.fits == 5
    assert len(two.queued) == 1 and not one.queued
    # the model watching with refresh 2 is the one refresh 1 watched a reference ago
    back = counts(refresh=1)
    feed(back, ctx[:80_000], msg[:80_000], y[:80_000], t[:80_000])
    for m in two.beta:
        assert np.array_equal(two.beta[m], back.beta[m]), m


def test_batches_do_not_change_what_is_found():
    data = world(1, rate=0.5)
    one, other = counts(), counts()
    found = feed(one, *data, batch=997), feed(other, *data, batch=5000)
    assert found[0] == found[1] and found[0]
    assert json.dumps(one.to_dict(), sort_keys=True) == json.dumps(other.to_dict(),
                                                                    sort_keys=True)


def test_a_saved_state_resumes_exactly():
    ctx, msg, y, t = world(2, rate=0.5)
    whole = counts()
    found = feed(whole, ctx, msg, y, t)
    # gathering the first reference, a model queued, mid-gathering while watching, mid-change
    for cut in (5_000, 45_000, 73_000, 110_000):
        first = counts()
        feed(first, ctx[:cut], msg[:cut], y[:cut], t[:cut])
        resumed = counts()
        resumed.load(json.loads(json.dumps(first.to_dict())))
        rest = feed(resumed, ctx[cut:], msg[cut:], y[cut:], t[cut:])
        assert [c for c in found if c.at >= cut] == rest, cut
        assert json.dumps(resumed.to_dict(), sort_keys=True) == json.dumps(
            whole.to_dict(), sort_keys=True)


def test_the_count_test_is_the_default_and_a_bad_setting_is_refused_naming_it():
    mon = DriftMonitor(DriftOptions())
    assert mon.response is not None
    assert (mon.response.counts, mon.response.refresh, mon.response.reference,
            mon.response.threshold) == (True, 2, 20_000, 10.0)
    level = DriftMonitor(DriftOptions(response_counts=False, response_refresh=0, response_bins=5))
    assert level.response is not None
    assert (level.response.counts, level.response.refresh, level.response.bins) == (False, 0, 5)
    with pytest.raises(ConfigError, match=r"drift\.response_refresh"):
        DriftOptions(response_refresh=-1)
    with pytest.raises(ConfigError, match=r"drift\.response_bins"):
        DriftOptions(response_bins=1)
    with pytest.raises(ConfigError, match=r"drift\.response_counts"):
        DriftOptions(response_counts="yes")  # type: ignore[arg-type]
