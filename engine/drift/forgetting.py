"""Forgetting faster on a confirmed change (``[engine.drift] forget_on_change``): the serving
learner, if it is a ridge learner (:class:`~policies.ridge_learner.RidgeLearner` or
:class:`~policies.joint_ridge_learner.JointRidgeLearner`), uses the forget factor
``forget_factor`` for its next ``forget_updates`` updates, then its configured one again
(``forget_for``), so the evidence from before the change fades within a few thousand rewards
instead of weighing forever.

What counts as confirmed is what starts a drift challenger (``engine/drift/recovery.py``): an
``alert``-level event. One answer at a time: alerts met while the serving learner still forgets
faster are taken as the same change, and an alert met again (the monitor re-reading the log
after a restart) is answered once. A Vowpal Wabbit learner serving has no forget factor here
(its own decay is ``power_t``, fixed when it starts): the alert gets an ``info`` event saying
nothing was changed, never a silent no-op (once per ``forget_updates`` rewards: the alerts of
one change are noted once).

Every action is a ``recovery`` drift event: ``action`` when the factor is set, ``info`` when it
is restored (or when nothing could be done). The temporary factor and the updates it has left
are in the ridge model's file; who is forgetting faster is in the checkpoint's state
(:meth:`FasterForgetting.to_dict`), so a restart keeps both.

Example:
    >>> ForgetSettings(enabled=True).factor
    0.995
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from engine.drift.events import DriftEvent, EventKind, EventLevel

__all__ = ["FasterForgetting", "ForgetSettings"]

_KEPT_KEYS = 256  # alert keys remembered as answered (a re-read of the log meets recent ones)


class LearnerPool(Protocol):
    """What the forgetting needs of the learner selection (``LearnerSelection``)."""

    serving: str
    learners: dict[str, Any]


@dataclass(frozen=True)
class ForgetSettings:
    """The ``forget_*`` fields of ``[engine.drift]``.

    Attributes:
        enabled: answer a confirmed change by forgetting faster.
        factor: the serving ridge learner's forget factor meanwhile, in (0, 1].
        updates: how many of its updates it lasts.
    """

    enabled: bool = False
    factor: float = 0.995
    updates: int = 5000


class FasterForgetting:
    """Sets and restores the serving learner's temporary forget factor (module docstring).

    Args:
        pool: the learner selection.
        settings: how to answer.
        state: what :meth:`to_dict` returned (a checkpoint), or None.
    """

    def __init__(self, pool: LearnerPool, settings: ForgetSettings,
                 state: Mapping[str, Any] | None = None) -> None:
        self.pool, self.settings = pool, settings
        state = state or {}
        self.answered: list[str] = list(state.get("answered", []))
        self.active: str | None = state.get("active")  # the learner forgetting faster
        self.times: int = int(state.get("times", 0))
        self.noted: int | None = state.get("noted")  # the reward of the last "nothing changed"

    def on_events(self, events: list[DriftEvent], learned_seq: int) -> list[DriftEvent]:
        """Answer the first confirmed change among ``events``; return the events it makes."""
        seen = set(self.answered)
        new = [e for e in events if e.level == EventLevel.ALERT and e.key not in seen]
        if not (self.settings.enabled and new):
            return []
        self.answered = (self.answered + [e.key for e in new])[-_KEPT_KEYS:]
        if self.active is not None:
            return []  # still forgetting faster for an earlier alert: the same change
        if self.noted is not None and learned_seq - self.noted < self.settings.updates:
            return []  # said already for this change that nothing could be done
        trigger = min(new, key=lambda e: e.change_at if e.change_at is not None else e.at)
        name = self.pool.serving
        learner = self.pool.learners[name]
        factor, updates = self.settings.factor, self.settings.updates
        if not hasattr(learner, "forget_for"):
            self.noted = learned_seq
            return [self._event(name, EventLevel.INFO, trigger, learned_seq, None,
                                f"forget_on_change: {name} has no forget factor (a Vowpal "
                                f"Wabbit learner); nothing changed after "
                                f"'{trigger.message}'")]
        learner.forget_for(factor, updates)
        self.active, self.times = name, self.times + 1
        return [self._event(name, EventLevel.ACTION, trigger, learned_seq, factor,
                            f"{name} forgets faster after '{trigger.message}': forget factor "
                            f"{factor:g} for its next {updates:,} updates, then "
                            f"{learner.config.forget:g} again")]

    def step(self, learned_seq: int, at: float) -> list[DriftEvent]:
        """Report the learner that forgot faster once its temporary factor has run out."""
        name = self.active
        if name is None:
            return []
        learner = self.pool.learners.get(name)
        if learner is not None and learner.forget_updates_left > 0:
            return []
        self.active = None
        restored = 1.0 if learner is None else learner.config.forget
        return [DriftEvent(
            EventKind.RECOVERY, name, EventLevel.INFO, at, restored, None, None, learned_seq,
            f"{name} forgets at its configured factor {restored:g} again "
            f"({self.settings.updates:,} updates at {self.settings.factor:g} done)",
            {"forget": restored})]

    def _event(self, name: str, level: EventLevel, trigger: DriftEvent, learned_seq: int,
               value: float | None, message: str) -> DriftEvent:
        return DriftEvent(
            EventKind.RECOVERY, name, level, trigger.at, value, None, trigger.change_at,
            learned_seq, message,
            {"trigger": trigger.key, "factor": self.settings.factor,
             "updates": self.settings.updates, "answer": "forget_on_change"})

    def stats(self) -> dict[str, Any]:
        """For ``Engine.stats()``: how many times it forgot faster, and whether it does now."""
        return {"drift_forgetting": self.active is not None, "drift_forgetting_times": self.times}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (the factor and its updates left are in the ridge model's file)."""
        return {"answered": list(self.answered), "active": self.active, "times": self.times,
                "noted": self.noted}
