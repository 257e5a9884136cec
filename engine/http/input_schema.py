"""What the engine accepts, written as JSON Schema for the OpenAPI document.

The pydantic models (``engine.http.schemas``) check each body's shape and types; the engine
checks the values (one validator, so the HTTP service and in-process callers cannot disagree).
This module writes the engine's limits into the document from the same constants and settings
the engine reads, so that the document is the contract: ids (``engine.ids``), the context
(``engine.features``, the catalog's channels), the reward range and the window of accepted
times (``engine.options``, the engine's clock).

Example:
    >>> value_schema((-1.0, 1.0))
    {'type': 'number', 'minimum': -1.0, 'maximum': 1.0}
    >>> sorted(context_schema(["email"])["properties"])
    ['consent', 'consent_email', 'segment', 'tenure_days', 'timezone', 'tz']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.features import (
    MAX_CONTEXT_KEYS,
    MAX_CONTEXT_NUMBER,
    MAX_KEY_LENGTH,
    MAX_LIST_LENGTH,
    MAX_STRING_LENGTH,
    timezones,
)
from engine.ids import ID_PATTERN, MAX_ID_LENGTH

__all__ = ["context_schema", "id_schema", "now_schema", "timezone_schema", "value_schema"]

_NULL = {"type": "null"}


def id_schema() -> dict[str, Any]:
    """A customer or decision id (see ``engine.ids``)."""
    return {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH, "pattern": ID_PATTERN}


def _number() -> dict[str, Any]:
    return {"type": "number", "minimum": -MAX_CONTEXT_NUMBER, "maximum": MAX_CONTEXT_NUMBER}


def _string() -> dict[str, Any]:
    return {"type": "string", "maxLength": MAX_STRING_LENGTH}


def _flag(nullable: bool) -> dict[str, Any]:
    return {"enum": [False, True, 0, 1, *([None] if nullable else [])]}


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, _NULL]}


def context_schema(channels: Sequence[str]) -> dict[str, Any]:
    """The ``context`` object: its limits, and the types of the keys the rules read."""
    any_value = {"anyOf": [_number(), {"type": "boolean"}, _string(),
                           {"type": "array", "maxItems": MAX_LIST_LENGTH, "items": _string()},
                           _NULL]}
    consent = {"type": "object", "properties": {ch: _flag(False) for ch in channels},
               "additionalProperties": False}
    zone = _or_null(timezone_schema())
    return {
        "type": "object", "maxProperties": MAX_CONTEXT_KEYS,
        "propertyNames": {"minLength": 1, "maxLength": MAX_KEY_LENGTH},
        "properties": {"consent": _or_null(consent),
                       **{f"consent_{ch}": _flag(True) for ch in channels},
                       "segment": _or_null(_string()), "tenure_days": _or_null(_number()),
                       "timezone": zone, "tz": zone},
        "additionalProperties": any_value,
        "description": "Numbers (within +-1e15), booleans, strings, lists of strings or null. "
                       "The rules read consent (channel -> true/false or 0/1), consent_<channel>, "
                       "segment, tenure_days and timezone/tz (an IANA name); null means not "
                       "given.",
        "examples": [{"age": 34, "segment": "vip", "consent": dict.fromkeys(channels[:1], True)}],
    }


def timezone_schema() -> dict[str, Any]:
    """An IANA name of this server's tz database (about 600). Written as one alternation rather
    than an ``enum``: schema-driven tools (schemathesis's coverage phase) walk an enum value by
    value, which for two keys made 2,400 of a run's 2,900 requests."""
    names = "|".join(name.replace("+", "\\+") for name in sorted(timezones()))
    return {"type": "string", "pattern": f"^(?:{names})$",
            "description": "An IANA timezone name, e.g. Europe/Paris."}


def value_schema(reward_range: tuple[float, float]) -> dict[str, Any]:
    """A reward's ``value``: a number within the engine's ``reward_range``."""
    return {"type": "number", "minimum": reward_range[0], "maximum": reward_range[1]}


def now_schema(window: tuple[float, float]) -> dict[str, Any]:
    """A caller's ``now``: above ``window[0]``, at most ``window[1]`` (as of this document)."""
    low, high = window
    return {"anyOf": [{"type": "number", "exclusiveMinimum": low, "maximum": high}, _NULL],
            "default": None,
            "description": "Decision time, Unix seconds (UTC); the server's clock when absent. "
                           "It must lie within the engine's max_clock_lag before the server's "
                           "clock and max_clock_skew after it: the bounds shown are those of the "
                           "moment this document was served."}
