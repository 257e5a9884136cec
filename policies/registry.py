"""Every policy by a short name, and the specs that rebuild one anywhere.

Experiments send a :class:`PolicySpec` (name, params, seed), never a live policy, to Ray workers;
the worker calls :meth:`PolicySpec.build` (or :func:`make_policy`) with its problem.

Example:
    >>> import numpy as np
    >>> from policies import Problem, available_policies, make_policy
    >>> "linucb" in available_policies()
    True
    >>> p = Problem(("x",), ("a", "b"), np.eye(2), ("is_a", "is_b"))
    >>> make_policy("epsilon_greedy", p, seed=0, epsilon=0.05)
    EpsilonGreedy(epsilon=0.05, ridge=1.0)
    >>> make_policy("greedy", p, seed=0)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    policies.errors.PolicyConfigError: unknown policy 'greedy'; available: random, best_fixed,
        segment_rules, epsilon_greedy, linucb, lints, vw_epsilon, vw_squarecb, vw_bag, oracle
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from policies.base import Policy
from policies.best_fixed_action import BestFixedAction
from policies.distribution_policy import DistributionPolicy
from policies.epsilon_greedy import EpsilonGreedy
from policies.errors import PolicyConfigError
from policies.linear_thompson import LinearThompson
from policies.linucb import LinUCB
from policies.oracle import Oracle
from policies.problem import Problem
from policies.segment_rules import SegmentRules
from policies.uniform_random import UniformRandom
from policies.vw_policy import VWPolicy

__all__ = ["PolicySpec", "available_policies", "make_policy", "policy_parameters"]

# name -> (class, parameters the name fixes). The VW names pick an exploration of one class.
_REGISTRY: dict[str, tuple[type[DistributionPolicy], dict[str, Any]]] = {
    "random": (UniformRandom, {}),
    "best_fixed": (BestFixedAction, {}),
    "segment_rules": (SegmentRules, {}),
    "epsilon_greedy": (EpsilonGreedy, {}),
    "linucb": (LinUCB, {}),
    "lints": (LinearThompson, {}),
    "vw_epsilon": (VWPolicy, {"exploration": "epsilon"}),
    "vw_squarecb": (VWPolicy, {"exploration": "squarecb"}),
    "vw_bag": (VWPolicy, {"exploration": "bag"}),
    "oracle": (Oracle, {}),
}


def available_policies() -> tuple[str, ...]:
    """Every registered policy name, baselines first and the oracle last."""
    return tuple(_REGISTRY)


def policy_parameters(name: str) -> tuple[str, ...]:
    """The parameters ``make_policy(name, ...)`` accepts (beyond problem and seed)."""
    cls, fixed = _lookup(name)
    return tuple(p for p in cls.parameter_names() if p not in fixed)


def make_policy(name: str, problem: Problem, seed: int | np.random.Generator,
                **params: Any) -> Policy:
    """Build the policy registered as ``name``.

    Args:
        name: one of :func:`available_policies`.
        problem: the decision problem.
        seed: an int or a numpy Generator the policy then owns.
        **params: the policy's own parameters (see :func:`policy_parameters`).

    Raises:
        PolicyConfigError: unknown name, unknown parameter or a parameter out of range.
    """
    cls, fixed = _lookup(name)
    allowed = policy_parameters(name)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise PolicyConfigError(
            f"{name}: unknown parameter(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(allowed) or 'none'}"
        )
    return cls(problem, seed, **fixed, **params)


def _lookup(name: str) -> tuple[type[DistributionPolicy], dict[str, Any]]:
    if name not in _REGISTRY:
        raise PolicyConfigError(
            f"unknown policy {name!r}; available: {', '.join(available_policies())}"
        )
    return _REGISTRY[name]


@dataclass(frozen=True)
class PolicySpec:
    """What it takes to rebuild a policy in another process: a name, parameters and a seed.

    Args:
        name: one of :func:`available_policies`.
        params: the policy's parameters (checked against the policy's signature here; their
            values are checked when the policy is built).
        seed: a non-negative int.

    Example:
        >>> import numpy as np
        >>> from policies import PolicySpec, Problem
        >>> spec = PolicySpec("linucb", {"alpha": 0.2}, seed=7)
        >>> spec.build(Problem(("x",), ("a", "b"), np.eye(2), ("is_a", "is_b"))).params["alpha"]
        0.2
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        allowed = policy_parameters(self.name)
        unknown = sorted(set(self.params) - set(allowed))
        if unknown:
            raise PolicyConfigError(
                f"{self.name}: unknown parameter(s) {', '.join(unknown)}; "
                f"accepted: {', '.join(allowed) or 'none'}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise PolicyConfigError(f"seed must be a non-negative int, got {self.seed!r}")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def build(self, problem: Problem) -> Policy:
        """The policy, freshly built for ``problem``."""
        return make_policy(self.name, problem, self.seed, **self.params)

    def __reduce__(self):  # MappingProxyType does not pickle; a plain dict does
        return (PolicySpec, (self.name, dict(self.params), self.seed))
