"""Doubly robust with the reward model's weight fitted for the least variance:
``mean_i [u_i - beta z_i]``, where ``u_i = w_i r_i`` is the row's IPS term,
``z_i = w_i q(x_i, a_i) - sum_a pi(a|x_i) q(x_i, a)`` is what the reward model ``q`` takes off it
in DR, and ``beta = Cov(u, z) / Var(z)``.

``z`` has mean 0 whenever the propensities are right, whatever ``q`` is, so every ``beta`` gives
an unbiased estimate: ``beta = 1`` is DR, ``beta = 0`` IPS. The one that minimises the spread of
the per-row terms is the regression coefficient of ``u`` on ``z``: ``z`` is a control variate.
Where the model predicts the rewards, ``beta`` is near 1 and this is DR; where its predictions
are mostly noise (many actions, few and large rewards: a running mean of an action met a few
times), DR's interval can be far wider than IPS's (5-310x on the simulator's 201-action
worlds, ``benchmarks/dr_model_ceiling.py``), and there ``beta`` falls towards 0: the interval
stayed at 0.98-1.00x IPS's.
Fitting ``beta`` on the same rows adds a bias of order ``1 / n``; the interval is the delta
method's on the four column means (``u``, ``z``, ``u z``, ``z^2``), which carries ``beta``'s
own uncertainty.

Example:
    >>> import numpy as np
    >>> from ope.estimators.input_checks import check_batch
    >>> rng = np.random.default_rng(0)
    >>> a = rng.integers(0, 2, 4000)
    >>> r = (rng.random(4000) < np.where(a == 1, 0.6, 0.2)).astype(float)
    >>> target = np.tile([0.2, 0.8], (4000, 1))
    >>> good = np.tile([0.2, 0.6], (4000, 1))        # the right means: beta near 1
    >>> b = check_batch(r, a, np.full(4000, 0.5), target, reward_hat=good)
    >>> est = ControlVariateDR()
    >>> value, grad = est.value_and_gradient(est.columns(b).mean(axis=0))
    >>> round(value, 2), round(est.beta(est.columns(b).mean(axis=0)), 1)
    (0.52, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ope.estimators.input_checks import LoggedBatch

__all__ = ["ControlVariateDR"]

#: ``Var(z)`` at or below this (times the scale of ``z``): no model term to fit, ``beta = 0``.
_FLAT = 1e-12


@dataclass(frozen=True)
class ControlVariateDR:
    """DR with the reward model's coefficient fitted for the least variance (see the module)."""

    name: str = "dr_cv"
    needs_reward_hat: bool = True
    ci_method: str = "delta method on the control-variate DR's column means"

    def columns(self, batch: LoggedBatch) -> np.ndarray:
        """(n, 4): the IPS term ``u``, the model's term ``z``, ``u z`` and ``z^2``."""
        u = batch.weights * batch.rewards
        z = u - (batch.direct_terms() + batch.weights * batch.residuals())  # IPS minus DR
        return np.column_stack([u, z, u * z, z * z])

    @staticmethod
    def _fit(means: np.ndarray) -> tuple[float, float, float, float] | None:
        """``(mean u, mean z, Cov(u, z), Var(z))`` from the four means; None with no spread in
        ``z`` (nothing to fit: ``beta = 0``)."""
        mu, mz, muz, mzz = (float(m) for m in means)
        var = mzz - mz * mz
        if var <= _FLAT * max(mzz, 1.0):
            return None
        return mu, mz, muz - mu * mz, var

    def beta(self, means: np.ndarray) -> float:
        """The fitted coefficient ``Cov(u, z) / Var(z)`` (0 with no spread in ``z``)."""
        fit = self._fit(means)
        return 0.0 if fit is None else fit[2] / fit[3]

    def value_and_gradient(self, means: np.ndarray) -> tuple[float, np.ndarray]:
        """``mean(u) - beta mean(z)`` and its gradient in the four means."""
        fit = self._fit(means)
        if fit is None:
            return float(means[0]), np.array([1.0, 0.0, 0.0, 0.0])
        mu, mz, cov, var = fit
        beta = cov / var
        d_mz = -beta - mz * (-mu / var + 2.0 * mz * cov / var ** 2)
        grad = np.array([1.0 + mz * mz / var, d_mz, -mz / var, mz * cov / var ** 2])
        return mu - beta * mz, grad
