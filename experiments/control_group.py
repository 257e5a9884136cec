"""The control group of a simulated run: which simulated customers get the holdout treatment.

Membership is the engine's own holdout hash (:func:`engine.holdout.holdout_mask`) of each
simulated customer's id, so a customer is held out in the lab exactly when the engine would hold
out a customer of that id: one hash, whichever policy runs and whichever seed, so lift compares
like with like. A simulated population is a few thousand ids that come back step after step, so
each id is hashed once and remembered.

Example:
    >>> import numpy as np
    >>> group = ControlGroup(0.1)
    >>> ids = np.arange(20_000)
    >>> round(float(group.mask(ids).mean()), 2)
    0.1
    >>> bool((group.mask(ids[:5]) == ControlGroup(0.1).mask(ids[:5])).all())
    True
"""

from __future__ import annotations

import numpy as np

from engine.holdout import holdout_mask

__all__ = ["ControlGroup"]


class ControlGroup:
    """Holdout membership of simulated customer ids, hashed once per id.

    Args:
        fraction: share of customers in the control group, in [0, 1].
        salt: changes who is in it (as the engine's ``holdout_salt``).
    """

    def __init__(self, fraction: float, salt: str = "") -> None:
        holdout_mask((), fraction)  # refuses a bad fraction now, not at the first step
        self.fraction, self.salt = fraction, salt
        self._known = np.zeros(0, dtype=np.int8)  # by id: 0 unknown, 1 treated, 2 control

    def mask(self, customer_ids: np.ndarray) -> np.ndarray:
        """(n,) bool: True for the ids in the control group.

        Args:
            customer_ids: (n,) non-negative integer ids.
        """
        ids = np.asarray(customer_ids, dtype=np.int64)
        if self.fraction <= 0.0 or ids.size == 0:
            return np.zeros(ids.size, dtype=bool)
        top = int(ids.max()) + 1
        if top > self._known.size:
            self._known = np.concatenate([self._known, np.zeros(top - self._known.size,
                                                                dtype=np.int8)])
        new = np.unique(ids[self._known[ids] == 0])
        if new.size:
            self._known[new] = 1 + holdout_mask(new.tolist(), self.fraction, self.salt)
        return self._known[ids] == 2
