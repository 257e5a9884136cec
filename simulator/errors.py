"""Typed errors of the simulator. Each names what is wrong, what was expected and what came.

Example:
    >>> from simulator.errors import UnknownScenarioError, SimulatorError
    >>> issubclass(UnknownScenarioError, SimulatorError)
    True
    >>> issubclass(UnknownScenarioError, KeyError)
    True
"""

from __future__ import annotations

__all__ = [
    "ActionError",
    "ActionNotEligibleError",
    "ActionOutOfRangeError",
    "CapacityExceededError",
    "EpisodeEndedError",
    "EpisodeNotStartedError",
    "EpisodeStateError",
    "ScenarioError",
    "ScenarioFileError",
    "SimulatorError",
    "UnknownScenarioError",
]


class SimulatorError(Exception):
    """Base class of every error the simulator raises on purpose."""


class ScenarioError(SimulatorError, ValueError):
    """A scenario (or an override of one of its fields) is invalid."""


class UnknownScenarioError(ScenarioError, KeyError):
    """No shipped scenario has this name and no file exists at this path."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else ""


class ScenarioFileError(ScenarioError):
    """A scenario TOML file cannot be parsed or has the wrong shape."""


class ActionError(SimulatorError, ValueError):
    """The actions handed to ``step`` are malformed."""


class ActionOutOfRangeError(ActionError, IndexError):
    """An action index is outside ``[0, K)`` (or the batch has the wrong shape or type)."""


class ActionNotEligibleError(ActionError):
    """An action was chosen that the customer may not receive (no consent, cap reached, not yet
    available)."""


class CapacityExceededError(ActionError):
    """In campaign mode, actions that send more on a channel than its room today, or spend more
    than the day's budget."""


class EpisodeStateError(SimulatorError, RuntimeError):
    """The environment is not in a state where this call makes sense."""


class EpisodeNotStartedError(EpisodeStateError):
    """``step`` or ``expected_rewards`` was called before ``reset``."""


class EpisodeEndedError(EpisodeStateError):
    """``step`` was called after the episode was truncated; call ``reset`` first."""
