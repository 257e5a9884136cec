"""Checks on policy parameters, run at construction so a bad config fails before any decision.

Each check returns the value (converted) or raises :class:`PolicyConfigError` naming the policy,
the parameter, the expected range and the value given.

Example:
    >>> from policies.param_checks import check_range, check_seed
    >>> check_range("epsilon_greedy", "epsilon", 0.1, low=0.0, high=1.0)
    0.1
    >>> check_range("epsilon_greedy", "epsilon", 1.5, low=0.0, high=1.0)
    Traceback (most recent call last):
    ...
    policies.errors.PolicyConfigError: epsilon_greedy: epsilon must lie in [0.0, 1.0], got 1.5
    >>> int(check_seed(3).integers(10)) == int(check_seed(3).integers(10))
    True
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from policies.errors import PolicyConfigError

__all__ = ["check_choice", "check_int", "check_range", "check_seed"]


def check_range(policy: str, name: str, value: float, *, low: float | None = None,
                high: float | None = None, low_open: bool = False) -> float:
    """Return ``value`` as a float in [low, high] (or (low, high] with ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise PolicyConfigError(f"{policy}: {name} must be a number, got {value!r}")
    v = float(value)
    too_low = low is not None and (v <= low if low_open else v < low)
    too_high = high is not None and v > high
    if not math.isfinite(v) or too_low or too_high:
        left = "(" if low_open else "["
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise PolicyConfigError(f"{policy}: {name} must lie in {left}{lo}, {hi}], got {value!r}")
    return v


def check_int(policy: str, name: str, value: int, *, low: int = 0) -> int:
    """Return ``value`` as an int >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise PolicyConfigError(f"{policy}: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_choice(policy: str, name: str, value: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        raise PolicyConfigError(
            f"{policy}: {name} must be one of {', '.join(choices)}; got {value!r}"
        )
    return value


def check_seed(seed: int | np.random.Generator) -> np.random.Generator:
    """The policy's own generator: ``seed`` itself if it is one, else a new one from the int."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise PolicyConfigError(
            f"seed must be a non-negative int or a numpy Generator, got {seed!r}"
        )
    return np.random.default_rng(int(seed))
