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
- :class:`Oracle` [oracle]: the best expected reward, shown by the simulator (``needs_truth``).
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
