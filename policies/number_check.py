"""The one check that a configured or received number is a real, finite number in its range.

Every room below the lab validates numbers with it (engine options, catalog attributes, contexts,
rewards, policy parameters), each raising its own error class, so the wording is one:
``"<field>: expected <what>, got <value>"``. ``bool`` is refused (``True`` is not a number here,
whatever Python says) and so are NaN and the infinities.

Example:
    >>> check_number("epsilon", 0.1, low=0.0, high=1.0)
    0.1
    >>> check_number("reward", float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: reward: expected a finite number, got nan
    >>> check_number("batch", True, integer=True, low=1)
    Traceback (most recent call last):
    ...
    ValueError: batch: expected an integer >= 1, got True
    >>> check_number("age", 10**400)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: age: expected a finite number, got 1000000000000000000...
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_number"]


def _wanted(low: float | None, high: float | None, low_open: bool, integer: bool) -> str:
    kind = "an integer" if integer else "a number" if (low, high) != (None, None) else \
        "a finite number"
    if low is not None and high is not None:
        return f"{kind} in {'(' if low_open else '['}{low:g}, {high:g}]"
    if low is not None:
        return f"{kind} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{kind} <= {high:g}"
    return kind


def check_number(field: str, value: Any, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, integer: bool = False,
                 error: type[Exception] = ValueError) -> Any:
    """Return ``value`` (a float, or an int with ``integer``) if it is a finite number in range.

    Args:
        field: what the number is, as the caller's user knows it (``"context.age"``).
        value: the value to check.
        low, high: inclusive bounds (``low_open`` makes ``low`` exclusive); None = unbounded.
        integer: require an integer (``1.0`` is refused).
        error: the exception class to raise (the caller room's own).

    Raises:
        error: ``"<field>: expected <what>, got <value>"``.
    """
    ok = not isinstance(value, bool) and isinstance(
        value, numbers.Integral if integer else numbers.Real)
    if ok:
        try:
            v = int(value) if integer else float(value)
            ok = (math.isfinite(v) and (low is None or (v > low if low_open else v >= low))
                  and (high is None or v <= high))
        except OverflowError:  # an integer too large for a float (a 401-digit JSON number)
            ok = False
    if not ok:
        raise error(f"{field}: expected {_wanted(low, high, low_open, integer)}, got "
                    f"{value!r:.80}")
    return v
