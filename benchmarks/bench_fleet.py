"""Fleet figures, in one run: replicas and a learner on PostgreSQL against the embedded engine.

1. **Pairs/s** over HTTP with the same client load (``--clients`` keep-alive clients in total,
   split evenly between replicas; each load process is separate from the servers): the embedded
   single-process engine on SQLite (the reference), 1 replica + learner on PostgreSQL, 2
   replicas + learner on PostgreSQL; choose p50/p99 for each; the CPU each part used per pair
   (replicas, learner, PostgreSQL server), which ``docs/scale.md`` turns into per-core figures.
2. **Staleness** at the default publish settings (a snapshot every 1,000 rewards or 5 s, replicas
   checking every 2 s): seconds from a reward's acknowledgement to a replica serving a model that
   learned it, p50/p99 over every (reward, replica), read from each replica's ``/metrics``
   (``offerbandit_learned_reward_seq``) polled every 0.1 s.
3. **Learner throughput**: rewards learned per second following a backlog in the log (PostgreSQL,
   SQLite), against the in-process engine's learn cost (the same rewards fed to VW directly, as
   ``Engine.reward`` does after writing).
4. **What PostgreSQL takes**: first rewards/s and decisions/s written by 8 connections at once
   with no engine in front (the serialised reward counter's ceiling on this disk).

The PostgreSQL server is a throwaway cluster started here with durable settings (``fsync``,
``synchronous_commit`` on), on loopback, as the rest.

    python benchmarks/bench_fleet.py            # 20 s per configuration
    python benchmarks/bench_fleet.py --quick    # 8 s, smaller backlog
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: the repository's packages first (E402 below)

from benchmarks.bench_service import TOKEN as LOAD_TOKEN  # noqa: E402
from benchmarks.bench_service import _cpu_s, _free_port, _load_child  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.learner_loop import LearnerLoop  # noqa: E402
from engine.replica import ReplicaEngine  # noqa: E402
from engine.store import DecisionRecord  # noqa: E402
from engine.store_url import open_store  # noqa: E402
from policies.vw_learner import VWLearner  # noqa: E402
from tests.postgres_cluster import ThrowawayCluster  # noqa: E402

CATALOG = REPO / "tests" / "service" / "catalog.toml"
AUTH = {"Authorization": f"Bearer {LOAD_TOKEN}"}
# `offerbandit learn` through its module's own parser (the console script's entry points are the
# installed copy's, which may predate the command).
RUN_LEARN = ("import argparse, sys; from engine.commands import learn; "
             "p = argparse.ArgumentParser(); learn.add_parser(p.add_subparsers()); "
             "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))")


# -- processes ----------------------------------------------------------------------------------
def start_serve(where: list[str], *extra: str) -> tuple[subprocess.Popen, int]:
    """``offerbandit serve`` on a free loopback port; returns once /healthz answers."""
    port = _free_port()
    env = {**os.environ, "OFFERBANDIT_TOKEN": LOAD_TOKEN, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", *where, "--catalog",
                             str(CATALOG), "--host", "127.0.0.1", "--port", str(port), *extra],
                            cwd=REPO, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, port
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("serve did not come up within 180 s")


def start_learner(store: str, *extra: str) -> subprocess.Popen:
    """``offerbandit learn``; returns once it holds the lock and has caught up."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", RUN_LEARN, "learn", "--store", store,
                             "--catalog", str(CATALOG), "--status-every-s", "0", *extra],
                            cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    if "learned_seq" not in line:
        raise SystemExit(f"learn did not start: {line}")
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def postgres_pids(cluster: ThrowawayCluster) -> list[int]:
    """The server's processes: the postmaster and its children (one backend per connection)."""
    master = int((cluster.data / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                              text=True).stdout.split()
    return [master, *map(int, children)]


def cpu_of(pids: list[int]) -> float:
    return sum(c for c in (_cpu_s(p) for p in pids) if c is not None)


# -- 1. pairs/s ---------------------------------------------------------------------------------
def load(ports: list[int], clients: int, seconds: float) -> dict:
    """``clients`` split evenly over ``ports``, one load process per port; merged results."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    share = [clients // len(ports) + (i < clients % len(ports)) for i in range(len(ports))]
    children = [ctx.Process(target=_load_child, args=(port, n, seconds, queue))
                for port, n in zip(ports, share, strict=True)]
    for c in children:
        c.start()
    parts = [queue.get(timeout=seconds + 180) for _ in children]
    for c in children:
        c.join(timeout=30)
    return {"pairs_per_s": sum(p["pairs_per_s"] for p in parts),
            "pairs": sum(p["pairs"] for p in parts), "errors": sum(p["errors"] for p in parts),
            "p50_ms": float(np.average([p["p50_ms"] for p in parts], weights=share)),
            "p99_ms": max(p["p99_ms"] for p in parts),
            "acked": [a for p in parts for a in p["acked"]]}


def run_config(name: str, cluster: ThrowawayCluster | None, replicas: int, clients: int,
               seconds: float, tmp: Path) -> dict:
    """One configuration: start it, load it, count CPU, check every acknowledged reward."""
    learner = None
    if cluster is None:
        store = f"sqlite:///{tmp / name}"
        servers = [start_serve(["--state-dir", str(tmp / name)])]
    else:
        store = cluster.new_schema_url()
        learner = start_learner(store)
        servers = [start_serve(["--store", store]) for _ in range(replicas)]
    procs = [p for p, _ in servers]
    pg = postgres_pids(cluster) if cluster else []
    try:
        cpu0 = [cpu_of([p.pid]) for p in procs], cpu_of([learner.pid]) if learner else 0, cpu_of(pg)
        result = load([port for _, port in servers], clients, seconds)
        cpu1 = [cpu_of([p.pid]) for p in procs], cpu_of([learner.pid]) if learner else 0, cpu_of(pg)
    finally:
        for p in procs:
            stop(p)
        if learner is not None:
            stop(learner)
    pairs = max(result["pairs"], 1)
    result["cpu_ms"] = {"replicas": 1000 * sum(b - a for a, b in zip(cpu0[0], cpu1[0],
                                                                     strict=True)) / pairs,
                        "learner": 1000 * (cpu1[1] - cpu0[1]) / pairs,
                        "postgres": 1000 * (cpu1[2] - cpu0[2]) / pairs}
    with open_store(store) as log:
        result["lost"] = sum(1 for d, v in result.pop("acked")
                             if [r[1] for r in log.rewards_of(d)] != [v])
        if learner is not None:
            snap = log.latest_snapshot()
            result["learned_at_end"] = (snap.learned_seq if snap else 0, log.last_seq())
    return result


# -- 2. staleness -------------------------------------------------------------------------------
def staleness(cluster: ThrowawayCluster, seconds: float) -> dict:
    """Seconds from a reward's acknowledgement to each replica serving a model that learned it,
    at the default publish and refresh settings."""
    store = cluster.new_schema_url()
    learner = start_learner(store)
    servers = [start_serve(["--store", store]) for _ in range(2)]
    acks: list[tuple[int, float]] = []
    seen: dict[int, list[tuple[float, int]]] = {port: [] for _, port in servers}
    done = threading.Event()

    def client(port: int, k: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=AUTH, timeout=10) as h:
            i = 0
            while not done.is_set():
                i += 1
                d = h.post("/v1/choose", json={"customer_id": f"s{port}-{k}-{i}",
                                               "context": {"age": 30 + i % 40}}).json()
                r = h.post("/v1/reward", json={"decision_id": d["decision_id"],
                                               "value": float(i % 5 == 0)})
                if r.status_code == 200:
                    acks.append((r.json()["seq"], time.time()))

    def watch(port: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=AUTH, timeout=10) as h:
            while not done.is_set():
                for line in h.get("/metrics").text.splitlines():
                    if line.startswith("offerbandit_learned_reward_seq "):
                        seen[port].append((time.time(), int(float(line.split()[1]))))
                time.sleep(0.1)

    threads = [threading.Thread(target=client, args=(port, k)) for _, port in servers
               for k in range(2)]
    threads += [threading.Thread(target=watch, args=(port,)) for _, port in servers]
    for t in threads:
        t.start()
    time.sleep(seconds)
    cutoff = time.time() - 12  # rewards acknowledged in the last 12 s may not be served yet
    time.sleep(12)
    done.set()
    for t in threads:
        t.join(timeout=60)
    for p, _ in servers:
        stop(p)
    stop(learner)
    delays = []
    for series in seen.values():
        times = np.array([t for t, _ in series])
        seqs = np.maximum.accumulate(np.array([s for _, s in series]))
        for seq, at in acks:
            if at > cutoff:
                continue
            i = int(np.searchsorted(seqs, seq))  # the first scrape serving a model with it
            if i < len(times):
                delays.append(max(times[i] - at, 0.0))
    d = np.array(delays)
    return {"n": len(d), "p50_s": float(np.percentile(d, 50)) if len(d) else float("nan"),
            "p99_s": float(np.percentile(d, 99)) if len(d) else float("nan"),
            "rewards": len([a for a in acks if a[1] <= cutoff])}


# -- 3. learner throughput ----------------------------------------------------------------------
def backlog(store: str, n: int) -> None:
    """n choose+reward pairs written by a replica (no learner running)."""
    catalog, rules, _ = load_config(CATALOG)
    with ReplicaEngine(catalog=catalog, rules=rules, store=store, refresh_s=None) as rep:
        for i in range(n):
            d = rep.choose(f"b{i}", {"age": 20 + i % 50, "segment": ["new", "vip"][i % 2]})
            rep.reward(d.decision_id, float(i % 4 == 0))


def learner_rate(store: str, n: int) -> dict:
    """Rewards/s of a running learner catching up a backlog of n rewards, and its CPU."""
    catalog, _, _ = load_config(CATALOG)
    with LearnerLoop(catalog, store, publish_every=10**9, publish_every_s=10**9) as loop:
        backlog(store, n)
        cpu, start = time.process_time(), time.perf_counter()
        learned = 0
        while (k := loop.step()) > 0:
            learned += k
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        return {"per_s": learned / wall, "cpu_us": 1e6 * cpu / max(learned, 1), "n": learned}


def in_process_learn_rate(store: str) -> float:
    """Rewards/s of VW learning the same rewards with no store reads: the embedded engine's
    learn cost per reward (what ``Engine.reward`` spends after writing)."""
    from engine.features import action_feature_sets
    from engine.options import default_learner

    catalog, _, _ = load_config(CATALOG)
    with open_store(store) as log:
        rows = [(json.loads(r.features_json), r.eligible, r.action_index, r.probability, v)
                for _, r, v, _ in log.rewards_since(0)
                if not r.holdout and r.action_index >= 0]
    with VWLearner(default_learner()) as vw:
        vw.set_actions(action_feature_sets(catalog))
        start = time.perf_counter()
        for shared, eligible, action, prob, value in rows:
            vw.learn(shared, eligible, action, prob, value)
        return len(rows) / (time.perf_counter() - start)


# -- 4. what PostgreSQL takes -------------------------------------------------------------------
def store_ceiling(cluster: ThrowawayCluster, seconds: float, connections: int = 8) -> dict:
    """Decisions/s, then first rewards/s, written by ``connections`` at once, no engine."""
    store = cluster.new_schema_url()
    logs = [open_store(store) for _ in range(connections)]
    ids: list[list[str]] = [[] for _ in logs]

    def decisions(k: int, until: float) -> None:
        while time.perf_counter() < until:
            did = uuid.uuid4().hex
            logs[k].write_decision(DecisionRecord(did, f"c{k}-{len(ids[k])}", 1.7e9, 0, 0.5,
                                                  False, "{}", "{}", (0, 1), None, True, "v",
                                                  "m", "email", "now"))
            ids[k].append(did)

    def rewards(k: int, until: float, done: list[int]) -> None:
        for did in ids[k]:
            if time.perf_counter() >= until:
                return
            logs[k].write_reward(did, 1.0, 1.7e9)
            done[k] += 1

    def timed(target, *args) -> float:
        until = time.perf_counter() + seconds
        threads = [threading.Thread(target=target, args=(k, until, *args))
                   for k in range(connections)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start

    wall = timed(decisions)
    n_decisions = sum(len(x) for x in ids)
    done = [0] * connections
    wall_r = timed(rewards, done)
    for log in logs:
        log.close()
    return {"decisions_per_s": n_decisions / wall, "rewards_per_s": sum(done) / wall_r}


# -- report -------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Run every measurement; print each figure next to its reference."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="8 s per configuration, 2,000 backlog")
    p.add_argument("--seconds", type=float, default=None, help="load per configuration")
    p.add_argument("--clients", type=int, default=16, help="keep-alive clients in total")
    p.add_argument("--backlog", type=int, default=None, help="rewards the learner catches up")
    args = p.parse_args(argv)
    seconds = args.seconds or (8.0 if args.quick else 20.0)
    n_backlog = args.backlog or (2000 if args.quick else 10000)
    with tempfile.TemporaryDirectory() as tmp, ThrowawayCluster.start(durable=True) as pg:
        configs = {"SQLite, 1 process": run_config("sqlite", None, 1, args.clients, seconds,
                                                   Path(tmp)),
                   "PG, 1 replica + learner": run_config("pg1", pg, 1, args.clients, seconds,
                                                         Path(tmp)),
                   "PG, 2 replicas + learner": run_config("pg2", pg, 2, args.clients, seconds,
                                                          Path(tmp))}
        stale = staleness(pg, 3 * seconds)
        pg_store = pg.new_schema_url()
        learn_pg = learner_rate(pg_store, n_backlog)
        learn_sqlite = learner_rate(f"sqlite:///{Path(tmp) / 'learn'}", n_backlog)
        vw_rate = in_process_learn_rate(pg_store)
        ceiling = store_ceiling(pg, seconds)

    ref = configs["SQLite, 1 process"]["pairs_per_s"]
    print(f"bench_fleet: {seconds:.0f} s per configuration, {args.clients} clients in total, "
          f"49 actions, {os.cpu_count()} CPUs shared by servers, PostgreSQL and load, loopback; "
          f"PostgreSQL durable (fsync and synchronous_commit on)")
    print(f"{'':28}{'pairs/s':>9}{'vs SQLite':>10}{'p50 ms':>8}{'p99 ms':>8}"
          f"{'CPU ms/pair: replicas':>23}{'learner':>9}{'postgres':>10}{'lost':>6}")
    for name, r in configs.items():
        c = r["cpu_ms"]
        print(f"{name:28}{r['pairs_per_s']:9.0f}{r['pairs_per_s'] / ref:10.2f}"
              f"{r['p50_ms']:8.2f}{r['p99_ms']:8.2f}{c['replicas']:23.2f}{c['learner']:9.2f}"
              f"{c['postgres']:10.2f}{r['lost']:6d}")
        if r["errors"]:
            print(f"  {r['errors']} errors")
    for name, r in configs.items():
        if "learned_at_end" in r:
            print(f"{name}: at the end the last snapshot had learned {r['learned_at_end'][0]} of "
                  f"{r['learned_at_end'][1]} rewards")
    print(f"staleness (publish every 1,000 rewards or 5 s, replicas check every 2 s): "
          f"p50 {stale['p50_s']:.2f} s, p99 {stale['p99_s']:.2f} s over {stale['n']} "
          f"(reward, replica) pairs of {stale['rewards']} rewards")
    print(f"learner following a backlog of {n_backlog}: PostgreSQL {learn_pg['per_s']:.0f} "
          f"rewards/s ({learn_pg['cpu_us']:.0f} us CPU each), SQLite {learn_sqlite['per_s']:.0f}"
          f"/s ({learn_sqlite['cpu_us']:.0f} us); in-process learn (VW only) {vw_rate:.0f}/s; "
          f"ratio PostgreSQL / in-process {learn_pg['per_s'] / vw_rate:.2f}")
    print(f"PostgreSQL alone, 8 connections: {ceiling['decisions_per_s']:.0f} decisions/s, "
          f"{ceiling['rewards_per_s']:.0f} first rewards/s (one counter row, commits in order)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
