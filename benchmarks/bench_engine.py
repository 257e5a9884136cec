"""Engine speed: cost per choose+reward pair against a plain VW text predict+learn loop.

For ~50 and ~200 actions, on the same contexts and the serving learner's configuration, prints:
the reference (VW text loop: format + parse + predict, then format + parse + learn) in us per
pair; the engine's us per pair (rules, features, learner, SQLite log writes for both calls)
with its default candidate learners all learning each reward inline, and with
``follow_every=0`` (only the serving candidate on the path; the others learn when the engine
follows the log, timed apart as ``follow us/reward``); their ratios to the reference (target
<= 1.0); choose p50/p99 in us; and what the thread guard costs (the same loop with
``thread_safe=False``, the lock's own round trips timed alone, and 4 threads sharing one
engine). Run: ``python benchmarks/bench_engine.py [--quick]``. ``--candidates ridge`` (a
comma-separated ``[engine] candidates`` list) times the engine with those candidates instead,
against the same reference: the VW text loop of the default's serving configuration.
``--trial-share 0.3`` times it with challengers on trial (``selection.trial_share``: a share of
each decision drawn from a challenger's distribution, so each choose asks two learners);
``--trial-share-max 0.9`` lets that share grow (``selection.trial_share_max``).
``--served-memory 0`` times the engine as it was before stop 39: each reward asks the serving
candidate for its distribution again instead of taking the one it decided with
(``served_memory``, ``engine/served_memory.py``). ``--no-drift`` times it without the drift
monitor, which reads the log's new rows on the path every ``drift.follow_every`` calls.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from typing import Any

import numpy as np
from vowpalwabbit import Workspace

from engine import Engine
from engine.checkpoint import built_config
from engine.clock import ManualClock
from engine.contact_rules import RulesConfig
from engine.features import (
    action_feature_sets,
    context_namespace,
    history_namespace,
)
from engine.options import EngineOptions
from policies.vw_config import VWConfig
from policies.vw_format import multi_example

T0 = 1_700_000_000.0
CHANNELS = ["email", "sms", "push"]
TIMINGS = ["now", "morning", "evening", "in 2h"]
#: the catalog's shape besides its messages (``--one-message`` sets one channel and timing)
LAYOUT: dict[str, Any] = {"channels": CHANNELS, "timings": TIMINGS, "no_contact": True}
RULES = RulesConfig(max_per_day=None, max_per_week=None, quiet_hours=None)


def contexts(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [{"age": int(rng.integers(18, 80)), "segment": f"s{rng.integers(5)}",
             "spend": round(float(rng.random()) * 100, 2), "tenure_days": int(rng.integers(900)),
             "consent": dict.fromkeys(LAYOUT["channels"], True)} for _ in range(n)]


def make_engine(n_messages: int, state_dir: str, thread_safe: bool = True, **options) -> Engine:
    return Engine(messages=[f"m{i}" for i in range(n_messages)], **LAYOUT, state_dir=state_dir,
                  seed=0, rules=RULES, thread_safe=thread_safe, checkpoint_every=10**9,
                  clock=ManualClock(T0), **options)  # calls say `now` = T0 + i: within a day of it


def reference_us(eng: Engine, ctxs: list[dict]) -> float:
    """Plain VW text loop: every call formats and parses the whole multi-line example, with the
    engine's first VW candidate's configuration (SquareCB in the default, where ridge serves;
    interactions as the engine prunes them per catalog)."""
    vw_specs = [s for s in eng.options.candidate_specs if isinstance(s.config, VWConfig)]
    spec = vw_specs[0] if vw_specs else EngineOptions().candidate("squarecb")
    config = built_config(spec.config, eng.catalog, eng.options.prune_features)
    assert isinstance(config, VWConfig)
    vw = Workspace(arg_list=config.arguments(seed=0))
    actions = action_feature_sets(eng.catalog, eng.options.prune_features)
    history = history_namespace(None, [c.name for c in eng.catalog.channels])
    shared = [{"c": context_namespace(c), "h": history} for c in ctxs]
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    for s in shared:
        p = np.asarray(vw.predict(multi_example(s, actions)))
        a = int(rng.choice(len(p), p=p / p.sum()))
        vw.learn(multi_example(s, actions, a, float(a % 3 == 0), float(p[a])))
    elapsed = time.perf_counter() - start
    vw.finish()
    return elapsed / len(ctxs) * 1e6


def engine_us(n_messages: int, ctxs: list[dict], thread_safe: bool = True, **options
              ) -> tuple[float, np.ndarray, float]:
    """us per pair, choose latencies (us), and us per reward of a final ``follow()`` (the
    candidates that learn off the path catching up; 0 when they learned inline)."""
    with tempfile.TemporaryDirectory() as d, make_engine(n_messages, d, thread_safe,
                                                         **options) as eng:
        lat = np.empty(len(ctxs))
        start = time.perf_counter()
        for i, ctx in enumerate(ctxs):
            t = time.perf_counter()
            dec = eng.choose(f"c{i}", ctx, now=T0 + i)
            lat[i] = time.perf_counter() - t
            eng.reward(dec.decision_id, float(dec.action_index % 3 == 0), now=T0 + i + 1)
        pair = (time.perf_counter() - start) / len(ctxs) * 1e6
        start = time.perf_counter()
        eng.follow()
        return pair, lat * 1e6, (time.perf_counter() - start) / len(ctxs) * 1e6


def guard_us_per_pair(n: int = 200_000) -> float:
    """What the guard adds to one choose+reward pair: two uncontended acquisitions."""
    from engine.guard import Guard, NoGuard

    def loop(g) -> float:
        start = time.perf_counter()
        for _ in range(n):
            with g:
                pass
        return (time.perf_counter() - start) / n

    return 2 * (loop(Guard()) - loop(NoGuard())) * 1e6


def threaded_us(n_messages: int, ctxs: list[dict], n_threads: int, **options) -> float:
    """us per pair when ``n_threads`` threads share one engine (the guard serialises them)."""
    import threading

    per = len(ctxs) // n_threads
    with tempfile.TemporaryDirectory() as d, make_engine(n_messages, d, **options) as eng:
        def work(k: int) -> None:
            for i in range(k * per, (k + 1) * per):
                dec = eng.choose(f"c{i}", ctxs[i], now=T0 + i)
                eng.reward(dec.decision_id, float(dec.action_index % 3 == 0), now=T0 + i + 1)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return (time.perf_counter() - start) / (per * n_threads) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer pairs (about 20 s)")
    parser.add_argument("--candidates", default="", help="the engine's candidates, comma-"
                        "separated (default: the engine's own); the reference stays the default's")
    parser.add_argument("--one-message", action="store_true", help="48 and 192 actions that "
                        "share nothing (one message each, one channel, one timing)")
    parser.add_argument("--trial-share", type=float, default=0.0, help="selection.trial_share "
                        "(default 0: the serving candidate alone decides)")
    parser.add_argument("--trial-share-max", type=float, default=0.0,
                        help="selection.trial_share_max (default 0: the share stays fixed)")
    parser.add_argument("--served-memory", type=int, default=None,
                        help="served_memory (default: the engine's; 0 asks again per reward)")
    parser.add_argument("--no-drift", action="store_true",
                        help="drift.enabled = false (what the drift monitor costs on the path)")
    args = parser.parse_args()
    given = args.candidates.strip()
    extra: dict[str, Any] = {"candidates": json.loads(given) if given.startswith("[")
                             else given.split(",")} if given else {}
    if args.trial_share:
        extra["selection"] = {"trial_share": args.trial_share,
                              "trial_share_max": args.trial_share_max}
    if args.served_memory is not None:
        extra["served_memory"] = args.served_memory
    if args.no_drift:
        extra["drift"] = {"enabled": False}
    sizes = (4, 16)  # x 3 channels x 4 timings + no contact = 49 and 193 actions
    if args.one_message:
        LAYOUT.update(channels=["email"], timings=["now"], no_contact=False)
        sizes = (48, 192)
    n = 800 if args.quick else 3000
    ctxs = contexts(n)
    with tempfile.TemporaryDirectory() as d, make_engine(4, d, **extra) as eng:
        names = [c.name for c in eng.options.candidate_specs]
        memory = eng.options.served_memory
        trial = eng.options.selection_settings  # the default's own where none was given
    print(f"candidates: {', '.join(names)} (the first serves); trial_share "
          f"{trial.trial_share:g}, trial_share_max {trial.trial_share_max:g}; served_memory "
          f"{memory}; drift monitor {'off' if args.no_drift else 'on'}")
    print(f"{'actions':>7} {'VW text us/pair':>16} {'engine us/pair':>15} {'ratio':>6} "
          f"{'off-path us/pair':>16} {'ratio':>6} {'follow us/reward':>16} "
          f"{'choose p50':>10} {'p99':>7} {'no-guard us/pair':>17} {'4 threads':>9}")
    for n_messages in sizes:
        with tempfile.TemporaryDirectory() as d, make_engine(n_messages, d) as eng:
            k = eng.catalog.n_actions
            ref = reference_us(eng, ctxs)
        ours, lat, _ = engine_us(n_messages, ctxs, **extra)
        off, _, follow = engine_us(n_messages, ctxs, follow_every=0, **extra)
        bare, _, _ = engine_us(n_messages, ctxs, thread_safe=False, **extra)
        shared = threaded_us(n_messages, ctxs, 4, **extra)
        print(f"{k:>7} {ref:>16.0f} {ours:>15.0f} {ours / ref:>6.2f} {off:>16.0f} "
              f"{off / ref:>6.2f} {follow:>16.0f} "
              f"{np.percentile(lat, 50):>10.0f} {np.percentile(lat, 99):>7.0f} {bare:>17.0f} "
              f"{shared:>9.0f}")
    print(f"guard: {guard_us_per_pair():.2f} us per pair (two uncontended lock round trips; "
          f"the no-guard column is the same loop without the lock, 4 threads = one engine "
          f"shared by 4 threads, us per pair)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
