"""The rows of the decision log as both backends read and write them, backend-neutral.

What a decision, a contact history and the log's errors are, and the pure helpers that turn
database rows into them (and back), live here once: ``engine.store`` (SQLite) and
``engine.postgres_store`` (PostgreSQL) both import them, and :mod:`engine.log_queries` holds the
read queries they share. Nothing here opens a database.

Example:
    >>> rec = DecisionRecord("d1", "c1", 100.0, 0, 0.5, False, "{}", "{}", (0, 1), None, True,
    ...                      "v1", message="hello", channel="email", timing="now")
    >>> back = record_of(decision_row(rec))  # a row written, then read
    >>> rec.action_name, back.eligible, back.activated_at  # written active: activated at once
    ('hello/email/now', (0, 1), 100.0)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from engine.decision_store import day_start
from engine.errors import (
    CapacityReachedError,
    DuplicateRewardError,
    RewardError,
    StoreError,
    UnknownDecisionError,
)
from policies.number_check import check_number

__all__ = ["DECISION_COLUMNS", "DRIFT_EVENT_COLUMNS", "REWARD_KINDS", "SNAPSHOT_COLUMNS",
           "ContactHistory", "DecisionRecord", "record_of"]

REWARD_KINDS = ("reward", "default", "correction")
DAY = 86400.0
_CHUNK = 500  # ids per IN (...) list: well under SQLite's limit on bound parameters

DRIFT_EVENT_COLUMNS = ("key", "kind", "subject", "level", "at", "value", "threshold",
                        "change_at", "position", "message", "detail_json")

DECISION_COLUMNS = ("decision_id, customer_id, created_at, action_index, probability, holdout, "
                     "context_json, features_json, eligible_json, send_at, active, "
                     "catalog_version, message, channel, timing, activated_at, model_version")
SNAPSHOT_COLUMNS = ("version, learned_seq, learner_name, learner_config, catalog_version, "
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


def record_of(row: tuple) -> DecisionRecord:
    (did, cid, created, action, prob, holdout, ctx, feats, elig, send, active, version,
     message, channel, timing, activated, model) = row
    return DecisionRecord(did, cid, created, action, prob, bool(holdout), ctx, feats,
                          tuple(json.loads(elig)), send, bool(active), version, message, channel,
                          timing, activated, model)


def decision_row(rec: DecisionRecord) -> tuple:
    """The values of ``DECISION_COLUMNS`` for a record (both backends write these)."""
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


def defaults_replaced(decision_id: str, prior: Sequence[tuple[int, str, float]]
                      ) -> tuple[float | None, int | None]:
    """The sum of the engine's defaults that a client's one reward replaces, and the seq of
    the first of them, from the decision's ``(seq, kind, value)`` rows; ``(None, None)`` when
    it has none (a first reward).

    Raises:
        DuplicateRewardError: a client's reward (kind ``"reward"`` or ``"correction"``) is
            among them.

    Example:
        >>> defaults_replaced("d1", []), defaults_replaced("d1", [(5, "default", -0.5)])
        ((None, None), (-0.5, 5))
    """
    if any(kind != "default" for _, kind, _ in prior):
        raise duplicate_reward(decision_id)
    if not prior:
        return None, None
    return sum(v for _, _, v in prior), min(q for q, _, _ in prior)


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
        days_since[channel] = (now - last) / DAY
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
