"""Errors raised by off-policy evaluation. Each names the array, what was expected and what came.

Example:
    >>> from ope.errors import OPEInputError
    >>> issubclass(OPEInputError, ValueError)
    True
"""

from __future__ import annotations

__all__ = ["LogFormatError", "OPEError", "OPEInputError"]


class OPEError(Exception):
    """Base class of every error off-policy evaluation raises on purpose."""


class OPEInputError(OPEError, ValueError):
    """Arrays handed to an estimator are malformed (shape, NaN, propensity, target rows)."""


class LogFormatError(OPEError, ValueError):
    """A log file (Parquet export or DSJSON) cannot be read as logged decisions."""
