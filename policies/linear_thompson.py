"""Linear Thompson sampling on a joint linear model of context x action features.

The posterior of the shared ridge regression (:class:`~policies.joint_ridge.JointRidge`) is
``N(theta, (scale * sigma)^2 A^-1)``, ``sigma`` the standard deviation of the rewards seen (so
``scale`` is unitless). The policy keeps a pool of ``n_samples`` posterior draws, redrawn after
every ``learn``; each decision plays the best eligible action under one draw picked at random.
So the probability of an action is exactly the share of draws under which it wins, which
``action_probabilities`` returns and ``act`` logs: Thompson sampling with honest propensities for
off-policy evaluation, and the same answer from both calls between two ``learn``. Redrawing costs
a Cholesky factorisation, O(D^3) with D = (d+1)(F+1): learn in batches, not one row at a time.

Example:
    >>> import numpy as np
    >>> from policies import LinearThompson, Problem
    >>> p = Problem(("x",), ("a", "b"), np.eye(2), ("is_a", "is_b"))
    >>> pol = LinearThompson(p, seed=0, n_samples=100)
    >>> x, e = np.ones((40, 1)), np.ones((40, 2), dtype=bool)
    >>> pol.learn(x, np.arange(40) % 2, np.full(40, 0.5), (np.arange(40) % 2).astype(float))
    >>> pol.action_probabilities(x[:1], e[:1]).tolist()
    [[0.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from policies.distribution_policy import DistributionPolicy
from policies.joint_ridge import JointRidge
from policies.param_checks import check_int, check_range
from policies.problem import Problem

__all__ = ["LinearThompson"]


class LinearThompson(DistributionPolicy):
    """Thompson sampling from a pool of posterior draws of a joint linear model.

    Args:
        problem: the decision problem.
        seed: an int or a numpy Generator.
        scale: posterior scale in reward standard deviations (>= 0; larger explores more, 0 is
            greedy).
        ridge: L2 penalty of the model (> 0).
        n_samples: posterior draws in the pool (>= 1); the smallest nonzero probability is
            ``1 / n_samples``.
    """

    name = "lints"

    def __init__(self, problem: Problem, seed: int | np.random.Generator, *,
                 scale: float = 0.2, ridge: float = 1.0, n_samples: int = 64) -> None:
        super().__init__(problem, seed)
        self.params = {
            "scale": check_range(self.name, "scale", scale, low=0.0),
            "ridge": check_range(self.name, "ridge", ridge, low=0.0, low_open=True),
            "n_samples": check_int(self.name, "n_samples", n_samples, low=1),
        }
        self.model = JointRidge(problem.context_dim, problem.action_features,
                                self.params["ridge"])
        self._pool: np.ndarray | None = None
        self._pool_version = -1

    def _thetas(self) -> np.ndarray:
        if self._pool is None or self._pool_version != self.model.version:
            scale = self.params["scale"] * self.model.reward_std
            self._pool = self.model.sample_thetas(self.params["n_samples"], scale, self._rng)
            self._pool_version = self.model.version
        return self._pool

    def _distribution(self, contexts: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        winners = self.model.sampled_winners(contexts, eligible, self._thetas())
        n, k = eligible.shape
        flat = (np.arange(n)[:, None] * k + winners).ravel()
        counts = np.bincount(flat, minlength=n * k).reshape(n, k)
        return counts / winners.shape[1]

    def _learn(self, contexts: np.ndarray, actions: np.ndarray, probabilities: np.ndarray,
               rewards: np.ndarray) -> None:
        self.model.update(contexts, actions, rewards)
