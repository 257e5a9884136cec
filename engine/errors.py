"""Typed errors of the engine. Each names the field, the expected and the actual value.

The HTTP service maps these to 4xx answers with their message, so keep messages user-facing.
"""

from __future__ import annotations

__all__ = [
    "CampaignError",
    "CapacityReachedError",
    "CatalogError",
    "CheckpointError",
    "ClockError",
    "ConfigError",
    "ContextError",
    "DuplicateRewardError",
    "EngineError",
    "ExpiredDecisionError",
    "InactiveDecisionError",
    "RewardError",
    "StoreError",
    "UnknownDecisionError",
    "UnsupportedCandidateError",
]


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class ConfigError(EngineError, ValueError):
    """The engine was configured wrongly (caught at construction)."""


class CatalogError(ConfigError):
    """The action catalog (messages, channels, timings) is malformed."""


class ContextError(EngineError, ValueError):
    """A context handed to ``choose`` is malformed (wrong type, NaN, too large, unknown channel)."""


class ClockError(ContextError):
    """A caller's time (``now``) lies outside what the engine's clock accepts: too far ahead,
    too far behind, or later than the clock where only the clock's past may be used."""


class RewardError(EngineError, ValueError):
    """A reward value is malformed (NaN, infinite, wrong type)."""


class UnknownDecisionError(EngineError, KeyError):
    """No decision with this id exists (or it was erased)."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else ""


class ExpiredDecisionError(EngineError, ValueError):
    """The decision's reward window has passed."""


class DuplicateRewardError(EngineError, ValueError):
    """A second reward for one decision, with reward_mode="refuse"."""


class CheckpointError(EngineError, RuntimeError):
    """A checkpoint cannot be used (another catalog or config, or corrupt)."""


class StoreError(EngineError, RuntimeError):
    """The durable store failed or is inconsistent."""


class CampaignError(EngineError, ValueError):
    """A campaign's input is malformed: the customers or sent table (the file, column and row
    are named), a capacity, the budget. Nothing was written."""


class InactiveDecisionError(EngineError, ValueError):
    """A reward for a decision whose activation was deferred and never done: activate it first
    (a message that never went out is never learned from)."""


class CapacityReachedError(StoreError):
    """A send beyond its channel's daily capacity, refused by the store (another process took
    the last one since this engine counted); the engine marks the channel full and decides
    again.

    Attributes:
        channel: the channel.
        capacity: its daily capacity.
    """

    def __init__(self, channel: str, capacity: int, message: str) -> None:
        super().__init__(message)
        self.channel, self.capacity = channel, capacity


class UnsupportedCandidateError(ConfigError):
    """A feature that cannot serve a kind of candidate learner met one; the message names the
    candidate. Nothing raises it today (the fleet and campaigns serve the ridge candidate as
    they serve VW ones); kept so that callers catching it keep working."""
