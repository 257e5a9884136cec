"""Priced live choose against the default choose: latency per call.

A catalog of 4 messages x 3 channels x 4 timings + no contact (49 actions; ``sms`` has a daily
capacity of 300, so its price binds), rules that leave every action eligible. A first engine
lives one day of ``--warmup`` customers (choose, then a reward), prices off: that day is the
forecast. Two copies of its state folder then decide the next day's customers, one with the
default choose, one with ``[engine.prices] enabled = true`` (default settings: prices refreshed
every 200 decisions, the VW weight columns rebuilt every 100 learns); each call is followed by
its reward, so refreshes and rebuilds are paid as in service. The two run in alternating blocks
of 250 calls (the machine's load hits both alike). Printed: choose p50 / p99 / mean in us per
arm, their ratios (priced / default), and the priced engine's refreshes and rebuilds.

Run: ``python benchmarks/bench_live_prices.py [--calls 3000] [--warmup 3000]``. Exits 0.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from engine import Engine
from engine.catalog import Catalog, Channel, Message, TimingSlot
from engine.clock import ManualClock

T0 = 1_700_006_400.0  # a UTC midnight
DAY = 86400.0
RULES = {"quiet_hours": False, "max_per_day": False, "max_per_week": False}
CHANNELS = ("email", "sms", "push")


def catalog() -> Catalog:
    return Catalog(tuple(Message(f"m{i}", discount=0.05 * i) for i in range(4)),
                   (Channel("email"), Channel("sms", daily_capacity=300), Channel("push")),
                   tuple(TimingSlot(n, r) for n, r in (("now", "now"), ("morning", "at 09:00"),
                                                       ("evening", "at 19:00"),
                                                       ("weekend", "next saturday 10:00"))),
                   no_contact=True)


def contexts(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [{"age": int(rng.integers(18, 80)), "segment": f"s{rng.integers(5)}",
             "spend": round(float(rng.random()) * 100, 2), "tenure_days": int(rng.integers(900)),
             "consent": dict.fromkeys(CHANNELS, True)} for _ in range(n)]


def reward_of(ctx: dict, channel: str | None) -> float:
    """A world where sms pays for big spenders, email a little for everyone."""
    if channel == "sms":
        return ctx["spend"] / 100.0
    return 0.2 if channel == "email" else 0.0


def live_day(eng: Engine, clock: ManualClock, day: int, ctxs: list[dict], prefix: str,
             timed: list[float] | None = None, start: int = 0) -> None:
    n_day = 6000  # calls are spread as if 6,000 came in the day
    for i, ctx in enumerate(ctxs, start):
        clock.set(T0 + day * DAY + (i + 0.5) * DAY / n_day)
        t = time.perf_counter()
        dec = eng.choose(f"{prefix}{i}", ctx)
        if timed is not None:
            timed.append(time.perf_counter() - t)
        clock.set(clock() + 1.0)
        eng.reward(dec.decision_id, reward_of(ctx, dec.channel))


def main() -> int:
    """Measure and print; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="timed calls per arm")
    parser.add_argument("--warmup", type=int, default=3000, help="customers of the forecast day")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        clock = ManualClock(T0)
        with Engine(catalog=catalog(), rules=RULES, state_dir=base, seed=0, clock=clock) as eng:
            live_day(eng, clock, 0, contexts(args.warmup, 0), "w")
        arms: dict[str, tuple[Engine, ManualClock]] = {}
        for name, opts in (("default", {}), ("priced", {"prices": {"enabled": True}})):
            shutil.copytree(base, Path(tmp) / name)
            c = ManualClock(T0 + DAY)
            arms[name] = (Engine(catalog=catalog(), rules=RULES, state_dir=Path(tmp) / name,
                                 seed=0, clock=c, **opts), c)
        times: dict[str, list[float]] = {n: [] for n in arms}
        ctxs = contexts(args.calls, 1)
        for start in range(0, args.calls, 250):
            for name, (eng, c) in arms.items():
                live_day(eng, c, 1, ctxs[start:start + 250], "d", times[name], start)
        priced = arms["priced"][0]
        assert priced._prices is not None and priced._live_scores is not None
        prices = dict(zip(CHANNELS, priced._prices.channel.tolist(), strict=True))
        refreshes, rebuilds = priced._prices.refreshes, priced._live_scores.rebuilds
        sends = {n: eng.log.capacity_used(T0 + DAY) for n, (eng, _) in arms.items()}
        for eng, _ in arms.values():
            eng.close()
    stats = {n: (np.percentile(v, 50) * 1e6, np.percentile(v, 99) * 1e6, np.mean(v) * 1e6)
             for n, v in times.items()}
    print(f"choose latency, 49 actions, {args.calls} calls per arm (each followed by its "
          f"reward), forecast day of {args.warmup} customers")
    print(f"{'arm':<9} {'p50 us':>8} {'p99 us':>8} {'mean us':>8}")
    for name, (p50, p99, mean) in stats.items():
        print(f"{name:<9} {p50:8.0f} {p99:8.0f} {mean:8.0f}")
    d, p = stats["default"], stats["priced"]
    print(f"ratio priced/default: p50 {p[0] / d[0]:.2f}, p99 {p[1] / d[1]:.2f}, mean "
          f"{p[2] / d[2]:.2f}")
    print(f"priced: {refreshes} price refreshes, {rebuilds} scorer rebuilds; last prices "
          f"{ {k: round(v, 4) for k, v in prices.items()} }; sends today {sends}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
