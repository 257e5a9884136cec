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
    policies.errors.PolicyConfigError: epsilon_greedy: epsilon: expected a number in [0, 1], got 1.5
    >>> int(check_seed(3).integers(10)) == int(check_seed(3).integers(10))
    True
"""

from __future__ import annotations

import numbers

import numpy as np

from policies.errors import PolicyConfigError
from policies.number_check import check_number

__all__ = ["check_choice", "check_int", "check_range", "check_seed"]


def check_range(policy: str, name: str, value: float, *, low: float | None = None,
                high: float | None = None, low_open: bool = False) -> float:
    """Return ``value`` as a float in [low, high] (or (low, high] with ``low_open``)."""
    return check_number(f"{policy}: {name}", value, low=low, high=high, low_open=low_open,
                        error=PolicyConfigError)


def check_int(policy: str, name: str, value: int, *, low: int = 0) -> int:
    """Return ``value`` as an int >= ``low``."""
    return check_number(f"{policy}: {name}", value, low=low, integer=True,
                        error=PolicyConfigError)


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
