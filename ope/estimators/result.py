"""The frozen result of an off-policy estimate: value, interval, and overlap diagnostics.

Example:
    >>> from ope.estimators.result import OPEResult
    >>> r = OPEResult("ips", 0.5, (0.4, 0.6), 0.05, 90.0, 3.0, 0.0, 100, 0.05, "normal")
    >>> r.ci, r.to_dict()["ci_low"]
    ((0.4, 0.6), 0.4)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OPEResult"]


@dataclass(frozen=True)
class OPEResult:
    """An estimate of a target policy's mean reward per decision from logged data.

    Attributes:
        estimator: the estimator's name ("dm", "ips", "snips", "dr", "sndr", "switch_dr",
            "dr_cv").
        value: the estimated mean reward per decision of the target policy.
        ci: (low, high), the two-sided ``1 - alpha`` confidence interval.
        std_error: the standard error behind ``ci``.
        ess: effective sample size of the importance weights, ``(sum w)^2 / sum w^2`` (the same
            overlap diagnostic for every estimator; n when target equals logger).
        max_weight: the largest importance weight ``pi(a_i|x_i) / p_i``.
        unsupported_mass: share of the target's probability mass on actions that never appear
            in the log (no estimator learns about those from data; DM/DR extrapolate).
        n: number of logged decisions used.
        alpha: 1 - confidence level of ``ci``.
        ci_method: how ``ci`` was computed, in words.
    """

    estimator: str
    value: float
    ci: tuple[float, float]
    std_error: float
    ess: float
    max_weight: float
    unsupported_mass: float
    n: int
    alpha: float
    ci_method: str

    def to_dict(self) -> dict:
        """A flat JSON-ready dict (``ci`` split into ``ci_low`` / ``ci_high``)."""
        return {
            "estimator": self.estimator, "value": self.value, "ci_low": self.ci[0],
            "ci_high": self.ci[1], "std_error": self.std_error, "ess": self.ess,
            "max_weight": self.max_weight, "unsupported_mass": self.unsupported_mass,
            "n": self.n, "alpha": self.alpha, "ci_method": self.ci_method,
        }
