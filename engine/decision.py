"""What ``choose`` returns: a :class:`Decision`, and on demand its :class:`Explanation`.

``str(explanation)`` is for people: one sentence (what was sent, how likely, exploring or not,
what the rules removed, what weighed most, feature names in the user's terms) and a short table.

Example:
    >>> e = Explanation(top_actions=(("m/email/evening", 0.9), ("m/push/now", 0.1)),
    ...                 features=(("c:age*n:ch=email", 0.2),), removed={"consent": ("m/sms/now",)},
    ...                 score=0.4, top_scores=(0.4, 0.1), action="m/email/evening",
    ...                 probability=0.9, exploring=False)
    >>> e.as_dict()["removed"]
    {'consent': ['m/sms/now']}
    >>> print(e)  # doctest: +NORMALIZE_WHITESPACE
    sent m by email in the evening, p = 0.90, the policy's top choice; 1 sms action removed:
    no consent; what weighed most: age x email (+0.200)
      action           p     estimate
    > m/email/evening  0.90  0.400
      m/push/now       0.10  0.100
      feature      weight
      age x email  +0.200
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.feature_names import feature_label

__all__ = ["Decision", "Explanation", "RewardAck"]


@dataclass(frozen=True)
class Explanation:
    """Why a decision came out as it did.

    Attributes:
        top_actions: ``(action name, probability)`` of the most probable eligible actions,
            most probable first.
        features: ``(feature, contribution)`` that weighed most in the chosen action's estimated
            reward (positive = raised it); an interaction reads ``"c:segment=vip*m:theme=x"``.
        removed: rule name -> names of the actions it removed (see ``engine.contact_rules``).
        score: the chosen action's estimated reward (None when the learner was not asked:
            holdout, or nothing but no contact was eligible).
        reason: why the choice was forced (holdout, nothing eligible), else None.
        top_scores: the estimated reward of each of ``top_actions`` (same order); empty when
            the learner was not asked.
        action: the chosen action's name (``message/channel/timing`` or ``no_contact``); it is
            always among ``top_actions``. None when nothing could be chosen.
        probability: the probability it was chosen with.
        exploring: True when it was not the policy's most probable action; None when the
            learner was not asked.
        learner: the candidate learner that served the decision (``engine/learner_selection``);
            None when the learner was not asked.
        prices: channel -> the price its actions' scores were lowered by, when priced live
            choose decided (``[engine.prices]``, docs/campaigns.md); empty otherwise.
    """

    top_actions: tuple[tuple[str, float], ...]
    features: tuple[tuple[str, float], ...]
    removed: dict[str, tuple[str, ...]]
    score: float | None = None
    reason: str | None = None
    top_scores: tuple[float, ...] = ()
    action: str | None = None
    probability: float | None = None
    exploring: bool | None = None
    learner: str | None = None
    prices: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for the HTTP service and logs); ``text`` is ``str(self)`` and each
        feature's ``label`` its name in the user's terms."""
        scores = self.top_scores or (None,) * len(self.top_actions)
        return {"top_actions": [{"action": a, "probability": p, "score": s}
                                for (a, p), s in zip(self.top_actions, scores, strict=True)],
                "features": [{"feature": f, "label": feature_label(f), "contribution": c}
                             for f, c in self.features],
                "removed": {k: list(v) for k, v in self.removed.items()},
                "score": self.score, "reason": self.reason, "action": self.action,
                "probability": self.probability, "exploring": self.exploring,
                "learner": self.learner, "prices": dict(self.prices), "text": str(self)}

    def __str__(self) -> str:
        return "\n".join([self.sentence(), *self._table()])

    def sentence(self) -> str:
        """What was chosen and why, in one sentence."""
        parts = [_what(self.action, self.reason)]
        if self.probability is not None and self.action is not None:
            parts[0] += f", p = {self.probability:.2f}"
            if self.exploring is not None:
                parts[0] += ", exploring" if self.exploring else ", the policy's top choice"
            if self.learner is not None:
                parts[0] += f" (learner {self.learner})"
        if self.prices:
            parts.append("channel prices: " + ", ".join(f"{c} {p:.3f}"
                                                        for c, p in self.prices.items()))
        parts += [_removed(rule, names) for rule, names in self.removed.items() if names]
        if self.features:
            parts.append("what weighed most: " + ", ".join(
                f"{feature_label(f)} ({c:+.3f})" for f, c in self.features[:2]))
        return "; ".join(parts)

    def _table(self) -> list[str]:
        if not self.top_actions:
            return []
        scores = self.top_scores or (None,) * len(self.top_actions)
        width = max(len("action"), *(len(a) for a, _ in self.top_actions))
        rows = [f"  {'action':<{width}}  p     estimate"]
        for (a, p), s in zip(self.top_actions, scores, strict=True):
            mark = ">" if a == self.action else " "
            rows.append(f"{mark} {a:<{width}}  {p:.2f}  {'-' if s is None else f'{s:.3f}'}"
                        .rstrip())
        labels = [(feature_label(f), c) for f, c in self.features[:3]]
        if labels:
            fw = max(len("feature"), *(len(f) for f, _ in labels))
            rows.append(f"  {'feature':<{fw}}  weight")
            rows += [f"  {f:<{fw}}  {c:+.3f}" for f, c in labels]
        return rows


_WHEN = {"now": "now", "morning": "in the morning", "lunch": "at lunch",
         "afternoon": "in the afternoon", "evening": "in the evening", "night": "at night",
         "weekend": "at the weekend"}
_RULES = {"consent": "no consent", "segment": "not for this segment",
          "min_tenure": "customer too new", "availability": "message not available then",
          "max_per_day": "daily contact limit",
          "max_per_week": "weekly contact limit",
          "max_per_day_per_channel": "daily limit of the channel",
          "capacity": "channel capacity used up", "quiet_hours": "quiet hours"}


def _what(action: str | None, reason: str | None) -> str:
    if reason is not None and (action is None or action == "no_contact"
                               or reason.startswith("holdout")):
        return f"{'no contact' if action in (None, 'no_contact') else f'sent {action}'}: {reason}"
    if action is None:
        return "nothing chosen"
    if action == "no_contact":
        return "chose no contact"
    message, channel, timing = [*action.split("/"), "", ""][:3]
    return f"sent {message} by {channel} {_WHEN.get(timing, f'with timing {timing}')}".rstrip()


def _removed(rule: str, names: tuple[str, ...]) -> str:
    # "4 sms actions removed: no consent"; the channel is named only when there is one
    channels = {n.split("/")[1] for n in names if n.count("/") == 2}
    channel = f"{next(iter(channels))} " if len(channels) == 1 else ""
    return f"{len(names)} {channel}action{'s' if len(names) != 1 else ''} removed: " \
           f"{_RULES.get(rule, rule)}"


@dataclass(frozen=True)
class Decision:
    """One decision, already written to the log.

    Attributes:
        decision_id: pass it to ``Engine.reward`` / ``Engine.activate``.
        customer_id: the customer.
        message: the message name, or None for no contact.
        channel: the channel name, or None for no contact.
        timing: the timing slot name, or None for no contact.
        send_at: when to send (aware UTC datetime), None for no contact.
        probability: the probability with which the action was chosen.
        holdout: whether the customer is in the holdout (control) group.
        action_index: the action's index in the catalog (-1 when the catalog has no no-contact
            action and nothing was eligible).
        reason: why the decision was forced (holdout, nothing but no contact eligible), else
            None.
        active: False when activation was deferred (``choose(..., activate=False)``).
        created_at: decision time, epoch seconds.
    """

    decision_id: str
    customer_id: str
    message: str | None
    channel: str | None
    timing: str | None
    send_at: datetime | None
    probability: float
    holdout: bool
    action_index: int
    reason: str | None = None
    active: bool = True
    created_at: float = 0.0
    _explain: Callable[[], Explanation] | None = field(default=None, repr=False, compare=False)

    @property
    def is_contact(self) -> bool:
        """True when a message goes out."""
        return self.message is not None

    @property
    def action_name(self) -> str:
        """``"message/channel/timing"``, or ``"no_contact"``."""
        if self.message is None:
            return "no_contact"
        return f"{self.message}/{self.channel}/{self.timing}"

    def explain(self) -> Explanation:
        """Why this action: top actions' probabilities, heaviest features, rules' removals.

        Computed on first call (it reads learned weights) and kept.
        """
        cached = self.__dict__.get("_explanation")
        if cached is None:
            if self._explain is None:
                cached = Explanation((), (), {}, None, self.reason)
            else:
                cached = self._explain()
            object.__setattr__(self, "_explanation", cached)
        return cached

    @property
    def explanation(self) -> Explanation:
        """Same as :meth:`explain`."""
        return self.explain()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the public fields (``send_at`` as ISO 8601)."""
        return {"decision_id": self.decision_id, "customer_id": self.customer_id,
                "message": self.message, "channel": self.channel, "timing": self.timing,
                "send_at": None if self.send_at is None else self.send_at.isoformat(),
                "probability": self.probability, "holdout": self.holdout,
                "action_index": self.action_index, "reason": self.reason,
                "active": self.active, "created_at": self.created_at}


@dataclass(frozen=True)
class RewardAck:
    """What ``Engine.reward`` returns once the reward is written and learned.

    Attributes:
        decision_id: the decision rewarded.
        seq: the reward's sequence number in the log.
        kind: ``"reward"``, or ``"correction"`` for a later reward summed with the first, or
            one that came after the engine's provisional default (``provisional_after``).
        total: the decision's reward after this one (the sum, in ``reward_mode="sum"``).
        delay_s: seconds from activation to this reward.
        learned: False for holdout decisions (logged for lift, never learned from) and for a
            correction that leaves the decision's total as it was (nothing to learn).
    """

    decision_id: str
    seq: int
    kind: str
    total: float
    delay_s: float
    learned: bool
