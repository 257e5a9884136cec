"""Who is in the holdout: a stable hash of the customer id, the same in every cell and run.

The same customer is in (or out of) the holdout whichever policy runs and whichever seed, so
lift compares like with like. The hash is splitmix64's finaliser, vectorised over the ids.

Example:
    >>> import numpy as np
    >>> ids = np.arange(100_000)
    >>> round(float(in_holdout(ids, 0.1).mean()), 2)
    0.1
    >>> bool((in_holdout(ids[:5], 0.1) == in_holdout(ids[:5], 0.1)).all())
    True
"""

from __future__ import annotations

import numpy as np

__all__ = ["in_holdout"]

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def in_holdout(customer_ids: np.ndarray, fraction: float, salt: int = 0) -> np.ndarray:
    """(n,) bool: True for the customers who get the control treatment.

    Args:
        customer_ids: (n,) non-negative integer ids.
        fraction: share of customers in the holdout, in [0, 1].
        salt: changes who is in the holdout.
    """
    if fraction <= 0.0:
        return np.zeros(len(customer_ids), dtype=bool)
    with np.errstate(over="ignore"):  # wrap-around multiplication is the hash
        z = np.asarray(customer_ids, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15 + salt)
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53) < fraction
