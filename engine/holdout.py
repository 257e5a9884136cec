"""Holdout membership: a stable hash of the customer id, the same in every process and release.

Python's ``hash()`` is salted per process, so it would move customers in and out of the holdout on
every restart; blake2b of the UTF-8 id does not.

Example:
    >>> in_holdout("customer-42", 0.0), in_holdout("customer-42", 1.0)
    (False, True)
    >>> in_holdout("customer-42", 0.5), in_holdout("customer-42", 0.8)  # the same everywhere
    (False, True)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from engine.errors import ConfigError
from policies.number_check import check_number

__all__ = ["holdout_mask", "holdout_score", "in_holdout"]

_SCALE = float(2**64)


def holdout_score(customer_id: str, salt: str = "") -> float:
    """A uniform number in [0, 1) fixed by ``salt`` and ``customer_id``.

    Example:
        >>> holdout_score("customer-42")  # pinned: a new hash would move running experiments
        0.7963085126585834
    """
    digest = hashlib.blake2b(f"{salt}\x00{customer_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def in_holdout(customer_id: str, fraction: float, salt: str = "") -> bool:
    """Whether the customer belongs to the holdout (control) group.

    Args:
        customer_id: the customer.
        fraction: share of customers in the holdout, in [0, 1].
        salt: changes the draw (a new experiment gets a new holdout).

    Raises:
        ConfigError: ``fraction`` is not a number in [0, 1].
    """
    _check_fraction(fraction)
    return holdout_score(customer_id, salt) < fraction


def holdout_mask(customer_ids: Iterable[object], fraction: float, salt: str = "") -> np.ndarray:
    """(n,) bool: :func:`in_holdout` of each id's ``str()`` (integer ids of a simulation too).

    Example:
        >>> holdout_mask([1, 2, 3], 0.0).tolist(), holdout_mask(["a"], 1.0).tolist()
        ([False, False, False], [True])
    """
    _check_fraction(fraction)
    return np.fromiter((holdout_score(str(c), salt) < fraction for c in customer_ids),
                       dtype=bool)


def _check_fraction(fraction: float) -> None:
    check_number("holdout_fraction", fraction, low=0.0, high=1.0, error=ConfigError)
