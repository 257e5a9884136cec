"""The durable log on PostgreSQL: one log shared by every choose replica and the learner.

The same tables and contract as the SQLite log (:class:`engine.decision_store.DecisionStore`),
for processes on many machines. What SQLite gets from its one file lock, PostgreSQL gets from
three explicit ones:

- **Reward sequence numbers follow commit order.** A reward takes the next number from a
  one-row counter (``reward_seq``) in its own transaction; the counter's row lock is held until
  commit, so rewards commit in number order and a follower reading ``seq > n`` can never see a
  number before a smaller one commits (a plain sequence would let a slower transaction commit a
  smaller number later, and the learner would skip it). Rolled-back rewards leave no gap, and a
  number is never reused, as with SQLite's AUTOINCREMENT. The price: reward commits are
  serialised (``docs/scale.md`` measures where that saturates).
- **A customer is decided for by one transaction at a time** (:meth:`PostgresLog.transaction`
  takes a transaction-scoped advisory lock per customer, in sorted order), so the frequency caps
  read and the decision written are atomic across replicas.
- **A channel's daily capacity is a counter row** (``channel_sends``) incremented in the
  decision's transaction only while below the capacity: two replicas cannot both take the last
  send.

One connection per log (autocommit; explicit transactions), guarded by a lock like the SQLite
log's: a broken connection is reopened on the next call. Tables live in the connection's schema
(``options=-csearch_path=...`` in the URL keeps several logs in one database).

Example (needs a server; ``tests/engine/test_store.py`` starts one)::

    with PostgresLog("postgresql://offerbandit@localhost/offerbandit") as log:
        log.write_decision(rec)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors as pg_errors

from engine.decision_store import ClientReward, day_start
from engine.errors import DuplicateRewardError, StoreError
from engine.log_queries import LogQueries
from engine.log_rows import (
    DAY,
    DECISION_COLUMNS,
    DRIFT_EVENT_COLUMNS,
    ContactHistory,
    DecisionRecord,
    already_decided,
    capacity_reached,
    check_reward,
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
from engine.store import SCHEMA_VERSION

if TYPE_CHECKING:
    from engine.snapshots import ModelSnapshot

__all__ = ["PostgresLog", "redact"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    action_index INTEGER NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    holdout BOOLEAN NOT NULL,
    context_json TEXT NOT NULL,
    features_json TEXT NOT NULL,
    eligible_json TEXT NOT NULL,
    send_at DOUBLE PRECISION,
    active BOOLEAN NOT NULL,
    activated_at DOUBLE PRECISION,
    catalog_version TEXT NOT NULL,
    message TEXT,
    channel TEXT,
    timing TEXT,
    rewarded BOOLEAN NOT NULL DEFAULT FALSE,
    model_version BIGINT,
    logged BIGSERIAL NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_customer ON decisions (customer_id, created_at);
CREATE INDEX IF NOT EXISTS decisions_pending ON decisions (activated_at)
    WHERE active AND NOT rewarded;
CREATE INDEX IF NOT EXISTS decisions_created ON decisions (created_at);
CREATE UNIQUE INDEX IF NOT EXISTS decisions_logged ON decisions (logged);
CREATE TABLE IF NOT EXISTS rewards (
    seq BIGINT PRIMARY KEY,
    decision_id TEXT NOT NULL REFERENCES decisions (decision_id),
    customer_id TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rewards_decision ON rewards (decision_id);
CREATE TABLE IF NOT EXISTS reward_seq (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
                                       last BIGINT NOT NULL);
INSERT INTO reward_seq (last) VALUES (0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS profiles (
    customer_id TEXT PRIMARY KEY,
    profile_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS channel_sends (
    day DOUBLE PRECISION NOT NULL,
    channel TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, channel)
);
CREATE TABLE IF NOT EXISTS model_snapshots (
    version BIGSERIAL PRIMARY KEY,
    learned_seq BIGINT NOT NULL,
    learner_name TEXT NOT NULL,
    learner_config TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    features_version TEXT NOT NULL,
    model BYTEA NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    published_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS learner_switches (
    id BIGSERIAL PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    at DOUBLE PRECISION NOT NULL,
    from_learner TEXT NOT NULL,
    to_learner TEXT NOT NULL,
    evidence_json TEXT NOT NULL
)
"""
# Tables added after a log's schema was made: created where missing, at every open.
_ADDED = """
CREATE TABLE IF NOT EXISTS drift_events (
    id BIGSERIAL PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    level TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    value DOUBLE PRECISION,
    threshold DOUBLE PRECISION,
    change_at DOUBLE PRECISION,
    position BIGINT NOT NULL,
    message TEXT NOT NULL,
    detail_json TEXT NOT NULL
)
"""

# A first reward in one statement (one round trip): flag the decision, take the next number
# (its row lock held to commit orders the commits), insert. No row back: unknown or rewarded.
_FIRST_REWARD = """
WITH d AS (UPDATE decisions SET rewarded = TRUE WHERE decision_id = %(d)s AND NOT rewarded
           RETURNING customer_id),
     s AS (UPDATE reward_seq SET last = last + 1 WHERE EXISTS (SELECT 1 FROM d) RETURNING last)
INSERT INTO rewards (seq, decision_id, customer_id, value, at, kind)
SELECT s.last, %(d)s, d.customer_id, %(v)s, %(at)s, %(k)s FROM d, s RETURNING seq
"""
_LATER_REWARD = """
WITH d AS (SELECT customer_id FROM decisions WHERE decision_id = %(d)s FOR UPDATE),
     s AS (UPDATE reward_seq SET last = last + 1 WHERE EXISTS (SELECT 1 FROM d) RETURNING last)
INSERT INTO rewards (seq, decision_id, customer_id, value, at, kind)
SELECT s.last, %(d)s, d.customer_id, %(v)s, %(at)s, %(k)s FROM d, s RETURNING seq
"""
_HISTORY = """
SELECT channel, COUNT(*) FILTER (WHERE created_at > %(d1)s),
       COUNT(*) FILTER (WHERE created_at > %(d7)s), COUNT(*) FILTER (WHERE created_at > %(d30)s),
       MAX(created_at), NULL::DOUBLE PRECISION
FROM decisions WHERE customer_id = %(c)s AND channel IS NOT NULL AND created_at <= %(now)s
GROUP BY channel
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, (SELECT SUM(r.value) FROM rewards r WHERE r.decision_id = (
    SELECT decision_id FROM decisions WHERE customer_id = %(c)s AND rewarded
    AND created_at <= %(now)s ORDER BY created_at DESC, logged DESC LIMIT 1))
"""
_HISTORIES = """
SELECT customer_id, channel, COUNT(*) FILTER (WHERE created_at > %(d1)s),
       COUNT(*) FILTER (WHERE created_at > %(d7)s), COUNT(*) FILTER (WHERE created_at > %(d30)s),
       MAX(created_at)
FROM decisions WHERE customer_id = ANY(%(ids)s) AND channel IS NOT NULL
    AND created_at <= %(now)s
GROUP BY customer_id, channel
"""
_OUTCOMES = """
SELECT l.customer_id, SUM(r.value) FROM (
    SELECT DISTINCT ON (customer_id) customer_id, decision_id FROM decisions
    WHERE customer_id = ANY(%(ids)s) AND rewarded AND created_at <= %(now)s
    ORDER BY customer_id, created_at DESC, logged DESC) l
JOIN rewards r ON r.decision_id = l.decision_id GROUP BY l.customer_id
"""
_MIGRATION_LOCK = 0x6F66666572  # one process creates the tables at a time


def redact(url: str) -> str:
    """The URL without its password, for messages and ``url``.

    Example:
        >>> redact("postgresql://bob:secret@db:5432/log")
        'postgresql://bob:***@db:5432/log'
    """
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://<unparsable URL>"
    if "password" not in info:
        return url
    if "://" not in url or "@" not in url:  # key=value form, or the password in a parameter
        return " ".join(f"{k}={'***' if k == 'password' else v}" for k, v in info.items())
    head, _, tail = url.partition("://")
    creds, _, rest = tail.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{head}://{user}:***@{rest}"


def _key(scope: str, name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name`` within ``scope`` (the schema)."""
    digest = hashlib.blake2b(f"{scope}\0{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresLog(LogQueries):
    """The durable decision/reward/profile log in a PostgreSQL database.

    Implements :class:`engine.decision_store.DecisionStore`.

    Args:
        url: a libpq URL or connection string (``postgresql://user@host:5432/db``).
        connect_timeout_s: how long to wait for the server.
        read_only: read an existing log only (campaign workers): the session refuses writes.

    Raises:
        StoreError: the server cannot be reached, or the tables have another schema version.
    """

    _TRUE = "TRUE"
    _FALSE = "FALSE"
    _POSITION = "logged"
    _TRUNCATE = "CAST(TRUNC({}) AS BIGINT)"

    def __init__(self, url: str, *, connect_timeout_s: float = 10.0,
                 read_only: bool = False) -> None:
        self.url = redact(url)
        self._conninfo = url
        self._read_only = read_only
        self._timeout = connect_timeout_s
        self._lock = threading.RLock()
        self._depth = 0
        self._closed = True
        self._learner_locked = False
        self._db = self._connect()
        self._closed = False
        try:
            self._scope = str(self._db.execute("SELECT current_schema()").fetchall()[0][0])
            if read_only:
                self._check_schema()
            else:
                self._migrate()
        except psycopg.Error as exc:
            self.close()
            raise StoreError(f"store: cannot set up the decision log in {self.url}: {exc}"
                             ) from exc
        except BaseException:
            self.close()
            raise

    def _connect(self) -> psycopg.Connection:
        try:
            db = psycopg.connect(self._conninfo, autocommit=True,
                                 connect_timeout=max(1, math.ceil(self._timeout)))
            if self._read_only:  # every statement of this session refuses to write
                db.execute("SET default_transaction_read_only = on")
            return db
        except psycopg.Error as exc:
            raise StoreError(f"store: cannot connect to {self.url}: {exc}".strip()) from exc

    def _check_schema(self) -> None:
        exists = self._db.execute("SELECT to_regclass('schema_version')").fetchall()[0][0]
        rows = self._db.execute("SELECT version FROM schema_version").fetchall() if exists else []
        if rows != [(SCHEMA_VERSION,)]:
            raise StoreError(f"schema_version: expected {SCHEMA_VERSION}, got "
                             f"{rows[0][0] if rows else None} in {self.url}")

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            exists = db.execute("SELECT to_regclass('schema_version')").fetchall()[0][0]
            rows = db.execute("SELECT version FROM schema_version").fetchall() if exists else []
            if rows and rows[0][0] != SCHEMA_VERSION:
                raise StoreError(f"schema_version: expected {SCHEMA_VERSION}, got {rows[0][0]} "
                                 f"in {self.url}; use a matching offerbandit version")
            if not rows:
                for stmt in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(stmt)
                db.execute("INSERT INTO schema_version VALUES (%s)", (SCHEMA_VERSION,))
            for stmt in filter(str.strip, _ADDED.split(";")):
                db.execute(stmt)

    # -- plumbing --------------------------------------------------------------------------------
    def _conn(self) -> psycopg.Connection:
        self._check_open()
        if self._db.broken or self._db.closed:
            if self._depth:
                raise StoreError(f"store: the connection to {self.url} broke mid-transaction")
            if self._learner_locked:  # the session lock went with the connection
                raise StoreError(f"store: the connection to {self.url} broke, and the learner "
                                 f"lock with it; restart the learner")
            self._db = self._connect()
        return self._db

    @contextmanager
    def _tx(self, locks: Sequence[int] = (), savepoint: bool = False
            ) -> Iterator[psycopg.Connection]:
        """A transaction holding the advisory ``locks`` (taken in order).

        Inside an open transaction a write method joins it, and an explicit block
        (``savepoint``, :meth:`transaction`) is a savepoint: its failure undoes only its own
        writes, as on SQLite. Every database failure leaves as :class:`StoreError`.
        """
        with self._lock:
            db = self._conn()
            if self._depth:
                for k in locks:  # taken inside the open transaction
                    self._execute(db, "SELECT pg_advisory_xact_lock(%s)", (k,))
                name = f"s{self._depth}" if savepoint else None
                if name:
                    self._execute(db, f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield db
                except BaseException as exc:
                    self._depth -= 1
                    if name:
                        with contextlib.suppress(psycopg.Error):
                            db.execute(f"ROLLBACK TO SAVEPOINT {name}")
                            db.execute(f"RELEASE SAVEPOINT {name}")
                    self._raise_typed(exc)
                    raise
                self._depth -= 1
                if name:
                    self._execute(db, f"RELEASE SAVEPOINT {name}")
                return
            # BEGIN and the locks in one round trip: without parameters several statements go
            # as one simple query (the keys are our own integers, never text from outside).
            self._execute(db, "; ".join(["BEGIN", *(f"SELECT pg_advisory_xact_lock({int(k)})"
                                                    for k in locks)]))
            self._depth = 1
            try:
                yield db
            except BaseException as exc:
                self._depth = 0
                with contextlib.suppress(psycopg.Error):
                    db.execute("ROLLBACK")
                self._raise_typed(exc)
                raise
            self._depth = 0
            try:
                db.execute("COMMIT")
            except psycopg.Error as exc:  # nothing is kept
                with contextlib.suppress(psycopg.Error):
                    db.execute("ROLLBACK")
                raise StoreError(f"store: {self.url}: cannot commit: {exc}") from exc

    def _execute(self, db: psycopg.Connection, sql: str, args: Sequence = ()) -> None:
        try:
            db.execute(sql, args)
        except psycopg.Error as exc:
            raise StoreError(f"store: {self.url}: {exc}") from exc

    def _raise_typed(self, exc: BaseException) -> None:
        """One error type for callers whatever failed: the database's become StoreError."""
        if isinstance(exc, psycopg.Error):
            raise StoreError(f"store: {self.url}: {exc}") from exc

    @contextmanager
    def transaction(self, customers: Iterable[str] = ()) -> Iterator[psycopg.Connection]:
        """Group writes: every write made inside commits together when the block ends, or none
        does if it raises (a nested block is a savepoint). Each customer named is locked
        (advisory, transaction-scoped, sorted to avoid deadlocks) against every other
        transaction naming it, in any process, until the outermost block ends."""
        with self._tx(sorted({_key(self._scope, c) for c in customers}), savepoint=True) as db:
            yield db

    def _read(self, sql: str, args: Sequence | dict = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn().execute(sql, args).fetchall()
            except psycopg.Error as exc:
                raise StoreError(f"store: {self.url}: cannot read: {exc}") from exc

    def _select(self, sql: str, args: Iterable = ()) -> list[tuple]:
        """:meth:`_read` of a shared query (:mod:`engine.log_queries` marks parameters ``?``)."""
        return self._read(sql.replace("?", "%s"), tuple(args))

    def close(self) -> None:
        """Close the connection (the learner lock goes with it); safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    # -- decisions -------------------------------------------------------------------------------
    def write_decision(self, rec: DecisionRecord, *, capacity: int | None = None) -> None:
        """Log a decision durably; with ``capacity``, count it against its channel's UTC day.

        Raises:
            StoreError: a decision with this id exists (nothing is changed).
            CapacityReachedError: the channel's capacity for the day is used up.
        """
        row = decision_row(rec)
        with self._tx() as db:
            if capacity is not None and rec.channel is not None:
                self._count_send(db, rec.channel, float(rec.created_at), int(capacity))
            try:
                db.execute(f"INSERT INTO decisions ({DECISION_COLUMNS}) "
                           f"VALUES ({', '.join(['%s'] * len(row))})", row)
            except pg_errors.UniqueViolation as exc:
                raise duplicate_decision(rec.decision_id) from exc

    @staticmethod
    def _count_send(db: psycopg.Connection, channel: str, at: float, capacity: int,
                    sends: int = 1) -> None:
        day = day_start(at)
        take = ("UPDATE channel_sends SET n = n + %s WHERE day = %s AND channel = %s "
                "AND n + %s <= %s RETURNING n")
        args = (sends, day, channel, sends, capacity)
        if db.execute(take, args).fetchall():
            return  # the common case: one statement, the counter row locked to commit
        if not db.execute("SELECT 1 FROM channel_sends WHERE day = %s AND channel = %s",
                          (day, channel)).fetchall():
            # The day's first capped send: the counter starts from the decisions logged (two
            # processes starting it at once: one inserts, the other waits for it, then counts on).
            db.execute("INSERT INTO channel_sends (day, channel, n) SELECT %s, %s, COUNT(*) "
                       "FROM decisions WHERE channel = %s AND created_at >= %s AND "
                       "created_at < %s ON CONFLICT DO NOTHING",
                       (day, channel, channel, day, day + DAY))
        # Taken again whether this call started the counter or found it: the first UPDATE's
        # snapshot can predate another connection's commit of the counter row (read committed),
        # and then it matched no row although the day had room (a flaky 5 of 7 in
        # test_separate_connections_never_exceed_a_channel_capacity).
        if db.execute(take, args).fetchall():
            return
        raise capacity_reached(channel, capacity, day)

    def write_decisions(self, records: Sequence[DecisionRecord], *,
                        one_per_customer: bool = False,
                        capacities: Mapping[str, int] | None = None) -> None:
        """Log many decisions in one transaction, all or none (see
        ``DecisionLog.write_decisions``); the capacity counters are taken in (day, channel)
        order, so two batches cannot deadlock on them."""
        rows = [decision_row(rec) for rec in records]
        if not rows:
            return
        with self._tx() as db:
            if one_per_customer:
                pairs = one_per_customer_key(records)
                found = db.execute(
                    "SELECT customer_id FROM decisions WHERE (customer_id, created_at) IN "
                    "(SELECT * FROM unnest(%s::text[], %s::double precision[])) LIMIT 1",
                    ([c for c, _ in pairs], [t for _, t in pairs])).fetchall()
                if found:
                    raise already_decided(found[0][0])
            caps = dict(capacities or {})
            for (day, channel), k in sorted(sends_by_day(records, caps).items()):
                self._count_send(db, channel, day, int(caps[channel]), k)
            try:
                with db.cursor() as cur:
                    cur.executemany(f"INSERT INTO decisions ({DECISION_COLUMNS}) "
                                    f"VALUES ({', '.join(['%s'] * len(rows[0]))})", rows)
            except pg_errors.UniqueViolation as exc:
                raise StoreError(f"decision_id: expected new ids, got one already logged "
                                 f"({exc.diag.message_detail})") from exc

    def activate(self, decision_id: str, at: float) -> None:
        """Mark a deferred decision active from ``at``; an active one is left as it is."""
        with self._tx() as db:
            cur = db.execute("UPDATE decisions SET active = TRUE, activated_at = %s "
                             "WHERE decision_id = %s AND NOT active", (float(at), decision_id))
            if cur.rowcount == 0 and not db.execute(
                    "SELECT 1 FROM decisions WHERE decision_id = %s", (decision_id,)).fetchone():
                raise unknown_decision(decision_id)

    def activate_many(self, sent: Sequence[tuple[str, float]]) -> int:
        """Activate many deferred decisions in one transaction, all or none (see
        ``DecisionLog.activate_many``); return how many became active."""
        pairs = [(str(d), float(at)) for d, at in sent]
        ids = sorted({d for d, _ in pairs})
        with self._tx() as db:
            missing = self._missing(db, ids)
            if missing:
                raise not_in_log(missing)
            rows = db.execute(
                "UPDATE decisions d SET active = TRUE, activated_at = s.at FROM (SELECT DISTINCT "
                "ON (id) id, at FROM unnest(%s::text[], %s::double precision[]) WITH ORDINALITY "
                "AS u(id, at, i) ORDER BY id, i) s WHERE d.decision_id = s.id AND NOT d.active "
                "RETURNING 1", ([d for d, _ in pairs], [a for _, a in pairs])).fetchall()
            return len(rows)

    def missing_decisions(self, decision_ids: Sequence[str]) -> list[str]:
        """The ids (sorted, each once) that are not in the log."""
        with self._lock:
            try:
                return self._missing(self._conn(), decision_ids)
            except psycopg.Error as exc:
                raise StoreError(f"store: {self.url}: cannot read: {exc}") from exc

    @staticmethod
    def _missing(db: psycopg.Connection, decision_ids: Sequence[str]) -> list[str]:
        wanted = sorted(set(decision_ids))
        known = {r[0] for r in db.execute(
            "SELECT decision_id FROM decisions WHERE decision_id = ANY(%s)", (wanted,))}
        return [d for d in wanted if d not in known]

    # -- rewards ---------------------------------------------------------------------------------
    def write_reward(self, decision_id: str, value: float, at: float, kind: str = "reward",
                     *, refuse_duplicate: bool = False) -> int:
        """Log a reward and return its sequence number (see ``DecisionLog.write_reward``)."""
        value, at = check_reward(value, at, kind)
        args = {"d": decision_id, "v": value, "at": at, "k": kind}
        with self._lock:
            if not self._depth:  # the common case, a first reward: one statement, one round trip
                first = self._read(_FIRST_REWARD, args)
                if first:
                    return int(first[0][0])
        with self._tx() as db:
            row = db.execute(_FIRST_REWARD, args).fetchone()
            if row is None:
                known = db.execute("SELECT 1 FROM decisions WHERE decision_id = %s",
                                   (decision_id,)).fetchone()
                if known is None:
                    raise unknown_decision(decision_id)
                if refuse_duplicate:
                    raise duplicate_reward(decision_id)
                row = db.execute(_LATER_REWARD, args).fetchone()
                if row is None:  # erased in between
                    raise unknown_decision(decision_id)
            return int(row[0])

    def write_client_reward(self, decision_id: str, value: float, at: float) -> ClientReward:
        """A client's one reward, over the engine's defaults if any came first (see
        ``DecisionLog.write_client_reward``): a first reward in one round trip; over defaults,
        the decision's row locked from the check to the commit."""
        try:
            seq = self.write_reward(decision_id, value, at, "reward", refuse_duplicate=True)
            return ClientReward(seq, None, None)
        except DuplicateRewardError:
            pass  # rewarded already: by the engine's default alone, or by a client
        with self._tx() as db:
            if db.execute("SELECT 1 FROM decisions WHERE decision_id = %s FOR UPDATE",
                          (decision_id,)).fetchone() is None:
                raise unknown_decision(decision_id)
            previous, first = defaults_replaced(decision_id, db.execute(
                "SELECT seq, kind, value FROM rewards WHERE decision_id = %s",
                (decision_id,)).fetchall())
            seq = self.write_reward(decision_id, value - (previous or 0.0), at, "correction")
            return ClientReward(seq, previous, first)

    def last_seq(self) -> int:
        """The highest reward sequence number ever given (0 when none)."""
        return int(self._read("SELECT last FROM reward_seq")[0][0])

    # -- customers -------------------------------------------------------------------------------
    def history(self, customer_id: str, now: float, channels: Iterable[str] = ()
                ) -> ContactHistory:
        """The customer's contact history at ``now`` (one round trip)."""
        now = float(now)
        rows = self._read(_HISTORY, {"d1": now - DAY, "d7": now - 7 * DAY,
                                     "d30": now - 30 * DAY, "c": customer_id, "now": now})
        outcome = next(r[5] for r in rows if r[0] is None)
        return history_of([r[:5] for r in rows if r[0] is not None], outcome, now, channels)

    def histories(self, customer_ids: Sequence[str], now: float, channels: Iterable[str] = ()
                  ) -> list[ContactHistory]:
        """:meth:`history` of many customers at once (two queries per call)."""
        now = float(now)
        names = list(channels)
        ids = list(dict.fromkeys(customer_ids))
        counts: dict[str, list[tuple]] = {}
        for row in self._read(_HISTORIES, {"d1": now - DAY, "d7": now - 7 * DAY,
                                           "d30": now - 30 * DAY, "ids": ids, "now": now}):
            counts.setdefault(row[0], []).append(row[1:])
        outcome = dict(self._read(_OUTCOMES, {"ids": ids, "now": now}))
        return [history_of(counts.get(c, []), outcome.get(c), now, names) for c in customer_ids]

    def set_profile(self, customer_id: str, profile: dict[str, Any]) -> None:
        """Store (replace) a customer's profile (``StoreError`` if not a JSON dict)."""
        blob = profile_json(profile)
        with self._tx() as db:
            db.execute("INSERT INTO profiles VALUES (%s, %s) ON CONFLICT (customer_id) "
                       "DO UPDATE SET profile_json = EXCLUDED.profile_json", (customer_id, blob))

    def profiles(self, customer_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """:meth:`profile` of many customers at once (None where none is stored)."""
        found = {c: json.loads(p) for c, p in self._read(
            "SELECT customer_id, profile_json FROM profiles WHERE customer_id = ANY(%s)",
            (list(dict.fromkeys(customer_ids)),))}
        return [found.get(c) for c in customer_ids]

    def forget(self, customer_id: str) -> int:
        """Erase every row of a customer; return how many went (capacity counters of the days
        it was contacted on are recounted on their next send)."""
        with self._tx() as db:
            sends = db.execute("SELECT DISTINCT created_at, channel FROM decisions WHERE "
                               "customer_id = %s AND channel IS NOT NULL",
                               (customer_id,)).fetchall()
            for day, ch in sorted({(day_start(at), ch) for at, ch in sends}):
                db.execute("DELETE FROM channel_sends WHERE day = %s AND channel = %s",
                           (day, ch))
            n = db.execute("DELETE FROM rewards WHERE decision_id IN (SELECT decision_id FROM "
                           "decisions WHERE customer_id = %s)", (customer_id,)).rowcount
            n += db.execute("DELETE FROM decisions WHERE customer_id = %s",
                            (customer_id,)).rowcount
            n += db.execute("DELETE FROM profiles WHERE customer_id = %s",
                            (customer_id,)).rowcount
        return n

    # -- learner switches ------------------------------------------------------------------------
    def write_switch(self, seq: int, at: float, from_learner: str, to_learner: str,
                     evidence: dict[str, Any]) -> None:
        """Log one change of the serving learner (as ``DecisionLog.write_switch``; a second
        switch at the same ``seq`` is ignored)."""
        with self._tx() as db:
            self._execute(db, "INSERT INTO learner_switches (seq, at, from_learner, to_learner, "
                          "evidence_json) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (seq) "
                          "DO NOTHING", (int(seq), float(at), from_learner, to_learner,
                                         json.dumps(evidence)))

    # -- dashboards ------------------------------------------------------------------------------
    def iter_export_rows(self, since: float | None = None, batch: int = 10000
                         ) -> Iterator[list[tuple]]:
        """Batches of decision rows joined with their summed rewards, in logged order (as
        ``DecisionLog.iter_export_rows``)."""
        cols = ", ".join(f"d.{c.strip()}" for c in DECISION_COLUMNS.split(","))
        start = -math.inf if since is None else float(since)
        last = 0
        while True:
            rows = self._read(
                f"SELECT {cols}, (SELECT SUM(value) FROM rewards r WHERE r.decision_id = "
                f"d.decision_id), (SELECT STRING_AGG(kind, ',' ORDER BY seq) FROM rewards r "
                f"WHERE r.decision_id = d.decision_id), d.logged FROM decisions d "
                f"WHERE d.logged > %s AND d.created_at >= %s ORDER BY d.logged LIMIT %s",
                (last, start, batch))
            if rows:
                yield [row[:-1] for row in rows]
            if len(rows) < batch:
                return
            last = rows[-1][-1]

    # -- following the log (the drift monitor) ----------------------------------------------------
    def write_drift_events(self, rows: Iterable[dict[str, Any]]) -> int:
        """Log drift events, skipping keys logged already; return how many were written."""
        rows = list(rows)
        if not rows:
            return 0
        sql = (f"INSERT INTO drift_events ({', '.join(DRIFT_EVENT_COLUMNS)}) VALUES "
               f"({', '.join(['%s'] * len(DRIFT_EVENT_COLUMNS))}) ON CONFLICT (key) DO NOTHING")
        n = 0
        with self._tx() as db:
            for r in rows:
                n += db.execute(sql, tuple(r[c] for c in DRIFT_EVENT_COLUMNS)).rowcount
        return n

    # -- model snapshots -------------------------------------------------------------------------
    def publish_snapshot(self, snapshot: ModelSnapshot, keep: int = 3) -> int:
        """Store a model snapshot, keep only the latest ``keep``; return its version."""
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise StoreError(f"keep: expected an integer >= 1, got {keep!r}")
        s = snapshot
        with self._tx() as db:
            row = db.execute(
                "INSERT INTO model_snapshots (learned_seq, learner_name, learner_config, "
                "catalog_version, features_version, model, created_at, published_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING version",
                (int(s.learned_seq), s.learner_name, s.learner_config, s.catalog_version,
                 s.features_version, s.model, float(s.created_at), time.time())).fetchall()
            version = int(row[0][0])
            db.execute("DELETE FROM model_snapshots WHERE version <= %s", (version - keep,))
            return version

    def try_lock_learner(self) -> bool:
        """Take the one-learner lock (a session advisory lock) until :meth:`close` or the
        process's death; False when another session holds it."""
        with self._lock:
            if self._learner_locked:
                return True
            got = bool(self._read("SELECT pg_try_advisory_lock(%s)",
                                  (_key(self._scope, "learner"),))[0][0])
            self._learner_locked = got
            return got
