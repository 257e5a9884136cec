"""Response drift: a change of how customers answer a message, with the population unchanged,
is found near where it happened; a stable world, and a policy that changes who gets what, raise
nothing; the state resumes exactly and does not depend on how the rewards were batched."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.drift.monitor import DriftMonitor
from engine.drift.options import DriftOptions
from engine.drift.response_drift import ResponseDrift
from engine.errors import ConfigError

N = 60_000
CHANGE = 30_000


def world(seed: int, *, flip_at: int | None = None, target_at: int | None = None):
    """Customers with a taste ``x`` in [0, 1] and a segment; three messages, rewards 0/1.

    ``a`` pays more the higher ``x``; from ``flip_at`` on the customers who liked it most turn
    away (those above 0.5 answer as those 0.5 lower did: a's rate falls from 0.20 to 0.125 per
    decision, the population unchanged). (A change that leaves a message's mean residual at 0
    under the policy, say a flip that helps as many as it hurts, is not seen:
    ``docs/drift.md``.)
    The policy sends uniformly at random; from ``target_at`` on it sends ``a`` to customers with
    ``x > 0.6`` and the others to the rest (a policy change: who gets what, not how they
    answer)."""
    rng = np.random.default_rng(seed)
    x = rng.random(N)
    seg = rng.choice(["new", "vip"], N, p=[0.7, 0.3])
    i = np.arange(N)
    msg = rng.choice(["a", "b", "c"], N)
    if target_at is not None:
        late = i >= target_at
        msg = np.where(late & (x > 0.6), "a", np.where(late & (msg == "a"), "b", msg))
    turned = flip_at is not None and (i >= flip_at) & (x > 0.5)
    taste = np.where(turned, x - 0.5, x)
    p = np.select([msg == "a", msg == "b"], [0.05 + 0.3 * taste, 0.1 + 0.05 * (seg == "vip")],
                  0.12)
    y = rng.binomial(1, p).astype(float)
    ctx = [{"x": float(v), "segment": str(s), "consent": {"email": True}}
           for v, s in zip(x, seg, strict=True)]
    return ctx, msg.tolist(), y, i.astype(float)


def feed(rd: ResponseDrift, ctx, msg, y, t, batch: int = 1000):
    out = []
    for lo in range(0, len(y), batch):
        s = slice(lo, lo + batch)
        out += rd.add(ctx[s], msg[s], y[s], t[s])
    return out


def detector(confirm: int = 1) -> ResponseDrift:
    return ResponseDrift(reference=10_000, shift=0.25, threshold=16.0, confirm=confirm)


def burst(seed: int, length: int = 400):
    """A stable world in which, for ``length`` customers from :data:`CHANGE` on, ``a``
    converts at least 30 % of the time (a passing excursion: a campaign, a glitch), then
    answers as before."""
    ctx, msg, y, t = world(seed)
    rng = np.random.default_rng(100 + seed)
    hit = (t >= CHANGE) & (t < CHANGE + length) & (np.asarray(msg) == "a")
    y = y.copy()
    y[hit] = np.maximum(y[hit], rng.random(int(hit.sum())) < 0.3)
    return ctx, msg, y, t


def test_a_changed_answer_is_found_near_where_it_began():
    for seed in range(3):
        changes = feed(detector(), *world(seed, flip_at=CHANGE))
        assert changes, seed
        first = changes[0]
        assert first.stream == "response/message=a"
        assert CHANGE <= first.at < CHANGE + 6000, (seed, first.at)
        assert abs(first.change_at - CHANGE) < 2500, (seed, first.change_at)


def test_a_stable_world_raises_nothing():
    for seed in range(5):
        assert feed(detector(), *world(seed)) == [], seed


def test_a_policy_that_changes_who_gets_what_raises_nothing():
    """The policy sends ``a`` only to the customers who like it from the middle on: a's mean
    reward per decision rises by 40 %, yet nobody answers differently."""
    for seed in range(5):
        ctx, msg, y, t = world(seed, target_at=CHANGE)
        a = np.asarray(msg) == "a"
        before, after = y[a & (t < CHANGE)].mean(), y[a & (t >= CHANGE)].mean()
        assert after > 1.35 * before  # the rate moved: a two-sided rate test would alert
        assert feed(detector(), ctx, msg, y, t) == [], seed


def test_a_crossing_that_does_not_come_again_is_a_warning_and_keeps_the_model():
    """With ``confirm = 2`` a passing excursion is one unconfirmed crossing: a warning, the same
    model watching on; with ``confirm = 1`` the same rewards make an alert and a refit."""
    for seed in (0, 1, 3, 4):
        data = burst(seed)
        once = detector(confirm=1)
        assert [c.confirmed for c in feed(once, *data)][:1] == [True], seed
        twice = detector(confirm=2)
        found = feed(twice, *data)
        assert [(c.stream, c.direction, c.confirmed) for c in found] == [
            ("response/message=a", "rise", False)], seed
        assert CHANGE <= found[0].at < CHANGE + 400
        assert twice.fits == 1 and twice.alarms == 0 and twice.phase == "watching"


def test_a_lasting_change_is_confirmed_by_a_second_crossing():
    for seed in range(3):
        found = feed(detector(confirm=2), *world(seed, flip_at=CHANGE))
        assert [(c.direction, c.confirmed) for c in found[:2]] == [
            ("drop", False), ("drop", True)], seed
        assert {c.stream for c in found[:2]} == {"response/message=a"}
        assert CHANGE <= found[0].at < found[1].at < CHANGE + 8000, seed


def test_a_policy_that_changes_who_gets_what_raises_not_even_a_warning_when_confirming():
    for seed in range(5):
        assert feed(detector(confirm=2), *world(seed, target_at=CHANGE)) == [], seed


@pytest.mark.parametrize("confirm", [1, 2])
def test_batches_do_not_change_what_is_found(confirm):
    data = world(1, flip_at=CHANGE)
    one, other = detector(confirm), detector(confirm)
    found = feed(one, *data, batch=997), feed(other, *data, batch=5000)
    assert found[0] == found[1] and found[0]
    assert json.dumps(one.to_dict(), sort_keys=True) == json.dumps(other.to_dict(),
                                                                    sort_keys=True)


@pytest.mark.parametrize("confirm", [1, 2])
def test_a_saved_state_resumes_exactly(confirm):
    ctx, msg, y, t = world(2, flip_at=CHANGE)
    whole = detector(confirm)
    found = feed(whole, ctx, msg, y, t)
    # gathering, watching, mid-change, between an unconfirmed crossing and its confirmation
    for cut in (5_000, 20_000, 31_000, 34_000):
        first = detector(confirm)
        feed(first, ctx[:cut], msg[:cut], y[:cut], t[:cut])
        resumed = detector(confirm)
        resumed.load(json.loads(json.dumps(first.to_dict())))
        rest = feed(resumed, ctx[cut:], msg[cut:], y[cut:], t[cut:])
        assert [c for c in found if c.at >= cut] == rest, cut
        assert json.dumps(resumed.to_dict(), sort_keys=True) == json.dumps(
            whole.to_dict(), sort_keys=True)


def response_events(mon, ctx, msg, y, t, h) -> list:
    """The response events of ``mon`` fed the stream in blocks of 2,000, all by email."""
    events = []
    for lo in range(0, N, 2000):
        s = slice(lo, lo + 2000)
        events += mon.add_rewards(y[s], t[s], h[s], ["email"] * (s.stop - s.start), msg[s],
                                  ctx[s])
    return [e for e in events if e.subject.startswith("response/")]


def test_the_monitor_reports_it_as_a_reward_alert_of_the_treatment_only():
    ctx, msg, y, t = world(0, flip_at=CHANGE)
    mon = DriftMonitor(DriftOptions(reward_streams=["message"], response=True,
                                    response_warmup=1000))
    h = np.arange(N) % 20 == 0  # a holdout: its rewards are not the response's
    response = response_events(mon, ctx, msg, y, t, h)
    assert [(e.kind, e.subject, e.level) for e in response][:1] == [
        ("reward", "response/message=a", "alert")]
    assert response[0].at >= CHANGE
    assert mon.response.rewards == int((~h[1000:]).sum())  # warm-up skipped, holdout not fed
    assert "response/message=a" in mon.stats()["drift_response_statistic"] or \
        mon.response.phase == "building the reference"


def test_the_monitor_reports_an_unconfirmed_crossing_as_a_warning_then_the_alert():
    ctx, msg, y, t = world(0, flip_at=CHANGE)
    mon = DriftMonitor(DriftOptions(reward_streams=[], response=True, response_warmup=1000,
                                    response_confirm=2))
    h = np.zeros(N, dtype=bool)
    response = response_events(mon, ctx, msg, y, t, h)
    assert [(e.subject, e.level) for e in response[:2]] == [
        ("response/message=a", "warn"), ("response/message=a", "alert")]
    assert "not yet confirmed" in response[0].message


def test_a_bad_confirm_setting_is_refused_naming_it():
    with pytest.raises(ConfigError, match=r"drift\.response_confirm"):
        DriftOptions(response_confirm=0)


def test_a_message_with_too_few_conversions_in_its_reference_is_not_watched():
    """``min_positive``: a's reference holds about 660 rewards above 0, b's and c's about 400;
    at 500 only a is watched (a model fitted on a handful of conversions predicts nothing)."""
    ctx, msg, y, t = world(0)
    every, some = detector(), ResponseDrift(reference=10_000, min_positive=500)
    for rd in (every, some):
        feed(rd, ctx[:12_000], msg[:12_000], y[:12_000], t[:12_000])
    assert set(every.beta) == {"a", "b", "c"}
    assert set(some.beta) == {"a"} and some.positive["b"] < 500 <= some.positive["a"]


def test_the_uncertainty_allowance_slows_a_detection_by_its_reference_error():
    """``uncertainty = z`` raises each message's allowance by ``z / sqrt(c)`` of a row's level
    (``c``: its reference's conversions): the same change is found later, and at ``z`` well
    above a's change (a's rate falls by 37 %; its reference holds about 660 conversions, so
    ``z = 20`` allows 78 %) not at all."""
    for seed in range(3):
        data = world(seed, flip_at=CHANGE)
        plain = feed(detector(), *data)
        slack = ResponseDrift(reference=10_000, uncertainty=2.0)
        late = feed(slack, *data)
        assert late and late[0].stream == "response/message=a", seed
        assert late[0].at > plain[0].at, seed
        assert slack._slack("a") == pytest.approx(2.0 / np.sqrt(slack.positive["a"]))
        assert feed(ResponseDrift(reference=10_000, uncertainty=20.0), *data) == [], seed
