"""The difference of two policies' values, estimated progressively on the same logged rows.

Two target policies scored on one live log share most of their estimation noise: the same
logged actions, propensities and rewards enter both. Each value's interval carries that noise in
full, so comparing two intervals (one's lower bound against the other's upper bound) throws away
what the rows have in common. Here each row contributes the *difference* of its two per-row
terms (IPS: ``(pi_b(a) - pi_a(a)) / p * r``; DR: ``(pi_b - pi_a) . q + (pi_b(a) - pi_a(a)) / p *
(r - q(a))``, with one reward model ``q`` for both: each action's running mean reward over the
pair's rows before), and the interval is that of the mean difference: where the two targets
agree, the row adds nothing to the spread. The control-variate DR (:mod:`ope.estimators.dr_cv`)
of the difference is kept beside them; the engine's switch rule reads it by default.

DR's and IPS's per-row terms are linear in the target's distribution, so the difference is the
estimate of the signed "distribution" ``pi_b - pi_a``: :class:`PairedDifference` is a
:class:`~ope.estimators.progressive.ProgressiveValue` fed that difference, with its blocks,
``since`` and state. Its results' ``ess`` and ``max_weight`` describe the signed weight
differences, not a policy's weights (read ``value``, ``ci`` and ``n``).

Example:
    >>> import numpy as np
    >>> d = PairedDifference(n_actions=2)
    >>> for i in range(400):
    ...     a = i % 2                     # a uniform logger; action 1 pays 1, action 0 pays 0
    ...     d.add(i + 1, a, 0.5, float(a), target=np.array([0.1, 0.9]),
    ...           reference=np.array([0.5, 0.5]))
    >>> r = d.results()["dr"]
    >>> round(r.value, 2), r.ci[0] > 0, r.n   # 0.9 - 0.5 of the paying action
    (0.4, True, 400)
    >>> PairedDifference.from_state(d.to_state()).results()["dr"].value == r.value
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ope.estimators.progressive import ProgressiveValue
from ope.estimators.result import OPEResult

__all__ = ["PairedDifference"]


class PairedDifference:
    """Progressive IPS and DR of ``target - reference`` on the rows both are scored on.

    Args:
        n_actions: K, the catalog's actions.
        block_rows: rows per block (the granularity of ``since`` in :meth:`results`).
        max_blocks: blocks kept apart; older ones are merged into the first.
    """

    def __init__(self, n_actions: int, block_rows: int = 1000, max_blocks: int = 64) -> None:
        self._value = ProgressiveValue(n_actions, block_rows, max_blocks)

    @property
    def n(self) -> int:
        """Rows added so far."""
        return self._value.n

    def add(self, seq: int, action: int, propensity: float, reward: float,
            target: np.ndarray, reference: np.ndarray) -> None:
        """One logged decision (sequence numbers increasing): the logged action, its logged
        propensity in (0, 1], the reward, and both policies' (K,) distributions, each taken
        before that policy learned the decision."""
        self._value.add(seq, action, propensity, reward,
                        np.asarray(target, dtype=np.float64)
                        - np.asarray(reference, dtype=np.float64))

    def correct(self, seq: int, reward: float) -> bool:
        """Give the decision added as row ``seq`` the reward ``reward`` in place of its old one,
        both distributions as they were scored (:meth:`ProgressiveValue.correct`); False when
        the row is no longer kept."""
        return self._value.correct(seq, reward)

    def kept_rows(self) -> dict[str, np.ndarray]:
        """The rows :meth:`correct` can still replace (:meth:`ProgressiveValue.kept_rows`)."""
        return self._value.kept_rows()

    def restore_kept_rows(self, arrays: dict[str, np.ndarray]) -> None:
        """Keep the rows :meth:`kept_rows` gave (:meth:`ProgressiveValue.restore_kept_rows`)."""
        self._value.restore_kept_rows(arrays)

    def results(self, since: int = 0, alpha: float = 0.05) -> dict[str, OPEResult] | None:
        """``{"ips": ..., "dr": ...}`` of ``target - reference`` over the rows of the blocks
        that start at or after ``since``; None before any such row."""
        return self._value.results(since, alpha)

    def to_state(self) -> dict[str, Any]:
        """Every number of the estimate, JSON-ready."""
        return self._value.to_state()

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PairedDifference:
        """The estimate :meth:`to_state` wrote."""
        out = cls.__new__(cls)
        out._value = ProgressiveValue.from_state(state)
        return out
