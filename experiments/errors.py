"""The experiments room's errors (the OPE estimators keep their own in ``experiments/ope``).

Example:
    >>> issubclass(SpecError, ExperimentError) and issubclass(SpecError, ValueError)
    True
"""

from __future__ import annotations

__all__ = ["CellFailedError", "ExperimentError", "ResultsError", "SpecError"]


class ExperimentError(Exception):
    """Base of every error raised by the experiment runner."""


class SpecError(ExperimentError, ValueError):
    """An experiment spec (TOML or dataclass) is invalid; the message names the field."""


class ResultsError(ExperimentError, ValueError):
    """A results folder is missing, empty or holds files of another shape."""


class CellFailedError(ExperimentError, RuntimeError):
    """A cell of the grid raised inside its worker (the message names the cell and the cause)."""
