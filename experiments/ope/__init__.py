"""Off-policy evaluation: the value of a new policy from logged decisions, with intervals.

One estimator per module (``dm``, ``ips``, ``snips``, ``dr``, ``sndr``, ``switch_dr``), one entry
point (:func:`estimate`), a streaming :class:`Accumulator` that merges partial results, and a
cross-fitted ridge reward model (:func:`fit_reward_model`) for DM and the DR family.

Example:
    >>> from experiments.ope import estimate
    >>> estimate("ips", [1.0, 0.0], [0, 1], [0.5, 0.5], [[1.0, 0.0], [0.5, 0.5]]).value
    1.0
"""

from experiments.ope.accumulator import Accumulator
from experiments.ope.errors import LogFormatError, OPEError, OPEInputError
from experiments.ope.estimate import ESTIMATORS, estimate, make_estimator
from experiments.ope.result import OPEResult
from experiments.ope.reward_model import fit_reward_model

__all__ = [
    "ESTIMATORS",
    "Accumulator",
    "LogFormatError",
    "OPEError",
    "OPEInputError",
    "OPEResult",
    "estimate",
    "fit_reward_model",
    "make_estimator",
]
