"""The campaign's driver side: scored batches in, decisions out, within the campaign's room.

For each scored batch, in the order batches arrive: :func:`policies.allocation.allocate` draws
every customer's action at the campaign's prices, in a random order, among the actions that are
still feasible at their turn (the room left by the batches before counts: capacity and budget
are never exceeded over the whole campaign), holdout customers get the control action; the
batch's decisions go to the log in one transaction, inactive (activated once the message goes
out), each with the probability its draw used; and one row per customer goes to the output
table.

Other processes may decide for the same customers and channels meanwhile (``choose``, replicas
on a shared PostgreSQL log). So the batch's transaction locks its customers as ``choose`` does,
reads their histories again and refuses (as an error row, no decision) a customer whose
history changed since the worker applied the rules (a cap might no longer hold); and it counts
the batch's sends against the channels' daily capacity counters as ``choose`` counts one. When
another process took room the campaign counted on, the batch is allocated again with the room
now left (:data:`CAPACITY_RETRIES` times at most).

Example:
    >>> OUTPUT_SCHEMA.names[:4]
    ['customer_id', 'decision_id', 'action_index', 'action_name']
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from engine.campaign.scoring import history_keys
from engine.catalog import Catalog
from engine.clock import Clock
from engine.decision_store import DecisionStore, day_start
from engine.errors import CampaignError, CapacityReachedError
from engine.store import DecisionRecord
from policies.allocation import Allocation, Prices, Resources, allocate

__all__ = ["CAPACITY_RETRIES", "OUTPUT_SCHEMA", "CampaignTotals", "CampaignWriter"]

#: How often a batch is allocated again when other processes filled a channel meanwhile.
CAPACITY_RETRIES = 3
CHANGED = ("history: changed while the campaign scored (another process contacted this "
           "customer); score it again")

OUTPUT_SCHEMA = pa.schema([
    pa.field("customer_id", pa.string(), nullable=False),
    pa.field("decision_id", pa.string()),
    pa.field("action_index", pa.int64(), nullable=False),
    pa.field("action_name", pa.string()),
    pa.field("message", pa.string()),
    pa.field("channel", pa.string()),
    pa.field("timing", pa.string()),
    pa.field("send_at", pa.float64()),
    pa.field("probability", pa.float64(), nullable=False),
    pa.field("holdout", pa.bool_(), nullable=False),
    pa.field("score", pa.float64()),
    pa.field("cost", pa.float64(), nullable=False),
    pa.field("reason", pa.string()),
    pa.field("error", pa.string()),
])


def _decision_ids(n: int, now: float) -> list[str]:
    """n new decision ids, 32 hex digits like the engine's: the time in milliseconds, then 80
    random bits. Ids that grow with time land at the end of the log's index (the random ids of
    ``uuid4`` would scatter a million inserts over it).

    Example:
        >>> a, b = _decision_ids(2, 1.7e9)
        >>> len(a), a[:12] == b[:12], a != b
        (32, True, True)
    """
    prefix = f"{int(now * 1000) % (1 << 48):012x}"
    noise = os.urandom(10 * n).hex()
    return [prefix + noise[20 * i: 20 * i + 20] for i in range(n)]


@dataclass
class CampaignTotals:
    """What the campaign decided so far.

    Attributes:
        customers: rows seen. decided: decisions written. errors: rows refused (no decision).
        holdout: holdout decisions. sends: channel -> sends. spent: money committed.
        expected_reward: the sum of the chosen actions' scores (the model's estimate).
        first_errors: the first few refusals, as ``customer_id: message``.
    """

    customers: int = 0
    decided: int = 0
    errors: int = 0
    holdout: int = 0
    sends: dict[str, int] = field(default_factory=dict)
    spent: float = 0.0
    expected_reward: float = 0.0
    first_errors: list[str] = field(default_factory=list)


class CampaignWriter:
    """Allocates scored batches and writes their decisions (see the module docstring).

    Args:
        catalog: the catalog.
        log: the decision log (written one transaction per batch).
        resources: the campaign's whole room (capacity per channel, budget).
        prices: the campaign's dual prices.
        epsilon: exploration among feasible actions.
        seed: seeds the draws.
        at: the decisions' time.
        control: the holdout's action (-1: none).
        clock: the engine's clock (decision ids grow with it; default ``time.time``).
        model_version: the published snapshot that scored the batches, logged with every
            decision as a replica logs its own (None: a checkpoint's or a fresh model).
    """

    def __init__(self, catalog: Catalog, log: DecisionStore, resources: Resources,
                 prices: Prices, *, epsilon: float, seed: int, at: float, control: int,
                 clock: Clock | None = None, model_version: int | None = None) -> None:
        self.catalog = catalog
        self.log = log
        self.clock: Clock = clock or time.time
        self.model_version = model_version
        self._caps = {c.name: int(c.daily_capacity) for c in catalog.channels
                      if c.daily_capacity is not None}
        self._channels = tuple(c.name for c in catalog.channels)
        self.room = resources
        self.prices = prices
        self.epsilon = epsilon
        self.at = float(at)
        self.control = control
        self.totals = CampaignTotals(sends={c.name: 0 for c in catalog.channels})
        self._rng = np.random.default_rng([seed, 2])
        self._names = [a.name for a in catalog.actions]
        self._version = catalog.version
        # per action: (message, channel, timing) names, all None for no contact
        self._parts = [(t[0].name, t[1].name, t[2].name) if (t := a.triple) else
                       (None, None, None) for a in catalog.actions]
        self._eligible: dict[bytes, tuple[int, ...]] = {}  # feasible rows repeat: one tuple each

    def write(self, batch: dict[str, np.ndarray]) -> pa.Table:
        """Allocate one scored batch, log its decisions (one transaction), return its rows.

        Raises:
            CampaignError: other processes kept filling a channel (after
                :data:`CAPACITY_RETRIES` allocations); nothing of the batch is written.
            StoreError: the log refused the batch (a customer decided already at the
                campaign's time, a failed database); nothing of the batch is written.
        """
        ids = batch["customer_id"]
        customers = [str(c) for c in ids]
        with self.log.transaction(customers):
            batch = self._recheck(batch, customers)
            for _ in range(CAPACITY_RETRIES):
                try:
                    with self.log.transaction():  # a savepoint: a full channel undoes only it
                        out = self._allocate_and_write(batch)
                    break
                except CapacityReachedError:
                    self._shrink_room()
            else:
                raise CampaignError(f"capacity: other processes kept filling the campaign's "
                                    f"channels; {CAPACITY_RETRIES} allocations of a batch did "
                                    f"not fit")
        actions, probs, ids_out, alloc = out
        if alloc is not None:
            self.room = Resources(self.room.action_channel, self.room.capacity - alloc.channel_used,
                                  self.room.costs, self.room.budget - alloc.spent)
        self._count(batch, ids, batch["error"] == "", actions)
        return self._table(batch, ids_out, actions, probs)

    def _recheck(self, batch: dict[str, np.ndarray], customers: list[str]
                 ) -> dict[str, np.ndarray]:
        """The batch with the customers whose history changed since scoring turned to errors
        (read under their lock: nobody can contact them until the batch commits)."""
        if "history_key" not in batch:
            return batch
        now = history_keys(self.log.histories(customers, self.at, self._channels))
        changed = (batch["error"] == "") & (now != batch["history_key"])
        if not changed.any():
            return batch
        error = batch["error"].copy()
        error[changed] = CHANGED
        allowed = batch["allowed"].copy()
        allowed[changed] = False
        return {**batch, "error": error, "allowed": allowed}

    def _shrink_room(self) -> None:
        """The room after other processes' sends: never more than each channel's day has left."""
        used = self.log.capacity_used(day_start(self.at))
        left = np.array([np.inf if (cap := self._caps.get(ch)) is None
                         else max(0, cap - int(used.get(ch, 0))) for ch in self._channels])
        self.room = Resources(self.room.action_channel, np.minimum(self.room.capacity, left),
                              self.room.costs, self.room.budget)

    def _allocate_and_write(self, batch: dict[str, np.ndarray]
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Allocation | None]:
        n = len(batch["customer_id"])
        ok = batch["error"] == ""
        rows = np.flatnonzero(ok)
        actions = np.full(n, -1, dtype=np.int64)
        probs = np.ones(n)
        feasible = np.zeros(batch["allowed"].shape, dtype=bool)
        alloc = None
        if rows.size:
            alloc = allocate(batch["scores"][rows], batch["allowed"][rows], self.room,
                             self.prices, epsilon=self.epsilon, rng=self._rng,
                             order=self._rng.permutation(rows.size),
                             held=batch["holdout"][rows],
                             held_action=np.full(rows.size, self.control),
                             no_contact=self.catalog.no_contact_index)
            actions[rows], probs[rows], feasible[rows] = (alloc.actions, alloc.probabilities,
                                                          alloc.feasible)
        ids_out = np.full(n, None, dtype=object)
        ids_out[rows] = _decision_ids(rows.size, self.clock())
        records = [self._record(batch, int(i), ids_out[i], int(actions[i]), float(probs[i]),
                                feasible[i]) for i in rows]
        self.log.write_decisions(records, one_per_customer=True, capacities=self._caps)
        return actions, probs, ids_out, alloc

    def _record(self, batch: dict[str, np.ndarray], i: int, decision_id: str, action: int,
                prob: float, feasible: np.ndarray) -> DecisionRecord:
        message, channel, timing = self._parts[action] if action >= 0 else (None, None, None)
        send_at = None
        if channel is not None:
            send_at = float(batch["send_at"][i, self.catalog.action_timing[action]])
        key = feasible.tobytes()
        eligible = self._eligible.get(key)
        if eligible is None:
            eligible = self._eligible[key] = tuple(np.flatnonzero(feasible).tolist())
        return DecisionRecord(
            decision_id=decision_id, customer_id=str(batch["customer_id"][i]), created_at=self.at,
            action_index=action, probability=prob, holdout=bool(batch["holdout"][i]),
            context_json=str(batch["context"][i]), features_json=str(batch["features"][i]),
            eligible=eligible, send_at=send_at, active=False, catalog_version=self._version,
            model_version=self.model_version,
            message=message, channel=channel, timing=timing)

    def _count(self, batch: dict[str, np.ndarray], ids: np.ndarray, ok: np.ndarray,
               actions: np.ndarray) -> None:
        t = self.totals
        t.customers += len(ids)
        t.decided += int(ok.sum())
        t.errors += int((~ok).sum())
        t.holdout += int((batch["holdout"] & ok).sum())
        chosen = actions[actions >= 0]
        sends, spent = self.room.usage(chosen)
        for j, ch in enumerate(self.catalog.channels):
            t.sends[ch.name] += int(sends[j])
        t.spent += spent
        rows = np.flatnonzero(actions >= 0)
        t.expected_reward += float(batch["scores"][rows, actions[rows]].sum())
        for i in np.flatnonzero(~ok)[: max(0, 5 - len(t.first_errors))]:
            t.first_errors.append(f"{ids[i]}: {batch['error'][i]}")

    def _table(self, batch: dict[str, np.ndarray], decision_ids: np.ndarray,
               actions: np.ndarray, probs: np.ndarray) -> pa.Table:
        cat = self.catalog
        a = np.maximum(actions, 0)
        contact = (actions >= 0) & (cat.action_channel[a] >= 0)
        triples = [cat.actions[x].triple if x >= 0 else None for x in actions]
        n = len(actions)
        send_at = np.where(contact, batch["send_at"][np.arange(n), np.maximum(
            cat.action_timing[a], 0)], np.nan)
        scores = np.where(actions >= 0, batch["scores"][np.arange(n), a], np.nan)
        return pa.Table.from_pydict({
            "customer_id": batch["customer_id"].astype(str).tolist(),
            "decision_id": decision_ids.tolist(),
            "action_index": actions,
            "action_name": [self._names[x] if x >= 0 else None for x in actions],
            "message": [t[0].name if t else None for t in triples],
            "channel": [t[1].name if t else None for t in triples],
            "timing": [t[2].name if t else None for t in triples],
            "send_at": pa.array(send_at, mask=~contact),
            "probability": probs,
            "holdout": batch["holdout"].astype(bool),
            "score": pa.array(scores, mask=actions < 0),
            "cost": np.where(actions >= 0, self.room.costs[a], 0.0),
            "reason": [r or None for r in batch["reason"]],
            "error": [e or None for e in batch["error"]],
        }, schema=OUTPUT_SCHEMA)
