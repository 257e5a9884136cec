"""Figure: choose+reward pairs per second over HTTP, next to the same engine in-process.

Target (issue 7): >= 1,000 pairs/s on the 2-core machine with choose p99 <= 25 ms (~50 actions),
zero errors, zero lost rewards. The reference, measured in the same run, is the engine called
in-process on the same catalog (49 actions) with the same traffic: the HTTP figure can only be a
fraction of it, and the ratio says how much the service layer costs. It also prints the CPU that
observing ``/metrics`` (counters, histograms) adds to each pair, next to the server's CPU per pair.

Loopback only: the server binds 127.0.0.1, the clients (a separate process) connect there, and
every loop stops by itself after its time.

    python benchmarks/bench_service.py            # 60 s of load
    python benchmarks/bench_service.py --quick    # 10 s
    python benchmarks/bench_service.py --quick --compare-follow   # and a server whose
        # candidates all learn inside each reward (--follow inline), next to the default
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
# Run as a script (and re-imported by the spawned load process), this file must see the
# repository's packages and benchmarks/ itself before importing them: hence E402 below.
sys.path.insert(0, str(REPO))

from benchmarks.service_load import run_load  # noqa: E402
from engine import Engine  # noqa: E402
from engine.http.metrics import ServiceMetrics  # noqa: E402
from engine.store import DecisionLog  # noqa: E402

CATALOG = REPO / "tests" / "service" / "catalog.toml"
TOKEN = "bench-service-token-0123456789"


def in_process(state_dir: Path, seconds: float, seed: int = 0) -> dict[str, float]:
    """Pairs/s and choose latency of the engine called directly, same catalog and traffic."""
    rng = random.Random(seed)
    choose_s = []
    with Engine.from_catalog(CATALOG, state_dir=state_dir, seed=seed) as eng:
        cpu0 = time.process_time()
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            ctx = {"age": rng.randint(18, 80), "segment": rng.choice(["new", "vip", "regular"]),
                   "days_since_purchase": rng.randint(0, 400)}
            t0 = time.perf_counter()
            d = eng.choose(f"inproc-{rng.randrange(10**9)}", ctx)
            choose_s.append(time.perf_counter() - t0)
            eng.reward(d.decision_id, 1.0 if rng.random() < 0.2 else 0.0)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    return {"pairs_per_s": len(choose_s) / elapsed, "cpu_ms_per_pair": 1000 * cpu / len(choose_s),
            "cpu_share": cpu / elapsed,
            "p50_ms": float(np.percentile(choose_s, 50)) * 1000,
            "p99_ms": float(np.percentile(choose_s, 99)) * 1000}


def metrics_cost_us(pairs: int = 50_000, repeats: int = 5) -> float:
    """CPU microseconds the service's metrics add to one choose+reward pair (best of repeats):
    the latency histogram, the decision counters, the reward counter and delay histogram."""
    m = ServiceMetrics()
    decision = ({"holdout": False, "channel": "email", "timing": "now"},)
    best = float("inf")
    for _ in range(repeats):
        cpu0 = time.process_time()
        for _ in range(pairs):
            m.observe_choose(0.003, decision)
            m.observe_reward(12.0)
        best = min(best, (time.process_time() - cpu0) / pairs)
    return best * 1e6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(state_dir: Path, port: int, *extra: str) -> subprocess.Popen:
    """``offerbandit serve`` on 127.0.0.1:port; returns once /healthz answers."""
    env = {**os.environ, "OFFERBANDIT_TOKEN": TOKEN, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--state-dir",
                             str(state_dir), "--catalog", str(CATALOG), "--host", "127.0.0.1",
                             "--port", str(port), *extra], cwd=REPO, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("serve did not come up within 120 s")


def _cpu_s(pid: int) -> float | None:
    """User+system CPU seconds of a process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _load_child(port: int, clients: int, seconds: float, out: mp.Queue) -> None:
    r = run_load("127.0.0.1", port, TOKEN, clients=clients, duration_s=seconds, seed=7)
    out.put({"pairs_per_s": r.pairs_per_s, "pairs": r.pairs, "errors": r.errors,
             "error_rate": r.error_rate, "samples": r.error_samples,
             "p50_ms": r.percentile_ms("choose", 50), "p99_ms": r.percentile_ms("choose", 99),
             "reward_p50_ms": r.percentile_ms("reward", 50),
             "reward_p99_ms": r.percentile_ms("reward", 99), "acked": r.acked})


def over_http(state_dir: Path, clients: int, seconds: float, *extra: str) -> dict:
    """Load the server from a separate process (its own core), then check the store."""
    state_dir.mkdir()
    port = _free_port()
    proc = start_server(state_dir, port, *extra)
    try:
        queue: mp.Queue = mp.get_context("spawn").Queue()
        child = mp.get_context("spawn").Process(target=_load_child,
                                                args=(port, clients, seconds, queue))
        cpu0 = _cpu_s(proc.pid)
        child.start()
        result = queue.get(timeout=seconds + 120)
        cpu1 = _cpu_s(proc.pid)
        child.join(timeout=30)
        summary = httpx.get(f"http://127.0.0.1:{port}/v1/dashboard/summary", timeout=30,
                            headers={"Authorization": f"Bearer {TOKEN}"}).json()
        stats = summary["engine"]
        result["lock"] = (stats.get("guard_acquisitions"), stats.get("guard_contended"))
        result["follow_lag"] = stats.get("follow_lag")
        result["scored"] = {n: c.get("learned_seq")
                            for n, c in summary["learners"]["candidates"].items()}
        result["log_seq"] = stats.get("last_seq")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    acked = result.pop("acked")
    cpu = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    result["cpu_ms_per_pair"] = None if cpu is None else 1000 * cpu / max(result["pairs"], 1)
    result["cpu_share"] = None if cpu is None else cpu / seconds
    with DecisionLog(state_dir) as log:
        lost = sum(1 for d, v in acked if sum(r[1] for r in log.rewards_of(d)) != v)
    return {**result, "lost": lost, "acked": len(acked)}


def main(argv: list[str] | None = None) -> int:
    """Run both measurements and print the figure next to its reference."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="10 s of load instead of 60 s")
    p.add_argument("--seconds", type=float, default=None, help="load duration")
    p.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    p.add_argument("--compare", action="store_true",
                   help="also load a server without the hot path (FastAPI's router only)")
    p.add_argument("--compare-follow", action="store_true",
                   help="also load a server whose candidates all learn inside each reward "
                   "(--follow inline; the default server follows the log between requests)")
    args = p.parse_args(argv)
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    with tempfile.TemporaryDirectory() as tmp:
        ref = in_process(Path(tmp) / "inproc", min(seconds, 10.0))
        observe_us = metrics_cost_us()
        http = over_http(Path(tmp) / "http", args.clients, seconds)
        routed = (over_http(Path(tmp) / "routed", args.clients, seconds, "--no-hot-path")
                  if args.compare else None)
        inline = (over_http(Path(tmp) / "inline", args.clients, seconds, "--follow", "inline")
                  if args.compare_follow else None)
    ratio = http["pairs_per_s"] / ref["pairs_per_s"]
    print(f"bench_service: {seconds:.0f} s of load, {args.clients} clients, 49 actions, "
          f"{os.cpu_count()} CPUs, loopback")
    print(f"{'':28}{'HTTP':>12}{'in-process':>14}{'ratio':>8}")
    print(f"{'choose+reward pairs/s':28}{http['pairs_per_s']:12.0f}{ref['pairs_per_s']:14.0f}"
          f"{ratio:8.2f}")
    print(f"{'choose p50 ms':28}{http['p50_ms']:12.2f}{ref['p50_ms']:14.2f}")
    print(f"{'choose p99 ms':28}{http['p99_ms']:12.2f}{ref['p99_ms']:14.2f}")
    print(f"{'reward p50 ms':28}{http['reward_p50_ms']:12.2f}")
    print(f"{'reward p99 ms':28}{http['reward_p99_ms']:12.2f}")
    if http["cpu_ms_per_pair"] is not None:
        print(f"{'CPU ms per pair (server)':28}{http['cpu_ms_per_pair']:12.3f}"
              f"{ref['cpu_ms_per_pair']:14.3f}"
              f"{ref['cpu_ms_per_pair'] / http['cpu_ms_per_pair']:8.2f}")
        print(f"{'share of a core it got':28}{http['cpu_share']:12.2f}{ref['cpu_share']:14.2f}")
        print(f"{'pairs/s per free core':28}{1000 / http['cpu_ms_per_pair']:12.0f}"
              f"{1000 / ref['cpu_ms_per_pair']:14.0f}   (1 / CPU per pair: what one "
              f"uncontended core would give)")
    # What /metrics costs each request (observing; scraping is not on this path), against the
    # server's CPU per pair when known, else the engine's own.
    where = "server" if http["cpu_ms_per_pair"] else "in-process"
    per_pair_ms = http["cpu_ms_per_pair"] or ref["cpu_ms_per_pair"]
    print(f"{'metrics observed per pair':28}{observe_us:9.1f} us   "
          f"({observe_us / 10 / per_pair_ms:.2f} % of the {where} CPU per pair)")
    print(f"errors {http['errors']} (rate {http['error_rate']:.2e}), acknowledged rewards "
          f"{http['acked']}, lost {http['lost']}")
    print(f"engine lock during the HTTP run: {http['lock'][0]} acquisitions, {http['lock'][1]} "
          f"waited (requests come from one event loop; a wait is the background expiry or a "
          f"dashboard thread)")
    if routed is not None:
        print(f"{'without the hot path':28}{routed['pairs_per_s']:12.0f} pairs/s, choose p99 "
              f"{routed['p99_ms']:.2f} ms, errors {routed['errors']}, lost {routed['lost']} "
              f"(hot path / router: {http['pairs_per_s'] / routed['pairs_per_s']:.2f}x)")
    print(f"candidates beside the serving one: learned between requests (--follow "
          f"background), {http['follow_lag']} rewards behind when read just after the load; "
          f"each one's last reward learned {http['scored']} against the log's "
          f"{http['log_seq']}")
    if inline is not None:
        print(f"{'--follow inline':28}{inline['pairs_per_s']:12.0f} pairs/s, choose p50 "
              f"{inline['p50_ms']:.2f} ms, p99 {inline['p99_ms']:.2f} ms, reward p50 "
              f"{inline['reward_p50_ms']:.2f} ms, p99 {inline['reward_p99_ms']:.2f} ms, errors "
              f"{inline['errors']}, lost "
              f"{inline['lost']} (background / inline pairs/s: "
              f"{http['pairs_per_s'] / inline['pairs_per_s']:.2f}x; choose p99 "
              f"{http['p99_ms'] / inline['p99_ms']:.2f}x, reward p99 "
              f"{http['reward_p99_ms'] / inline['reward_p99_ms']:.2f}x)")
    if http["samples"]:
        print("error samples:", *http["samples"], sep="\n  ")
    met = (http["pairs_per_s"] >= 1000 and http["p99_ms"] <= 25 and http["errors"] == 0
           and http["lost"] == 0)
    print("target (>= 1000 pairs/s, p99 <= 25 ms, 0 errors, 0 lost): "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
