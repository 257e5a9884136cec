"""Policies: the brains. Bandit learners behind one batch-first protocol (:class:`Policy`).

Every policy is built as ``Cls(problem, seed, **params)`` or by name with :func:`make_policy`
(names in brackets); :class:`PolicySpec` (name, params, seed) rebuilds one in another process.

- :class:`UniformRandom` [random]: uniform over eligible actions.
- :class:`BestFixedAction` [best_fixed]: an A/B test, then its winner for everyone.
- :class:`SegmentRules` [segment_rules]: an A/B test per customer segment, then its winners.
- :class:`EpsilonGreedy` [epsilon_greedy], :class:`LinUCB` [linucb], :class:`LinearThompson`
  [lints]: numpy learners on one ridge regression over context x action attributes
  (:mod:`policies.joint_ridge`).
- :class:`VWPolicy` [vw_epsilon, vw_squarecb, vw_bag]: Vowpal Wabbit ``--cb_explore_adf``.
- :class:`Oracle` [oracle]: the best expected reward, shown by the simulator
  (``policies.base.SeesTruth``).

The names load on first use (PEP 562): ``import policies.errors`` or ``policies.vw_config`` does
not start Vowpal Wabbit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policies.base import Policy
    from policies.best_fixed_action import BestFixedAction
    from policies.distribution_policy import DistributionPolicy
    from policies.epsilon_greedy import EpsilonGreedy
    from policies.errors import PolicyConfigError, PolicyError, PolicyInputError
    from policies.linear_thompson import LinearThompson
    from policies.linucb import LinUCB
    from policies.oracle import Oracle
    from policies.problem import Problem
    from policies.registry import PolicySpec, available_policies, make_policy, policy_parameters
    from policies.segment_rules import SegmentRules
    from policies.uniform_random import UniformRandom
    from policies.vw_policy import VWPolicy

__all__ = [
    "BestFixedAction",
    "DistributionPolicy",
    "EpsilonGreedy",
    "LinUCB",
    "LinearThompson",
    "Oracle",
    "Policy",
    "PolicyConfigError",
    "PolicyError",
    "PolicyInputError",
    "PolicySpec",
    "Problem",
    "SegmentRules",
    "UniformRandom",
    "VWPolicy",
    "available_policies",
    "make_policy",
    "policy_parameters",
]


_HOME = {
    "BestFixedAction": "policies.best_fixed_action",
    "DistributionPolicy": "policies.distribution_policy",
    "EpsilonGreedy": "policies.epsilon_greedy",
    "LinUCB": "policies.linucb",
    "LinearThompson": "policies.linear_thompson",
    "Oracle": "policies.oracle",
    "Policy": "policies.base",
    "PolicyConfigError": "policies.errors",
    "PolicyError": "policies.errors",
    "PolicyInputError": "policies.errors",
    "PolicySpec": "policies.registry",
    "Problem": "policies.problem",
    "SegmentRules": "policies.segment_rules",
    "UniformRandom": "policies.uniform_random",
    "VWPolicy": "policies.vw_policy",
    "available_policies": "policies.registry",
    "make_policy": "policies.registry",
    "policy_parameters": "policies.registry",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'policies' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
