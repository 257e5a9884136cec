"""Features: a context and a contact history become the learner's shared namespaces; an action's
attributes become its action namespaces. The interactions between them are declared here, once.

Namespaces (VW keys interactions on the first letter, so the letters differ):

- ``c`` (shared): the context's numbers, categories (strings) and lists of strings.
- ``h`` (shared): the contact history: contacts in the last 1 / 7 / 30 days, days since the last
  contact per channel (``log1p`` of the days, with a ``never_<channel>`` flag), last outcome.
- ``q`` (shared, with ``number_bins``): the quantile bin of each context number
  (``engine/number_bins.py``), a category per bin.
- ``m`` (action): message name, theme, offer type, discount, margin (or ``no_contact``).
- ``n`` (action): channel name and cost per send.
- ``t`` (action): timing slot name.
- ``a`` (action): the action's own identity (``message/channel/timing``), so that crossed with
  the context each action can also learn its own slope where the shared parts do not explain it.

Context limits (a larger context is refused with :class:`ContextError`): at most
:data:`MAX_CONTEXT_KEYS` keys, keys up to :data:`MAX_KEY_LENGTH` characters, strings up to
:data:`MAX_STRING_LENGTH`, lists up to :data:`MAX_LIST_LENGTH` strings, numbers within
+-:data:`MAX_CONTEXT_NUMBER` (Vowpal Wabbit keeps float32 weights: a feature of 1e30 wipes the
model), text without lone surrogates. The keys the rules read are checked here too, before
anything is decided: ``consent`` (channel -> true/false or 0/1), ``consent_<channel>`` (the same),
``segment`` (a string), ``tenure_days`` (a number), ``timezone``/``tz`` (an IANA name); each may
be null (not given).

Example:
    >>> from engine.catalog import Catalog
    >>> ctx = check_context({"age": 34, "segment": "vip", "consent": {"email": True}}, ["email"])
    >>> context_namespace(ctx)
    {'age': 34, 'segment': 'vip'}
    >>> cat = Catalog.from_names(["welcome10"], ["email"], ["now"])
    >>> action_feature_sets(cat)[0]["n"]
    {'ch': 'email', 'cost': 0.0}
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from engine.catalog import Action, Catalog
from engine.errors import ContextError
from engine.store import ContactHistory
from policies.number_check import check_number

__all__ = [
    "FEATURES_VERSION",
    "INTERACTIONS",
    "MAX_CONTEXT_KEYS",
    "MAX_CONTEXT_NUMBER",
    "MAX_KEY_LENGTH",
    "MAX_LIST_LENGTH",
    "MAX_STRING_LENGTH",
    "RULE_KEYS",
    "action_feature_sets",
    "catalog_interactions",
    "check_context",
    "context_namespace",
    "history_namespace",
    "shared_features",
    "timezones",
]

#: Bumped whenever this module changes what the learner sees: old checkpoints are then refused.
FEATURES_VERSION = "3"

#: Namespace pairs the learner crosses: the context and the history against the message, the
#: channel and the timing; message x channel and channel x timing, so a triple's value is more
#: than the sum of its parts; and the context against the action's identity (a per-action
#: slope). ``benchmarks/bench_engine_learning.py`` measured each to help on the simulator
#: (``mn`` + ``nt``: capture 0.11 -> 0.33 at 20,000 decisions; ``ca``: 0.39 -> 0.55 at 50,000);
#: message x timing and triples did not. The one place interactions are declared.
INTERACTIONS: tuple[str, ...] = ("cm", "cn", "ct", "hm", "hn", "ht", "mn", "nt", "ca")

MAX_CONTEXT_KEYS = 200
MAX_KEY_LENGTH = 64
MAX_STRING_LENGTH = 256
MAX_LIST_LENGTH = 64
#: The largest magnitude of a context number. Measured (a VW learner fed 2,000 decisions with
#: features of +-X): 1e18 still learns, 1e30 leaves every weight at zero, 1e39 (past float32)
#: makes SquareCB's probabilities NaN. 1e15 keeps a margin and still takes epoch milliseconds.
MAX_CONTEXT_NUMBER = 1e15
_SURROGATE = re.compile("[\ud800-\udfff]")

#: Context keys read by the contact rules only, never learned from.
RULE_KEYS = frozenset({"consent", "timezone", "tz"})


def check_context(context: Any, channels: Sequence[str]) -> dict[str, Any]:
    """Validate a context handed to ``choose`` and return it as a plain dict.

    Args:
        context: a mapping of str keys to numbers, bools, strings, lists of strings or None; the
            keys the rules read have their own types (see the module doc).
        channels: the catalog's channel names (``consent`` may only name these).

    Raises:
        ContextError: the message names the field, the expected and the actual value.

    Example:
        >>> check_context({"age": float("nan")}, ["email"])
        Traceback (most recent call last):
        ...
        engine.errors.ContextError: context.age: expected a number in [-1e+15, 1e+15], got nan
    """
    if not isinstance(context, Mapping):
        raise ContextError(f"context: expected a mapping (JSON object), got "
                           f"{type(context).__name__}")
    if len(context) > MAX_CONTEXT_KEYS:
        raise ContextError(f"context: expected at most {MAX_CONTEXT_KEYS} keys, got "
                           f"{len(context)}")
    rule_flags = {f"consent_{ch}" for ch in channels}
    out: dict[str, Any] = {}
    for key, value in context.items():
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH or _text_bad(key):
            raise ContextError(f"context key: expected a string of 1 to {MAX_KEY_LENGTH} "
                               f"characters, got {key!r:.80}")
        if value is None:
            pass
        elif key == "consent":
            _check_consent(value, channels)
        elif key in rule_flags and not _is_flag(value):
            raise ContextError(f"context.{key}: expected true/false or 0/1, got {value!r:.80}")
        elif key in _RULE_TYPES:
            _RULE_TYPES[key](f"context.{key}", value)
        elif not _plain(value):
            _check_value(f"context.{key}", value)
        out[key] = value
    return out


def _text_bad(text: str) -> bool:
    return _SURROGATE.search(text) is not None  # not text: VW and SQLite refuse it


def _plain(value: Any) -> bool:
    """The common, valid case, checked fast: a finite number, a bool or a short string. (Every
    other value goes through :func:`_check_value`, which also words the errors.)"""
    t = type(value)
    if t is float or t is int:
        return -MAX_CONTEXT_NUMBER <= value <= MAX_CONTEXT_NUMBER  # False for NaN too
    return t is bool or (t is str and len(value) <= MAX_STRING_LENGTH and not _text_bad(value))


def _check_consent(value: Any, channels: Sequence[str]) -> None:
    if not isinstance(value, Mapping):
        raise ContextError(f"context.consent: expected a mapping channel -> true/false, got "
                           f"{type(value).__name__}")
    for ch, flag in value.items():
        if ch not in channels:
            raise ContextError(f"context.consent.{ch}: expected a channel of the catalog "
                               f"({', '.join(channels)}), got {ch!r:.80}")
        if not _is_flag(flag):
            raise ContextError(f"context.consent.{ch}: expected true/false or 0/1, got "
                               f"{flag!r:.80}")


def _is_flag(value: Any) -> bool:
    """True, false, 0 or 1 (as the rules read a consent; JSON Schema's ``enum`` alike)."""
    return isinstance(value, bool) or (isinstance(value, int | float) and value in (0, 1))


def _check_number(field: str, value: Any) -> None:
    check_number(field, value, low=-MAX_CONTEXT_NUMBER, high=MAX_CONTEXT_NUMBER,
                 error=ContextError)


def _check_string(field: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ContextError(f"{field}: expected a string, got {type(value).__name__}")
    if len(value) > MAX_STRING_LENGTH:
        raise ContextError(f"{field}: expected a string of at most {MAX_STRING_LENGTH} "
                           f"characters, got {len(value)}")
    if _text_bad(value):
        raise ContextError(f"{field}: expected text, got a lone surrogate in {value!r:.80}")


@cache
def timezones() -> frozenset[str]:
    """The IANA names a context's ``timezone`` / ``tz`` may take: this machine's tz database,
    read once (it scans the database, about 0.2 s)."""
    return frozenset(available_timezones())


def _check_timezone(field: str, value: Any) -> None:
    # Membership, never a lookup by the caller's string: the tz database is a folder of files.
    if not isinstance(value, str) or value not in timezones():
        raise ContextError(f"{field}: expected an IANA name like 'Europe/Paris', got "
                           f"{value!r:.80}")


#: The context keys the rules read, with their check (each may also be None: not given).
_RULE_TYPES = {"segment": _check_string, "tenure_days": _check_number,
               "timezone": _check_timezone, "tz": _check_timezone}


def _check_value(field: str, value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        _check_number(field, value)
        return
    if isinstance(value, str):
        _check_string(field, value)
        return
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST_LENGTH:
            raise ContextError(f"{field}: expected a list of at most {MAX_LIST_LENGTH} items, "
                               f"got {len(value)}")
        for item in value:
            if not isinstance(item, str) or len(item) > MAX_STRING_LENGTH or _text_bad(item):
                raise ContextError(f"{field}: expected a list of strings (each at most "
                                   f"{MAX_STRING_LENGTH} characters), got an item {item!r:.80}")
        return
    raise ContextError(f"{field}: expected a number, bool, string or list of strings, got "
                       f"{type(value).__name__}")


def context_namespace(context: Mapping[str, Any]) -> dict[str, Any]:
    """The learner's ``c`` namespace: a checked context minus rule-only keys and Nones.

    ``consent``, ``consent_<channel>``, ``timezone`` and ``tz`` steer the rules, not the learner.
    """
    return {k: v for k, v in context.items()
            if v is not None and k not in RULE_KEYS and not k.startswith("consent_")}


def history_namespace(history: ContactHistory | None, channels: Sequence[str]
                      ) -> dict[str, Any]:
    """The learner's ``h`` namespace from a contact history (None = never contacted).

    Example:
        >>> history_namespace(None, ["email"])  # doctest: +NORMALIZE_WHITESPACE
        {'contacts_1d': 0, 'contacts_7d': 0, 'contacts_30d': 0, 'never_email': True,
         'no_outcome': True}
    """
    h = history or ContactHistory()
    out: dict[str, Any] = {"contacts_1d": h.contacts_1d, "contacts_7d": h.contacts_7d,
                           "contacts_30d": h.contacts_30d}
    days = h.days_since_last_by_channel
    for ch in channels:
        d = days.get(ch, math.inf)
        if math.isfinite(d):
            out[f"log_days_{ch}"] = math.log1p(max(d, 0.0))  # days matter less the older
        else:
            out[f"never_{ch}"] = True
    if h.last_outcome is None:
        out["no_outcome"] = True
    else:
        out["last_outcome"] = float(h.last_outcome)
    return out


def shared_features(context_ns: Mapping[str, Any], history_ns: Mapping[str, Any],
                    bins: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The shared feature set ``{"c": ..., "h": ...}``, and ``"q"`` when numbers are binned."""
    out = {"c": dict(context_ns), "h": dict(history_ns)}
    if bins:
        out["q"] = dict(bins)
    return out


def _action_set(action: Action) -> dict[str, dict[str, Any]]:
    if (triple := action.triple) is None:
        return {"m": {"no_contact": True}, "a": {"id": action.name}}
    m, c, t = triple
    return {"m": {"msg": m.name, "theme": m.theme, "offer": m.offer_type,
                  "discount": m.discount, "margin": m.margin},
            "n": {"ch": c.name, "cost": c.cost},
            "t": {"tm": t.name},
            "a": {"id": action.name}}


def action_feature_sets(catalog: Catalog, prune: bool = True) -> list[dict[str, dict[str, Any]]]:
    """One action feature set (namespaces ``m``, ``n``, ``t``, ``a``) per catalog action, in
    order. A feature with the same value for every contact action (every message's theme
    ``general``, say) is left out: it cannot rank actions, and crossed with the context it
    would only repeat the context's own weights (``prune=False`` keeps every feature).

    Example:
        >>> cat = Catalog.from_names(["a", "b"], ["web"], ["now"], no_contact=False)
        >>> action_feature_sets(cat)[1]
        {'m': {'msg': 'b'}, 'n': {}, 't': {}, 'a': {'id': 'b/web/now'}}
    """
    sets = [_action_set(a) for a in catalog.actions]
    contact = [s for s, a in zip(sets, catalog.actions, strict=True) if a.triple is not None]
    if not prune or len(contact) < 2:
        return sets
    same = {(ns, k) for ns, feats in contact[0].items() for k, v in feats.items()
            if all(other.get(ns, {}).get(k) == v for other in contact[1:])}
    return [{ns: {k: v for k, v in feats.items() if (ns, k) not in same}
             for ns, feats in s.items()} for s in sets]


def catalog_interactions(catalog: Catalog, interactions: Sequence[str]) -> tuple[str, ...]:
    """``interactions`` less the terms this catalog makes useless.

    An action namespace whose features are the same for every action cannot tell actions apart
    (one channel: ``n``; one timing: ``t``), and two action namespaces that split the actions the
    same way (``m`` and ``a`` when there is one channel and one timing) learn the same slopes
    twice, which doubles their step and hurts (cbify on digits, squarecb: 0.75 with the nine
    terms, 0.87 with ``ca`` alone; docs/engine.md). So each term that crosses such a namespace is
    dropped, keeping the first of two that split the actions alike (in the order ``m n t a``).
    Catalogs where every namespace varies and none repeats another keep every term.

    Example:
        >>> cbify = Catalog.from_names(["d0", "d1", "d2"], ["web"], ["now"], no_contact=False)
        >>> catalog_interactions(cbify, ("cm", "cn", "ct", "hm", "mn", "nt", "ca"))
        ('cm', 'hm')
        >>> full = Catalog.from_names(["a", "b"], ["email", "sms"], ["now", "morning"])
        >>> catalog_interactions(full, INTERACTIONS) == INTERACTIONS
        True
    """
    sets = action_feature_sets(catalog)
    useless: set[str] = set()
    seen: list[tuple[str, tuple[int, ...]]] = []
    for ns in "mnta":
        keys = [repr(sorted(a.get(ns, {}).items())) for a in sets]
        first = {k: i for i, k in reversed(list(enumerate(keys)))}
        partition = tuple(first[k] for k in keys)  # which action each one looks like
        if len(first) == 1 or any(partition == p for _, p in seen):
            useless.add(ns)
        else:
            seen.append((ns, partition))
    return tuple(t for t in interactions if not useless & set(t[1:] if t[0] in "chq" else t))
