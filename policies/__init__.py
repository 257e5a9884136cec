"""Policies: the brains. Bandit learners behind one batch-first protocol (:class:`Policy`)."""

from policies.base import Policy
from policies.errors import PolicyConfigError, PolicyError, PolicyInputError
from policies.problem import Problem

__all__ = ["Policy", "Problem", "PolicyError", "PolicyConfigError", "PolicyInputError"]
