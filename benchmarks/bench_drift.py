"""Drift: how soon the engine sees a change, how often it cries wolf, what recovery is worth, and
what watching costs.

Four figures (issue 15), each printed beside its reference measured in the same run:

- **detection delay**, in decisions after the change point, on the simulator's ``drift``
  (tastes rotate at hour 504, the response changes) and ``mix_shift`` (half the customers
  replaced by young, mobile newcomers at hour 504, the population changes): the first
  alert-level drift event logged at or after the change, per seed;
- **false alarms per 1,000,000 decisions** on ``baseline`` (no change): alert-level events of the
  engine's runs (a learning policy), and of the monitor alone fed a long stationary stream (a
  fixed policy) where many more decisions are affordable;
- **value per 1,000 customers after the change**, with and without recovery, paired by seed
  (the mean expected reward of the engine's choices over the decisions after the change, times
  1,000; the oracle's and uniform random's on the same customers beside it);
- **the monitors' cost per choose+reward pair**: two engines, drift on and off, fed the same
  contexts in alternating chunks in one process; and the time spent inside the monitor itself;
- **the monitor alone** (``--parts monitor``) under a fixed policy on each changing world
  (detection delay, many seeds affordable) and on ``baseline`` under a pure policy change (the
  oracle's share 0.2, then 0.8: who gets what changes, how customers answer does not).

Every run is the whole Engine (rules, features, SQLite log, VW, the drift monitor reading its
log) through the experiments' adapter ``experiments.engine_policy.EnginePolicy``, 5 % holdout,
batches of 100 customers, totals learned as the simulator reports them. The simulated world
starts with no contact history, so its contact pressure builds up over the first weeks: the
monitor skips the first 15,000 decisions before taking its reference (``warmup``; without it
``contact_pressure`` reaches PSI 0.26 on ``baseline`` by decision 19,500: a real change of the
simulated context, not of the world's customers).

Runs are written one JSON line each to ``--out`` as they finish (a rerun skips the done ones),
then summarised. Run: ``python benchmarks/bench_drift.py [--quick] [--seeds 3]
[--parts detect,false,value,cost,monitor] [--arms none,recover,forget] [--summary-only]``
(``--arms``: each changing world without an answer to a change, with a recovery challenger,
with the serving ridge forgetting faster; paired by seed in the summary).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from engine.holdout import in_holdout
from experiments.engine_policy import T0, EnginePolicy
from experiments.metrics import mean_ci
from experiments.sim_problem import context_dicts
from simulator import CustomerBatchEnv, load_scenario

WARMUP = 15_000
# the simulated world starts with no contact history, and its customers' answers settle over
# the first weeks as the PSI's do: the response model skips as many rewards as the PSI skips
# decisions (fitted from the 5,000th reward, the default count test alerted a drop of
# ``winback20`` on 2 of 4 engine runs of ``baseline``: docs/drift.md, stop 9). Until stop 8:
# 5,000, with the level test, which was then off by default.
RESPONSE_WARMUP = 15_000
RESPONSE = {"response": True, "response_warmup": RESPONSE_WARMUP}
HOLDOUT = 0.05
BATCH = 100


def change_hour(scenario: str) -> float | None:
    """The hour the scenario changes at (None: it never does)."""
    sc = load_scenario(scenario)
    return sc.drift_at_hour or sc.mix_at_hour or None


ARMS = {"none": {}, "recover": {"recover": True}, "forget": {"forget_on_change": True}}


def _arm(run: dict[str, Any]) -> str:
    """A run's arm (runs written before arms were named have only ``recovery``)."""
    return str(run.get("arm") or ("recover" if run["recovery"] else "none"))


def run_world(scenario: str, seed: int, decisions: int, recovery: bool | str,
              keep_log: Path | None = None) -> dict[str, Any]:
    """One engine on one world: its choices' expected rewards per decision, its drift events.
    ``recovery``: an arm of :data:`ARMS` (``none``; ``recover``: a challenger on a confirmed
    change; ``forget``: the serving ridge forgets faster on it), or a bool (recover or none).
    With ``keep_log``, the engine's state (its log) stays there, for :func:`replay_monitor`."""
    arm = recovery if isinstance(recovery, str) else ("recover" if recovery else "none")
    env = CustomerBatchEnv(load_scenario(scenario), batch_size=BATCH, seed=seed)
    obs, info = env.reset(seed=seed)
    drift = {"warmup": WARMUP, **RESPONSE, **ARMS[arm]}
    start = time.perf_counter()
    n = decisions // BATCH * BATCH
    hours, chosen, oracle, random, treated = (np.empty(n) for _ in range(5))
    with tempfile.TemporaryDirectory() as tmp, EnginePolicy(
            env, keep_log or tmp, seed=seed, drift=drift, holdout_fraction=HOLDOUT) as pol:
        for step in range(n // BATCH):
            rows = slice(step * BATCH, (step + 1) * BATCH)
            el, ids = info["eligible"], info["customer_ids"]
            expected = env.expected_rewards()
            a, _ = pol.act_customers(obs, el, ids, info["clock_hours"], np.arange(n)[rows])
            r = np.arange(BATCH)
            played = np.where(el[r, a], a, env.catalog.no_contact_action)
            hours[rows] = info["clock_hours"]
            chosen[rows] = expected[r, played]
            oracle[rows] = np.where(el, expected, -np.inf).max(axis=1)
            random[rows] = np.where(el, expected, 0.0).sum(axis=1) / el.sum(axis=1)
            treated[rows] = [not in_holdout(str(int(i)), HOLDOUT) for i in ids]
            obs, _, _, _, info = env.step(played)
            pol.learn_refs(info["matured_refs"], info["matured_rewards"], info["clock_hours"])
        pol.engine.drift.catch_up()
        events = pol.engine.log.drift_events(limit=100_000)[::-1]
        stats = pol.engine.stats()
        streams = {k: {"history": s.history, "state": s.state, "mu": s.mu,
                       "sd_block": s.sd_block, "statistic": s.statistic()}
                   for k, s in pol.engine.drift.monitor.streams.items()}
    change = change_hour(scenario)
    out: dict[str, Any] = {"scenario": scenario, "seed": seed, "decisions": n,
                           "recovery": arm == "recover", "arm": arm,
                           "seconds": time.perf_counter() - start,
                           "change_hour": change, "events": [
                               {k: e[k] for k in ("kind", "subject", "level", "at", "value",
                                                  "change_at", "message")} for e in events],
                           "decisions_per_hour": env.scenario.decisions_per_hour,
                           "streams": streams,
                           "drift_decisions_seen": stats["drift_decisions_seen"],
                           "learners": {k: stats.get(k) for k in (
                               "serving_learner", "drift_challengers",
                               "drift_challengers_served", "candidates",
                               "drift_forgetting_times")}}
    after = hours >= change if change else hours >= hours[n // 2]
    mask = after & (treated > 0)
    for name, values in (("chosen", chosen), ("oracle", oracle), ("random", random)):
        out[f"{name}_after"] = float(values[mask].mean())
    out["n_after"] = int(mask.sum())
    out["hours"] = [float(hours[0]), float(hours[-1])]
    out["decision_hours"] = hours[::BATCH].tolist()  # one per batch: the count behind a time
    return out


def replay_monitor(state_dir: Path, **settings: Any) -> list[dict[str, Any]]:
    """The drift events a monitor with these ``[engine.drift]`` settings finds on a kept log
    (read-only): the monitor does not steer the engine's decisions (recovery off), so one log
    serves every setting."""
    from engine.drift.log_follower import LogFollower
    from engine.drift.options import DriftOptions
    from engine.store import DecisionLog

    with DecisionLog(state_dir) as log:
        found = LogFollower(log, None, DriftOptions(**{"warmup": WARMUP, **RESPONSE,
                                                       **settings}),
                            write=False).catch_up()
    return [{"kind": e.kind, "subject": e.subject, "level": e.level, "at": e.at,
             "value": e.value, "change_at": e.change_at, "message": e.message} for e in found]


def detection(run: dict[str, Any]) -> dict[str, Any]:
    """The first alert at or after the change, and its delay in decisions (counted from the
    decision times of the run's batches); alerts before the change are false alarms."""
    t_change = T0 + run["change_hour"] * 3600.0
    alerts = [e for e in run["events"] if e["level"] == "alert"]
    before = [e for e in alerts if e["at"] < t_change]
    after = [e for e in alerts if e["at"] >= t_change]
    out: dict[str, Any] = {"false_before": len(before), "first": None, "delay": None}
    if after:
        first = after[0]
        at_hours = (first["at"] - T0) / 3600.0
        batches = np.asarray(run["decision_hours"])
        delay = int(((batches >= run["change_hour"]) & (batches <= at_hours)).sum()) * BATCH
        out.update(first=f"{first['kind']}:{first['subject']}", delay=delay)
    return out


def monitor_only(decisions: int, seed: int = 0, scenario: str = "baseline",
                 oracle_share: tuple[float, float] = (0.5, 0.5)) -> dict[str, Any]:
    """The drift monitor alone under a fixed policy (the oracle's action with probability
    ``oracle_share[0]``, uniform random otherwise; ``oracle_share[1]`` from the middle of the
    run on: a pure policy change when they differ): contexts and realised rewards in log order,
    as the engine's follower would feed them, for many more decisions than an engine run
    affords. Returns the alerts (with the decisions read when each was found) and the warns."""
    from engine.drift.monitor import DriftMonitor
    from engine.drift.options import DriftOptions

    env = CustomerBatchEnv(load_scenario(scenario), batch_size=1000, seed=seed)
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    mon = DriftMonitor(DriftOptions(warmup=WARMUP, **RESPONSE))
    channel_of, message_of = env.catalog.channel_of, env.catalog.message_of
    names, messages = env.catalog.channels, env.catalog.messages
    alerts: list[dict[str, Any]] = []
    warns = 0
    start = time.perf_counter()
    pending: dict[int, tuple[bool, str | None, str | None, dict]] = {}
    change = change_hour(scenario)
    first_after = None  # decisions read when the change came
    for step in range(decisions // 1000):
        el = info["eligible"]
        expected = env.expected_rewards()
        best = np.where(el, expected, -np.inf).argmax(axis=1)
        pick = np.array([rng.choice(np.flatnonzero(row)) for row in el])
        share = oracle_share[step >= decisions // 2000]
        a = np.where(rng.random(len(el)) < share, best, pick)
        held = rng.random(len(el)) < HOLDOUT
        a = np.where(held, env.catalog.no_contact_action, a)
        t = T0 + info["clock_hours"] * 3600.0
        if change is not None and first_after is None and info["clock_hours"] >= change:
            first_after = step * 1000
        ctxs = context_dicts(env.context_names, obs)
        found = mon.add_decisions(ctxs, np.full(len(a), t))
        refs = np.arange(step * 1000, (step + 1) * 1000)
        for ref, h, act, c in zip(refs.tolist(), held.tolist(), a.tolist(), ctxs, strict=True):
            ch = channel_of[act]
            pending[ref] = (h, None if ch < 0 else names[ch],
                            messages[message_of[act]] if ch >= 0 else None, c)
        obs, _, _, _, info = env.step(a)
        got = info["matured_refs"].tolist()
        if got:
            meta = [pending.pop(r) for r in got]
            found += mon.add_rewards(info["matured_rewards"],
                                     np.full(len(got), T0 + info["clock_hours"] * 3600.0),
                                     np.array([m[0] for m in meta]), [m[1] for m in meta],
                                     [m[2] for m in meta], [m[3] for m in meta])
        warns += sum(e.level == "warn" for e in found)
        alerts += [{"decisions": (step + 1) * 1000, "at": e.at, "subject": e.subject,
                    "message": e.message} for e in found if e.level == "alert"]
    return {"scenario": scenario, "seed": seed, "decisions": decisions, "alerts": alerts,
            "warns": warns, "oracle_share": list(oracle_share), "change_decision": first_after,
            "seconds": time.perf_counter() - start}


def monitor_only_false_alarms(decisions: int, seed: int = 0) -> dict[str, Any]:
    """:func:`monitor_only` on ``baseline`` (no change), in the summary's shape."""
    run = monitor_only(decisions, seed)
    return {"decisions": decisions, "alerts": len(run["alerts"]), "warns": run["warns"],
            "what": [a["message"] for a in run["alerts"]][:10], "seconds": run["seconds"]}


def pair_cost(pairs: int, n_actions: str, chunk: int = 500) -> dict[str, float]:
    """us per choose+reward pair of an engine with the drift monitor and one without, fed the
    same simulator contexts (39 keys) in alternating chunks in this process; and the time spent
    inside the monitor's follow and save, per pair."""
    from engine import Engine
    from engine.clock import ManualClock
    from engine.contact_rules import RulesConfig
    from experiments.engine_policy import engine_catalog

    env = CustomerBatchEnv(load_scenario("baseline"), batch_size=1000, seed=0)
    obs, _ = env.reset(seed=0)
    ctxs: list[dict] = []
    while len(ctxs) < pairs:
        ctxs += context_dicts(env.context_names, obs)
        obs = env.step(np.full(1000, env.catalog.no_contact_action))[0]
    for ctx in ctxs:
        ctx["consent"] = dict.fromkeys(env.catalog.channels, True)
    rules = RulesConfig(max_per_day=None, max_per_week=None, quiet_hours=None)
    if n_actions == "201":
        kw: dict[str, Any] = {"catalog": engine_catalog(env)}
    else:  # 4 messages x 3 channels x 4 timings + no contact: the service benchmark's 49
        kw = {"messages": [f"m{i}" for i in range(4)], "channels": ["email", "sms", "push"],
              "timings": ["now", "morning", "evening", "in 2h"]}
        for ctx in ctxs:
            ctx["consent"] = dict.fromkeys(kw["channels"], True)
    rng = np.random.default_rng(0)
    values = (rng.random(pairs) < 0.05).astype(float)
    elapsed = {True: 0.0, False: 0.0}
    inside = 0.0
    clock = ManualClock(T0)  # simulated time: the engine refuses a caller's far from its clock
    with tempfile.TemporaryDirectory() as d:
        engines = {on: Engine(state_dir=Path(d) / str(on), seed=0, rules=rules, clock=clock,
                              drift={"enabled": on, "response": True}, **kw)
                   for on in (True, False)}
        follower = engines[True].drift
        assert follower is not None
        follow, save = follower.follow, follower.save

        def timed(fn):
            def wrapper(*a, **k):
                nonlocal inside
                t = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    inside += time.perf_counter() - t
            return wrapper

        follower.follow, follower.save = timed(follow), timed(save)  # type: ignore[method-assign]
        for lo in range(0, pairs, chunk):
            for on in ((True, False) if lo // chunk % 2 == 0 else (False, True)):
                eng = engines[on]
                t = time.perf_counter()
                for i in range(lo, min(lo + chunk, pairs)):
                    clock.set(T0 + i)
                    dec = eng.choose(f"c{i}", ctxs[i], now=T0 + i)
                    eng.reward(dec.decision_id, values[i], now=T0 + i + 1)
                elapsed[on] += time.perf_counter() - t
        seen = engines[True].stats()["drift_decisions_seen"]
        for eng in engines.values():
            eng.close()
    return {"on_us": elapsed[True] / pairs * 1e6, "off_us": elapsed[False] / pairs * 1e6,
            "inside_us": inside / pairs * 1e6, "seen": seen, "pairs": pairs}



def _load(out: Path) -> list[dict[str, Any]]:
    if not out.is_file():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def summarise(runs: list[dict[str, Any]], extra: dict[str, Any]) -> None:
    """Print the figures from the finished runs."""
    print("\n== detection delay (decisions after the change point; first alert-level event)")
    print(f"{'scenario':>10} {'seed':>4} {'arm':>8} {'delay':>7} {'first alert':<32} "
          f"{'alerts before':>13}")
    for r in sorted(runs, key=lambda r: (r["scenario"], _arm(r), r["seed"])):
        if r["change_hour"] is None:
            continue
        d = detection(r)
        print(f"{r['scenario']:>10} {r['seed']:>4} {_arm(r):>8} "
              f"{d['delay'] if d['delay'] is not None else 'none':>7} {d['first'] or '-':<32} "
              f"{d['false_before']:>13}")
    print("\n== false alarms on baseline (alert-level events; no change happens)")
    base = [r for r in runs if r["scenario"] == "baseline"]
    n = sum(r["decisions"] for r in base)
    alerts = [e for r in base for e in r["events"] if e["level"] == "alert"]
    before = [detection(r)["false_before"] for r in runs if r["change_hour"] is not None]
    if n:
        print(f"engine runs: {len(alerts)} alerts in {n:,} decisions = "
              f"{len(alerts) / n * 1e6:,.0f} per 1,000,000 (95% upper bound "
              f"{_poisson_upper(len(alerts)) / n * 1e6:,.0f}); warns "
              f"{sum(e['level'] == 'warn' for r in base for e in r['events'])}")
        for e in alerts[:8]:
            print(f"    {e['message'][:110]}")
    pre = sum(min(r["decisions"], int(r["change_hour"] * r["decisions_per_hour"]))
              for r in runs if r["change_hour"] is not None)
    if pre:
        print(f"before the change in the drift and mix_shift runs: {sum(before)} alerts in "
              f"{pre:,} decisions")
    mo = extra.get("monitor_only")
    if mo:
        print(f"monitor alone, fixed policy: {mo['alerts']} alerts in {mo['decisions']:,} "
              f"decisions = {mo['alerts'] / mo['decisions'] * 1e6:,.1f} per 1,000,000 (95% "
              f"upper bound {_poisson_upper(mo['alerts']) / mo['decisions'] * 1e6:,.1f}); "
              f"warns {mo['warns']}; {mo['seconds']:.0f} s")
        for m in mo["what"]:
            print(f"    {m[:110]}")
    print("\n== value per 1,000 customers after the change (treated decisions; mean expected "
          "reward x 1,000)")
    print(f"{'scenario':>10} {'seed':>4} {'arm':>8} {'engine':>8} {'random':>8} "
          f"{'oracle':>8} {'n':>7} {'seconds':>8}  what the answer did")
    for r in sorted(runs, key=lambda r: (r["scenario"], r["seed"], _arm(r))):
        print(f"{r['scenario']:>10} {r['seed']:>4} {_arm(r):>8} "
              f"{1000 * r['chosen_after']:>8.1f} {1000 * r['random_after']:>8.1f} "
              f"{1000 * r['oracle_after']:>8.1f} {r['n_after']:>7} {r['seconds']:>8.0f}  "
              f"{_answer(r)}")
    for scenario in sorted({r["scenario"] for r in runs}):
        pairs: dict[int, dict[str, float]] = {}
        for r in runs:
            if r["scenario"] == scenario:
                pairs.setdefault(r["seed"], {})[_arm(r)] = 1000 * r["chosen_after"]
        for arm in ("recover", "forget"):
            diffs = [p[arm] - p["none"] for p in pairs.values() if arm in p and "none" in p]
            if diffs:
                m, lo, hi = mean_ci(diffs)
                print(f"{scenario}: {arm} minus none {m:+.1f} per 1,000 (95% CI {lo:+.1f} to "
                      f"{hi:+.1f}, {len(diffs)} seeds paired: "
                      f"{', '.join(f'{d:+.1f}' for d in diffs)})")
    cost = extra.get("cost")
    if cost:
        print("\n== the monitors' cost per choose+reward pair (same process, same contexts, "
              "alternating chunks)")
        for name, c in cost.items():
            print(f"{name}: drift on {c['on_us']:.0f} us, off {c['off_us']:.0f} us: "
                  f"{100 * (c['on_us'] / c['off_us'] - 1):+.1f} %; inside the monitor "
                  f"{c['inside_us']:.1f} us = {100 * c['inside_us'] / c['on_us']:.1f} % of "
                  f"the pair ({c['pairs']:,} pairs, {c['seen']:,} read)")


def _answer(run: dict[str, Any]) -> str:
    """What a run's answer to the change did: challengers started and served, the serving
    learner at the end, the times its ridge forgot faster."""
    learners = run.get("learners", {})
    return (f"challengers {learners.get('drift_challengers')} served "
            f"{learners.get('drift_challengers_served')}, serving "
            f"{learners.get('serving_learner')}, forgot faster "
            f"{learners.get('drift_forgetting_times') or 0}")


def _poisson_upper(k: int) -> float:
    """The one-sided 95 % upper bound of a Poisson mean after seeing k events (exact for k <= 4,
    then the normal approximation)."""
    exact = {0: 3.00, 1: 4.74, 2: 6.30, 3: 7.75, 4: 9.15}
    return exact.get(k, k + 1.645 * math.sqrt(k) + 1.0)


def tune(logs: Path, tables: list[dict[str, Any]], runs: list[dict[str, Any]]) -> int:
    """Replay each settings table on every kept log: per table, the detection delay on each
    changing world and the alerts on ``baseline`` (and before each change).

    A changing world and ``baseline`` of the same seed are the same run until the change, and
    part from it only as the changed rewards reach the learner: an alert on the changing world
    that ``baseline``'s log of that seed also raised (the same subject within the same hour)
    is not the change's, and the detection is the first alert that is not."""
    by_name = {f"{r['scenario']}-{r['seed']}": r for r in runs if _arm(r) == "none"}
    folders = sorted(p for p in logs.iterdir() if p.name in by_name)
    for table in tables:
        delays, false, decisions = [], 0, 0
        found = {f.name: replay_monitor(f, **table) for f in folders}
        for name, events in found.items():
            run = {**by_name[name], "events": events}
            if run["change_hour"] is None:
                false += sum(e["level"] == "alert" for e in run["events"])
                decisions += run["decisions"]
                continue
            twin = found.get(f"baseline-{run['seed']}")
            if twin is not None:
                shared = {(e["subject"], round(e["at"] / 3600.0)) for e in twin
                          if e["level"] == "alert"}
                run["events"] = [e for e in events if e["level"] != "alert" or
                                 (e["subject"], round(e["at"] / 3600.0)) not in shared]
            d = detection(run)
            false += d["false_before"]
            decisions += int(run["change_hour"] * run["decisions_per_hour"])
            delays.append(f"{name}: {d['delay'] if d['delay'] is not None else 'none'} "
                          f"({d['first']})")
        print(f"{json.dumps(table)}: {false} alerts in {decisions:,} unchanged decisions; "
              + "; ".join(delays), flush=True)
    return 0


def monitor_part(args: argparse.Namespace, seeds: int, out: Path) -> int:
    """The monitor alone under a fixed policy (:func:`monitor_only`): detection delay on each
    changing world, and alerts on ``baseline`` under a policy that changes half-way (the
    oracle's share 0.2, then 0.8: who gets what changes, how customers answer does not)."""
    done = {(r["scenario"], r["seed"], tuple(r["oracle_share"])) for r in _load(out)}
    worlds = [(s, (0.5, 0.5)) for s in args.scenarios.split(",")] + [("baseline", (0.2, 0.8))]
    for seed in range(seeds):
        for scenario, share in worlds:
            if (scenario, seed, share) in done:
                continue
            run = monitor_only(args.monitor_decisions, seed, scenario, share)
            with out.open("a") as fh:
                fh.write(json.dumps(run) + "\n")
            print(f"ran {scenario} seed {seed} oracle {share}: {run['seconds']:.0f} s", flush=True)
    print("\n== the monitor alone, fixed policy (decisions counted in steps of 1,000)")
    for r in sorted(_load(out), key=lambda r: (r["scenario"], r["oracle_share"], r["seed"])):
        c = r["change_decision"]
        before = [a for a in r["alerts"] if c is None or a["decisions"] <= c]
        after = [a for a in r["alerts"] if c is not None and a["decisions"] > c]
        delay = f"{after[0]['decisions'] - c:,} ({after[0]['subject']})" if after else "none"
        print(f"{r['scenario']:>10} seed {r['seed']} oracle {r['oracle_share']}: "
              f"{r['decisions']:,} decisions, change at {c if c is not None else '-'}; "
              f"first alert after it: {delay}; alerts before it (false): {len(before)}"
              + "".join(f"\n      false: {a['message'][:120]}" for a in before[:3]))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one seed, 34,000 decisions, no monitor-only run, short cost runs")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per world (default 3)")
    parser.add_argument("--decisions", type=int, default=45_000,
                        help="decisions per engine run (default 45,000: the change at hour "
                        "504 comes at about 30,000)")
    parser.add_argument("--parts", default="detect,false,value,cost",
                        help="which figures to run (default all: detect,false,value,cost; "
                        "monitor: the monitor alone on each world under a fixed policy, and "
                        "on baseline under a policy change, with --monitor-decisions each)")
    parser.add_argument("--scenarios", default="drift,mix_shift",
                        help="the changing worlds of detect and value (default drift,mix_shift)")
    parser.add_argument("--recovery", action="store_true",
                        help="also run every changing world with recovery on (default: off); "
                        "the same as --arms none,recover")
    parser.add_argument("--arms", default=None,
                        help="the arms of every changing world: none, recover (a challenger on "
                        "a confirmed change), forget (the serving ridge forgets faster on it); "
                        "default none")
    parser.add_argument("--monitor-decisions", type=int, default=1_000_000,
                        help="decisions of the monitor-only false-alarm run (default 1,000,000)")
    parser.add_argument("--out", default="results/bench_drift.jsonl",
                        help="JSON lines of finished runs (default results/bench_drift.jsonl)")
    parser.add_argument("--keep-logs", default=None, metavar="DIR",
                        help="keep each run's engine log in DIR/<scenario>-<seed> (runs without "
                        "recovery), for --tune (default: not kept)")
    parser.add_argument("--tune", default=None, metavar="JSON",
                        help="replay the monitor with these settings on the kept logs instead "
                        "of running engines: a JSON list of [engine.drift] tables; prints "
                        "detection delays and false alarms per table (default: no tuning)")
    parser.add_argument("--cost-pairs", type=int, default=50_000,
                        help="choose+reward pairs per engine of the cost part (default 50,000: "
                        "the response model gathers its first 20,000 rewards before it watches "
                        "and gathers at once, the steady state)")
    parser.add_argument("--summary-only", action="store_true",
                        help="print the summary of the runs in --out without running any")
    args = parser.parse_args()
    if args.tune:
        return tune(Path(args.keep_logs or "results/drift_logs"), json.loads(args.tune),
                    _load(Path(args.out)))
    parts = set(args.parts.split(","))
    seeds = 1 if args.quick else args.seeds
    decisions = 34_000 if args.quick else args.decisions
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["scenario"], r["seed"], _arm(r), r["decisions"]) for r in _load(out)}
    worlds = []
    if parts & {"detect", "value"}:
        arms = args.arms.split(",") if args.arms else (
            ["none", "recover"] if args.recovery else ["none"])
        unknown = set(arms) - set(ARMS)
        if unknown:
            parser.error(f"--arms: expected some of {', '.join(ARMS)}, got {sorted(unknown)}")
        worlds += [(s, a) for s in args.scenarios.split(",") for a in arms]
    if "false" in parts:
        worlds.append(("baseline", "none"))
    for seed in range(0 if args.summary_only else seeds):
        for scenario, arm in worlds:
            n = decisions // BATCH * BATCH
            if (scenario, seed, arm, n) in done:
                continue
            keep = Path(args.keep_logs) / f"{scenario}-{seed}" if args.keep_logs and \
                arm == "none" else None
            run = run_world(scenario, seed, n, arm, keep)
            with out.open("a") as fh:
                fh.write(json.dumps(run) + "\n")
            print(f"ran {scenario} seed {seed} arm {arm}: {run['seconds']:.0f} s", flush=True)
    extra: dict[str, Any] = {}
    if "monitor" in parts:
        return monitor_part(args, seeds, out.with_name(out.stem + "_monitor.jsonl"))
    if "false" in parts and not args.quick:
        extra["monitor_only"] = monitor_only_false_alarms(args.monitor_decisions)
    if "cost" in parts:
        pairs = 6000 if args.quick else args.cost_pairs
        extra["cost"] = {f"{k} actions": pair_cost(pairs, k) for k in ("49", "201")}
    summarise([r for r in _load(out) if r["decisions"] == decisions // BATCH * BATCH], extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
