"""The one protocol every policy implements: batch-first ``act`` and ``learn``.

Shapes: ``contexts`` is (n, d) float, ``eligible`` is (n, K) bool (True where the action may be
played), ``actions`` is (n,) int, ``probabilities`` is (n,) float (the probability with which the
policy played the chosen action, needed by off-policy evaluation), ``rewards`` is (n,) float.

Policies that must see the truth (only the oracle) set the class attribute ``needs_truth = True``
and have ``see_expected(expected)``: a runner calls it with the (n, K) expected rewards of a batch
right before ``act`` on that batch. Every other policy has ``needs_truth = False``; a runner reads
it with ``getattr(policy, "needs_truth", False)``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Policy"]


@runtime_checkable
class Policy(Protocol):
    """Anything that chooses actions for a batch of customers and learns from rewards."""

    name: str

    def act(self, contexts: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Choose one eligible action per row.

        Args:
            contexts: (n, d) float array.
            eligible: (n, K) bool array; every row has at least one True.

        Returns:
            actions (n,) int64 and the probability (n,) float64 of each chosen action.
        """
        ...

    def action_probabilities(self, contexts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """The full (n, K) distribution the policy would sample from (rows sum to 1, zero where
        not eligible). Off-policy evaluation uses it as ``target_probs``."""
        ...

    def learn(self, contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
              rewards: np.ndarray) -> None:
        """Update from a batch of (context, action, logged probability, reward) rows."""
        ...
