"""A small world for the campaign tests: a catalog with a scarce SMS channel, an engine trained on
a few hundred decisions (SMS pays), and customers tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from engine import Engine
from engine.clock import ManualClock
from engine.snapshots import ModelSnapshot

T0 = 1_700_000_000.0  # a Tuesday, 22:13 UTC
AT = T0 + 2 * 86400 + 10 * 3600  # the campaign: two days later, 08:13 UTC

CATALOG = """
no_contact = true
[[messages]]
name = "welcome10"
theme = "welcome"
offer_type = "discount"
discount = 0.10
segments = ["new"]
[[messages]]
name = "winback20"
discount = 0.20
min_tenure_days = 90
[[messages]]
name = "newsletter"
[[channels]]
name = "email"
cost = 0.001
[[channels]]
name = "sms"
cost = 0.05
daily_capacity = 400
[[channels]]
name = "push"
[[timings]]
name = "now"
rule = "now"
[[timings]]
name = "evening"
rule = "at 18:00"
[rules]
max_per_day = 1
max_per_week = 3
quiet_hours = [21, 8]
[engine]
holdout_fraction = 0.1
"""

CHANNELS = ("email", "sms", "push")
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo")


def write_catalog(folder: Path) -> Path:
    path = folder / "catalog.toml"
    path.write_text(CATALOG)
    return path


def context(rng: np.random.Generator, i: int) -> dict:
    return {"age": int(rng.integers(18, 80)), "segment": ["new", "vip", "active"][i % 3],
            "tenure_days": float(rng.integers(0, 400)), "timezone": ZONES[i % 3],
            "consent": {"email": True, "sms": bool(rng.random() < 0.7),
                        "push": bool(rng.random() < 0.5)}}


def train_engine(state: Path, catalog: Path, n: int = 400, seed: int = 0,
                 store: str | None = None) -> ModelSnapshot:
    """An engine whose model learned that SMS pays (5 per SMS, 1 per email, 0 else), on its
    state folder's log or on ``store``; returns its model's snapshot (unpublished)."""
    rng = np.random.default_rng(seed)
    clock = ManualClock(T0 - 20 * 86400)
    with Engine.from_catalog(catalog, state_dir=state, seed=seed, clock=clock,
                             store=store) as eng:
        for i in range(n):
            clock.set(T0 - 20 * 86400 + i * 600.0)
            dec = eng.choose(f"h{i}", context(rng, i))
            if dec.channel is not None or dec.holdout:
                value = {"sms": 5.0, "email": 1.0}.get(dec.channel or "", 0.0)
                clock.advance(60)
                eng.reward(dec.decision_id, value)
        clock.set(T0)
        eng.expire_rewards()
        eng.checkpoint()
        return eng.model_snapshot()


def customers_table(n: int, seed: int = 1, prefix: str = "c") -> pa.Table:
    rng = np.random.default_rng(seed)
    consent = pa.StructArray.from_arrays(
        [pa.array(np.ones(n, bool)), pa.array(rng.random(n) < 0.7),
         pa.array(rng.random(n) < 0.5)], names=list(CHANNELS))
    return pa.table({
        "customer_id": [f"{prefix}{i}" for i in range(n)],
        "age": rng.integers(18, 80, n),
        "segment": rng.choice(["new", "vip", "active"], n),
        "tenure_days": rng.integers(0, 400, n).astype(float),
        "timezone": rng.choice(ZONES, n),
        "tags": [["a", "b"][: i % 3] for i in range(n)],
        "consent": consent,
    })


def write_customers(path: Path, n: int, seed: int = 1, prefix: str = "c") -> Path:
    pq.write_table(customers_table(n, seed, prefix), path)
    return path
