"""Contact rules: which actions may be played for one customer, now, before the learner sees them.

Rules run in a fixed order; each removes actions still allowed, so every removed action is listed
under exactly one rule (the first that removed it) in :attr:`RuleOutcome.removed`:

1. ``consent``: the customer's consent for the channel (context ``consent`` dict, context
   ``consent_<channel>`` 0/1, else the stored profile's ``consent`` dict). No information for a
   channel means no consent (the safe default). Skipped when ``consent_required`` is false.
2. ``segment``: a message with ``segments`` only goes to those segments (context or profile
   ``segment``; a customer without one gets only messages for every segment).
3. ``min_tenure``: context or profile ``tenure_days`` >= the message's ``min_tenure_days``
   (missing tenure counts as 0).
4. ``availability``: a message is chosen only from its ``available_from`` (the decision time:
   a launch) and sent only before its ``available_until`` (the send time after the timing:
   an offer that ends).
5. ``max_per_day`` / ``max_per_week``: contacts in the last 24 h / 7 days (all channels).
6. ``max_per_day_per_channel``: contacts on that channel in the last 24 h.
7. ``capacity``: the channel's sends today (UTC day, all customers) reached ``daily_capacity``.
8. ``quiet_hours``: ``send_at`` falls in the quiet hours of the customer's local time (context or
   profile ``timezone``, UTC when missing); ``(21, 8)`` means 21:00 to 07:59 is quiet.

The no-contact action is never removed. When nothing but no contact is left, ``reason`` says why.

:meth:`ContactRules.apply_batch` applies the same rules to many customers at once (a campaign):
the same per-rule verdicts (computed once per distinct segment and timezone), expanded to the
K actions as (n, K) masks in the same order; row ``i`` equals ``apply`` of customer ``i``
(``tests/engine/test_contact_rules_batch.py`` checks it).

Example:
    >>> from datetime import datetime, timezone
    >>> from engine.catalog import Catalog
    >>> cat = Catalog.from_names(["m"], ["email", "sms"], ["now"])
    >>> rules = ContactRules(cat, RulesConfig())
    >>> now = datetime(2026, 3, 6, 12, 0, tzinfo=timezone.utc)
    >>> out = rules.apply({"consent": {"email": True}}, None, now, {})
    >>> out.allowed.tolist(), out.removed
    ([True, False, True], {'consent': (1,)})
    >>> rules.apply({}, None, now, {}).reason
    'only no contact is left: consent removed 2 action(s) (no consent for email, sms)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import ConfigError, ContextError
from engine.send_time import as_utc, send_at, zone
from policies.number_check import check_number

if TYPE_CHECKING:
    from engine.catalog import Catalog
    from engine.store import ContactHistory

__all__ = ["RULE_NAMES", "BatchRuleOutcome", "ContactRules", "RuleOutcome", "RulesConfig"]

RULE_NAMES = ("consent", "segment", "min_tenure", "availability", "max_per_day", "max_per_week",
              "max_per_day_per_channel", "capacity", "quiet_hours")


def _cap(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name}: expected an integer >= 0 or none (false in TOML), "
                          f"got {value!r}")
    return value


@dataclass(frozen=True)
class RulesConfig:
    """The contact rules' settings (the ``[rules]`` table of a catalog).

    Attributes:
        max_per_day: contacts per customer in the last 24 h; None = no cap.
        max_per_week: contacts per customer in the last 7 days; None = no cap.
        max_per_day_per_channel: channel name -> contacts on it per customer in the last 24 h.
        quiet_hours: (start, end) local hours, start inclusive, end exclusive, wrapping midnight;
            None = no quiet hours.
        consent_required: whether a channel needs the customer's consent.

    Example:
        >>> RulesConfig(quiet_hours=(22, 7)).quiet_hours
        (22, 7)
        >>> RulesConfig(quiet_hours=(9, 9))  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        engine.errors.ConfigError: quiet_hours: expected (start, end) hours in 0..23 with
            start != end, got (9, 9)
    """

    max_per_day: int | None = 1
    max_per_week: int | None = 3
    max_per_day_per_channel: dict[str, int] = field(default_factory=dict)
    quiet_hours: tuple[int, int] | None = (21, 8)
    consent_required: bool = True

    def __post_init__(self) -> None:
        _cap("max_per_day", self.max_per_day)
        _cap("max_per_week", self.max_per_week)
        per = self.max_per_day_per_channel
        if not isinstance(per, Mapping):
            raise ConfigError(f"max_per_day_per_channel: expected a table channel -> integer, "
                              f"got {per!r}")
        for ch, cap in per.items():
            if _cap(f"max_per_day_per_channel.{ch}", cap) is None:
                raise ConfigError(f"max_per_day_per_channel.{ch}: expected an integer >= 0, "
                                  f"got None")
        object.__setattr__(self, "max_per_day_per_channel", dict(per))
        qh = self.quiet_hours
        if qh is not None:
            ok = (isinstance(qh, (list, tuple)) and len(qh) == 2
                  and all(isinstance(h, int) and not isinstance(h, bool) and 0 <= h <= 23
                          for h in qh) and qh[0] != qh[1])
            if not ok:
                raise ConfigError(f"quiet_hours: expected (start, end) hours in 0..23 with "
                                  f"start != end, got {qh!r}")
            object.__setattr__(self, "quiet_hours", (qh[0], qh[1]))
        if not isinstance(self.consent_required, bool):
            raise ConfigError(f"consent_required: expected true or false, "
                              f"got {self.consent_required!r}")

    @classmethod
    def from_dict(cls, table: Mapping[str, Any], channels: Catalog | None = None) -> RulesConfig:
        """A config from a ``[rules]`` table; ``false`` turns a cap or the quiet hours off.

        Args:
            table: the parsed table.
            channels: the catalog, to check the channel names of per-channel caps.

        Raises:
            ConfigError: unknown key, bad value, or unknown channel.

        Example:
            >>> RulesConfig.from_dict({"max_per_week": False, "quiet_hours": [22, 7]}).max_per_week
        """
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            raise ConfigError(f"unknown key {unknown[0]!r}; expected one of {', '.join(allowed)}")
        values: dict[str, Any] = {k: (None if v is False and k != "consent_required" else v)
                                  for k, v in table.items()}
        if isinstance(values.get("quiet_hours"), list):
            values["quiet_hours"] = tuple(values["quiet_hours"])
        config = cls(**values)
        if channels is not None:
            for ch in config.max_per_day_per_channel:
                channels.channel(ch)
        return config


@dataclass(frozen=True)
class RuleOutcome:
    """What the rules left for one customer.

    Attributes:
        allowed: (K,) bool, True where the action may be played.
        removed: rule name -> indices of the actions it removed (only rules that removed some).
        reason: why only no contact is left, else None.
        send_at: one aware UTC datetime per timing slot (index by ``catalog.action_timing``).
    """

    allowed: np.ndarray
    removed: dict[str, tuple[int, ...]]
    reason: str | None
    send_at: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class BatchRuleOutcome:
    """What the rules left for n customers (see :meth:`ContactRules.apply_batch`).

    Attributes:
        allowed: (n, K) bool, True where the action may be played.
        removed_by: (n, K) int8, the index in :data:`RULE_NAMES` of the rule that removed the
            action, -1 where it is allowed.
        reasons: per customer, why only no contact is left, else None.
        send_at: (n, T) float64, each timing slot's send time, epoch seconds.
    """

    allowed: np.ndarray
    removed_by: np.ndarray
    reasons: tuple[str | None, ...]
    send_at: np.ndarray

    def removed(self, i: int) -> dict[str, tuple[int, ...]]:
        """Customer ``i``'s ``removed`` as :class:`RuleOutcome` has it (rule -> actions)."""
        row = self.removed_by[i]
        return {name: tuple(np.flatnonzero(row == r).tolist())
                for r, name in enumerate(RULE_NAMES) if (row == r).any()}


def _flag(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise ContextError(f"{where}: expected true/false or 0/1, got {value!r}")


def _lookup(context: Mapping, profile: Mapping | None, key: str) -> Any:
    if key in context:
        return context[key]
    return profile.get(key) if profile else None


class ContactRules:
    """Applies a :class:`RulesConfig` to a catalog's actions (numpy masks over the K actions).

    Args:
        catalog: the action catalog.
        config: the rules' settings.
    """

    def __init__(self, catalog: Catalog, config: RulesConfig | None = None) -> None:
        self.catalog = catalog
        self.config = config if config is not None else RulesConfig()
        for ch in self.config.max_per_day_per_channel:
            catalog.channel(ch)  # CatalogError names an unknown channel
        self._msg = catalog.action_message
        self._ch = catalog.action_channel
        self._slot = catalog.action_timing
        self._contact = self._ch >= 0
        self._channel_names = tuple(c.name for c in catalog.channels)
        self._per_channel_cap = tuple(self.config.max_per_day_per_channel.get(c)
                                      for c in self._channel_names)
        self._capacity = tuple(c.daily_capacity for c in catalog.channels)
        self._keep_no_contact_only = ~self._contact
        self._keep_no_contact_only.setflags(write=False)
        msgs, n_slots = catalog.messages, len(catalog.timings)
        self._from = np.array([-np.inf if m.available_from is None
                               else m.available_from.timestamp() for m in msgs])
        self._until = np.array([np.inf if m.available_until is None
                                else m.available_until.timestamp() for m in msgs])
        self._windowed = bool(np.isfinite(self._from).any() or np.isfinite(self._until).any())
        # each action's (message, timing) pair, flattened; -1 for no contact
        self._pair = np.where(self._msg >= 0, self._msg * n_slots + self._slot, -1)

    # -- per-rule verdicts: a list of bools per message, channel or timing, True = keeps ---------
    def _consent(self, context: Mapping, profile: Mapping | None) -> list[bool]:
        ok = [False] * len(self._channel_names)
        given = context.get("consent")
        if given is not None and not isinstance(given, Mapping):
            raise ContextError(f"consent: expected a table channel -> true/false, got {given!r}")
        for name in given or {}:
            if name not in self._channel_names:
                raise ContextError(f"consent.{name}: expected a channel of the catalog "
                                   f"({', '.join(self._channel_names)}), got {name!r}")
        stored = (profile or {}).get("consent") or {}
        for i, ch in enumerate(self._channel_names):
            if given is not None and ch in given:
                ok[i] = _flag(f"consent.{ch}", given[ch])
            elif context.get(f"consent_{ch}") is not None:  # null: not given, as elsewhere
                ok[i] = _flag(f"consent_{ch}", context[f"consent_{ch}"])
            elif isinstance(stored, Mapping) and ch in stored:
                ok[i] = _flag(f"profile.consent.{ch}", stored[ch])
        return ok

    def _segment(self, context: Mapping, profile: Mapping | None) -> list[bool]:
        return self._segment_keep(_lookup(context, profile, "segment"))

    def _segment_keep(self, seg: Any) -> list[bool]:
        if seg is not None and not isinstance(seg, str):
            raise ContextError(f"segment: expected a string, got {seg!r}")
        return [not m.segments or seg in m.segments for m in self.catalog.messages]

    @staticmethod
    def _tenure_of(context: Mapping, profile: Mapping | None) -> float:
        tenure = _lookup(context, profile, "tenure_days")
        if tenure is None:
            tenure = 0.0
        return check_number("tenure_days", tenure, error=ContextError)

    def _tenure(self, context: Mapping, profile: Mapping | None) -> list[bool]:
        tenure = self._tenure_of(context, profile)
        return [tenure >= m.min_tenure_days for m in self.catalog.messages]

    def _available(self, now: float, times: np.ndarray) -> np.ndarray:
        """``(..., M * T)``: whether each (message, timing) pair is inside the message's window,
        at the decision time ``now`` and the slots' send times ``times`` (``(..., T)``, epoch
        seconds)."""
        chosen = (now >= self._from)[:, None]  # (M, 1)
        sent = times[..., None, :] < self._until[:, None]  # (..., M, T)
        return (chosen & sent).reshape(*times.shape[:-1], -1)

    def _quiet(self, times: tuple[datetime, ...], tz: Any) -> list[bool]:
        qh = self.config.quiet_hours
        if qh is None:
            return [True] * len(times)
        tzinfo = zone(tz)
        start, end = qh
        hours = [t.astimezone(tzinfo).hour for t in times]
        if start < end:
            return [not start <= h < end for h in hours]
        return [end <= h < start for h in hours]

    def _caps(self, history: ContactHistory | None, capacity_used: Mapping[str, int]
              ) -> tuple[bool, bool, list[bool], list[bool]]:
        cfg = self.config
        day = history.contacts_1d if history else 0
        week = history.contacts_7d if history else 0
        sent = history.sends_today_by_channel if history else {}
        per = [cap is None or sent.get(ch, 0) < cap
               for ch, cap in zip(self._channel_names, self._per_channel_cap, strict=True)]
        capacity = [cap is None or capacity_used.get(ch, 0) < cap
                    for ch, cap in zip(self._channel_names, self._capacity, strict=True)]
        return (cfg.max_per_day is None or day < cfg.max_per_day,
                cfg.max_per_week is None or week < cfg.max_per_week, per, capacity)

    def _keep(self, verdicts: list[bool] | np.ndarray | bool, index: np.ndarray
              ) -> np.ndarray | None:
        """The (K,) keep mask of per-item verdicts, or None when they keep everything."""
        if verdicts is True:
            return None
        if verdicts is False:
            return self._keep_no_contact_only
        # index -1 (no contact) picks the appended True: no contact is never removed
        if isinstance(verdicts, np.ndarray):  # numpy's own all and append (a list's are slower)
            return None if verdicts.all() else np.append(verdicts, True)[index]
        return None if all(verdicts) else np.array([*verdicts, True])[index]

    def _masks(self, context: Mapping, history: ContactHistory | None,
               capacity_used: Mapping[str, int], profile: Mapping | None, now: datetime,
               times: tuple[datetime, ...], tz: Any) -> list[tuple[str, np.ndarray | None]]:
        consent = self._consent(context, profile) if self.config.consent_required else True
        segment, tenure = self._segment(context, profile), self._tenure(context, profile)
        available: np.ndarray | bool = True
        if self._windowed:  # a catalog without windows pays nothing for the rule
            available = self._available(now.timestamp(), np.array([t.timestamp() for t in times]))
        day, week, per, capacity = self._caps(history, capacity_used)
        quiet = self._quiet(times, tz)
        return [("consent", self._keep(consent, self._ch)),
                ("segment", self._keep(segment, self._msg)),
                ("min_tenure", self._keep(tenure, self._msg)),
                ("availability", self._keep(available, self._pair)),
                ("max_per_day", self._keep(day, self._ch)),
                ("max_per_week", self._keep(week, self._ch)),
                ("max_per_day_per_channel", self._keep(per, self._ch)),
                ("capacity", self._keep(capacity, self._ch)),
                ("quiet_hours", self._keep(quiet, self._slot))]

    def apply(self, context: Mapping[str, Any], history: ContactHistory | None,
              now: datetime | float, capacity_used: Mapping[str, int],
              profile: Mapping[str, Any] | None = None) -> RuleOutcome:
        """The actions the rules allow for this customer at ``now``.

        Args:
            context: the customer's context (``consent``, ``consent_<channel>``, ``segment``,
                ``tenure_days``, ``timezone`` are read; everything else is ignored).
            history: the customer's contact history from the store (None = never contacted).
            now: the decision time (aware datetime or epoch seconds).
            capacity_used: channel name -> sends today across all customers.
            profile: the customer's stored profile (consent, segment, timezone, tenure_days),
                used where the context says nothing.

        Returns:
            A :class:`RuleOutcome`; its ``allowed`` is (K,) bool.

        Raises:
            ContextError: a field the rules read is malformed (named in the message).
        """
        if not isinstance(context, Mapping):
            raise ContextError(f"context: expected a mapping, got {type(context).__name__}")
        now = as_utc(now)
        tz = _lookup(context, profile, "timezone") or _lookup(context, profile, "tz")
        times = tuple(send_at(slot, now, tz) for slot in self.catalog.timings)
        allowed = np.ones(len(self._ch), dtype=bool)
        removed: dict[str, tuple[int, ...]] = {}
        for name, keep in self._masks(context, history, capacity_used, profile, now, times,
                                      tz):
            if keep is None:
                continue
            drop = np.flatnonzero(allowed & ~keep)
            if drop.size:
                removed[name] = tuple(drop.tolist())
                allowed[drop] = False
        reason = self._reason(removed) if removed and not allowed[self._contact].any() else None
        return RuleOutcome(allowed, removed, reason, times)

    def apply_batch(self, contexts: Sequence[Mapping[str, Any]],
                    histories: Sequence[ContactHistory | None], now: datetime | float,
                    capacity_used: Mapping[str, int],
                    profiles: Sequence[Mapping[str, Any] | None] | None = None
                    ) -> BatchRuleOutcome:
        """:meth:`apply` for n customers at one time ``now``; row i is customer i's outcome.

        Args:
            contexts: the n contexts.
            histories: their contact histories (None = never contacted).
            now: the decision time, the same for all.
            capacity_used: channel name -> sends today across all customers.
            profiles: their stored profiles (None: none stored).

        Raises:
            ContextError: a malformed field; the message starts with ``row <i>:``.
        """
        n = len(contexts)
        profs: Sequence[Mapping[str, Any] | None] = profiles or [None] * n
        if len(histories) != n or len(profs) != n:
            raise ContextError(f"histories, profiles: expected {n} each, got {len(histories)} "
                               f"and {len(profs)}")
        now = as_utc(now)
        cfg, msgs = self.config, self.catalog.messages
        consent = np.ones((n, len(self._channel_names)), dtype=bool)
        segment, tenure = np.ones((n, len(msgs)), dtype=bool), np.zeros(n)
        day, week = np.ones(n, dtype=bool), np.ones(n, dtype=bool)
        per, capacity = np.ones_like(consent), np.ones_like(consent)
        quiet = np.ones((n, len(self.catalog.timings)), dtype=bool)
        times = np.zeros_like(quiet, dtype=np.float64)
        by_segment: dict[Any, list[bool]] = {}
        by_zone: dict[Any, tuple[list[bool], list[float]]] = {}
        for i in range(n):
            context, profile = contexts[i], profs[i]
            try:
                if not isinstance(context, Mapping):
                    raise ContextError(f"context: expected a mapping, got "
                                       f"{type(context).__name__}")
                if cfg.consent_required:
                    consent[i] = self._consent(context, profile)
                seg = _lookup(context, profile, "segment")
                known = by_segment.get(seg) if isinstance(seg, str | None) else None
                segment[i] = known or by_segment.setdefault(seg, self._segment_keep(seg))
                tenure[i] = self._tenure_of(context, profile)
                day[i], week[i], per[i], capacity[i] = self._caps(histories[i], capacity_used)
                tz = _lookup(context, profile, "timezone") or _lookup(context, profile, "tz")
                zoned = by_zone.get(tz) if isinstance(tz, str | None) else None
                if zoned is None:
                    slots = tuple(send_at(slot, now, tz) for slot in self.catalog.timings)
                    zoned = by_zone[tz] = (self._quiet(slots, tz),
                                           [t.timestamp() for t in slots])
                quiet[i], times[i] = zoned
            except ContextError as exc:
                raise ContextError(f"row {i}: {exc}") from None
        tenure_ok = tenure[:, None] >= np.array([m.min_tenure_days for m in msgs])[None, :]
        # without windows an all-true verdict: the loop below skips it, keeping RULE_NAMES' codes
        available = (self._available(now.timestamp(), times) if self._windowed
                     else np.ones((n, 1), dtype=bool))
        # in RULE_NAMES order, as apply's _masks
        masks = [(consent, self._ch), (segment, self._msg), (tenure_ok, self._msg),
                 (available, self._pair), (day, None), (week, None), (per, self._ch),
                 (capacity, self._ch), (quiet, self._slot)]
        allowed = np.ones((n, len(self._ch)), dtype=bool)
        removed_by = np.full(allowed.shape, -1, dtype=np.int8)
        for r, (verdict, index) in enumerate(masks):
            if verdict.all():
                continue
            if index is None:  # a per-customer verdict on every contact
                keep = verdict[:, None] | ~self._contact[None, :]
            else:
                keep = np.concatenate([verdict, np.ones((n, 1), dtype=bool)], axis=1)[:, index]
            drop = allowed & ~keep
            removed_by[drop] = r
            allowed &= keep
        return BatchRuleOutcome(allowed, removed_by, self._batch_reasons(allowed, removed_by),
                                times)

    def _batch_reasons(self, allowed: np.ndarray, removed_by: np.ndarray
                       ) -> tuple[str | None, ...]:
        out: list[str | None] = [None] * allowed.shape[0]
        only_nc = ~allowed[:, self._contact].any(axis=1) & (removed_by >= 0).any(axis=1)
        cache: dict[bytes, str] = {}
        for i in np.flatnonzero(only_nc):
            key = removed_by[i].tobytes()
            if key not in cache:
                row = removed_by[i]
                cache[key] = self._reason({name: tuple(np.flatnonzero(row == r).tolist())
                                           for r, name in enumerate(RULE_NAMES)
                                           if (row == r).any()})
            out[i] = cache[key]
        return tuple(out)

    def _reason(self, removed: dict[str, tuple[int, ...]]) -> str:
        parts = []
        for name, idx in removed.items():
            part = f"{name} removed {len(idx)} action(s)"
            if name == "consent":
                chans = sorted({self._channel_names[self._ch[i]] for i in idx},
                               key=self._channel_names.index)
                part += f" (no consent for {', '.join(chans)})"
            parts.append(part)
        return "only no contact is left: " + "; ".join(parts)
