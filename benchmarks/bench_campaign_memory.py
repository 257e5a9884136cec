"""Campaign memory: peak resident memory of ``campaign score`` on Ray for tables of growing size.

Each size runs in a fresh process (``--child N``) that scores an N-customer campaign with one
Ray worker and samples, every 0.2 s, the resident memory (``VmRSS``) of itself (the driver) and
of its whole process tree (the driver, Ray's own processes, the scoring worker; pages of Ray's
shared object store count in every process that touched them). The customers files are written
beforehand, by this process, in row groups of 65,536 rows (as a streaming writer would: one
row group is the largest piece read at once). Printed per size: seconds, the driver's peak and
the tree's peak; then the ratio of the largest to the smallest. Target: flat (ratio about 1).

Run: ``python benchmarks/bench_campaign_memory.py [--sizes 250000,1000000]``. Exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib.resources import files
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_campaign import AT, customers, train

ROW_GROUP = 65_536


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def child(n: int, folder: Path) -> None:
    """Score the n-customer campaign; print JSON with seconds and peaks (MiB)."""
    from engine.campaign.plan import CampaignPlan
    from engine.campaign.runner import score_campaign

    peaks = {"driver": 0, "tree": 0}
    stop = threading.Event()

    def sample() -> None:
        me = os.getpid()
        while not stop.is_set():
            peaks["driver"] = max(peaks["driver"], _rss_kib(me))
            peaks["tree"] = max(peaks["tree"], sum(_rss_kib(p) for p in _tree(me)))
            time.sleep(0.2)

    catalog = Path(str(files("engine") / "catalogs" / "example.toml"))
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    summary = score_campaign(folder / f"customers_{n}.parquet", catalog, folder / f"state_{n}",
                             folder / f"out_{n}.parquet",
                             CampaignPlan(at=AT, capacity={"sms": n // 20}), workers=1,
                             progress=False)
    seconds = time.perf_counter() - start
    stop.set()
    thread.join()
    assert summary.totals.decided == n
    print(json.dumps({"n": n, "seconds": seconds, "driver_mib": peaks["driver"] / 1024,
                      "tree_mib": peaks["tree"] / 1024}))


def main() -> int:
    """Measure and print; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250000,1000000", help="customers per run")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--folder", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, Path(args.folder))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    catalog = Path(str(files("engine") / "catalogs" / "example.toml"))
    rows = []
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        train(folder / "trained", catalog)
        for n in sizes:
            shutil.copytree(folder / "trained", folder / f"state_{n}")
            path = folder / f"customers_{n}.parquet"
            schema = customers(1).schema
            with pq.ParquetWriter(path, schema) as writer:
                for start in range(0, n, ROW_GROUP):
                    part = customers(min(ROW_GROUP, n - start), seed=start)
                    ids = [f"c{i}" for i in range(start, start + part.num_rows)]
                    writer.write_table(part.set_column(0, "customer_id", [ids]))
            out = subprocess.run([sys.executable, __file__, "--child", str(n), "--folder",
                                  str(folder)], capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            shutil.rmtree(folder / f"state_{n}")
            (folder / f"out_{n}.parquet").unlink()
    print(f"{'customers':>10s} {'seconds':>8s} {'driver peak MiB':>16s} {'tree peak MiB':>14s}")
    for r in rows:
        print(f"{r['n']:>10,} {r['seconds']:8.0f} {r['driver_mib']:16.0f} {r['tree_mib']:14.0f}")
    lo, hi = rows[0], rows[-1]
    print(f"largest / smallest: driver {hi['driver_mib'] / lo['driver_mib']:.2f}, tree "
          f"{hi['tree_mib'] / lo['tree_mib']:.2f} for {hi['n'] / lo['n']:.0f}x the customers "
          f"(target: flat, about 1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
