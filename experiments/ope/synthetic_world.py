"""A small contextual world whose every policy value is known exactly: the estimators' test bench.

Customers have Gaussian contexts; action ``a`` pays Bernoulli(sigmoid(x . beta_a + c_a)). The
logger is a softmax over a noisy copy of the true scores (explores, but not uniformly); the target
is a sharper softmax over the true scores (a better policy). The true value of the target is
``E_x sum_a pi(a|x) mu(x, a)``, computed without reward noise on a large fresh sample.

Example:
    >>> from experiments.ope.synthetic_world import SyntheticWorld
    >>> w = SyntheticWorld(n_actions=4, context_dim=3, seed=0)
    >>> log = w.sample_log(1000, seed=1)
    >>> log.target_probs.shape, round(w.true_value(n=10_000), 3)
    ((1000, 4), 0.265)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ope.errors import OPEInputError

__all__ = ["SyntheticLog", "SyntheticWorld"]


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = np.exp(scores - scores.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class SyntheticLog:
    """Logged decisions of the world's logger, with the target's distribution on each context.

    Attributes:
        contexts: (n, d). actions: (n,) int. propensities: (n,). rewards: (n,) 0/1.
        target_probs: (n, K). logging_probs: (n, K).
    """

    contexts: np.ndarray
    actions: np.ndarray
    propensities: np.ndarray
    rewards: np.ndarray
    target_probs: np.ndarray
    logging_probs: np.ndarray


@dataclass(frozen=True)
class SyntheticWorld:
    """A logistic-reward contextual world with a softmax logger and a softmax target.

    Args:
        n_actions: K. context_dim: d. seed: draws the world's coefficients.
        logger_temperature / target_temperature: inverse temperatures of the two softmaxes
            (higher = greedier; a greedier target means larger importance weights).
    """

    n_actions: int = 10
    context_dim: int = 5
    seed: int = 0
    logger_temperature: float = 1.0
    target_temperature: float = 2.0
    _beta: np.ndarray = field(init=False, repr=False, compare=False)
    _bias: np.ndarray = field(init=False, repr=False, compare=False)
    _noise: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.n_actions < 2 or self.context_dim < 1:
            raise OPEInputError(
                f"n_actions must be >= 2 and context_dim >= 1, got {self.n_actions}, "
                f"{self.context_dim}"
            )
        rng = np.random.default_rng(self.seed)
        object.__setattr__(self, "_beta", rng.normal(0.0, 0.5, (self.context_dim, self.n_actions)))
        object.__setattr__(self, "_bias", rng.normal(-1.0, 0.5, self.n_actions))
        object.__setattr__(self, "_noise", rng.normal(0.0, 0.5, (self.context_dim, self.n_actions)))

    def mean_reward(self, contexts: np.ndarray) -> np.ndarray:
        """(n, K) expected reward of each action."""
        return 1.0 / (1.0 + np.exp(-(contexts @ self._beta + self._bias)))

    def logging_probs(self, contexts: np.ndarray) -> np.ndarray:
        """(n, K) the logger's distribution: softmax over noisy scores."""
        scores = contexts @ (self._beta + self._noise) + self._bias
        return _softmax(self.logger_temperature * scores)

    def target_probs(self, contexts: np.ndarray) -> np.ndarray:
        """(n, K) the target's distribution: softmax over the true scores."""
        return _softmax(self.target_temperature * (contexts @ self._beta + self._bias))

    def contexts(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, d) standard normal contexts."""
        return rng.normal(size=(n, self.context_dim))

    def true_value(self, n: int = 1_000_000, seed: int = 12345) -> float:
        """The target's mean reward per decision, without reward noise, on ``n`` fresh contexts."""
        x = self.contexts(n, np.random.default_rng(seed))
        return float(np.einsum("ij,ij->i", self.target_probs(x), self.mean_reward(x)).mean())

    def sample_log(self, n: int, seed: int) -> SyntheticLog:
        """``n`` decisions of the logger with Bernoulli rewards."""
        rng = np.random.default_rng(seed)
        x = self.contexts(n, rng)
        probs = self.logging_probs(x)
        cum = probs.cumsum(axis=1)
        actions = np.minimum((cum < rng.random((n, 1))).sum(axis=1), self.n_actions - 1)
        rows = np.arange(n)
        rewards = (rng.random(n) < self.mean_reward(x)[rows, actions]).astype(np.float64)
        return SyntheticLog(x, actions, probs[rows, actions], rewards, self.target_probs(x), probs)
