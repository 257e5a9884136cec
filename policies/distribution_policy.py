"""The common skeleton of our policies: check the batch, compute the (n, K) distribution, sample.

A policy that subclasses :class:`DistributionPolicy` writes only ``_distribution`` (the (n, K)
probabilities it would sample from) and ``_learn``. ``act`` samples from exactly that
distribution with the policy's own generator, so the logged probability of every decision equals
``action_probabilities`` at the chosen action: off-policy evaluation can trust it.

Example:
    >>> import numpy as np
    >>> from policies.problem import Problem
    >>> from policies.distribution_policy import DistributionPolicy
    >>> from policies.sampling import uniform_distribution
    >>> class FirstEligible(DistributionPolicy):
    ...     name = "first"
    ...     def _distribution(self, contexts, eligible):
    ...         return uniform_distribution(np.cumsum(eligible, axis=1) == 1)
    ...     def _learn(self, contexts, actions, probabilities, rewards):
    ...         pass
    >>> p = Problem(("x",), ("a", "b"), np.eye(2), ("is_a", "is_b"))
    >>> FirstEligible(p, seed=0).act(np.zeros((1, 1)), np.array([[False, True]]))
    (array([1]), array([1.]))
"""

from __future__ import annotations

import inspect
from typing import Any, Self

import numpy as np

from policies.batch_checks import check_decision_batch, check_learn_batch
from policies.errors import PolicyConfigError
from policies.param_checks import check_seed
from policies.problem import Problem
from policies.sampling import sample_actions

__all__ = ["DistributionPolicy"]


class DistributionPolicy:
    """Base of every policy in this package; implements the :class:`~policies.base.Policy`
    protocol around two hooks.

    Args:
        problem: the decision problem (context columns and actions).
        seed: an int, or a numpy Generator the policy then owns.

    Attributes:
        name: the policy's short name (as in the registry).
        params: the validated parameters, enough with ``name`` and a seed to rebuild the policy.
    """

    name: str = "distribution"

    def __new__(cls, *args: Any, **params: Any) -> Self:
        # Refuse unknown parameters with the project's error, not Python's TypeError, whether
        # the policy is built directly or through the registry.
        accepted = cls.parameter_names()
        unknown = sorted(set(params) - set(accepted) - {"problem", "seed"})
        if unknown:
            raise PolicyConfigError(
                f"{cls.name}: unknown parameter(s) {', '.join(unknown)}; "
                f"accepted: {', '.join(accepted) or 'none'}"
            )
        return super().__new__(cls)

    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """The keyword-only parameters of the constructor, beyond problem and seed."""
        sig = inspect.signature(cls.__init__)
        return tuple(p.name for p in sig.parameters.values()
                     if p.kind is inspect.Parameter.KEYWORD_ONLY)

    def __init__(self, problem: Problem, seed: int | np.random.Generator) -> None:
        if not isinstance(problem, Problem):
            raise PolicyConfigError(
                f"{self.name}: problem must be a policies.Problem, got {type(problem).__name__}"
            )
        self.problem = problem
        self._rng = check_seed(seed)
        self.params: dict[str, Any] = {}

    def act(self, contexts: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Choose one eligible action per row.

        Args:
            contexts: (n, d) float array.
            eligible: (n, K) bool array; every row has at least one True.

        Returns:
            actions (n,) int64 and the probability (n,) float64 of each chosen action.
        """
        probs = self.action_probabilities(contexts, eligible)
        actions = sample_actions(probs, self._rng)
        return actions, probs[np.arange(probs.shape[0]), actions]

    def action_probabilities(self, contexts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """The (n, K) distribution ``act`` samples from: rows sum to 1, zero where not eligible."""
        x, e = check_decision_batch(contexts, eligible, self.problem.context_dim,
                                    self.problem.n_actions)
        if x.shape[0] == 0:
            return np.zeros((0, self.problem.n_actions))
        return self._distribution(x, e)

    def learn(self, contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
              rewards: np.ndarray) -> None:
        """Update from a batch of (context (n, d), action (n,), logged probability (n,), reward
        (n,)) rows. A bad batch raises :class:`~policies.errors.PolicyInputError` and changes
        nothing."""
        batch = check_learn_batch(contexts, actions, probabilities, rewards,
                                  self.problem.context_dim, self.problem.n_actions)
        if batch[0].shape[0]:
            self._learn(*batch)

    def _distribution(self, contexts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _learn(self, contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
               rewards: np.ndarray) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"
