"""Off-policy evaluation: the value of a policy from logged decisions, with intervals.

The yardstick shared by production and the lab: the engine uses it to choose among its candidate
learners, to watch its own log and to feed the dashboard; the lab uses it to validate policies
offline. Three groups:

- :mod:`ope.estimators`: one estimator per module (``dm``, ``ips``, ``snips``, ``dr``, ``sndr``,
  ``switch_dr``, ``dr_cv``), one entry point (:func:`estimate`), a streaming
  :class:`Accumulator` that merges partial results, a cross-fitted ridge reward model
  (:func:`fit_reward_model`) and a cross-fitted stacking of reward predictions
  (:func:`stack_reward_models`), and DR with a partial-identification bound for the target's
  mass the log does not support (:func:`partially_identified_dr`);
- :mod:`ope.readers`: logged decisions as arrays (:class:`LoggedDecisions`) from the engine's
  Parquet export or Vowpal Wabbit DSJSON;
- :mod:`ope.alternatives`: the value of simple alternatives (logged policy, uniform, best fixed
  action) on one log.

The validation worlds (where the truth is known) live in the lab, ``experiments.ope``.

Example:
    >>> from ope import estimate
    >>> estimate("ips", [1.0, 0.0], [0, 1], [0.5, 0.5], [[1.0, 0.0], [0.5, 0.5]]).value
    1.0
"""

from ope.alternatives import DashboardEstimates, dashboard_estimates
from ope.errors import LogFormatError, OPEError, OPEInputError
from ope.estimators.accumulator import Accumulator
from ope.estimators.estimate import ESTIMATORS, estimate, make_estimator
from ope.estimators.identification import (
    PartialIdentification,
    observed_reward_range,
    partially_identified_dr,
    predicted_reward_range,
)
from ope.estimators.result import OPEResult
from ope.estimators.reward_model import fit_reward_model, stack_reward_models
from ope.readers.dsjson_log import read_dsjson
from ope.readers.logged_decisions import LoggedDecisions
from ope.readers.parquet_log import read_parquet_log

__all__ = [
    "ESTIMATORS",
    "Accumulator",
    "DashboardEstimates",
    "LogFormatError",
    "LoggedDecisions",
    "OPEError",
    "OPEInputError",
    "OPEResult",
    "PartialIdentification",
    "dashboard_estimates",
    "estimate",
    "fit_reward_model",
    "make_estimator",
    "observed_reward_range",
    "partially_identified_dr",
    "predicted_reward_range",
    "read_dsjson",
    "read_parquet_log",
    "stack_reward_models",
]
