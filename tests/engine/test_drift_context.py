"""Context drift per feature: quiet on a stable population, loud on a moved one, dated, and
the same whatever the batches."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from engine.drift.feature_drift import ContextDrift
from engine.drift.monitor import DriftMonitor
from engine.drift.options import DriftOptions
from engine.errors import ConfigError


def population(rng, n, *, age_mean=40.0, vip=0.1, device_missing=0.0):
    out = []
    for age, is_vip, gone in zip(rng.normal(age_mean, 10, n), rng.random(n) < vip,
                                 rng.random(n) < device_missing, strict=True):
        ctx = {"age": float(age), "segment": "vip" if is_vip else "regular",
               "opted": bool(age > 40), "tags": ["x"], "consent": {"email": True}}
        if not gone:
            ctx["device"] = "ios"
        out.append(ctx)
    return out


def drift(**kw) -> ContextDrift:
    return ContextDrift(**{"reference_size": 4000, "window": 4000, "block": 500, **kw})


def test_stable_population_raises_nothing():
    rng = np.random.default_rng(0)
    d = drift()
    ctxs = population(rng, 60_000)
    assert d.add(ctxs, np.arange(60_000.0)) == []
    assert max(d.psi.values()) < 0.02 and set(d.level.values()) == {"ok"}
    # lists and mappings are not watched; everything else is, with its kind
    assert {(f.name, f.kind) for f in d.features} == {
        ("age", "number"), ("segment", "category"), ("opted", "category"),
        ("device", "category")}


@pytest.mark.parametrize(("moved", "feature"), [
    ({"age_mean": 47.0}, "age"), ({"vip": 0.4}, "segment"), ({"device_missing": 0.5}, "device")])
def test_a_moved_feature_alerts_alone_and_is_dated(moved, feature):
    rng = np.random.default_rng(1)
    d = drift()
    before, after = population(rng, 10_000), population(rng, 10_000, **moved)
    assert d.add(before, np.arange(10_000.0)) == []
    changes = d.add(after, np.arange(10_000.0, 20_000.0))
    alerts = [c for c in changes if c.level == "alert"]
    also = {"opted"} if feature == "age" else set()  # opted is age > 40: it moves with age
    assert feature in {c.feature for c in alerts} <= {feature, *also}
    first = next(c for c in alerts if c.feature == feature)
    assert first.psi >= 0.25 and first.change_at == 10_000.0  # the first block after the move
    assert first.at < 14_000  # found before the window is all new data


def test_the_reference_reanchors_after_an_alert():
    rng = np.random.default_rng(2)
    d = drift()
    d.add(population(rng, 8000), np.arange(8000.0))
    changes = d.add(population(rng, 20_000, vip=0.4), np.arange(8000.0, 28_000.0))
    levels = [(c.feature, c.level) for c in changes]
    alert = levels.index(("segment", "alert"))
    assert ("segment", "ok") in levels[alert:]  # measured anew from the new normal
    assert d.anchors == 2 and d.level["segment"] == "ok"


def test_warmup_and_ignore():
    rng = np.random.default_rng(3)
    d = drift(warmup=5000, ignore=("age", "opted"))
    d.add(population(rng, 5000, vip=0.9), np.arange(5000.0))  # skipped: would alert otherwise
    assert d.phase == "building the reference"
    assert d.add(population(rng, 20_000), np.arange(5000.0, 25_000.0)) == []
    assert {f.name for f in d.features} == {"segment", "device"}


def test_batches_and_a_save_in_between_change_nothing():
    rng = np.random.default_rng(4)
    ctxs = population(rng, 12_000) + population(rng, 12_000, age_mean=48, vip=0.3)
    times = np.arange(24_000.0)
    whole = drift()
    expected = whole.add(ctxs, times)
    parts, got = drift(), []
    cuts = [0, 1, 999, 3500, 4001, 12_345, 17_000, 24_000]
    for a, b in itertools.pairwise(cuts):
        if a == 12_345:
            state = parts.to_dict()
            parts = drift()
            parts.load(state)
        got += parts.add(ctxs[a:b], times[a:b])
    assert got == expected and expected
    assert parts.psi == whole.psi
    assert json.dumps(parts.to_dict()) == json.dumps(whole.to_dict())


def test_monitor_events_name_what_moved():
    rng = np.random.default_rng(5)
    mon = DriftMonitor(DriftOptions(reference_size=4000, window=4000, block=500))
    mon.add_decisions(population(rng, 6000), np.arange(6000.0))
    events = mon.add_decisions(population(rng, 6000, vip=0.5), np.arange(6000.0, 12_000.0))
    e = events[0]
    assert (e.kind, e.subject, e.level, e.threshold) == ("context", "segment", "alert", 0.25)
    assert "segment moved: PSI" in e.message and "vip 10% -> " in e.message
    assert mon.stats()["drift_events"]["context/alert"] == 1


@pytest.mark.parametrize(("table", "match"), [
    ({"psi_warn": 0}, r"drift.psi_warn: expected a number > 0, got 0"),
    ({"window": 1234}, r"drift.window: expected a multiple of drift.block \(500\), got 1234"),
    ({"bins": 1}, r"drift.bins: expected an integer >= 2, got 1"),
    ({"ignore": "age"}, r"drift.ignore: expected a list of context keys, got 'age'"),
    ({"enabled": "yes"}, r"drift.enabled: expected true or false, got 'yes'"),
    ({"reward_shfit": 0.1}, r"drift.reward_shfit: unknown setting; expected one of enabled"),
    ({"reward_threshold": float("nan")}, r"drift.reward_threshold: expected a number > 0"),
])
def test_bad_options_name_the_field(table, match):
    with pytest.raises(ConfigError, match=match):
        DriftOptions.from_dict(table)
