"""The lab's off-policy evaluation: validation worlds, coverage, and target policies on a log.

The estimators and log readers live in the :mod:`ope` package (the engine uses them too); this
package re-exports its public names, so ``experiments.ope.estimate`` keeps working, and adds
what only the lab can do: worlds where the truth is known (``synthetic_world``,
``simulator_world``, ``simulator_log``), interval coverage over seeds (``coverage``), and
target policies replayed on a log (``target_policy``, ``engine_model``).

Example:
    >>> from experiments.ope import estimate
    >>> estimate("ips", [1.0, 0.0], [0, 1], [0.5, 0.5], [[1.0, 0.0], [0.5, 0.5]]).value
    1.0
"""

from ope import (
    ESTIMATORS,
    Accumulator,
    LogFormatError,
    LoggedDecisions,
    OPEError,
    OPEInputError,
    OPEResult,
    estimate,
    fit_reward_model,
    make_estimator,
    read_dsjson,
    read_parquet_log,
)

__all__ = [
    "ESTIMATORS",
    "Accumulator",
    "LogFormatError",
    "LoggedDecisions",
    "OPEError",
    "OPEInputError",
    "OPEResult",
    "estimate",
    "fit_reward_model",
    "make_estimator",
    "read_dsjson",
    "read_parquet_log",
]
