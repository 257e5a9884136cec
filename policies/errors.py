"""Errors raised by policies. Each names the argument, what was expected and what came."""

from __future__ import annotations

__all__ = ["PolicyConfigError", "PolicyError", "PolicyInputError"]


class PolicyError(Exception):
    """Base class of every error a policy raises."""


class PolicyConfigError(PolicyError, ValueError):
    """A policy or problem was configured wrongly (caught at construction)."""


class PolicyInputError(PolicyError, ValueError):
    """A batch handed to ``act`` or ``learn`` has the wrong shape, type or values."""
