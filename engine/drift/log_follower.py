"""The drift monitor follows the log: it reads the decisions and rewards written since it last
looked, feeds them to :class:`~engine.drift.monitor.DriftMonitor`, and logs what it finds.

State on restart: **checkpointed, then the log after it is replayed**, as the learner does. The
monitor's state (bins, counts, detectors, and the two log positions it has read up to) is saved
as ``drift.json`` in the state directory with each engine checkpoint and on close (except while
a reference window is being gathered: see :meth:`LogFollower.save`); a restart loads it and
reads the log on from its positions. Rebuilding from the whole log instead would
cost a full read of every context at each start (tens of seconds for millions of decisions);
the checkpoint keeps starts as fast as the learner's. A saved state made with other
``[engine.drift]`` settings (another fingerprint), or none, is rebuilt from the whole log once.
The figures are functions of the rows in log order, so the resumed state, and the events it
logs, equal those of a monitor that never stopped (events are keyed: a replay writes none twice).

Example:
    >>> import tempfile
    >>> from engine.store import DecisionLog, DecisionRecord
    >>> from engine.drift.options import DriftOptions
    >>> with tempfile.TemporaryDirectory() as d, DecisionLog(d) as log:
    ...     log.write_decision(DecisionRecord("d1", "c1", 100.0, 0, 0.5, False, '{"age": 3}',
    ...                                       "{}", (0,), None, True, "v1", channel="email"))
    ...     _ = log.write_reward("d1", 1.0, at=150.0)
    ...     follower = LogFollower(log, d, DriftOptions())
    ...     _ = follower.catch_up()
    ...     follower.stats()["drift_decisions_seen"], follower.stats()["drift_rewards_seen"]
    (1, 1)
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.decision_store import DecisionStore
from engine.drift.events import DriftEvent
from engine.drift.monitor import DriftMonitor
from engine.drift.options import DriftOptions
from engine.drift.seq_clock import SeqClock

__all__ = ["STATE_FILE", "LogFollower", "saved_options"]

STATE_FILE = "drift.json"
RECENT = 4096  # parsed contexts of the latest decisions kept for their rewards (not re-parsed)
STATE_VERSION = 3  # 2: the seq_clock marks; 3: the response streams

#: Called with the events of each read; returns the events of what it did in answer (logged too).
Listener = Callable[[list[DriftEvent]], list[DriftEvent]]


def saved_options(state_dir: str | os.PathLike) -> DriftOptions | None:
    """The ``[engine.drift]`` settings the state in ``state_dir`` was saved with, None when
    there is none (a reader such as ``offerbandit drift`` needs no catalog)."""
    path = Path(state_dir) / STATE_FILE
    try:
        return DriftOptions.from_dict(json.loads(path.read_text())["options"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class LogFollower:
    """Reads the log on from where it stopped and keeps the drift monitor up to date.

    Args:
        log: the decision log (either backend: ``engine.decision_store.DecisionStore``).
        state_dir: where ``drift.json`` is kept (None: nowhere, nothing is saved).
        options: the ``[engine.drift]`` settings.
        write: log the events found (False for a reader such as ``offerbandit drift``).

    Attributes:
        monitor: the :class:`DriftMonitor`.
        position: the last decision read (its place in the log).
        seq: the last reward read (its sequence number).
        seq_clock: when each reward was logged (a change point's time to a sequence number).
        resumed: ``"checkpoint"`` when the saved state was loaded, else why it was rebuilt.
        listeners: called with each read's events (the recovery).
    """

    def __init__(self, log: DecisionStore, state_dir: str | os.PathLike | None,
                 options: DriftOptions, *, write: bool = True) -> None:
        self.log, self.options, self.write = log, options, write
        self.path = None if state_dir is None else Path(state_dir) / STATE_FILE
        self.monitor = DriftMonitor(options)
        self.position = 0
        self.seq = 0
        self.seq_clock = SeqClock()
        self._recent: dict[int, Any] = {}  # position -> parsed context (the latest RECENT)
        self.listeners: list[Listener] = []
        self._lock = threading.RLock()
        self.resumed = self._load()

    def _load(self) -> str:
        if self.path is None or not self.path.is_file():
            return "no saved state: rebuilt from the log"
        try:
            saved = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            return f"saved state unreadable ({exc}): rebuilt from the log"
        if saved.get("version") != STATE_VERSION or \
                saved.get("fingerprint") != self.options.fingerprint():
            return "saved with other [engine.drift] settings: rebuilt from the log"
        self.monitor.load(saved["monitor"])
        self.position, self.seq = int(saved["position"]), int(saved["seq"])
        self.seq_clock.load(saved["seq_clock"])
        return "checkpoint"

    def save(self) -> None:
        """Write the state (atomically: a crash leaves the old file or the new one).

        Not while a reference window is being gathered: its raw contexts (thousands), or the
        response model's sums (columns squared per message), would make every save heavy. The
        file then keeps the state from before, and a restart reads the log on from there: at
        most ``warmup + reference_size`` decisions, or ``response_reference`` rewards, more.
        """
        response = self.monitor.response
        if self.path is None or self.monitor.context.phase == "building the reference" or (
                response is not None and response.phase == "building the reference"):
            return
        with self._lock:
            state = {"version": STATE_VERSION, "fingerprint": self.options.fingerprint(),
                     "options": self.options.to_dict(), "position": self.position,
                     "seq": self.seq, "seq_clock": self.seq_clock.to_dict(),
                     "monitor": self.monitor.to_dict()}
            tmp = self.path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(state))
            os.replace(tmp, self.path)

    def follow(self, limit: int = 1000) -> list[DriftEvent]:
        """Read at most ``limit`` new decisions and ``limit`` new rewards; return (and, when
        writing, log) the events they bring and the listeners' answers."""
        with self._lock:
            events = self._decisions(limit) + self._rewards(limit)
            if events:
                for listener in self.listeners:
                    events += listener(events)
                if self.write:
                    self.log.write_drift_events(e.to_row() for e in events)
            return events

    def catch_up(self, batch: int = 5000) -> list[DriftEvent]:
        """Follow to the end of the log; return every event found on the way."""
        events: list[DriftEvent] = []
        with self._lock:
            while True:
                position, seq = self.position, self.seq
                events += self.follow(batch)
                if (position, seq) == (self.position, self.seq):
                    return events

    def _decisions(self, limit: int) -> list[DriftEvent]:
        rows = self.log.decisions_after(self.position, limit)
        if not rows:
            return []
        self.position = rows[-1][0]
        contexts = [json.loads(r[4]) for r in rows]
        if self.monitor.response is not None:  # their rewards, if soon, need not parse again
            self._recent.update(zip((r[0] for r in rows), contexts, strict=True))
            for old in list(self._recent)[:max(len(self._recent) - RECENT, 0)]:
                del self._recent[old]
        return self.monitor.add_decisions(contexts, np.fromiter((r[1] for r in rows), float,
                                                                len(rows)))

    def _rewards(self, limit: int) -> list[DriftEvent]:
        response = self.monitor.response is not None
        rows = self.log.rewards_after(self.seq, limit, contexts=response)
        if not rows:
            return []
        self.seq = rows[-1][0]
        for r in rows[::32]:
            self.seq_clock.mark(r[1], r[0])
        rows = [r for r in rows if r[3] != "correction"]  # each decision counts once
        if not rows:
            return []
        at, value, _, holdout, channel, message = zip(*(r[1:7] for r in rows), strict=True)
        # the held-out rewards' contexts are not read: the response streams are the treatment's
        recent = self._recent
        contexts = [None if r[4] else recent.get(r[8]) or json.loads(r[7]) for r in rows] \
            if response else None
        return self.monitor.add_rewards(np.array(value), np.array(at), np.array(holdout),
                                        channel, message, contexts)

    def stats(self) -> dict[str, Any]:
        """The monitor's figures for ``Engine.stats()`` (``drift_*`` keys)."""
        with self._lock:
            return self.monitor.stats()

    def snapshot(self, events: int = 50) -> dict[str, Any]:
        """What the dashboard and ``offerbandit drift`` show: the monitor's figures, where it
        stands in the log, and the latest ``events`` logged events (newest first)."""
        with self._lock:
            snap = self.monitor.snapshot()
        snap.update(position=self.position, seq=self.seq, resumed=self.resumed,
                    events=[DriftEvent.from_row(r).to_dict()
                            for r in self.log.drift_events(limit=events)])
        return snap
