"""The one check of customer and decision ids: what may be stored is what a URL can carry back.

A customer is erased over HTTP by ``DELETE /v1/customers/{id}``, so an id must survive the trip
through a URL path unchanged. It is 1 to :data:`MAX_ID_LENGTH` characters with

- no control character (C0, DEL, C1: ``\\n`` would end the route's match early, so
  ``victim%0A`` erased ``victim``), no line or paragraph separator (U+2028, U+2029) and no lone
  surrogate (not text: neither SQLite nor JSON encoders take it);
- no ``.`` or ``..`` path segment (``"."``, ``"a/../b"``): HTTP clients resolve those before
  sending, so such an id could never be named again.

``/`` itself is fine (``crm/42``: the route takes the rest of the path), as are spaces and any
other Unicode text. :data:`ID_PATTERN` says the same as a regular expression (for OpenAPI).

Example:
    >>> check_id("customer_id", "crm/42")
    'crm/42'
    >>> check_id("customer_id", "victim\\n")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    engine.errors.ContextError: customer_id: expected 1 to 256 characters without control
        characters, line separators or '.'/'..' path segments, got 'victim\\n'
"""

from __future__ import annotations

import re
from typing import Any

from engine.errors import ContextError

__all__ = ["ID_PATTERN", "MAX_ID_LENGTH", "check_id"]

MAX_ID_LENGTH = 256

_BAD = "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029"
_CHAR = f"[^{_BAD}/]"  # any character allowed inside a path segment
_NOT_DOT = f"[^{_BAD}/.]"
# A segment that is neither "." nor "..": empty, or starting with a non-dot, or "." then a
# non-dot, or ".." then anything more.
_SEGMENT = f"(?:{_NOT_DOT}{_CHAR}*|\\.{_NOT_DOT}{_CHAR}*|\\.\\.{_CHAR}+)?"
#: The id rule as a regular expression (Python and ECMA-262 read it alike), lengths aside.
ID_PATTERN = f"^{_SEGMENT}(?:/{_SEGMENT})*$"
_ID = re.compile(ID_PATTERN)
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_id(name: str, value: Any, error: type[Exception] = ContextError) -> str:
    """Return ``value`` if it is a valid id (see the module doc), else raise ``error``.

    Args:
        name: the field, as the caller knows it (``customer_id``, ``decision_id``).
        value: what came.
        error: the exception class to raise (an unknown decision id is a 404, a malformed
            customer id a 422).
    """
    if not (isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and _ID.fullmatch(value)
            and not _SURROGATE.search(value)):
        raise error(f"{name}: expected 1 to {MAX_ID_LENGTH} characters without control "
                    f"characters, line separators or '.'/'..' path segments, got {value!r:.80}")
    return value
