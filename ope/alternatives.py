"""The dashboard's "value of alternatives": logged policy, uniform, and best fixed action.

The engine reads its own log into arrays (``engine.live_alternatives``) and asks
:func:`dashboard_estimates` for the value of each alternative. One implementation: every number
on the dashboard is an :func:`ope.estimate` call.

Example:
    >>> import numpy as np
    >>> from ope.alternatives import dashboard_estimates
    >>> rng = np.random.default_rng(0)
    >>> a = rng.integers(0, 3, 3000); r = (rng.random(3000) < 0.1 + 0.2 * a).astype(float)
    >>> d = dashboard_estimates(r, a, np.full(3000, 1 / 3), n_actions=3)
    >>> d.best_action, [e["name"] for e in d.to_dict()["estimates"]]
    (2, ['logged policy', 'uniform random', 'best fixed action (2)'])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ope.errors import OPEInputError
from ope.estimators.accumulator import Accumulator
from ope.estimators.estimate import estimate, make_estimator
from ope.estimators.input_checks import LoggedBatch, check_batch
from ope.estimators.result import OPEResult
from ope.estimators.reward_model import fit_reward_model

__all__ = ["DashboardEstimates", "dashboard_estimates"]


@dataclass(frozen=True)
class DashboardEstimates:
    """Estimated mean reward per decision of the logged policy and two alternatives.

    Attributes:
        estimator: the off-policy estimator used for the alternatives ("snips", or "dr" when
            contexts were given).
        logged: the logged (served) policy's own mean reward, a plain on-policy mean.
        uniform: uniform random over each row's eligible actions.
        best_fixed: the best single action (played where eligible, uniform elsewhere). Picking
            the best of K estimates favours lucky ones (winner's curse): read it as optimistic.
        best_action: index of that action. per_action: every fixed action's estimate (None for
            an action the log never played: nothing can be learned about it from the log).
        action_names: names of the K actions.
    """

    estimator: str
    logged: OPEResult
    uniform: OPEResult
    best_fixed: OPEResult
    best_action: int
    per_action: tuple[OPEResult | None, ...]
    action_names: tuple[str, ...]

    @property
    def estimated_regret(self) -> float:
        """How much more reward per decision the best fixed action would have earned."""
        return self.best_fixed.value - self.logged.value

    def to_dict(self) -> dict:
        """The shape the service's ``estimate_alternatives`` hook returns (logged policy first)."""
        def row(name: str, r: OPEResult) -> dict:
            return {"name": name, "value": r.value, "lo": r.ci[0], "hi": r.ci[1], "ess": r.ess,
                    "max_weight": r.max_weight}

        best = self.action_names[self.best_action]
        return {
            "estimator": self.estimator, "n": self.logged.n,
            "estimates": [row("logged policy", self.logged), row("uniform random", self.uniform),
                          row(f"best fixed action ({best})", self.best_fixed)],
            "best_action": best, "estimated_regret": self.estimated_regret,
        }


def _eligible_mask(eligible, actions: np.ndarray, n_actions: int | None) -> np.ndarray:
    if eligible is None:
        k = int(actions.max()) + 1 if n_actions is None else int(n_actions)
        return np.ones((actions.shape[0], k), dtype=bool)
    mask = np.asarray(eligible, dtype=bool)
    if mask.ndim != 2 or mask.shape[0] != actions.shape[0]:
        raise OPEInputError(f"eligible must have shape (n={actions.shape[0]}, K), got {mask.shape}")
    if not mask.any(axis=1).all():
        raise OPEInputError("eligible has a row with no eligible action")
    return mask


def dashboard_estimates(rewards, actions, propensities, eligible=None, *,
                        n_actions: int | None = None, action_names=None, contexts=None,
                        alpha: float = 0.05, seed: int = 0) -> DashboardEstimates:
    """Estimate the logged policy, uniform random and the best fixed action from a log.

    Args:
        rewards: (n,) rewards. actions: (n,) logged action indices. propensities: (n,).
        eligible: optional (n, K) bool, the actions the rules allowed per row (all if None).
        n_actions: K when ``eligible`` is None (default: the largest logged action + 1).
        action_names: optional K names for the output.
        contexts: optional (n, d) floats; when given the alternatives use DR with a cross-fitted
            ridge reward model, else SNIPS.
        alpha: intervals are two-sided at level ``1 - alpha``.
        seed: seed of the reward model's folds.

    Returns:
        :class:`DashboardEstimates`; ``to_dict()`` is what the dashboard hook returns.
    """
    a = np.asarray(actions)
    if a.ndim != 1 or a.size == 0:
        raise OPEInputError(f"actions must be a non-empty (n,) array, got shape {a.shape}")
    mask = _eligible_mask(eligible, a, n_actions)
    n, k = mask.shape
    names = tuple(str(i) for i in range(k)) if action_names is None else tuple(action_names)
    if len(names) != k:
        raise OPEInputError(f"action_names has {len(names)} names but there are {k} actions")
    rows = np.arange(n)
    onehot = np.zeros((n, k))
    onehot[rows, np.clip(a, 0, k - 1)] = 1.0
    # The logged policy on its own log: weights 1, so IPS is the plain mean with its normal CI.
    logged = estimate("ips", rewards, a, np.ones(n), onehot, alpha=alpha)
    reward_hat, name = None, "snips"
    if contexts is not None:
        reward_hat = fit_reward_model(contexts, a, rewards, k, folds=5, seed=seed)
        name = "dr"
    uniform_probs = mask / mask.sum(axis=1, keepdims=True)
    base = check_batch(rewards, a, propensities, uniform_probs, reward_hat)  # validated once
    uniform = _result(name, base, uniform_probs.sum(axis=0), k, alpha)
    played = np.bincount(base.actions, minlength=k) > 0
    shared = _SharedTerms.of(base, mask, uniform_probs)
    per_action = [_fixed_action(name, base, shared, j, alpha) if played[j] else None
                  for j in range(k)]  # K targets, each O(n): no (n, K) matrix per target
    best = int(np.argmax([-np.inf if r is None else r.value for r in per_action]))
    best_fixed = per_action[best]
    assert best_fixed is not None  # the log is not empty, so some action was played
    return DashboardEstimates(name, logged, uniform, best_fixed, best, tuple(per_action), names)


@dataclass(frozen=True)
class _FixedActionBatch:
    """What the estimators read for the target "play action j where eligible, else uniform"."""

    rewards: np.ndarray
    actions: np.ndarray
    weights: np.ndarray
    direct: np.ndarray | None
    residual: np.ndarray | None

    def direct_terms(self) -> np.ndarray:
        if self.direct is None:
            raise OPEInputError("direct_terms: reward_hat is required; fit one with "
                                "ope.fit_reward_model")
        return self.direct

    def residuals(self) -> np.ndarray:
        if self.residual is None:
            raise OPEInputError("residuals: reward_hat is required; fit one with "
                                "ope.fit_reward_model")
        return self.residual


def _result(name: str, batch, target_mass: np.ndarray, k: int, alpha: float) -> OPEResult:
    acc = Accumulator(make_estimator(name), k)
    acc.add_validated(batch, target_mass)
    return acc.get(alpha)


@dataclass(frozen=True)
class _SharedTerms:
    """What every fixed-action target reuses, computed once per log."""

    mask: np.ndarray  # (n, K) eligible
    uniform_logged: np.ndarray  # (n,) uniform's probability of the logged action
    uniform_value: np.ndarray | None  # (n,) the model's value of uniform per row
    mass_off: np.ndarray  # (K, K): column j = uniform's mass per action on rows where j is not
    #                       eligible (where the fixed-action target falls back to uniform)

    @classmethod
    def of(cls, base: LoggedBatch, mask: np.ndarray, uniform_probs: np.ndarray) -> _SharedTerms:
        value = (None if base.reward_hat is None
                 else np.einsum("ij,ij->i", uniform_probs, base.reward_hat))
        return cls(mask, uniform_probs[np.arange(base.n), base.actions], value,
                   uniform_probs.T @ (~mask).astype(float))


def _fixed_action(name: str, base: LoggedBatch, shared: _SharedTerms, j: int,
                  alpha: float) -> OPEResult:
    """The estimate for fixed action ``j``: equal to ``estimate`` on the explicit (n, K) target
    (play ``j`` where eligible, uniform elsewhere), in O(n)."""
    on = shared.mask[:, j]
    logged_prob = np.where(on, (base.actions == j).astype(float), shared.uniform_logged)
    direct = residual = None
    if base.reward_hat is not None and shared.uniform_value is not None:  # None together
        direct = np.where(on, base.reward_hat[:, j], shared.uniform_value)
        residual = base.residuals()
    mass = shared.mass_off[:, j].copy()
    mass[j] += on.sum()
    batch = _FixedActionBatch(base.rewards, base.actions, logged_prob / base.propensities,
                              direct, residual)
    return _result(name, batch, mass, shared.mask.shape[1], alpha)
