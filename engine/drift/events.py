"""What the drift monitor reports and does, one row each: the rows of the log's
``drift_events`` table, the dashboard's list and ``offerbandit drift``'s.

Example:
    >>> e = DriftEvent("context", "age", "alert", at=1.7e9, value=0.31, threshold=0.25,
    ...                position=6000, message="age moved: PSI 0.31 >= 0.25")
    >>> DriftEvent.from_row(e.to_row()) == e, e.key
    (True, 'context:age:6000')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["DriftEvent", "EventKind", "EventLevel"]


class EventKind(StrEnum):
    """What an event is about."""

    CONTEXT = "context"  # a feature's distribution (PSI)
    REWARD = "reward"  # a reward stream's mean (Page-Hinkley)
    LIFT = "lift"  # the lift's trend
    RECOVERY = "recovery"  # something the engine did about a change


class EventLevel(StrEnum):
    """How much an event matters."""

    INFO = "info"  # worth knowing (back to normal, the treatment improved)
    WARN = "warn"  # worth a look (PSI >= psi_warn, the lift falling)
    ALERT = "alert"  # a confirmed change (PSI >= psi_alert, a reward stream moved)
    ACTION = "action"  # the engine acted (a challenger started, took over, ...)


@dataclass(frozen=True)
class DriftEvent:
    """One event.

    Attributes:
        kind: ``context``, ``reward``, ``lift`` or ``recovery``.
        subject: the feature, the reward stream, ``lift``, or the learner acted on.
        level: ``info``, ``warn``, ``alert`` or ``action``.
        at: when it happened, epoch s (the time of the data that completed it, so a replay of
            the log finds the same).
        value: the figure behind it (PSI, the detector's statistic in threshold units, the
            lift's slope), None if none.
        threshold: what ``value`` was compared with, None if nothing.
        change_at: where the change is estimated to begin (epoch s), None if unknown.
        position: where in its stream it happened: decisions taken (context), blocks of the
            reward stream (reward), windows of the lift (lift); with ``kind`` and ``subject`` it
            names the event (:attr:`key`), the same on a replay of the log.
        message: one line for people.
        detail: anything else, JSON-ready.
    """

    kind: str
    subject: str
    level: str
    at: float
    value: float | None = None
    threshold: float | None = None
    change_at: float | None = None
    position: int = 0
    message: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind).value)
        object.__setattr__(self, "level", EventLevel(self.level).value)

    @property
    def key(self) -> str:
        """``kind:subject:position``: the same event found twice (a replay) is written once."""
        return f"{self.kind}:{self.subject}:{self.position}"

    def to_row(self) -> dict[str, Any]:
        """The event as a ``drift_events`` row (``detail`` as JSON text)."""
        return {"key": self.key, "kind": self.kind, "subject": self.subject,
                "level": self.level, "at": self.at, "value": self.value,
                "threshold": self.threshold, "change_at": self.change_at,
                "position": self.position, "message": self.message,
                "detail_json": json.dumps(self.detail, sort_keys=True)}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DriftEvent:
        """Back from :meth:`to_row` (extra keys, such as the row's ``id``, are ignored)."""
        return cls(row["kind"], row["subject"], row["level"], row["at"], row["value"],
                   row["threshold"], row["change_at"], row["position"], row["message"],
                   json.loads(row["detail_json"]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the API."""
        return {"kind": self.kind, "subject": self.subject, "level": self.level, "at": self.at,
                "value": self.value, "threshold": self.threshold, "change_at": self.change_at,
                "position": self.position, "message": self.message, "detail": self.detail}
