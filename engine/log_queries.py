"""The read queries both log backends share, written once.

SQLite (``engine.store.DecisionLog``) and PostgreSQL (``engine.postgres_store.PostgresLog``)
hold the same tables, so most reads are the same SQL but for three things, which each backend
states as class attributes and this module fills in:

- the parameter mark: queries here use ``?``; a backend's :meth:`LogQueries._select` turns it
  into its own (PostgreSQL's ``%s``);
- booleans: ``_TRUE`` / ``_FALSE`` (SQLite stores 1 / 0 and its partial index on pending
  decisions is only used for ``active = 1``, not for ``active``);
- a decision's place in the log (``_POSITION``: SQLite's rowid, PostgreSQL's ``logged``
  column) and the integer part of a division (``_TRUNCATE``: PostgreSQL's cast rounds).

Writes, locking and the queries whose shape differs (lists of ids, histories, the reward
counter) stay in each backend.

Example:
    >>> import tempfile
    >>> from engine.store import DecisionLog
    >>> with tempfile.TemporaryDirectory() as d, DecisionLog(d) as log:
    ...     log.write_decision(DecisionRecord("d1", "c1", 100.0, 0, 0.5, False, "{}", "{}",
    ...                                       (0, 1), None, True, "v1", channel="email"))
    ...     _ = log.write_reward("d1", 1.0, at=150.0)
    ...     log.get_decision("d1").channel, log.capacity_used(0.0), log.rewards_of("d1")[0][1]
    ('email', {'email': 1}, 1.0)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Self

from engine.errors import StoreError
from engine.log_rows import (
    DECISION_COLUMNS,
    DRIFT_EVENT_COLUMNS,
    SNAPSHOT_COLUMNS,
    DecisionRecord,
    counts_of,
    record_of,
    unknown_decision,
)

if TYPE_CHECKING:
    from engine.snapshots import ModelSnapshot

__all__ = ["LogQueries"]

_JOINED_DECISION = ", ".join(f"d.{c.strip()}" for c in DECISION_COLUMNS.split(","))


class LogQueries:
    """The reads of :class:`engine.decision_store.DecisionStore` that are the same SQL on every
    backend (a mixin: the backend supplies :meth:`_select`, :meth:`close`, :meth:`last_seq` and
    the dialect attributes)."""

    _TRUE = "1"
    _FALSE = "0"
    _POSITION = "rowid"
    _TRUNCATE = "CAST({} AS INTEGER)"
    _closed = False

    def _select(self, sql: str, args: Iterable = ()) -> list[tuple]:
        """Rows of ``sql`` (``?`` marks its parameters), failures raised as StoreError."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def last_seq(self) -> int:
        raise NotImplementedError

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the decision log is closed")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- decisions and rewards -----------------------------------------------------------------
    def get_decision(self, decision_id: str) -> DecisionRecord:
        """The decision with this id.

        Raises:
            UnknownDecisionError: no such decision (or it was forgotten).
        """
        rows = self._select(f"SELECT {DECISION_COLUMNS} FROM decisions WHERE decision_id = ?",
                            (decision_id,))
        if not rows:
            raise unknown_decision(decision_id)
        return record_of(rows[0])

    def rewards_of(self, decision_id: str) -> list[tuple[int, float, float, str]]:
        """``(seq, value, at, kind)`` of every reward of a decision, oldest first."""
        return [(int(q), float(v), float(a), k) for q, v, a, k in self._select(
            "SELECT seq, value, at, kind FROM rewards WHERE decision_id = ? ORDER BY seq",
            (decision_id,))]

    def rewards_since(self, seq: int, batch: int = 1000
                      ) -> Iterator[tuple[int, DecisionRecord, float, str]]:
        """``(seq, decision, value, kind)`` of every reward with a sequence number above ``seq``.

        In sequence order, read in batches (the lock is not held between batches), for replay
        after a checkpoint.
        """
        last = int(seq)
        while True:
            rows = self._select(f"SELECT r.seq, r.value, r.kind, {_JOINED_DECISION} FROM rewards "
                                f"r JOIN decisions d ON d.decision_id = r.decision_id "
                                f"WHERE r.seq > ? ORDER BY r.seq LIMIT ?", (last, batch))
            for row in rows:
                yield int(row[0]), record_of(row[3:]), row[1], row[2]
            if len(rows) < batch:
                return
            last = int(rows[-1][0])

    def expired_without_reward(self, now: float, window_s: float, limit: int = 1000
                               ) -> list[DecisionRecord]:
        """Active decisions activated at least ``window_s`` before ``now`` with no reward yet.

        Oldest first, at most ``limit`` (the caller learns their default reward and writes it,
        which takes them off this list).
        """
        rows = self._select(f"SELECT {DECISION_COLUMNS} FROM decisions WHERE active = "
                            f"{self._TRUE} AND rewarded = {self._FALSE} AND activated_at <= ? "
                            f"ORDER BY activated_at LIMIT ?", (float(now) - window_s, int(limit)))
        return [record_of(r) for r in rows]

    def capacity_used(self, day_start: float) -> dict[str, int]:
        """Channel -> contacts decided since ``day_start`` (epoch s), all customers; decisions
        pending activation count (see :class:`~engine.log_rows.ContactHistory`)."""
        rows = self._select("SELECT channel, COUNT(*) FROM decisions WHERE created_at >= ? "
                            "AND channel IS NOT NULL GROUP BY channel", (float(day_start),))
        return {c: int(n) for c, n in rows}

    def profile(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's stored profile, or None."""
        rows = self._select("SELECT profile_json FROM profiles WHERE customer_id = ?",
                            (customer_id,))
        return json.loads(rows[0][0]) if rows else None

    # -- the learner's and the monitors' reads -------------------------------------------------
    def first_contexts(self, n: int) -> list[dict[str, Any]]:
        """The contexts of the first ``n`` decisions in the log, in the order they were made."""
        return [json.loads(c) for (c,) in self._select(
            f"SELECT context_json FROM decisions ORDER BY {self._POSITION} LIMIT ?", (int(n),))]

    def switches(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest learner switches, newest first: seq, at, from, to and the evidence."""
        rows = self._select("SELECT seq, at, from_learner, to_learner, evidence_json FROM "
                            "learner_switches ORDER BY id DESC LIMIT ?", (int(limit),))
        return [{"seq": int(q), "at": float(a), "from": f, "to": t, "evidence": json.loads(e)}
                for q, a, f, t, e in rows]

    def decisions_after(self, position: int, limit: int = 1000
                        ) -> list[tuple[int, float, bool, str | None, str]]:
        """``(position, created_at, holdout, channel, context_json)`` of the decisions logged
        after ``position``, in log order, at most ``limit``.

        ``position`` is the decision's place in the log (SQLite: its rowid; PostgreSQL: its
        ``logged`` number), increasing with every decision written; pass the last one seen to
        read on, 0 to start.
        """
        pos = self._POSITION
        return [(int(p), float(t), bool(h), c, ctx) for p, t, h, c, ctx in self._select(
            f"SELECT {pos}, created_at, holdout, channel, context_json FROM decisions "
            f"WHERE {pos} > ? ORDER BY {pos} LIMIT ?", (int(position), int(limit)))]

    def rewards_after(self, seq: int, limit: int = 1000, *, contexts: bool = False
                      ) -> list[tuple[Any, ...]]:
        """``(seq, at, value, kind, holdout, channel, message)`` of the rewards with a sequence
        number above ``seq``, in sequence order, at most ``limit`` (``holdout``, ``channel`` and
        ``message`` are the rewarded decision's); with ``contexts``, the decision's
        ``context_json`` and its position (as :meth:`decisions_after` counts) last."""
        extra = f", d.context_json, d.{self._POSITION}" if contexts else ""
        return [(int(r[0]), float(r[1]), float(r[2]), r[3], bool(r[4]), *r[5:]) for r in
                self._select(f"SELECT r.seq, r.at, r.value, r.kind, d.holdout, d.channel, "
                             f"d.message{extra} FROM rewards r JOIN decisions d ON "
                             f"d.decision_id = r.decision_id WHERE r.seq > ? ORDER BY r.seq "
                             f"LIMIT ?", (int(seq), int(limit)))]

    def drift_events(self, limit: int = 100, since_id: int = 0) -> list[dict[str, Any]]:
        """The latest ``limit`` drift events with an ``id`` above ``since_id``, newest first,
        as dicts of the table's columns (``id`` included)."""
        cols = ("id", *DRIFT_EVENT_COLUMNS)
        rows = self._select(f"SELECT {', '.join(cols)} FROM drift_events WHERE id > ? "
                            f"ORDER BY id DESC LIMIT ?", (int(since_id), int(limit)))
        return [dict(zip(cols, r, strict=True)) for r in rows]

    # -- dashboards ----------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Row counts for ``/metrics``: decisions, active, holdout, no_contact, rewards by kind,
        profiles, learner switches, last_seq."""
        t = self._TRUE
        d = self._select(f"SELECT COUNT(*), SUM(CASE WHEN active = {t} THEN 1 ELSE 0 END), "
                         f"SUM(CASE WHEN holdout = {t} THEN 1 ELSE 0 END), "
                         f"SUM(CASE WHEN channel IS NULL THEN 1 ELSE 0 END), "
                         f"SUM(CASE WHEN rewarded = {t} THEN 1 ELSE 0 END) FROM decisions")[0]
        kinds = {k: int(n) for k, n in self._select("SELECT kind, COUNT(*) FROM rewards "
                                                    "GROUP BY kind")}
        profiles = self._select("SELECT COUNT(*) FROM profiles")[0][0]
        switches = self._select("SELECT COUNT(*) FROM learner_switches")[0][0]
        return counts_of(tuple(v or 0 for v in d), kinds, profiles, self.last_seq(), switches)

    def reward_rate_by_bucket(self, bucket_s: float, since: float = 0.0
                              ) -> list[tuple[float, bool, int, float]]:
        """``(bucket_start, holdout, n_decisions, sum_reward)`` of active decisions made since
        ``since``, grouped by decision-time bucket of ``bucket_s`` seconds, oldest first."""
        if not bucket_s > 0:
            raise StoreError(f"bucket_s: expected a positive number, got {bucket_s!r}")
        bucket = self._TRUNCATE.format("d.created_at / ?")
        rows = self._select(
            f"SELECT {bucket} AS b, d.holdout, COUNT(*), COALESCE(SUM(r.total), 0.0) "
            f"FROM decisions d LEFT JOIN (SELECT decision_id, SUM(value) AS total FROM rewards "
            f"GROUP BY decision_id) r ON r.decision_id = d.decision_id WHERE d.active = "
            f"{self._TRUE} AND d.created_at >= ? GROUP BY 1, d.holdout ORDER BY 1, d.holdout",
            (float(bucket_s), float(since)))
        return [(b * float(bucket_s), bool(h), int(n), float(s)) for b, h, n, s in rows]

    def action_mix(self, since: float = 0.0) -> list[tuple[str | None, str | None, str | None,
                                                           int]]:
        """``(message, channel, timing, n)`` of the active treatment decisions made since
        ``since`` (all three None for no contact), most frequent first."""
        return [(m, c, t, int(n)) for m, c, t, n in self._select(
            f"SELECT message, channel, timing, COUNT(*) AS n FROM decisions WHERE active = "
            f"{self._TRUE} AND holdout = {self._FALSE} AND created_at >= ? "
            f"GROUP BY message, channel, timing ORDER BY n DESC", (float(since),))]

    def first_decision_at(self, since: float = 0.0) -> float | None:
        """The time of the first active decision made at or after ``since``, None if none."""
        first = self._select(f"SELECT MIN(created_at) FROM decisions WHERE active = "
                             f"{self._TRUE} AND created_at >= ?", (float(since),))[0][0]
        return None if first is None else float(first)

    # -- model snapshots -----------------------------------------------------------------------
    def latest_snapshot_version(self) -> int:
        """The latest published snapshot's version, 0 when none."""
        return int(self._select("SELECT COALESCE(MAX(version), 0) FROM model_snapshots")[0][0])

    def latest_snapshot(self) -> ModelSnapshot | None:
        """The latest published snapshot (model bytes included), or None."""
        from engine.snapshots import ModelSnapshot

        rows = self._select(f"SELECT {SNAPSHOT_COLUMNS} FROM model_snapshots "
                            f"ORDER BY version DESC LIMIT 1")
        return ModelSnapshot.from_row(rows[0]) if rows else None
