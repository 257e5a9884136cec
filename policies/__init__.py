"""Policies: the brains. Bandit learners behind one batch-first protocol (:class:`Policy`).

Every policy is built as ``Cls(problem, seed, **params)`` or by name with :func:`make_policy`.
"""

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
