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
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self

from engine.decision_store import day_start
from engine.errors import (
    CapacityReachedError,
    DuplicateRewardError,
    RewardError,
    StoreError,
    UnknownDecisionError,
)
from policies.number_check import check_number

if TYPE_CHECKING:
    from engine.snapshots import ModelSnapshot

__all__ = ["REWARD_KINDS", "SCHEMA_VERSION", "ContactHistory", "DecisionLog", "DecisionRecord"]

SCHEMA_VERSION = 2
REWARD_KINDS = ("reward", "default", "correction")
FILE_NAME = "decisions.sqlite3"
_FILE_SUFFIXES = (".sqlite3", ".sqlite", ".db")
_DAY = 86400.0
_CHUNK = 500  # ids per IN (...) list: well under SQLite's limit on bound parameters

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

_DRIFT_EVENT_COLUMNS = ("key", "kind", "subject", "level", "at", "value", "threshold",
                        "change_at", "position", "message", "detail_json")

_DECISION_COLUMNS = ("decision_id, customer_id, created_at, action_index, probability, holdout, "
                     "context_json, features_json, eligible_json, send_at, active, "
                     "catalog_version, message, channel, timing, activated_at, model_version")
_SNAPSHOT_COLUMNS = ("version, learned_seq, learner_name, learner_config, catalog_version, "
                     "features_version, model, created_at, published_at")


@dataclass(frozen=True)
class DecisionRecord:
    """One logged decision (a row of the ``decisions`` table).

    Attributes:
        decision_id: unique id.
        customer_id: the customer.
        created_at: decision time, epoch seconds.
        action_index: the chosen action's index in the catalog.
        probability: the probability with which it was chosen (off-policy evaluation needs it).
        holdout: whether the customer is in the holdout (control) group.
        context_json: the context as JSON.
        features_json: the features the learner saw, as JSON.
        eligible: indices of the actions the rules allowed.
        send_at: when the message goes out, epoch seconds (None for no contact).
        active: False while activation is deferred; inactive decisions are never learned from.
        catalog_version: :attr:`Catalog.version` at decision time.
        message: the message name (None for no contact); Parquet export and history read it.
        channel: the channel name (None for no contact); frequency caps and capacity count it.
        timing: the timing slot name (None for no contact).
        activated_at: when it became active (the reward window starts there); None if inactive.
            Defaults to ``created_at`` for a decision written active.
        model_version: the published model snapshot that decided (a replica's decisions; see
            ``engine.snapshots``); None for an engine that learns in its own process.
    """

    decision_id: str
    customer_id: str
    created_at: float
    action_index: int
    probability: float
    holdout: bool
    context_json: str
    features_json: str
    eligible: tuple[int, ...]
    send_at: float | None
    active: bool
    catalog_version: str
    message: str | None = None
    channel: str | None = None
    timing: str | None = None
    activated_at: float | None = None
    model_version: int | None = None

    @property
    def action_name(self) -> str:
        """``"message/channel/timing"``, or ``"no_contact"``."""
        if self.message is None:
            return "no_contact"
        return f"{self.message}/{self.channel}/{self.timing}"


@dataclass(frozen=True)
class ContactHistory:
    """A customer's recent contacts, as the rules and the features see them.

    Contacts are decisions with a channel (no-contact decisions are not contacts), counted by
    decision time; windows are rolling, ending at ``now``. Decisions still pending activation
    count too: their message may yet go out, and two pending decisions must not both pass a cap
    that allows one (a pending decision never activated stops counting as its windows pass).

    Attributes:
        contacts_1d: contacts in the last 24 h.
        contacts_7d: contacts in the last 7 days.
        contacts_30d: contacts in the last 30 days.
        days_since_last_by_channel: channel -> days since the last contact on it (``math.inf``
            for a channel never used for this customer).
        last_outcome: summed reward of the customer's latest rewarded decision, None if none.
        sends_today_by_channel: channel -> contacts on it in the last 24 h.
    """

    contacts_1d: int = 0
    contacts_7d: int = 0
    contacts_30d: int = 0
    days_since_last_by_channel: dict[str, float] = field(default_factory=dict)
    last_outcome: float | None = None
    sends_today_by_channel: dict[str, int] = field(default_factory=dict)


def _record(row: tuple) -> DecisionRecord:
    (did, cid, created, action, prob, holdout, ctx, feats, elig, send, active, version,
     message, channel, timing, activated, model) = row
    return DecisionRecord(did, cid, created, action, prob, bool(holdout), ctx, feats,
                          tuple(json.loads(elig)), send, bool(active), version, message, channel,
                          timing, activated, model)


def decision_row(rec: DecisionRecord) -> tuple:
    """The values of ``_DECISION_COLUMNS`` for a record (both backends write these)."""
    activated = rec.activated_at if rec.activated_at is not None else (
        rec.created_at if rec.active else None)
    return (rec.decision_id, rec.customer_id, float(rec.created_at), int(rec.action_index),
            float(rec.probability), bool(rec.holdout), rec.context_json, rec.features_json,
            _int_list(tuple(rec.eligible)), rec.send_at, bool(rec.active),
            rec.catalog_version, rec.message, rec.channel, rec.timing, activated,
            rec.model_version)


def check_reward(value: Any, at: Any, kind: str) -> tuple[float, float]:
    """A reward's value and time as floats (both backends refuse the same input alike)."""
    value = _finite("value", value)
    at = _finite("at", at)
    if kind not in REWARD_KINDS:
        raise RewardError(f"kind: expected one of {', '.join(REWARD_KINDS)}, got {kind!r}")
    return value, at


@lru_cache(maxsize=4096)  # a campaign's customers share a few eligible sets
def _int_list(values: tuple[int, ...]) -> str:
    """``json.dumps`` of a tuple of ints, without the encoder.

    Example:
        >>> _int_list((0, 3, 12)) == json.dumps([0, 3, 12])
        True
    """
    return "[" + ", ".join([str(int(v)) for v in values]) + "]"


def profile_json(profile: Any) -> str:
    """A profile as stored (sorted JSON), or StoreError naming what is wrong."""
    if not isinstance(profile, dict):
        raise StoreError(f"profile: expected a dict, got {type(profile).__name__}")
    try:
        return json.dumps(profile, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"profile: expected JSON-serialisable values, got {exc}") from exc


def duplicate_decision(decision_id: str) -> StoreError:
    """The error of a second decision with one id."""
    return StoreError(f"decision_id: expected a new id, got {decision_id!r} which is already "
                      f"logged")


def unknown_decision(decision_id: str) -> UnknownDecisionError:
    """The error of a decision id the log does not hold."""
    return UnknownDecisionError(f"decision_id: no decision {decision_id!r} in the log")


def duplicate_reward(decision_id: str) -> DuplicateRewardError:
    """The error of a second reward with ``refuse_duplicate``."""
    return DuplicateRewardError(f"decision_id: {decision_id!r} already has a reward; a second "
                                f"one is refused (reward_mode='refuse')")


def capacity_reached(channel: str, capacity: int, day: float) -> CapacityReachedError:
    """The error of a send beyond its channel's daily capacity."""
    return CapacityReachedError(channel, capacity, f"channel {channel!r}: its daily capacity "
                                f"of {capacity} is reached for the day starting {day:.0f}")


def history_of(rows: list[tuple], outcome: float | None, now: float,
               channels: Iterable[str]) -> ContactHistory:
    """A :class:`ContactHistory` from per-channel ``(channel, d1, d7, d30, last)`` rows."""
    days_since = dict.fromkeys(channels, math.inf)
    today = dict.fromkeys(channels, 0)
    for channel, d1, _d7, _d30, last in rows:
        days_since[channel] = (now - last) / _DAY
        today[channel] = int(d1)
    return ContactHistory(
        contacts_1d=sum(int(r[1]) for r in rows), contacts_7d=sum(int(r[2]) for r in rows),
        contacts_30d=sum(int(r[3]) for r in rows), days_since_last_by_channel=days_since,
        last_outcome=outcome, sends_today_by_channel=today)


def counts_of(d: tuple, kinds: dict[str, int], profiles: int, last_seq: int,
              switches: int = 0) -> dict[str, int]:
    """The ``counts()`` dict from the decisions' aggregate row and the reward kinds."""
    return {"learner_switches": int(switches), "decisions": int(d[0]),
            "active_decisions": int(d[1]),
            "holdout_decisions": int(d[2]), "no_contact_decisions": int(d[3]),
            "rewarded_decisions": int(d[4]), "rewards": sum(kinds.values()),
            "default_rewards": kinds.get("default", 0), "corrections": kinds.get("correction", 0),
            "profiles": int(profiles), "last_seq": last_seq}


def chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    """``items`` in consecutive slices of at most ``size`` (for ``IN (...)`` lists)."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def one_per_customer_key(records: Sequence[DecisionRecord]) -> list[tuple[str, float]]:
    """The sorted ``(customer_id, created_at)`` pairs of ``records``.

    Raises:
        StoreError: a customer twice at one time.
    """
    seen: set[tuple[str, float]] = set()
    for rec in records:
        key = (rec.customer_id, float(rec.created_at))
        if key in seen:
            raise StoreError(f"customer_id: expected one decision per customer, got "
                             f"{rec.customer_id!r} twice")
        seen.add(key)
    return sorted(seen)


def already_decided(customer_id: str) -> StoreError:
    """The error of a campaign decision for a customer decided at that time already."""
    return StoreError(f"customer_id: expected one decision per customer, got {customer_id!r} "
                      f"already decided at that time")


def sends_by_day(records: Sequence[DecisionRecord], capacities: dict[str, int]
                 ) -> dict[tuple[float, str], int]:
    """``(day, channel) -> sends`` of ``records`` on the capped channels."""
    sends: dict[tuple[float, str], int] = {}
    for rec in records:
        if rec.channel is not None and rec.channel in capacities:
            key = (day_start(float(rec.created_at)), rec.channel)
            sends[key] = sends.get(key, 0) + 1
    return sends


def not_in_log(missing: list[str]) -> UnknownDecisionError:
    """The error of ids that are not in the log (up to five named)."""
    return UnknownDecisionError(f"decision_id: {len(missing)} not in the log, e.g. "
                                f"{', '.join(map(repr, missing[:5]))}")


def _finite(name: str, value: Any) -> float:
    return check_number(name, value, error=RewardError)


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


class DecisionLog:
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

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the decision log is closed")

    def close(self) -> None:
        """Close the file (and release the learner lock); safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()
            if self._learner_lock is not None:
                self._learner_lock.close()  # closing the file releases its flock
                self._learner_lock = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
                db.execute(f"INSERT INTO decisions ({_DECISION_COLUMNS}) "
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
                       "ON CONFLICT DO NOTHING", (day, channel, channel, day, day + _DAY))
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
                db.executemany(f"INSERT INTO decisions ({_DECISION_COLUMNS}) "
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

    def get_decision(self, decision_id: str) -> DecisionRecord:
        """The decision with this id.

        Raises:
            UnknownDecisionError: no such decision (or it was forgotten).
        """
        rows = self._read(f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE decision_id = ?",
                          (decision_id,))
        if not rows:
            raise unknown_decision(decision_id)
        return _record(rows[0])

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

    def rewards_of(self, decision_id: str) -> list[tuple[int, float, float, str]]:
        """``(seq, value, at, kind)`` of every reward of a decision, oldest first."""
        return self._read("SELECT seq, value, at, kind FROM rewards WHERE decision_id = ? "
                          "ORDER BY seq", (decision_id,))

    def last_seq(self) -> int:
        """The highest reward sequence number ever given (0 when none)."""
        rows = self._read("SELECT seq FROM sqlite_sequence WHERE name = 'rewards'")
        return int(rows[0][0]) if rows else 0

    def rewards_since(self, seq: int, batch: int = 1000
                      ) -> Iterator[tuple[int, DecisionRecord, float, str]]:
        """``(seq, decision, value, kind)`` of every reward with a sequence number above ``seq``.

        In sequence order, read in batches (the lock is not held between batches), for replay
        after a checkpoint.
        """
        last = int(seq)
        cols = ", ".join(f"d.{c.strip()}" for c in _DECISION_COLUMNS.split(","))
        while True:
            rows = self._read(f"SELECT r.seq, r.value, r.kind, {cols} FROM rewards r "
                              f"JOIN decisions d ON d.decision_id = r.decision_id "
                              f"WHERE r.seq > ? ORDER BY r.seq LIMIT ?", (last, batch))
            for row in rows:
                yield row[0], _record(row[3:]), row[1], row[2]
            if len(rows) < batch:
                return
            last = rows[-1][0]

    def expired_without_reward(self, now: float, window_s: float, limit: int = 1000
                               ) -> list[DecisionRecord]:
        """Active decisions activated at least ``window_s`` before ``now`` with no reward yet.

        Oldest first, at most ``limit`` (the caller learns their default reward and writes it,
        which takes them off this list).
        """
        rows = self._read(f"SELECT {_DECISION_COLUMNS} FROM decisions "
                          f"WHERE active = 1 AND rewarded = 0 AND activated_at <= ? "
                          f"ORDER BY activated_at LIMIT ?", (float(now) - window_s, int(limit)))
        return [_record(r) for r in rows]

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
            (now - _DAY, now - 7 * _DAY, now - 30 * _DAY, customer_id, now))
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
                    (now - _DAY, now - 7 * _DAY, now - 30 * _DAY, *chunk, now)):
                counts.setdefault(row[0], []).append(row[1:])
            outcome.update(self._read(
                f"SELECT l.customer_id, SUM(r.value) FROM (SELECT customer_id, decision_id, "
                f"ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY created_at DESC, "
                f"rowid DESC) AS n FROM decisions WHERE customer_id IN ({marks}) AND "
                f"rewarded = 1 AND created_at <= ?) l JOIN rewards r ON r.decision_id = "
                f"l.decision_id WHERE l.n = 1 GROUP BY l.customer_id", (*chunk, now)))
        return [history_of(counts.get(c, []), outcome.get(c), now, names) for c in customer_ids]

    def capacity_used(self, day_start: float) -> dict[str, int]:
        """Channel -> contacts decided since ``day_start`` (epoch s), all customers; decisions
        pending activation count (see :class:`ContactHistory`)."""
        rows = self._read("SELECT channel, COUNT(*) FROM decisions WHERE created_at >= ? "
                          "AND channel IS NOT NULL GROUP BY channel",
                          (float(day_start),))
        return {c: int(n) for c, n in rows}

    def set_profile(self, customer_id: str, profile: dict[str, Any]) -> None:
        """Store (replace) a customer's profile: consent, segment, timezone, tenure_days...

        Raises:
            StoreError: the profile is not a JSON-serialisable dict.
        """
        blob = profile_json(profile)
        with self._tx() as db:
            db.execute("INSERT INTO profiles VALUES (?, ?) ON CONFLICT (customer_id) "
                       "DO UPDATE SET profile_json = excluded.profile_json", (customer_id, blob))

    def profile(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's stored profile, or None."""
        rows = self._read("SELECT profile_json FROM profiles WHERE customer_id = ?",
                          (customer_id,))
        return json.loads(rows[0][0]) if rows else None

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

    def first_contexts(self, n: int) -> list[dict[str, Any]]:
        """The contexts of the first ``n`` decisions in the log, in the order they were made."""
        return [json.loads(c) for (c,) in self._read(
            "SELECT context_json FROM decisions ORDER BY rowid LIMIT ?", (int(n),))]

    def switches(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest learner switches, newest first: seq, at, from, to and the evidence."""
        rows = self._read("SELECT seq, at, from_learner, to_learner, evidence_json FROM "
                          "learner_switches ORDER BY id DESC LIMIT ?", (int(limit),))
        return [{"seq": q, "at": a, "from": f, "to": t, "evidence": json.loads(e)}
                for q, a, f, t, e in rows]
    # -- following the log (the drift monitor) ----------------------------------------------------
    # Three reads and one write, the whole of what engine/drift needs of a backend: decisions and
    # rewards after a position, in log order, and the drift events table.
    def decisions_after(self, position: int, limit: int = 1000
                        ) -> list[tuple[int, float, bool, str | None, str]]:
        """``(position, created_at, holdout, channel, context_json)`` of the decisions logged
        after ``position``, in log order, at most ``limit``.

        ``position`` is the decision's place in the log (SQLite: its rowid), increasing with
        every decision written; pass the last one seen to read on, 0 to start.
        """
        return [(int(p), float(t), bool(h), c, ctx) for p, t, h, c, ctx in self._read(
            "SELECT rowid, created_at, holdout, channel, context_json FROM decisions "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?", (int(position), int(limit)))]

    def rewards_after(self, seq: int, limit: int = 1000, *, contexts: bool = False
                      ) -> list[tuple[Any, ...]]:
        """``(seq, at, value, kind, holdout, channel, message)`` of the rewards with a sequence
        number above ``seq``, in sequence order, at most ``limit`` (``holdout``, ``channel`` and
        ``message`` are the rewarded decision's); with ``contexts``, the decision's
        ``context_json`` and its position (as ``decisions_after`` counts) last."""
        extra = ", d.context_json, d.rowid" if contexts else ""
        return [(int(r[0]), float(r[1]), float(r[2]), r[3], bool(r[4]), *r[5:]) for r in
                self._read(f"SELECT r.seq, r.at, r.value, r.kind, d.holdout, d.channel, "
                           f"d.message{extra} FROM rewards r JOIN decisions d ON "
                           f"d.decision_id = r.decision_id WHERE r.seq > ? ORDER BY r.seq "
                           f"LIMIT ?", (int(seq), int(limit)))]

    def write_drift_events(self, rows: Iterable[dict[str, Any]]) -> int:
        """Log drift events (``DriftEvent.to_row()`` dicts); one whose ``key`` is logged already
        is skipped (a replay finds the same events). Returns how many were written."""
        rows = list(rows)
        if not rows:
            return 0
        self._check_open()
        names = ", ".join(_DRIFT_EVENT_COLUMNS)
        with self._tx() as db:
            before = db.total_changes
            db.executemany(f"INSERT OR IGNORE INTO drift_events ({names}) VALUES "
                           f"({', '.join('?' * len(_DRIFT_EVENT_COLUMNS))})",
                           [tuple(r[c] for c in _DRIFT_EVENT_COLUMNS) for r in rows])
            return db.total_changes - before

    def drift_events(self, limit: int = 100, since_id: int = 0) -> list[dict[str, Any]]:
        """The latest ``limit`` drift events with an ``id`` above ``since_id``, newest first,
        as dicts of the table's columns (``id`` included)."""
        cols = ("id", *_DRIFT_EVENT_COLUMNS)
        rows = self._read(f"SELECT {', '.join(cols)} FROM drift_events WHERE id > ? "
                          f"ORDER BY id DESC LIMIT ?", (int(since_id), int(limit)))
        return [dict(zip(cols, r, strict=True)) for r in rows]

    # -- dashboards ------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Row counts for ``/metrics``: decisions, active, holdout, no_contact, rewards by kind,
        profiles, learner switches, last_seq."""
        d = self._read("SELECT COUNT(*), COALESCE(SUM(active), 0), COALESCE(SUM(holdout), 0), "
                       "COALESCE(SUM(channel IS NULL), 0), COALESCE(SUM(rewarded), 0) "
                       "FROM decisions")[0]
        kinds = dict(self._read("SELECT kind, COUNT(*) FROM rewards GROUP BY kind"))
        profiles = self._read("SELECT COUNT(*) FROM profiles")[0][0]
        switches = self._read("SELECT COUNT(*) FROM learner_switches")[0][0]
        return counts_of(d, kinds, profiles, self.last_seq(), switches)

    def reward_rate_by_bucket(self, bucket_s: float, since: float = 0.0
                              ) -> list[tuple[float, bool, int, float]]:
        """``(bucket_start, holdout, n_decisions, sum_reward)`` of active decisions made since
        ``since``, grouped by decision-time bucket of ``bucket_s`` seconds, oldest first."""
        if not bucket_s > 0:
            raise StoreError(f"bucket_s: expected a positive number, got {bucket_s!r}")
        rows = self._read(
            "SELECT CAST(d.created_at / ? AS INTEGER) AS b, d.holdout, COUNT(*), "
            "COALESCE(SUM(r.total), 0.0) FROM decisions d LEFT JOIN (SELECT decision_id, "
            "SUM(value) AS total FROM rewards GROUP BY decision_id) r "
            "ON r.decision_id = d.decision_id WHERE d.active = 1 AND d.created_at >= ? "
            "GROUP BY b, d.holdout ORDER BY b, d.holdout", (float(bucket_s), float(since)))
        return [(b * float(bucket_s), bool(h), int(n), float(s)) for b, h, n, s in rows]

    def action_mix(self, since: float = 0.0) -> list[tuple[str | None, str | None, str | None,
                                                           int]]:
        """``(message, channel, timing, n)`` of the active treatment decisions made since
        ``since`` (all three None for no contact), most frequent first."""
        return [(m, c, t, int(n)) for m, c, t, n in self._read(
            "SELECT message, channel, timing, COUNT(*) AS n FROM decisions WHERE active = 1 "
            "AND holdout = 0 AND created_at >= ? GROUP BY message, channel, timing "
            "ORDER BY n DESC", (float(since),))]

    def first_decision_at(self, since: float = 0.0) -> float | None:
        """The time of the first active decision made at or after ``since``, None if none."""
        first = self._read("SELECT MIN(created_at) FROM decisions WHERE active = 1 AND "
                           "created_at >= ?", (float(since),))[0][0]
        return None if first is None else float(first)

    def iter_export_rows(self, since: float | None = None, batch: int = 10000
                         ) -> Iterator[list[tuple]]:
        """Batches of decision rows joined with their summed rewards (for Parquet export).

        Rows come in the order they were logged. Each row: the decision columns in
        ``_DECISION_COLUMNS`` order, then the reward sum (None if no reward) and the
        comma-joined reward kinds in sequence order (None if no reward).
        """
        cols = ", ".join(f"d.{c.strip()}" for c in _DECISION_COLUMNS.split(","))
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

    def latest_snapshot_version(self) -> int:
        """The latest published snapshot's version, 0 when none."""
        return int(self._read("SELECT COALESCE(MAX(version), 0) FROM model_snapshots")[0][0])

    def latest_snapshot(self) -> ModelSnapshot | None:
        """The latest published snapshot (model bytes included), or None."""
        from engine.snapshots import ModelSnapshot

        rows = self._read(f"SELECT {_SNAPSHOT_COLUMNS} FROM model_snapshots "
                          f"ORDER BY version DESC LIMIT 1")
        return ModelSnapshot.from_row(rows[0]) if rows else None

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
