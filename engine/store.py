"""The durable log: decisions, rewards and customer profiles in one SQLite file (WAL mode).

The log is the truth; the model is derived from it. Every write is committed before its method
returns (``synchronous=NORMAL`` in WAL mode survives a killed process; pass ``synchronous="FULL"``
to survive a power cut as well), unless it runs inside :meth:`DecisionLog.transaction`, whose
writes commit together when the block ends or not at all. One connection guarded by a lock makes
the log safe to share between threads; other processes may read it at the same time through a
read-only log (``read_only=True``: WAL readers never block the writer). Rewards carry a
sequence number (``INTEGER PRIMARY KEY AUTOINCREMENT``: strictly increasing, never reused, even
after ``forget``), so a checkpoint can record the last one it holds and a restart replays
:meth:`DecisionLog.rewards_since` it.

Every failure of the database (a full disk, an I/O error, a locked file) is raised as
:class:`StoreError`, never as ``sqlite3``'s own exceptions: callers (and the HTTP service, which
answers 503) handle one type whatever the backend.

The store interface is declared in :mod:`engine.decision_store` (``DecisionStore``); the other
backend is ``engine.postgres_store`` (PostgreSQL, for a log shared by machines). Every write
takes SQLite's write lock (``BEGIN IMMEDIATE``), so the protocol's contract holds for several
processes sharing the file too.

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d, DecisionLog(d) as log:
    ...     log.write_decision(DecisionRecord("d1", "c1", 100.0, 0, 0.5, False, "{}", "{}",
    ...                                       (0, 1), None, True, "v1", channel="email"))
    ...     seq = log.write_reward("d1", 1.0, at=150.0)
    ...     log.history("c1", now=200.0, channels=["email"]).contacts_1d, seq
    (1, 1)
"""

from __future__ import annotations

import fcntl
import json
import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from engine.decision_store import ClientReward, day_start
from engine.errors import DuplicateRewardError, StoreError
from engine.log_queries import LogQueries
from engine.log_rows import (
    DAY,
    DECISION_COLUMNS,
    DRIFT_EVENT_COLUMNS,
    REWARD_KINDS,
    ContactHistory,
    DecisionRecord,
    already_decided,
    capacity_reached,
    check_reward,
    chunks,
    decision_row,
    defaults_replaced,
    duplicate_decision,
    duplicate_reward,
    history_of,
    not_in_log,
    one_per_customer_key,
    profile_json,
    sends_by_day,
    unknown_decision,
)

if TYPE_CHECKING:
    from engine.snapshots import ModelSnapshot

__all__ = ["REWARD_KINDS", "SCHEMA_VERSION", "ContactHistory", "DecisionLog", "DecisionRecord"]

SCHEMA_VERSION = 2
FILE_NAME = "decisions.sqlite3"
_FILE_SUFFIXES = (".sqlite3", ".sqlite", ".db")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    action_index INTEGER NOT NULL,
    probability REAL NOT NULL,
    holdout INTEGER NOT NULL,
    context_json TEXT NOT NULL,
    features_json TEXT NOT NULL,
    eligible_json TEXT NOT NULL,
    send_at REAL,
    active INTEGER NOT NULL,
    activated_at REAL,
    catalog_version TEXT NOT NULL,
    message TEXT,
    channel TEXT,
    timing TEXT,
    rewarded INTEGER NOT NULL DEFAULT 0,
    model_version INTEGER
);
CREATE INDEX IF NOT EXISTS decisions_customer ON decisions (customer_id, created_at);
-- Partial: only decisions still waiting for a reward, so the index stays small and hot.
CREATE INDEX IF NOT EXISTS decisions_pending ON decisions (activated_at)
    WHERE active = 1 AND rewarded = 0;
CREATE TABLE IF NOT EXISTS rewards (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    decision_id TEXT NOT NULL REFERENCES decisions (decision_id),
    customer_id TEXT NOT NULL,
    value REAL NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rewards_decision ON rewards (decision_id);
CREATE TABLE IF NOT EXISTS profiles (
    customer_id TEXT PRIMARY KEY,
    profile_json TEXT NOT NULL
);
-- Changes of the serving learner (engine/learner_selection.py), each with its evidence.
CREATE TABLE IF NOT EXISTS learner_switches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER NOT NULL UNIQUE,
    at REAL NOT NULL,
    from_learner TEXT NOT NULL,
    to_learner TEXT NOT NULL,
    evidence_json TEXT NOT NULL
);
-- Sends per UTC day of the channels that have a daily capacity (see write_decision).
CREATE TABLE IF NOT EXISTS channel_sends (
    day REAL NOT NULL,
    channel TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (day, channel)
);
CREATE TABLE IF NOT EXISTS model_snapshots (
    version INTEGER PRIMARY KEY AUTOINCREMENT,
    learned_seq INTEGER NOT NULL,
    learner_name TEXT NOT NULL,
    learner_config TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    features_version TEXT NOT NULL,
    model BLOB NOT NULL,
    created_at REAL NOT NULL,
    published_at REAL NOT NULL
);
-- What the drift monitor found and what the engine did about it (engine/drift/events.py).
-- A table of its own, created where missing: logs written before it need no migration.
CREATE TABLE IF NOT EXISTS drift_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    level TEXT NOT NULL,
    at REAL NOT NULL,
    value REAL,
    threshold REAL,
    change_at REAL,
    position INTEGER NOT NULL,
    message TEXT NOT NULL,
    detail_json TEXT NOT NULL
);
"""
# Version 1 -> 2: the model version of each decision, capacity counters, model snapshots.
_MIGRATE_1_TO_2 = "ALTER TABLE decisions ADD COLUMN model_version INTEGER"

def _undo(db: sqlite3.Connection, depth: int) -> None:
    """Roll back the innermost open transaction (a savepoint inside another)."""
    if not db.in_transaction:  # SQLite already rolled it all back (some errors do)
        return
    try:
        if depth == 0:
            db.execute("ROLLBACK")
        else:
            db.execute(f"ROLLBACK TO s{depth}")
            db.execute(f"RELEASE s{depth}")
    except sqlite3.Error:
        pass  # nothing more to undo: the caller reports the first error


class DecisionLog(LogQueries):
    """The durable decision/reward/profile log in one SQLite file.

    Implements :class:`engine.decision_store.DecisionStore`.

    Args:
        path: the state directory (created if missing), which holds ``decisions.sqlite3``; or
            the SQLite file itself (an existing file, or a name ending ``.sqlite3``, ``.sqlite``
            or ``.db``).
        synchronous: SQLite's ``synchronous`` setting, ``"NORMAL"`` (default) or ``"FULL"``.
        read_only: open an existing log for reading only (another process may be writing it,
            e.g. campaign workers reading histories while the campaign writes decisions).

    Raises:
        StoreError: the file cannot be opened or has another schema version.
    """

    def __init__(self, path: str | Path, synchronous: str = "NORMAL", *,
                 read_only: bool = False) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise StoreError(f"synchronous: expected 'NORMAL' or 'FULL', got {synchronous!r}")
        p = Path(path)
        if not (p.is_file() or p.suffix in _FILE_SUFFIXES):  # a state dir, maybe not made yet
            p = p / FILE_NAME
        self.path = p
        self.url = f"sqlite:///{p}"
        self._lock = threading.RLock()
        self._depth = 0  # open transactions (the outermost is BEGIN, inner ones SAVEPOINTs)
        self._closed = False
        self._learner_lock: IO[bytes] | None = None
        if read_only:
            self._open_read_only(p)
            return
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we open every transaction ourselves (BEGIN IMMEDIATE).
            self._db = sqlite3.connect(p, isolation_level=None, check_same_thread=False,
                                       timeout=30.0)
        except (sqlite3.Error, OSError) as exc:
            self._closed = True
            raise StoreError(f"path: cannot open the decision log {str(p)!r}: {exc}") from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            # Checkpoint the WAL every ~40 MB instead of ~4 MB: each checkpoint syncs the file,
            # and hot index pages are copied once per checkpoint (bench_store: -20 % per write).
            self._db.execute("PRAGMA wal_autocheckpoint=10000")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, StoreError) as exc:
            self.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"path: cannot open the decision log {str(p)!r}: {exc}") from exc

    def _open_read_only(self, p: Path) -> None:
        try:
            if not p.is_file():
                raise sqlite3.OperationalError("no such file")
            self._db = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True,
                                       isolation_level=None, check_same_thread=False,
                                       timeout=30.0)
            rows = self._db.execute("SELECT version FROM schema_version").fetchall()
        except sqlite3.Error as exc:
            self._closed = True
            raise StoreError(f"path: cannot open the decision log {str(p)!r} to read: {exc}"
                             ) from exc
        if rows != [(SCHEMA_VERSION,)]:
            self.close()
            raise StoreError(f"schema_version: expected {SCHEMA_VERSION}, got "
                             f"{rows[0][0] if rows else None} in {str(p)!r}")

    def _migrate(self) -> None:
        # Schema and version row go in one transaction: a crash leaves either nothing or both.
        with self._tx() as db:
            rows = (db.execute("SELECT version FROM schema_version").fetchall()
                    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'"
                                  ).fetchone() else [])
            if rows and rows[0][0] == 1:  # the one older layout: add what version 2 adds
                db.execute(_MIGRATE_1_TO_2)
                db.execute("UPDATE schema_version SET version = 2")
            elif rows and rows[0][0] != SCHEMA_VERSION:
                raise StoreError(f"schema_version: expected {SCHEMA_VERSION}, got {rows[0][0]} "
                                 f"in {str(self.path)!r}; use a matching offerbandit version")
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                db.execute(stmt)
            if not rows:
                db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))

    # -- transactions ----------------------------------------------------------------------------
    def transaction(self, customers: Iterable[str] = ()
                    ) -> AbstractContextManager[sqlite3.Connection]:
        """Group writes: every write made inside the block commits together when it ends, or
        none does if it raises (the exception goes on). Write methods called inside join it;
        a nested block is a savepoint (its failure undoes only its own writes, if caught).
        SQLite's write lock covers the whole file, so every customer is locked against every
        other thread and process until the outermost block ends (``customers``, which the
        PostgreSQL log locks one by one, changes nothing here).

        The log's lock is held for the whole block: keep it short (one request's work).

        Raises:
            StoreError: the database failed (full disk, I/O error); nothing was committed.

        Example:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as d, DecisionLog(d) as log:
            ...     try:
            ...         with log.transaction():
            ...             log.write_decision(DecisionRecord("d1", "c1", 1.0, 0, 1.0, False,
            ...                                               "{}", "{}", (0,), None, True, "v"))
            ...             raise RuntimeError("the second decision failed")
            ...     except RuntimeError:
            ...         pass
            ...     log.counts()["decisions"]
            0
        """
        return DecisionLog._Tx(self)

    class _Tx:
        def __init__(self, log: DecisionLog) -> None:
            self.log = log

        def __enter__(self) -> sqlite3.Connection:
            log = self.log
            log._lock.acquire()
            try:
                log._check_open()
                log._db.execute("BEGIN IMMEDIATE" if log._depth == 0
                                else f"SAVEPOINT s{log._depth}")
            except sqlite3.Error as exc:
                log._lock.release()
                raise StoreError(f"decision log: cannot start a transaction: {exc}") from exc
            except BaseException:
                log._lock.release()
                raise
            log._depth += 1
            return log._db

        def __exit__(self, exc_type, exc, tb) -> None:
            log = self.log
            log._depth -= 1
            depth, db = log._depth, log._db
            try:
                if exc_type is None:
                    db.execute("COMMIT" if depth == 0 else f"RELEASE s{depth}")
                    return
                _undo(db, depth)
            except sqlite3.Error as err:  # COMMIT failed (a full disk): nothing is kept
                _undo(db, depth)
                raise StoreError(f"decision log: cannot commit: {err}") from err
            finally:
                log._lock.release()
            if isinstance(exc, sqlite3.Error):  # one error type for callers, whatever failed
                raise StoreError(f"decision log: {exc}") from exc

    def _tx(self) -> DecisionLog._Tx:
        return DecisionLog._Tx(self)

    def _read(self, sql: str, args: Iterable = ()) -> list[tuple]:
        with self._lock:
            self._check_open()
            try:
                return self._db.execute(sql, tuple(args)).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"decision log: cannot read: {exc}") from exc

    _select = _read  # SQLite marks parameters ``?`` as the shared queries do

    def close(self) -> None:
        """Close the file (and release the learner lock); safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()
            if self._learner_lock is not None:
                self._learner_lock.close()  # closing the file releases its flock
                self._learner_lock = None

    # -- decisions -------------------------------------------------------------------------------
    def write_decision(self, rec: DecisionRecord, *, capacity: int | None = None) -> None:
        """Log a decision durably.

        Args:
            rec: the decision.
            capacity: the daily capacity of its channel, when it has one: the send is counted
                against the channel's UTC day in the same transaction (two processes cannot
                both take the last one).

        Raises:
            StoreError: a decision with this id exists, or the database failed (nothing is
                changed).
            CapacityReachedError: the channel's capacity for the day is used up (nothing is
                changed).
        """
        row = decision_row(rec)
        with self._tx() as db:
            if capacity is not None and rec.channel is not None:
                self._count_send(db, rec.channel, float(rec.created_at), int(capacity))
            try:
                db.execute(f"INSERT INTO decisions ({DECISION_COLUMNS}) "
                           f"VALUES ({', '.join('?' * len(row))})", row)
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" not in str(exc):  # e.g. a NaN probability, stored as NULL
                    raise StoreError(f"decision log: cannot store the decision: {exc}") from exc
                raise duplicate_decision(rec.decision_id) from exc

    @staticmethod
    def _count_send(db: sqlite3.Connection, channel: str, at: float, capacity: int,
                    sends: int = 1) -> None:
        day = day_start(at)
        take = ("UPDATE channel_sends SET n = n + ? WHERE day = ? AND channel = ? "
                "AND n + ? <= ? RETURNING n")
        args = (sends, day, channel, sends, capacity)
        if db.execute(take, args).fetchall():
            return  # the common case: one statement
        if not db.execute("SELECT 1 FROM channel_sends WHERE day = ? AND channel = ?",
                          (day, channel)).fetchall():
            # The day's first capped send: the counter starts from the decisions logged.
            db.execute("INSERT INTO channel_sends (day, channel, n) SELECT ?, ?, COUNT(*) "
                       "FROM decisions WHERE channel = ? AND created_at >= ? AND created_at < ? "
                       "ON CONFLICT DO NOTHING", (day, channel, channel, day, day + DAY))
            if db.execute(take, args).fetchall():
                return
        raise capacity_reached(channel, capacity, day)

    def write_decisions(self, records: Sequence[DecisionRecord], *,
                        one_per_customer: bool = False,
                        capacities: Mapping[str, int] | None = None) -> None:
        """Log many decisions in one transaction: all of them, or none.

        Args:
            records: the decisions.
            one_per_customer: refuse a record whose customer already has a decision at the
                same ``created_at`` (a campaign decides each customer once), or twice in
                ``records``.
            capacities: channel -> daily capacity: the records' sends are counted against
                their channels' days in the same transaction, as :meth:`write_decision` counts
                one (all of them fit, or nothing is written).

        Raises:
            StoreError: a decision id that exists, a second decision for a customer with
                ``one_per_customer``, or the database failed; nothing is written.
            CapacityReachedError: the sends do not fit in a channel's day; nothing is written.
        """
        rows = [decision_row(rec) for rec in records]
        if not rows:
            return
        with self._tx() as db:
            if one_per_customer:
                self._refuse_decided(db, records)
            caps = dict(capacities or {})
            for (day, channel), k in sorted(sends_by_day(records, caps).items()):
                self._count_send(db, channel, day, int(caps[channel]), k)
            try:
                db.executemany(f"INSERT INTO decisions ({DECISION_COLUMNS}) "
                               f"VALUES ({', '.join('?' * len(rows[0]))})", rows)
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" not in str(exc):
                    raise StoreError(f"decision log: cannot store the decisions: {exc}") from exc
                raise StoreError(f"decision_id: expected new ids, got one already logged "
                                 f"({exc})") from exc

    @staticmethod
    def _refuse_decided(db: sqlite3.Connection, records: Sequence[DecisionRecord]) -> None:
        pairs = one_per_customer_key(records)
        for chunk in chunks(pairs):
            where = " OR ".join(["(customer_id = ? AND created_at = ?)"] * len(chunk))
            found = db.execute(f"SELECT customer_id FROM decisions WHERE ({where}) LIMIT 1",
                               [v for pair in chunk for v in pair]).fetchall()
            if found:
                raise already_decided(found[0][0])

    def activate(self, decision_id: str, at: float) -> None:
        """Mark a deferred decision active from ``at`` (its reward window starts then).

        Activating an active decision changes nothing.

        Raises:
            UnknownDecisionError: no such decision.
        """
        with self._tx() as db:
            cur = db.execute("UPDATE decisions SET active = 1, activated_at = ? "
                             "WHERE decision_id = ? AND active = 0", (float(at), decision_id))
            if cur.rowcount == 0 and not db.execute(
                    "SELECT 1 FROM decisions WHERE decision_id = ?", (decision_id,)).fetchone():
                raise unknown_decision(decision_id)

    def activate_many(self, sent: Sequence[tuple[str, float]]) -> int:
        """Activate many deferred decisions in one transaction: all of them, or none.

        Args:
            sent: ``(decision_id, at)`` pairs; each decision's reward window starts at its
                ``at``. A decision already active is left as it is.

        Returns:
            How many decisions became active.

        Raises:
            UnknownDecisionError: an id that is not in the log (the message names up to five);
                nothing is activated.
        """
        pairs = [(str(d), float(at)) for d, at in sent]
        ids = sorted({d for d, _ in pairs})
        with self._tx() as db:
            missing = self._missing(db, ids)
            if missing:
                raise not_in_log(missing)
            before = db.total_changes
            db.executemany("UPDATE decisions SET active = 1, activated_at = ? "
                           "WHERE decision_id = ? AND active = 0", [(a, d) for d, a in pairs])
            return db.total_changes - before

    def missing_decisions(self, decision_ids: Sequence[str]) -> list[str]:
        """The ids (sorted, each once) that are not in the log."""
        with self._lock:
            self._check_open()
            try:
                return self._missing(self._db, decision_ids)
            except sqlite3.Error as exc:
                raise StoreError(f"decision log: cannot read: {exc}") from exc

    @staticmethod
    def _missing(db: sqlite3.Connection, decision_ids: Sequence[str]) -> list[str]:
        wanted = sorted(set(decision_ids))
        known: set[str] = set()
        for chunk in chunks(wanted):
            known.update(r[0] for r in db.execute(
                f"SELECT decision_id FROM decisions WHERE decision_id IN "
                f"({', '.join('?' * len(chunk))})", chunk))
        return [d for d in wanted if d not in known]

    # -- rewards ---------------------------------------------------------------------------------
    def write_reward(self, decision_id: str, value: float, at: float, kind: str = "reward",
                     *, refuse_duplicate: bool = False) -> int:
        """Log a reward for a decision and return its sequence number.

        Args:
            decision_id: the decision rewarded.
            value: the reward, finite.
            at: when it arrived, epoch seconds.
            kind: ``"reward"``, ``"default"`` (the window passed) or ``"correction"`` (a later
                reward added to the first, ``reward_mode="sum"``).
            refuse_duplicate: raise :class:`DuplicateRewardError` if the decision already has a
                reward (checked in the same transaction, so two threads cannot both pass).

        Raises:
            UnknownDecisionError: no such decision.
            RewardError: value not finite or kind unknown.
            DuplicateRewardError: with ``refuse_duplicate``, a reward exists.
        """
        value, at = check_reward(value, at, kind)
        with self._tx() as db:
            # The common case, a first reward, in one statement: flag the decision, get its
            # customer.
            row = db.execute("UPDATE decisions SET rewarded = 1 WHERE decision_id = ? AND "
                             "rewarded = 0 RETURNING customer_id", (decision_id,)).fetchall()
            if not row:
                row = db.execute("SELECT customer_id FROM decisions WHERE decision_id = ?",
                                 (decision_id,)).fetchall()
                if not row:
                    raise unknown_decision(decision_id)
                if refuse_duplicate:
                    raise duplicate_reward(decision_id)
            cur = db.execute("INSERT INTO rewards (decision_id, customer_id, value, at, kind) "
                             "VALUES (?, ?, ?, ?, ?)", (decision_id, row[0][0], value, at, kind))
            assert cur.lastrowid is not None  # set by every INSERT that did not raise
            return cur.lastrowid

    def write_client_reward(self, decision_id: str, value: float, at: float) -> ClientReward:
        """Log a client's one reward of a decision (``reward_mode = "refuse"``), over the
        engine's defaults if any came first (``provisional_after``); return its
        :class:`~engine.decision_store.ClientReward`.

        No row yet: a first reward (kind ``"reward"``, one statement as in
        :meth:`write_reward`), ``previous`` and ``first`` None. Only the engine's defaults: a
        ``"correction"`` holding ``value`` minus their sum, so that the decision's rows sum to
        ``value``; ``previous`` is that sum and ``first`` the first default's seq. The check
        and that write share one transaction (SQLite's write lock), so two writers cannot both
        pass.

        Raises:
            UnknownDecisionError: no such decision.
            RewardError: value not finite.
            DuplicateRewardError: a client's reward (kind ``"reward"`` or ``"correction"``)
                exists.
        """
        try:
            seq = self.write_reward(decision_id, value, at, "reward", refuse_duplicate=True)
            return ClientReward(seq, None, None)
        except DuplicateRewardError:
            pass  # rewarded already: by the engine's default alone, or by a client
        with self._tx() as db:
            previous, first = defaults_replaced(decision_id, db.execute(
                "SELECT seq, kind, value FROM rewards WHERE decision_id = ?",
                (decision_id,)).fetchall())
            seq = self.write_reward(decision_id, value - (previous or 0.0), at, "correction")
            return ClientReward(seq, previous, first)

    def last_seq(self) -> int:
        """The highest reward sequence number ever given (0 when none)."""
        rows = self._read("SELECT seq FROM sqlite_sequence WHERE name = 'rewards'")
        return int(rows[0][0]) if rows else 0

    # -- customers -------------------------------------------------------------------------------
    def history(self, customer_id: str, now: float, channels: Iterable[str] = ()
                ) -> ContactHistory:
        """The customer's contact history at ``now`` (see :class:`ContactHistory`).

        Args:
            customer_id: the customer.
            now: epoch seconds.
            channels: channel names to report in ``days_since_last_by_channel`` and
                ``sends_today_by_channel`` (others contacted are reported too).
        """
        now = float(now)
        rows = self._read(
            "SELECT channel, SUM(created_at > ?), SUM(created_at > ?), SUM(created_at > ?), "
            "MAX(created_at) FROM decisions WHERE customer_id = ? AND channel IS NOT NULL "
            "AND created_at <= ? GROUP BY channel",
            (now - DAY, now - 7 * DAY, now - 30 * DAY, customer_id, now))
        outcome = self._read(
            "SELECT SUM(r.value) FROM rewards r WHERE r.decision_id = ("
            "SELECT decision_id FROM decisions WHERE customer_id = ? AND rewarded = 1 "
            "AND created_at <= ? ORDER BY created_at DESC LIMIT 1)", (customer_id, now))
        return history_of(rows, outcome[0][0] if outcome else None, now, channels)

    def histories(self, customer_ids: Sequence[str], now: float, channels: Iterable[str] = ()
                  ) -> list[ContactHistory]:
        """:meth:`history` of many customers at once (two queries per 500 customers).

        The latest rewarded decision of a customer (its ``last_outcome``) is the latest by
        time, then by logging order among decisions made at the same time.
        """
        now = float(now)
        names = list(channels)
        counts: dict[str, list[tuple]] = {}
        outcome: dict[str, float] = {}
        for chunk in chunks(list(dict.fromkeys(customer_ids))):
            marks = ", ".join("?" * len(chunk))
            for row in self._read(
                    f"SELECT customer_id, channel, SUM(created_at > ?), SUM(created_at > ?), "
                    f"SUM(created_at > ?), MAX(created_at) FROM decisions WHERE customer_id IN "
                    f"({marks}) AND channel IS NOT NULL AND created_at <= ? "
                    f"GROUP BY customer_id, channel",
                    (now - DAY, now - 7 * DAY, now - 30 * DAY, *chunk, now)):
                counts.setdefault(row[0], []).append(row[1:])
            outcome.update(self._read(
                f"SELECT l.customer_id, SUM(r.value) FROM (SELECT customer_id, decision_id, "
                f"ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY created_at DESC, "
                f"rowid DESC) AS n FROM decisions WHERE customer_id IN ({marks}) AND "
                f"rewarded = 1 AND created_at <= ?) l JOIN rewards r ON r.decision_id = "
                f"l.decision_id WHERE l.n = 1 GROUP BY l.customer_id", (*chunk, now)))
        return [history_of(counts.get(c, []), outcome.get(c), now, names) for c in customer_ids]

    def set_profile(self, customer_id: str, profile: dict[str, Any]) -> None:
        """Store (replace) a customer's profile: consent, segment, timezone, tenure_days...

        Raises:
            StoreError: the profile is not a JSON-serialisable dict.
        """
        blob = profile_json(profile)
        with self._tx() as db:
            db.execute("INSERT INTO profiles VALUES (?, ?) ON CONFLICT (customer_id) "
                       "DO UPDATE SET profile_json = excluded.profile_json", (customer_id, blob))

    def profiles(self, customer_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """:meth:`profile` of many customers at once (None where none is stored)."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(list(dict.fromkeys(customer_ids))):
            found.update((c, json.loads(p)) for c, p in self._read(
                f"SELECT customer_id, profile_json FROM profiles WHERE customer_id IN "
                f"({', '.join('?' * len(chunk))})", chunk))
        return [found.get(c) for c in customer_ids]

    def forget(self, customer_id: str) -> int:
        """Erase every row of a customer (decisions, rewards, profile); return how many went.

        The capacity counters of the days it was contacted on are dropped with them: the next
        send on such a day recounts the decisions left.
        """
        with self._tx() as db:
            sends = db.execute("SELECT DISTINCT created_at, channel FROM decisions WHERE "
                               "customer_id = ? AND channel IS NOT NULL",
                               (customer_id,)).fetchall()
            db.executemany("DELETE FROM channel_sends WHERE day = ? AND channel = ?",
                           {(day_start(at), ch) for at, ch in sends})
            n = db.execute("DELETE FROM rewards WHERE decision_id IN (SELECT decision_id FROM "
                           "decisions WHERE customer_id = ?)", (customer_id,)).rowcount
            n += db.execute("DELETE FROM decisions WHERE customer_id = ?",
                            (customer_id,)).rowcount
            n += db.execute("DELETE FROM profiles WHERE customer_id = ?",
                            (customer_id,)).rowcount
        return n

    # -- learner switches ------------------------------------------------------------------------
    def write_switch(self, seq: int, at: float, from_learner: str, to_learner: str,
                     evidence: dict[str, Any]) -> None:
        """Log one change of the serving learner with the estimates that justified it. A second
        switch at the same ``seq`` (the replay of a switch after a restart) is ignored."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO learner_switches (seq, at, from_learner, to_learner, "
                       "evidence_json) VALUES (?, ?, ?, ?, ?)",
                       (int(seq), float(at), from_learner, to_learner, json.dumps(evidence)))

    # -- following the log (the drift monitor) ----------------------------------------------------
    # Three reads and one write, the whole of what engine/drift needs of a backend: decisions and
    # rewards after a position, in log order, and the drift events table.
    def write_drift_events(self, rows: Iterable[dict[str, Any]]) -> int:
        """Log drift events (``DriftEvent.to_row()`` dicts); one whose ``key`` is logged already
        is skipped (a replay finds the same events). Returns how many were written."""
        rows = list(rows)
        if not rows:
            return 0
        self._check_open()
        names = ", ".join(DRIFT_EVENT_COLUMNS)
        with self._tx() as db:
            before = db.total_changes
            db.executemany(f"INSERT OR IGNORE INTO drift_events ({names}) VALUES "
                           f"({', '.join('?' * len(DRIFT_EVENT_COLUMNS))})",
                           [tuple(r[c] for c in DRIFT_EVENT_COLUMNS) for r in rows])
            return db.total_changes - before

    # -- dashboards ------------------------------------------------------------------------------
    def iter_export_rows(self, since: float | None = None, batch: int = 10000
                         ) -> Iterator[list[tuple]]:
        """Batches of decision rows joined with their summed rewards (for Parquet export).

        Rows come in the order they were logged. Each row: the decision columns in
        ``DECISION_COLUMNS`` order, then the reward sum (None if no reward) and the
        comma-joined reward kinds in sequence order (None if no reward).
        """
        cols = ", ".join(f"d.{c.strip()}" for c in DECISION_COLUMNS.split(","))
        start = -math.inf if since is None else float(since)
        last = 0
        while True:
            # Keyset pagination on rowid (no extra index to keep up on every write); rewards
            # summed per row through their decision index.
            rows = self._read(
                f"SELECT {cols}, (SELECT SUM(value) FROM rewards r WHERE r.decision_id = "
                f"d.decision_id), (SELECT GROUP_CONCAT(kind, ',') FROM (SELECT kind FROM rewards "
                f"r WHERE r.decision_id = d.decision_id ORDER BY seq)), d.rowid FROM decisions d "
                f"WHERE d.rowid > ? AND d.created_at >= ? ORDER BY d.rowid LIMIT ?",
                (last, start, batch))
            if rows:
                yield [row[:-1] for row in rows]
            if len(rows) < batch:
                return
            last = rows[-1][-1]

    # -- model snapshots -------------------------------------------------------------------------
    def publish_snapshot(self, snapshot: ModelSnapshot, keep: int = 3) -> int:
        """Store a model snapshot and keep only the latest ``keep``; return its version.

        Raises:
            StoreError: ``keep`` is not a positive integer.
        """
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise StoreError(f"keep: expected an integer >= 1, got {keep!r}")
        s = snapshot
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO model_snapshots (learned_seq, learner_name, learner_config, "
                "catalog_version, features_version, model, created_at, published_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (int(s.learned_seq), s.learner_name, s.learner_config, s.catalog_version,
                 s.features_version, s.model, float(s.created_at), time.time()))
            assert cur.lastrowid is not None
            db.execute("DELETE FROM model_snapshots WHERE version <= ?", (cur.lastrowid - keep,))
            return cur.lastrowid

    def try_lock_learner(self) -> bool:
        """Take the one-learner lock (a file lock beside the log) until :meth:`close`; False when
        another process holds it."""
        with self._lock:
            self._check_open()
            if self._learner_lock is not None:
                return True
            f = open(f"{self.path}.learner-lock", "ab")  # noqa: SIM115 - held until close
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                return False
            self._learner_lock = f
            return True
