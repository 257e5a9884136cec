"""The action catalog: messages, channels, timing slots, and their (message, channel, timing)
triples.

An action is a triple, plus an explicit *no contact* action (last) when the catalog allows it.
Index ``i`` of a contact action is ``(m * n_channels + c) * n_timings + t``. The catalog loads from
TOML (see ``docs/catalog.md`` and ``engine/catalogs/example.toml``);
:func:`engine.config.load_config` reads the file's ``[rules]`` and ``[engine]`` sections too.

Example:
    >>> cat = Catalog.from_names(["welcome10", "winback20"], ["email", "sms"], ["morning", "now"])
    >>> len(cat.actions), cat.actions[0].name, cat.actions[-1].name
    (9, 'welcome10/email/morning', 'no_contact')
    >>> cat.channel("sms").cost
    0.0
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import CatalogError, ContextError
from engine.send_time import as_utc, parse_rule
from policies.number_check import check_number

__all__ = [
    "DEFAULT_TIMINGS",
    "Action",
    "Catalog",
    "Channel",
    "Message",
    "TimingSlot",
    "catalog_from_document",
    "read_toml",
]

# Names become Vowpal Wabbit features and Parquet values: no spaces, '|' or ':' that VW would split.
_NAME = re.compile(r"[A-Za-z0-9_.\-]+")

#: Timing names that ``Catalog.from_names`` understands without a rule.
DEFAULT_TIMINGS: dict[str, str] = {
    "now": "now",
    "morning": "at 09:00",
    "lunch": "at 12:00",
    "afternoon": "at 15:00",
    "evening": "at 18:00",
    "weekend": "next saturday 10:00",
}


def _check_name(kind: str, value: Any, what: str = "name") -> None:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise CatalogError(f"{kind}.{what}: expected letters, digits, '_', '.' or '-' "
                           f"(no spaces), got {value!r}")


def _check_number(kind: str, what: str, value: Any, minimum: float | None = 0.0) -> float:
    return check_number(f"{kind}.{what}", value, low=minimum, error=CatalogError)


def _check_instant(kind: str, what: str, value: Any) -> datetime | None:
    """An aware UTC datetime from an aware datetime, an ISO 8601 string with its offset
    (``"2026-11-27T09:00:00+01:00"``, ``"...Z"``), a date (its UTC midnight) or epoch
    seconds; None stays None.

    A time without an offset is refused: read in the server's zone or in UTC, a launch would
    move by hours between the machines that load the same catalog.

    Example:
        >>> _check_instant("message 'm'", "available_from", "2026-11-27T09:00:00+01:00")
        datetime.datetime(2026, 11, 27, 8, 0, tzinfo=datetime.timezone.utc)
        >>> _check_instant("message 'm'", "available_from", "2026-11-27T09:00")
        Traceback (most recent call last):
        ...
        engine.errors.CatalogError: message 'm'.available_from: expected a time with its offset \
('...Z' or '...+01:00'), a date or epoch seconds, got '2026-11-27T09:00'
    """
    if value is None:
        return None
    try:
        return as_utc(_as_datetime(value))
    except ContextError:  # naive, not finite, out of range, or not a time at all
        raise CatalogError(f"{kind}.{what}: expected a time with its offset ('...Z' or "
                           f"'...+01:00'), a date or epoch seconds, got {value!r}") from None


def _as_datetime(value: Any) -> Any:
    """A string or a date as the datetime it names (naive where it gives no offset; a date
    alone, "2026-12-25" or TOML's, is its UTC midnight); anything else as given."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


@dataclass(frozen=True)
class Message:
    """A message that can be sent, with the attributes the learner generalises over.

    Attributes:
        name: unique name (letters, digits, ``_.-``).
        theme: what it is about (``welcome``, ``winback``...), a learner feature.
        offer_type: ``none``, ``discount``, ``free_shipping``... a learner feature.
        discount: the offer's discount (fraction or amount), >= 0.
        margin: margin per conversion, any finite number.
        segments: segments it may go to; empty means every segment.
        min_tenure_days: only for customers with at least this tenure (``tenure_days`` in context).
        available_from: chosen only at or after this time (the decision's; a launch), an aware
            UTC datetime once built (see :func:`_check_instant` for what is accepted); None:
            always.
        available_until: sent only before this time (the send's, after its timing: an offer
            that ends); None: never ends.

    Example:
        >>> Message("vip15", theme="loyalty", discount=0.15, segments=["vip"]).segments
        ('vip',)
        >>> Message("xmas", available_until="2026-12-25").available_until.isoformat()
        '2026-12-25T00:00:00+00:00'
    """

    name: str
    theme: str = "general"
    offer_type: str = "none"
    discount: float = 0.0
    margin: float = 0.0
    segments: tuple[str, ...] = ()
    min_tenure_days: float = 0.0
    available_from: datetime | None = None
    available_until: datetime | None = None

    def __post_init__(self) -> None:
        _check_name("message", self.name)
        label = f"message {self.name!r}"
        _check_name(label, self.theme, "theme")
        _check_name(label, self.offer_type, "offer_type")
        object.__setattr__(self, "discount", _check_number(label, "discount", self.discount))
        object.__setattr__(self, "margin", _check_number(label, "margin", self.margin, None))
        object.__setattr__(self, "min_tenure_days",
                           _check_number(label, "min_tenure_days", self.min_tenure_days))
        if isinstance(self.segments, str) or not isinstance(self.segments, (list, tuple)):
            raise CatalogError(f"{label}.segments: expected a list of segment names, "
                               f"got {self.segments!r}")
        if not all(isinstance(s, str) and s for s in self.segments):
            raise CatalogError(f"{label}.segments: expected non-empty strings, "
                               f"got {list(self.segments)!r}")
        object.__setattr__(self, "segments", tuple(self.segments))
        start = _check_instant(label, "available_from", self.available_from)
        end = _check_instant(label, "available_until", self.available_until)
        if start is not None and end is not None and end <= start:
            raise CatalogError(f"{label}.available_until: expected a time after available_from "
                               f"({start.isoformat()}), got {end.isoformat()}")
        object.__setattr__(self, "available_from", start)
        object.__setattr__(self, "available_until", end)

    def content(self) -> dict[str, Any]:
        """The message as plain JSON data; the times as ISO strings, left out while unset
        (so a catalog without them keeps the version it had before they existed)."""
        out = asdict(self)
        for key in ("available_from", "available_until"):
            when = out.pop(key)
            if when is not None:
                out[key] = when.isoformat()
        return out


@dataclass(frozen=True)
class Channel:
    """A channel messages go out on.

    Attributes:
        name: unique name (letters, digits, ``_.-``).
        cost: cost per send, >= 0.
        daily_capacity: sends allowed per UTC day across all customers; None = unlimited.

    Example:
        >>> Channel("sms", cost=0.05, daily_capacity=1000).daily_capacity
        1000
    """

    name: str
    cost: float = 0.0
    daily_capacity: int | None = None

    def __post_init__(self) -> None:
        _check_name("channel", self.name)
        label = f"channel {self.name!r}"
        object.__setattr__(self, "cost", _check_number(label, "cost", self.cost))
        cap = self.daily_capacity
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 0):
            raise CatalogError(f"{label}.daily_capacity: expected an integer >= 0 or none, "
                               f"got {cap!r}")


@dataclass(frozen=True)
class TimingSlot:
    """A named timing slot and the rule that turns decision time into ``send_at``.

    The rule grammar is in :mod:`engine.send_time`; it is validated here, at construction.

    Example:
        >>> TimingSlot("evening", "at 18:00").rule
        'at 18:00'
        >>> TimingSlot("soon", "in two hours")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        engine.errors.CatalogError: timing 'soon': timing rule 'in two hours': expected one of
            'now', 'at HH:MM', 'next <weekday> HH:MM', 'in N<s|m|h|d>'
    """

    name: str
    rule: str

    def __post_init__(self) -> None:
        _check_name("timing", self.name)
        try:
            parse_rule(self.rule)
        except CatalogError as exc:
            raise CatalogError(f"timing {self.name!r}: {exc}") from None


@dataclass(frozen=True)
class Action:
    """One playable action: a (message, channel, timing) triple, or all None for no contact."""

    index: int
    message: Message | None
    channel: Channel | None
    timing: TimingSlot | None

    def __post_init__(self) -> None:
        parts = (self.message, self.channel, self.timing)
        if any(p is None for p in parts) and any(p is not None for p in parts):
            raise CatalogError(f"action {self.index}: expected message, channel and timing all "
                               f"set, or all None for no contact, got {parts!r}")

    @property
    def is_no_contact(self) -> bool:
        """True for the no-contact action."""
        return self.message is None

    @property
    def triple(self) -> tuple[Message, Channel, TimingSlot] | None:
        """``(message, channel, timing)``, or None for the no-contact action."""
        if self.message is None or self.channel is None or self.timing is None:
            return None
        return self.message, self.channel, self.timing

    @property
    def name(self) -> str:
        """``"message/channel/timing"``, or ``"no_contact"``."""
        if (triple := self.triple) is None:
            return "no_contact"
        m, c, t = triple
        return f"{m.name}/{c.name}/{t.name}"


def _unique(kind: str, items: tuple) -> None:
    if not items:
        raise CatalogError(f"{kind}: expected at least one, got none")
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise CatalogError(f"{kind}: duplicate name {item.name!r}; names must be unique")
        seen.add(item.name)


def _as(kind: str, cls: type, item: Any) -> Any:
    if not isinstance(item, cls):
        raise CatalogError(f"{kind}: expected {cls.__name__} objects, got {item!r}; "
                           f"use Catalog.from_names for plain names")
    return item


@dataclass(frozen=True)
class Catalog:
    """Messages x channels x timings, plus the no-contact action when ``no_contact``.

    Attributes:
        messages: the messages, in order.
        channels: the channels, in order.
        timings: the timing slots, in order.
        no_contact: whether *no contact* is an action (always the last index).
    """

    messages: tuple[Message, ...]
    channels: tuple[Channel, ...]
    timings: tuple[TimingSlot, ...]
    no_contact: bool = True
    _actions: tuple[Action, ...] = field(init=False, repr=False, compare=False)
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kind, cls in (("messages", Message), ("channels", Channel), ("timings", TimingSlot)):
            items = tuple(_as(kind, cls, x) for x in getattr(self, kind))
            _unique(kind, items)
            object.__setattr__(self, kind, items)
        if not isinstance(self.no_contact, bool):
            raise CatalogError(f"no_contact: expected true or false, got {self.no_contact!r}")
        actions = [Action(i, m, c, t) for i, (m, c, t) in enumerate(
            (m, c, t) for m in self.messages for c in self.channels for t in self.timings)]
        if self.no_contact:
            actions.append(Action(len(actions), None, None, None))
        object.__setattr__(self, "_actions", tuple(actions))
        object.__setattr__(self, "_index", self._build_index())

    def _build_index(self) -> dict:
        m, c, t = len(self.messages), len(self.channels), len(self.timings)
        grid = np.indices((m, c, t)).reshape(3, -1)
        pad = np.full((3, 1), -1) if self.no_contact else np.empty((3, 0), dtype=np.int64)
        idx = np.concatenate([grid, pad], axis=1).astype(np.int64)
        idx.setflags(write=False)  # views of it (the rows below) are read-only too
        return {"message": idx[0], "channel": idx[1], "timing": idx[2],
                "channel_by_name": {ch.name: i for i, ch in enumerate(self.channels)}}

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_names(cls, messages: Sequence[str | Message], channels: Sequence[str | Channel],
                   timings: Sequence[str | TimingSlot], no_contact: bool = True) -> Catalog:
        """A catalog from plain names (objects are taken as they are).

        A timing name is either one of :data:`DEFAULT_TIMINGS` (``now``, ``morning``, ``lunch``,
        ``afternoon``, ``evening``, ``weekend``) or itself a rule such as ``"in 2h"`` (then named
        ``in_2h``).

        Example:
            >>> Catalog.from_names(["m"], ["email"], ["in 2h"], no_contact=False).timings[0]
            TimingSlot(name='in_2h', rule='in 2h')
        """
        msgs = [m if isinstance(m, Message) else Message(m) for m in messages]
        chans = [c if isinstance(c, Channel) else Channel(c) for c in channels]
        return cls(tuple(msgs), tuple(chans), tuple(_timing_from_name(t) for t in timings),
                   no_contact)

    @classmethod
    def from_toml(cls, path: str | Path) -> Catalog:
        """The catalog of a TOML file (its ``[rules]`` and ``[engine]`` tables are not read:
        :func:`engine.config.load_config` reads the whole file).

        Raises:
            CatalogError: the file is malformed; the message names the file and the key.
        """
        return catalog_from_document(read_toml(path), str(path))

    # -- queries -------------------------------------------------------------------------------
    @property
    def actions(self) -> tuple[Action, ...]:
        """Every action, contact triples first, no contact last (when allowed)."""
        return self._actions

    @property
    def n_actions(self) -> int:
        """K, the number of actions."""
        return len(self._actions)

    @property
    def no_contact_index(self) -> int | None:
        """Index of the no-contact action, or None when the catalog has none."""
        return len(self._actions) - 1 if self.no_contact else None

    @property
    def action_message(self) -> np.ndarray:
        """(K,) int: message index of each action, -1 for no contact (read-only)."""
        return self._index["message"]

    @property
    def action_channel(self) -> np.ndarray:
        """(K,) int: channel index of each action, -1 for no contact (read-only)."""
        return self._index["channel"]

    @property
    def action_timing(self) -> np.ndarray:
        """(K,) int: timing index of each action, -1 for no contact (read-only)."""
        return self._index["timing"]

    def channel(self, name: str) -> Channel:
        """The channel called ``name``.

        Raises:
            CatalogError: no such channel; the message lists the known ones.
        """
        i = self._index["channel_by_name"].get(name)
        if i is None:
            known = ", ".join(c.name for c in self.channels)
            raise CatalogError(f"channel: expected one of {known}, got {name!r}")
        return self.channels[i]

    @property
    def version(self) -> str:
        """A stable content hash (16 hex digits): equal catalogs, equal versions.

        Example:
            >>> a = Catalog.from_names(["m"], ["email"], ["now"])
            >>> a.version == Catalog.from_names(["m"], ["email"], ["now"]).version
            True
            >>> a.version == Catalog.from_names(["m"], ["sms"], ["now"]).version
            False
        """
        content = {"messages": [m.content() for m in self.messages],
                   "channels": [asdict(c) for c in self.channels],
                   "timings": [asdict(t) for t in self.timings],
                   "no_contact": self.no_contact}
        blob = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.blake2b(blob, digest_size=8).hexdigest()


def _timing_from_name(item: str | TimingSlot) -> TimingSlot:
    if isinstance(item, TimingSlot):
        return item
    if not isinstance(item, str):
        raise CatalogError(f"timings: expected names or TimingSlot objects, got {item!r}")
    if item in DEFAULT_TIMINGS:
        return TimingSlot(item, DEFAULT_TIMINGS[item])
    try:
        parse_rule(item)
    except CatalogError:
        raise CatalogError(f"timings: expected one of {', '.join(DEFAULT_TIMINGS)} or a rule "
                           f"('at 09:00', 'in 2h', ...), got {item!r}") from None
    return TimingSlot(re.sub(r"[^A-Za-z0-9_.\-]+", "_", item.strip()), item)


# -- TOML ----------------------------------------------------------------------------------------
_TOP_KEYS = ("no_contact", "messages", "channels", "timings", "rules", "engine")


def _entries(where: str, doc: dict, key: str, cls: type) -> tuple:
    raw = doc.get(key)
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise CatalogError(f"{where}: [[{key}]]: expected an array of tables, got {raw!r}")
    allowed = [f.name for f in fields(cls) if not f.name.startswith("_")]
    out = []
    for i, entry in enumerate(raw):
        label = f"{where}: {key}[{i}]"
        unknown = sorted(set(entry) - set(allowed))
        if unknown:
            raise CatalogError(f"{label}: unknown key {unknown[0]!r}; expected one of "
                               f"{', '.join(allowed)}")
        if "name" not in entry:
            raise CatalogError(f"{label}: missing key 'name'")
        if cls is TimingSlot and "rule" not in entry:
            if entry["name"] not in DEFAULT_TIMINGS:
                raise CatalogError(f"{label}: missing key 'rule' (only "
                                   f"{', '.join(DEFAULT_TIMINGS)} have a default rule)")
            entry = {**entry, "rule": DEFAULT_TIMINGS[entry["name"]]}
        try:
            out.append(cls(**entry))
        except CatalogError as exc:
            raise CatalogError(f"{label}: {exc}") from None
    return tuple(out)


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed TOML document of a catalog file.

    Raises:
        CatalogError: unreadable or not TOML; the message names the file.
    """
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the catalog: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from None


def catalog_from_document(doc: dict[str, Any], where: str) -> Catalog:
    """The catalog of a parsed TOML document (``where`` names the file in errors).

    Raises:
        CatalogError: an unknown top-level key or a malformed entry; the message names the key.
    """
    unknown = sorted(set(doc) - set(_TOP_KEYS))
    if unknown:
        raise CatalogError(f"{where}: unknown key {unknown[0]!r}; expected one of "
                           f"{', '.join(_TOP_KEYS)}")
    try:
        return Catalog(_entries(where, doc, "messages", Message),
                       _entries(where, doc, "channels", Channel),
                       _entries(where, doc, "timings", TimingSlot),
                       doc.get("no_contact", True))
    except CatalogError as exc:
        msg = str(exc)
        raise CatalogError(msg if msg.startswith(where) else f"{where}: {msg}") from None
