"""What the engine needs of a durable log: one declared protocol, two backends.

:class:`DecisionStore` is the public method set of the log. ``engine.store.DecisionLog`` (SQLite,
the embedded default: one file, one writing process at a time) and
``engine.postgres_store.PostgresLog`` (PostgreSQL: many processes or machines share one log)
both implement it, and ``engine.store_url.open_store`` picks one from a URL. The contract every
backend keeps (``tests/engine/test_store.py`` runs against both):

- every write is committed before its method returns;
- reward sequence numbers strictly increase in the order rewards are committed, are never
  reused (even after :meth:`forget`), and a reader never sees a later number before an earlier
  one: following the log by sequence number misses nothing;
- inside :meth:`transaction`, reads and writes are one transaction, and a customer named there is
  decided for by one transaction at a time across every process sharing the log (frequency caps
  cannot be passed twice);
- :meth:`write_decision` with a ``capacity`` counts the send against the channel's daily
  capacity atomically across processes (:class:`engine.errors.CapacityReachedError` when full);
  :meth:`write_decisions` with ``capacities`` counts a whole batch the same way;
- :meth:`write_decisions` and :meth:`activate_many` (a campaign's batches) are all or none.

Example:
    >>> import tempfile
    >>> from engine.store import DecisionLog
    >>> with tempfile.TemporaryDirectory() as d, DecisionLog(d) as log:
    ...     isinstance(log, DecisionStore)
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    from engine.snapshots import ModelSnapshot
    from engine.store import ContactHistory, DecisionRecord

__all__ = ["ClientReward", "DecisionStore", "day_start"]

DAY_S = 86400.0


def day_start(t: float) -> float:
    """The start of ``t``'s UTC day, epoch seconds: the key of a channel's daily capacity.

    Example:
        >>> day_start(86400.0 * 3 + 5.5)
        259200.0
    """
    return t - t % DAY_S


class ClientReward(NamedTuple):
    """What :meth:`DecisionStore.write_client_reward` wrote: the row's ``seq``; over the
    engine's defaults, their sum (``previous``) and the seq of the first of them (``first``,
    the row a correction replaces in the switch rule's estimates); both None for a first
    reward. The store reads them in the transaction that checks for a duplicate, so the
    engine need not read the decision's rows again.

    Example:
        >>> ClientReward(7, None, None).previous is None, ClientReward(9, 0.0, 4).first
        (True, 4)
    """

    seq: int
    previous: float | None
    first: int | None


@runtime_checkable
class DecisionStore(Protocol):
    """The durable decision/reward/profile log and the published model snapshots.

    Attributes:
        url: where the log lives (``sqlite:///...`` or ``postgresql://...``, no password).
    """

    url: str

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Release the connection; safe to call twice."""
        ...

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...

    def transaction(self, customers: Iterable[str] = ()) -> AbstractContextManager[Any]:
        """One transaction for the calls made inside (they join it); ``customers`` are locked
        against every other process's transaction naming them until it ends."""
        ...

    # -- decisions ------------------------------------------------------------------------------
    def write_decision(self, rec: DecisionRecord, *, capacity: int | None = None) -> None:
        """Log a decision durably; with ``capacity``, count it against its channel's day."""
        ...

    def write_decisions(self, records: Sequence[DecisionRecord], *,
                        one_per_customer: bool = False,
                        capacities: Mapping[str, int] | None = None) -> None:
        """Log many decisions in one transaction, all or none; ``one_per_customer`` refuses a
        customer decided at the same time already (or twice in ``records``); ``capacities``
        (channel -> daily capacity) counts their sends as :meth:`write_decision` does."""
        ...

    def get_decision(self, decision_id: str) -> DecisionRecord:
        """The decision with this id (``UnknownDecisionError`` if none)."""
        ...

    def activate(self, decision_id: str, at: float) -> None:
        """Mark a deferred decision active from ``at``."""
        ...

    def activate_many(self, sent: Sequence[tuple[str, float]]) -> int:
        """Activate ``(decision_id, at)`` pairs in one transaction, all or none (an unknown id:
        ``UnknownDecisionError``, nothing activated); return how many became active."""
        ...

    def missing_decisions(self, decision_ids: Sequence[str]) -> list[str]:
        """The ids (sorted, each once) that are not in the log."""
        ...

    # -- rewards --------------------------------------------------------------------------------
    def write_reward(self, decision_id: str, value: float, at: float, kind: str = "reward",
                     *, refuse_duplicate: bool = False) -> int:
        """Log a reward and return its sequence number."""
        ...

    def write_client_reward(self, decision_id: str, value: float, at: float) -> ClientReward:
        """Log a client's one reward (``reward_mode = "refuse"``), over the engine's defaults if
        any came first (a correction holding ``value`` minus their sum); return its
        :class:`ClientReward`; ``DuplicateRewardError`` if a client's reward exists."""
        ...

    def rewards_of(self, decision_id: str) -> list[tuple[int, float, float, str]]:
        """``(seq, value, at, kind)`` of a decision's rewards, oldest first."""
        ...

    def last_seq(self) -> int:
        """The highest reward sequence number ever given (0 when none)."""
        ...

    def rewards_since(self, seq: int, batch: int = 1000
                      ) -> Iterator[tuple[int, DecisionRecord, float, str]]:
        """``(seq, decision, value, kind)`` of every reward after ``seq``, in sequence order."""
        ...

    def expired_without_reward(self, now: float, window_s: float, limit: int = 1000
                               ) -> list[DecisionRecord]:
        """Active unrewarded decisions activated at least ``window_s`` before ``now``."""
        ...

    # -- customers ------------------------------------------------------------------------------
    def history(self, customer_id: str, now: float, channels: Iterable[str] = ()
                ) -> ContactHistory:
        """The customer's contact history at ``now``."""
        ...

    def histories(self, customer_ids: Sequence[str], now: float, channels: Iterable[str] = ()
                  ) -> list[ContactHistory]:
        """:meth:`history` of each customer, in order (a few queries for the lot)."""
        ...

    def capacity_used(self, day_start: float) -> dict[str, int]:
        """Channel -> contacts decided since ``day_start``, all customers."""
        ...

    def set_profile(self, customer_id: str, profile: dict[str, Any]) -> None:
        """Store (replace) a customer's profile."""
        ...

    def profile(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's stored profile, or None."""
        ...

    def profiles(self, customer_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """:meth:`profile` of each customer, in order."""
        ...

    def forget(self, customer_id: str) -> int:
        """Erase every row of a customer; return how many went."""
        ...

    # -- learner switches (engine/learner_selection.py) -----------------------------------------
    def write_switch(self, seq: int, at: float, from_learner: str, to_learner: str,
                     evidence: dict[str, Any]) -> None:
        """Log one change of the serving learner with its evidence; a second at ``seq`` is
        ignored (a replayed switch)."""
        ...

    def first_contexts(self, n: int) -> list[dict[str, Any]]:
        """The contexts of the first ``n`` decisions, in the order they were made."""
        ...

    def switches(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest learner switches, newest first (seq, at, from, to, evidence)."""
        ...

    # -- dashboards and export ------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Row counts for ``/metrics``."""
        ...

    def reward_rate_by_bucket(self, bucket_s: float, since: float = 0.0
                              ) -> list[tuple[float, bool, int, float]]:
        """``(bucket_start, holdout, n_decisions, sum_reward)`` by decision-time bucket."""
        ...

    def action_mix(self, since: float = 0.0) -> list[tuple[str | None, str | None, str | None,
                                                           int]]:
        """``(message, channel, timing, n)`` of active treatment decisions since ``since``."""
        ...

    def first_decision_at(self, since: float = 0.0) -> float | None:
        """The time of the first active decision at or after ``since``, None if none."""
        ...

    def iter_export_rows(self, since: float | None = None, batch: int = 10000
                         ) -> Iterator[list[tuple]]:
        """Batches of decision rows joined with their summed rewards, in logged order."""
        ...

    # -- following the log (the drift monitor, engine/drift) -------------------------------------
    def decisions_after(self, position: int, limit: int = 1000
                        ) -> list[tuple[int, float, bool, str | None, str]]:
        """``(position, created_at, holdout, channel, context_json)`` of the decisions logged
        after ``position`` (a number that grows with every decision written: SQLite's rowid,
        PostgreSQL's ``logged``), in that order, at most ``limit``. Under concurrent writers a
        decision may commit after a larger position was read and be passed over: the monitor's
        statistics, not its accounting, may miss it."""
        ...

    def rewards_after(self, seq: int, limit: int = 1000, *, contexts: bool = False
                      ) -> list[tuple[Any, ...]]:
        """``(seq, at, value, kind, holdout, channel, message)`` of the rewards after ``seq``, in
        sequence order (the decision's holdout, channel and message), at most ``limit``; with
        ``contexts``, the decision's ``context_json`` and its position (as ``decisions_after``
        counts) last (the response-drift model's input)."""
        ...

    def write_drift_events(self, rows: Iterable[dict[str, Any]]) -> int:
        """Log drift events (``DriftEvent.to_row()`` dicts) in one transaction, skipping those
        whose ``key`` is logged already; return how many were written."""
        ...

    def drift_events(self, limit: int = 100, since_id: int = 0) -> list[dict[str, Any]]:
        """The latest ``limit`` drift events with an ``id`` above ``since_id``, newest first, as
        dicts of the row (``id``, ``key``, ``kind``, ``subject``, ``level``, ``at``, ``value``,
        ``threshold``, ``change_at``, ``position``, ``message``, ``detail_json``)."""
        ...

    # -- model snapshots (one learner publishes, replicas read) ---------------------------------
    def publish_snapshot(self, snapshot: ModelSnapshot, keep: int = 3) -> int:
        """Store a snapshot, keep the latest ``keep``; return its version (increasing)."""
        ...

    def latest_snapshot_version(self) -> int:
        """The latest published snapshot's version (0 when none): cheap, for polling."""
        ...

    def latest_snapshot(self) -> ModelSnapshot | None:
        """The latest published snapshot, model included, or None."""
        ...

    def try_lock_learner(self) -> bool:
        """Take the one-learner lock for as long as this store stays open; False if another
        process holds it."""
        ...
