"""The response streams' detectors side by side: false alarms on ``baseline`` and detection delay
on ``drift``, for several settings fed the same rewards in one pass of the simulator.

Each run feeds the treatment rewards of a fixed policy on one simulated world, in log order (as
the engine's log follower would: a decision's context with its reward when it arrives; the
first ``RESPONSE_WARMUP`` rewards skipped), to one :class:`ResponseDrift` per setting, and
records every crossing (alerts, and the warnings of a setting that asks for confirmation).
Two fixed policies:

- ``oracle``: the simulator's best action with probability ``share``, uniform random
  otherwise: it chooses on the customers' hidden tastes, which the log does not show (the
  policy ``bench_drift.py --parts monitor`` uses);
- ``context``: greedy with probability ``share`` on a fixed random linear score of the logged
  context (standardised on the first batch), uniform random otherwise: it chooses on what the
  log shows only, as an engine's learner does.

With ``--policy-change`` the share is 0.2 for the first half of the run and 0.8 after it (who
gets what changes, how customers answer does not). Runs go one JSON line each to ``--out``
(a rerun skips the done ones), then a summary per setting: alerts per 1,000,000 decisions on
``baseline``, and on each changing world the alerts before its change and the delay of the
first one after it.

Run: ``python benchmarks/bench_response_drift.py --worlds baseline:oracle,baseline:context
--decisions 1000000 --seeds 1``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from engine.drift.response_drift import ResponseDrift
from experiments.engine_policy import T0
from experiments.metrics import mean_ci
from experiments.sim_problem import context_dicts
from simulator import CustomerBatchEnv, load_scenario

RESPONSE_WARMUP = 5_000  # as bench_drift.py: the empty world's first rewards are skipped
HOLDOUT = 0.05
BATCH = 1000
# name -> ResponseDrift settings (reference 10,000, shift 0.25 and ridge 0.01 as the defaults)
SETTINGS: dict[str, dict[str, Any]] = {
    "t16": {"threshold": 16.0},
    "t20": {"threshold": 20.0},
    "t16 confirm 2": {"threshold": 16.0, "confirm": 2},
    "t12 confirm 2": {"threshold": 12.0, "confirm": 2},
}


def change_hour(scenario: str) -> float | None:
    sc = load_scenario(scenario)
    return sc.drift_at_hour or sc.mix_at_hour or None


def run(scenario: str, policy: str, seed: int, decisions: int, policy_change: bool,
        settings: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One pass of a fixed policy on one world; every setting's crossings."""
    env = CustomerBatchEnv(load_scenario(scenario), batch_size=BATCH, seed=seed)
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    channel_of, message_of = env.catalog.channel_of, env.catalog.message_of
    weights = np.random.default_rng(1000 + seed).normal(size=(obs.shape[1], len(channel_of)))
    center, scale = obs.mean(axis=0), obs.std(axis=0) + 1e-9
    detectors = {name: ResponseDrift(**kw) for name, kw in settings.items()}
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in settings}
    messages = env.catalog.messages
    pending: dict[int, tuple[bool, str | None, dict]] = {}
    change, change_decision, rewards = change_hour(scenario), None, 0
    start = time.perf_counter()
    for step in range(decisions // BATCH):
        el = info["eligible"]
        share = (0.2 if step < decisions // BATCH // 2 else 0.8) if policy_change else 0.5
        score = env.expected_rewards() if policy == "oracle" else \
            ((obs - center) / scale) @ weights
        best = np.where(el, score, -np.inf).argmax(axis=1)
        pick = np.array([rng.choice(np.flatnonzero(row)) for row in el])
        a = np.where(rng.random(len(el)) < share, best, pick)
        held = rng.random(len(el)) < HOLDOUT
        a = np.where(held, env.catalog.no_contact_action, a)
        if change is not None and change_decision is None and info["clock_hours"] >= change:
            change_decision = step * BATCH
        ctxs = context_dicts(env.context_names, obs)
        for ref, h, act, c in zip(range(step * BATCH, (step + 1) * BATCH), held.tolist(),
                                  a.tolist(), ctxs, strict=True):
            ch = channel_of[act]
            pending[ref] = (h, messages[message_of[act]] if ch >= 0 else None, c)
        obs, _, _, _, info = env.step(a)
        got = info["matured_refs"].tolist()
        if not got:
            continue
        meta = [pending.pop(r) for r in got]
        keep = [i for i, m in enumerate(meta) if not m[0] and rewards + i >= RESPONSE_WARMUP]
        rewards += len(got)
        if not keep:
            continue
        values = np.asarray(info["matured_rewards"], dtype=np.float64)[keep]
        times = np.full(len(keep), T0 + info["clock_hours"] * 3600.0)
        ctx, msgs = [meta[i][2] for i in keep], [meta[i][1] for i in keep]
        for name, det in detectors.items():
            found[name] += [{"decisions": (step + 1) * BATCH, "subject": c.stream,
                             "direction": c.direction, "confirmed": c.confirmed,
                             "statistic": c.statistic}
                            for c in det.add(ctx, msgs, values, times)]
    return {"scenario": scenario, "policy": policy, "seed": seed, "decisions": decisions,
            "policy_change": policy_change, "change_decision": change_decision,
            "found": found, "seconds": time.perf_counter() - start}


def summarise(runs: list[dict[str, Any]]) -> None:
    names = sorted({n for r in runs for n in r["found"]})
    for name in names:
        print(f"\n== {name}")
        for r in sorted(runs, key=lambda r: (r["scenario"], r["policy"], r["policy_change"],
                                             r["seed"])):
            if name not in r["found"]:
                continue
            c = r["change_decision"]
            alerts = [f for f in r["found"][name] if f["confirmed"]]
            warns = len(r["found"][name]) - len(alerts)
            before = [f for f in alerts if c is None or f["decisions"] <= c]
            after = [f for f in alerts if c is not None and f["decisions"] > c]
            drops = [f for f in before if f["direction"] == "drop"]
            first = (f"{after[0]['decisions'] - c:,} ({after[0]['subject']} "
                     f"{after[0]['direction']})" if after else "none")
            what = "; ".join(f"{f['decisions']:,} {f['subject'].split('=')[-1]} {f['direction']}"
                             for f in before[:6])
            print(f"  {r['scenario']:>9} {r['policy']:>7} change={r['policy_change']!s:<5} "
                  f"seed {r['seed']}: {r['decisions']:,} decisions; false alerts {len(before)} "
                  f"({len(drops)} drops), warns {warns}; first alert after the change: "
                  f"{first if c is not None else '-'}" + (f"\n      false: {what}" if what else ""))
        delays = [a[0]["decisions"] - r["change_decision"] for r in runs
                  if r["change_decision"] is not None and name in r["found"]
                  and (a := [f for f in r["found"][name]
                             if f["confirmed"] and f["decisions"] > r["change_decision"]])]
        if len(delays) > 1:
            m, lo, hi = mean_ci(delays)
            print(f"  mean delay where detected: {m:,.0f} (95% CI {lo:,.0f} to {hi:,.0f}, "
                  f"{len(delays)} runs)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", default="baseline:oracle,baseline:context",
                        help="scenario:policy pairs (policy oracle or context; add :change for "
                        "the policy change)")
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--settings", default=None,
                        help="a JSON object name -> ResponseDrift settings (default: SETTINGS)")
    parser.add_argument("--out", default="results/bench_response_drift.jsonl")
    parser.add_argument("--summary-only", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = json.loads(args.settings) if args.settings else SETTINGS
    if not args.summary_only:
        done = {(r["scenario"], r["policy"], r["seed"], r["decisions"], r["policy_change"])
                for r in _load(out)}
        for seed in range(args.seeds):
            for world in args.worlds.split(","):
                scenario, policy, *rest = world.split(":")
                key = (scenario, policy, seed, args.decisions, rest == ["change"])
                if key in done:
                    continue
                r = run(scenario, policy, seed, args.decisions, rest == ["change"], settings)
                with out.open("a") as fh:
                    fh.write(json.dumps(r) + "\n")
                print(f"ran {world} seed {seed}: {r['seconds']:.0f} s", flush=True)
    summarise(_load(out))
    return 0


def _load(out: Path) -> list[dict[str, Any]]:
    if not out.is_file():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


if __name__ == "__main__":
    raise SystemExit(main())
