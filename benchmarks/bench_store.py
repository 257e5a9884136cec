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
import statistics
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


class LogWriter:
    """The log under test: one write_decision + write_reward per pair."""

    def __init__(self, folder: Path) -> None:
        self.log = DecisionLog(folder)

    def pairs(self, lo: int, hi: int) -> None:
        for i in range(lo, hi):
            self.log.write_decision(record(i))
            self.log.write_reward(f"d{i:09d}", 1.0, at=1.7e9 + i + 30)

    def reads(self, lo: int, hi: int) -> None:
        for i in range(lo, hi):
            self.log.history(f"c{i % 5000}", 1.7e9 + hi, ("email", "sms", "push"))
            self.log.profile(f"c{i % 5000}")


class BareWriter:
    """The reference: the same two rows, each INSERT + COMMIT on a bare sqlite3 connection."""

    def __init__(self, path: Path, pragmas: tuple[str, ...] = ()) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", *pragmas):
            self.db.execute(pragma)
        for stmt in filter(str.strip, _SCHEMA.split(";")):
            self.db.execute(stmt)
        self.eligible = json.dumps(list(ELIGIBLE))

    def pairs(self, lo: int, hi: int) -> None:
        db = self.db
        for i in range(lo, hi):
            r = record(i)
            db.execute("BEGIN")
            db.execute("INSERT INTO decisions (decision_id, customer_id, created_at, "
                       "action_index, probability, holdout, context_json, features_json, "
                       "eligible_json, send_at, active, catalog_version, message, channel, "
                       "timing, activated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                       "?, ?)", (r.decision_id, r.customer_id, r.created_at, r.action_index,
                                 r.probability, 0, CONTEXT, FEATURES, self.eligible, r.send_at, 1,
                                 r.catalog_version, r.message, r.channel, r.timing, r.created_at))
            db.execute("COMMIT")
            db.execute("BEGIN")
            db.execute("INSERT INTO rewards (decision_id, customer_id, value, at, kind) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (r.decision_id, r.customer_id, 1.0, r.created_at + 30, "reward"))
            db.execute("COMMIT")


def timed(fn, lo: int, hi: int) -> float:
    start = time.perf_counter()
    fn(lo, hi)
    return (time.perf_counter() - start) / (hi - lo)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 pairs instead of 20,000")
    n = 2000 if parser.parse_args().quick else 20000
    step = 500
    # Interleaved rounds, medians: the machine is shared, and a slow moment must hit all three.
    rounds: dict[str, list[float]] = {"bare": [], "tuned": [], "log": [], "reads": []}
    with tempfile.TemporaryDirectory() as d:
        bare = BareWriter(Path(d) / "bare.sqlite3")
        tuned = BareWriter(Path(d) / "tuned.sqlite3", ("PRAGMA wal_autocheckpoint=10000",))
        log = LogWriter(Path(d) / "state")
        for lo in range(0, n, step):
            rounds["bare"].append(timed(bare.pairs, lo, lo + step))
            rounds["tuned"].append(timed(tuned.pairs, lo, lo + step))
            rounds["log"].append(timed(log.pairs, lo, lo + step))
            rounds["reads"].append(timed(log.reads, lo, lo + step))
        log.log.close()
        bare.db.close()
        tuned.db.close()
    med = {k: statistics.median(v) * 1e6 for k, v in rounds.items()}
    print(f"pairs: {n} (medians of {len(rounds['log'])} interleaved rounds of {step})")
    print(f"reference, bare sqlite3 2x(INSERT+COMMIT): {med['bare']:8.1f} us per pair")
    print(f"  same, with the log's WAL checkpointing:  {med['tuned']:8.1f} us per pair")
    print(f"DecisionLog write_decision + write_reward: {med['log']:8.1f} us per pair")
    print(f"ratio (log / bare):                        {med['log'] / med['bare']:8.2f}")
    print(f"ratio (log / bare with the same pragmas):  {med['log'] / med['tuned']:8.2f}")
    print(f"choose-path reads (history + profile):     {med['reads']:8.1f} us per choose")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
