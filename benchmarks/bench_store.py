"""Store speed: cost of one write_decision + write_reward against bare sqlite3 in the same run.

The reference inserts the same decision row and the same reward row into identical tables (same
columns, same indexes, WAL, synchronous=NORMAL) with a bare ``sqlite3`` connection, each
INSERT followed by its COMMIT, exactly the two durable commits the log makes; once with SQLite's
default WAL checkpointing and once with the log's (the second ratio is the log's own overhead:
validation, the reward's lookup and flag update, locking). Also printed: the
reads a ``choose`` makes (``history`` + ``profile``) on a log that already holds the rows.
Run: ``python benchmarks/bench_store.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from engine.store import _SCHEMA, DecisionLog, DecisionRecord

CONTEXT = json.dumps({"age": 34, "segment": "vip", "days_since_purchase": 12,
                      "consent": {"email": True, "sms": True}})
FEATURES = json.dumps({"c": {"age": 34, "segment=vip": 1}, "h": {"contacts_1d": 0}})
ELIGIBLE = tuple(range(0, 48, 2))


def record(i: int) -> DecisionRecord:
    t = 1.7e9 + i
    return DecisionRecord(f"d{i:09d}", f"c{i % 5000}", t, i % 48, 0.1, False, CONTEXT, FEATURES,
                          ELIGIBLE, t + 60, True, "0123456789abcdef", "m1", "email", "now")


def bench_log(n: int, folder: Path) -> tuple[float, float]:
    with DecisionLog(folder) as log:
        start = time.perf_counter()
        for i in range(n):
            log.write_decision(record(i))
            log.write_reward(f"d{i:09d}", 1.0, at=1.7e9 + i + 30)
        write = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(n):
            log.history(f"c{i % 5000}", 1.7e9 + n, ("email", "sms", "push"))
            log.profile(f"c{i % 5000}")
        read = time.perf_counter() - start
    return write / n, read / n


def bench_bare(n: int, folder: Path, name: str, pragmas: tuple[str, ...] = ()) -> float:
    db = sqlite3.connect(folder / name, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for pragma in pragmas:
        db.execute(pragma)
    for stmt in filter(str.strip, _SCHEMA.split(";")):
        db.execute(stmt)
    eligible = json.dumps(list(ELIGIBLE))
    start = time.perf_counter()
    for i in range(n):
        r = record(i)
        db.execute("BEGIN")
        db.execute("INSERT INTO decisions (decision_id, customer_id, created_at, action_index, "
                   "probability, holdout, context_json, features_json, eligible_json, send_at, "
                   "active, catalog_version, message, channel, timing, activated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (r.decision_id, r.customer_id, r.created_at, r.action_index, r.probability,
                    0, CONTEXT, FEATURES, eligible, r.send_at, 1, r.catalog_version, r.message,
                    r.channel, r.timing, r.created_at))
        db.execute("COMMIT")
        db.execute("BEGIN")
        db.execute("INSERT INTO rewards (decision_id, customer_id, value, at, kind) "
                   "VALUES (?, ?, ?, ?, ?)", (r.decision_id, r.customer_id, 1.0, r.created_at + 30,
                                              "reward"))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 pairs instead of 20,000")
    n = 2000 if parser.parse_args().quick else 20000
    with tempfile.TemporaryDirectory() as d:
        bare = bench_bare(n, Path(d), "bare.sqlite3")
        tuned = bench_bare(n, Path(d), "tuned.sqlite3", ("PRAGMA wal_autocheckpoint=10000",))
        write, read = bench_log(n, Path(d) / "state")
    print(f"pairs: {n}")
    print(f"reference, bare sqlite3 2x(INSERT+COMMIT): {bare * 1e6:8.1f} us per pair")
    print(f"  same, with the log's WAL checkpointing:  {tuned * 1e6:8.1f} us per pair")
    print(f"DecisionLog write_decision + write_reward: {write * 1e6:8.1f} us per pair")
    print(f"ratio (log / bare):                        {write / bare:8.2f}")
    print(f"ratio (log / bare with the same pragmas):  {write / tuned:8.2f}")
    print(f"choose-path reads (history + profile):     {read * 1e6:8.1f} us per choose")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
