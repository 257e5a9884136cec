"""The one protocol every policy implements: batch-first ``act`` and ``learn``.

Shapes: ``contexts`` is (n, d) float, ``eligible`` is (n, K) bool (True where the action may be
played), ``actions`` is (n,) int, ``probabilities`` is (n,) float (the probability with which the
policy played the chosen action, needed by off-policy evaluation), ``rewards`` is (n,) float.

Two declared extensions of the protocol, checked with ``isinstance`` (never by attribute lookup):

- :class:`SeesTruth`: a policy that must be shown the truth (only the oracle). A runner calls
  ``see_expected(expected)`` with the (n, K) expected rewards of a batch right before ``act``.
- :class:`ActsByCustomer`: a policy that needs the customers' ids and the clock, and learns each
  decision by the reference the runner gave it (the whole engine, run as a policy by the lab).
- :class:`RunsABTest`: a policy that runs an A/B test before rolling out a winner (best fixed
  action, segment rules); ``in_test(contexts)`` says which rows the running test would decide,
  so a runner can report whether the test ever finished.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["ActsByCustomer", "Policy", "RunsABTest", "SeesTruth"]


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


@runtime_checkable
class SeesTruth(Protocol):
    """A policy that must be shown each batch's expected rewards before acting (the oracle)."""

    def see_expected(self, expected: np.ndarray) -> None:
        """Remember the (n, K) expected rewards of the batch about to be acted on."""
        ...


@runtime_checkable
class ActsByCustomer(Protocol):
    """A policy that decides per customer id at a clock time and learns by decision reference."""

    def act_customers(self, contexts: np.ndarray, eligible: np.ndarray, customer_ids: np.ndarray,
                      clock_hours: float, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Like ``act``, for the customers ``customer_ids`` at ``clock_hours``; ``refs`` (n,)
        name the decisions for :meth:`learn_refs`."""
        ...

    def learn_refs(self, refs: np.ndarray, rewards: np.ndarray, clock_hours: float) -> None:
        """Learn the matured rewards (n,) of the decisions ``refs`` (n,)."""
        ...


@runtime_checkable
class RunsABTest(Protocol):
    """A policy that explores uniformly in an A/B test, then plays the test's winner."""

    def in_test(self, contexts: np.ndarray) -> np.ndarray:
        """(n,) bool: True where the row would be decided by the running test (uniformly at
        random) rather than by the rolled-out winner."""
        ...
