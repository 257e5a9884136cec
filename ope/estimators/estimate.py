"""The entry point: ``estimate(estimator, rewards, actions, propensities, target_probs, ...)``.

Example:
    >>> from ope import estimate
    >>> r = estimate("snips", rewards=[1.0, 0.0, 1.0], actions=[0, 1, 1],
    ...              propensities=[0.5, 0.5, 0.5],
    ...              target_probs=[[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    >>> round(r.value, 6), r.n
    (0.8, 3)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ope.errors import OPEInputError
from ope.estimators.accumulator import Accumulator
from ope.estimators.dm import DirectMethod
from ope.estimators.dr import DoublyRobust
from ope.estimators.dr_cv import ControlVariateDR
from ope.estimators.ips import IPS
from ope.estimators.protocol import Estimator
from ope.estimators.result import OPEResult
from ope.estimators.sndr import SelfNormalizedDR
from ope.estimators.snips import SNIPS
from ope.estimators.switch_dr import DEFAULT_TAU, SwitchDR

__all__ = ["ESTIMATORS", "estimate", "make_estimator"]

ESTIMATORS: tuple[str, ...] = ("dm", "ips", "snips", "dr", "sndr", "switch_dr", "dr_cv")


def make_estimator(name: str, tau: float = DEFAULT_TAU) -> Estimator:
    """The estimator called ``name`` (one of :data:`ESTIMATORS`); ``tau`` is Switch-DR's."""
    table: dict[str, Callable[[], Estimator]] = {
        "dm": DirectMethod, "ips": IPS, "snips": SNIPS, "dr": DoublyRobust,
        "sndr": SelfNormalizedDR, "dr_cv": ControlVariateDR}
    if name == "switch_dr":
        return SwitchDR(tau=tau)
    if name not in table:
        raise OPEInputError(f"estimator must be one of {', '.join(ESTIMATORS)}; got {name!r}")
    return table[name]()


def estimate(estimator: str, rewards, actions, propensities, target_probs, reward_hat=None,
             alpha: float = 0.05, *, tau: float = DEFAULT_TAU) -> OPEResult:
    """Estimate a target policy's mean reward per decision from logged decisions.

    Args:
        estimator: one of "dm", "ips", "snips", "dr", "sndr", "switch_dr", "dr_cv".
        rewards: (n,) observed rewards.
        actions: (n,) logged action indices in [0, K).
        propensities: (n,) the logger's probability of each logged action, in (0, 1].
        target_probs: (n, K) the target policy's action distribution on each logged context.
        reward_hat: (n, K) reward-model predictions (required for dm, dr, sndr, switch_dr,
            dr_cv);
            use :func:`ope.fit_reward_model` for cross-fitted ones.
        alpha: the interval is two-sided at level ``1 - alpha``.
        tau: Switch-DR's weight threshold (ignored by the others).

    Returns:
        An :class:`OPEResult` with ``value``, ``ci``, ``ess`` and diagnostics.

    Raises:
        OPEInputError: unknown estimator, missing reward_hat, or malformed arrays (the message
            names the array).
    """
    est = make_estimator(estimator, tau)
    n_actions = np.shape(target_probs)[1] if np.ndim(target_probs) == 2 else 0
    if n_actions == 0:
        raise OPEInputError(f"target_probs must have shape (n, K), got {np.shape(target_probs)}")
    acc = Accumulator(est, n_actions)
    acc.add(rewards, actions, propensities, target_probs, reward_hat)
    return acc.get(alpha)
