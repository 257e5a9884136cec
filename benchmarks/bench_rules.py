"""Contact-rules speed: ``ContactRules.apply`` against a plain per-action loop, same run.

The reference restates every rule action by action (consent, segment, tenure, caps, capacity,
quiet hours with ``send_at`` per action), the textbook way; both must give the same mask (checked
here). Printed for ~50 and ~200 actions, in a catalog without message windows and in one where
every third message has one (``available_from`` / ``available_until`` inside the customers'
week, so the ``availability`` rule removes some actions and keeps others): microseconds per
customer and the ratio.
Run: ``python benchmarks/bench_rules.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from engine.catalog import Catalog, Channel, Message
from engine.contact_rules import ContactRules, RulesConfig
from engine.send_time import send_at
from engine.store import ContactHistory

CHANNELS = ("email", "sms", "push")
ZONES = ("Europe/Paris", "Asia/Tokyo", "America/New_York", None)


def make_catalog(n_messages: int, windows: bool = False) -> Catalog:
    def window(i: int) -> dict[str, float]:  # launches and ends inside the customers' week
        if not windows or i % 3:
            return {}
        return ({"available_from": 1.7e9 + 86400 * 2} if i % 2 else
                {"available_until": 1.7e9 + 86400 * 4.5})

    msgs = tuple(Message(f"m{i}", segments=("vip",) if i % 4 == 0 else (),
                         min_tenure_days=30.0 if i % 3 == 0 else 0.0, **window(i))
                 for i in range(n_messages))
    chans = (Channel("email"), Channel("sms", daily_capacity=1000), Channel("push"))
    return Catalog.from_names(msgs, chans, ["now", "morning", "evening", "in 2h"])


def customers(n: int, seed: int = 0) -> list[tuple[dict, ContactHistory, float]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        ctx = {"consent": {c: bool(rng.random() < 0.8) for c in CHANNELS},
               "segment": ["vip", "new"][i % 2], "tenure_days": float(rng.integers(0, 90))}
        if (tz := ZONES[i % len(ZONES)]) is not None:
            ctx["timezone"] = tz
        hist = ContactHistory(contacts_1d=int(rng.random() < 0.2),
                              contacts_7d=int(rng.integers(0, 4)),
                              sends_today_by_channel={"sms": int(rng.integers(0, 2))})
        out.append((ctx, hist, 1.7e9 + float(rng.integers(0, 86400 * 7))))
    return out


def reference(cat: Catalog, cfg: RulesConfig, ctx: dict, hist: ContactHistory, now: float,
              used: dict[str, int]) -> np.ndarray:
    """Every rule, action by action."""
    allowed = np.ones(cat.n_actions, dtype=bool)
    when = datetime.fromtimestamp(now, tz=UTC)
    zone = ZoneInfo(ctx.get("timezone") or "UTC")
    for a in cat.actions:
        if a.is_no_contact:
            continue
        ch, msg = a.channel, a.message
        ok = ctx["consent"].get(ch.name, False)
        ok = ok and (not msg.segments or ctx.get("segment") in msg.segments)
        ok = ok and ctx.get("tenure_days", 0.0) >= msg.min_tenure_days
        ok = ok and (msg.available_from is None or when >= msg.available_from)
        ok = ok and (msg.available_until is None
                     or send_at(a.timing, when, ctx.get("timezone")) < msg.available_until)
        ok = ok and hist.contacts_1d < cfg.max_per_day and hist.contacts_7d < cfg.max_per_week
        cap = cfg.max_per_day_per_channel.get(ch.name)
        ok = ok and (cap is None or hist.sends_today_by_channel.get(ch.name, 0) < cap)
        ok = ok and (ch.daily_capacity is None or used.get(ch.name, 0) < ch.daily_capacity)
        if ok:
            hour = send_at(a.timing, when, ctx.get("timezone")).astimezone(zone).hour
            start, end = cfg.quiet_hours
            ok = not (hour >= start or hour < end)
        allowed[a.index] = ok
    return allowed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 customers instead of 5,000")
    n = 500 if parser.parse_args().quick else 5000
    cfg = RulesConfig(max_per_day=1, max_per_week=3, max_per_day_per_channel={"sms": 1},
                      quiet_hours=(21, 8))
    used = {"sms": 10}
    people = customers(n)
    for n_messages, windows in ((4, False), (4, True), (16, False), (16, True)):
        cat = make_catalog(n_messages, windows)
        rules = ContactRules(cat, cfg)
        for ctx, hist, now in people[:200]:
            assert np.array_equal(rules.apply(ctx, hist, now, used).allowed,
                                  reference(cat, cfg, ctx, hist, now, used))
        ref_t, ours_t = [], []
        for lo in range(0, n, 250):
            batch = people[lo:lo + 250]
            start = time.perf_counter()
            for ctx, hist, now in batch:
                reference(cat, cfg, ctx, hist, now, used)
            ref_t.append((time.perf_counter() - start) / len(batch))
            start = time.perf_counter()
            for ctx, hist, now in batch:
                rules.apply(ctx, hist, now, used)
            ours_t.append((time.perf_counter() - start) / len(batch))
        ref, ours = statistics.median(ref_t) * 1e6, statistics.median(ours_t) * 1e6
        kind = "with windows" if windows else "no windows  "
        print(f"{cat.n_actions:4d} actions, {kind}: reference per-action loop {ref:8.1f} us, "
              f"ContactRules.apply {ours:7.1f} us, ratio {ours / ref:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
