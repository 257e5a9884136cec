"""An interval that stays valid however often it is looked at: an asymptotic confidence
sequence for a running mean.

A 95 % normal interval read at every check of a live stream is not a 95 % interval any more: a
rule that acts the first time it excludes 0 acts on noise far more often than 5 % of the time
(with every 100th row checked over 8,000 rows of equal candidates and heavy importance weights,
the engine's learner selection switched in 5 of 40 runs; reading this band, in 2:
``benchmarks/paired_switch.py --heavy``). A confidence sequence is a band
``mean_n +- width_n`` that holds for every ``n`` at once with probability ``1 - alpha``, so a
rule may read it at every row. This is the Gaussian-mixture boundary of Robbins, in the
asymptotic form of Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas, "Time-uniform central limit
theory and asymptotic confidence sequences" (2021, Theorem 2.2)::

    width_n = sd_n * sqrt(2 (n rho^2 + 1) / (n^2 rho^2) * log(sqrt(n rho^2 + 1) / alpha))

with ``sd_n`` the per-row terms' standard deviation and ``rho`` the mixture's spread, chosen so
the band is tightest at ``n = tight_at`` (their Appendix B: ``rho^2 = (-2 log alpha +
log(-2 log alpha + 1)) / tight_at``). It is wider than the fixed interval at every ``n``
(for ``alpha = 0.05``: 1.55 times at ``tight_at``, 1.7 times at a fifth or twenty times it),
the price of reading it often.

Example:
    >>> from ope.estimators.result import OPEResult
    >>> r = OPEResult("dr", 0.1, (0.06, 0.14), 0.02, 900.0, 3.0, 0.0, 1000, 0.05, "normal")
    >>> low, high = anytime_interval(r, tight_at=1000)
    >>> round(low, 3), round(high, 3), low < r.ci[0]
    (0.039, 0.161, True)
"""

from __future__ import annotations

import math

from ope.errors import OPEInputError
from ope.estimators.result import OPEResult

__all__ = ["anytime_interval", "anytime_width"]


def anytime_width(sd: float, n: int, alpha: float = 0.05, tight_at: int = 1000) -> float:
    """The half-width at ``n`` rows of the ``1 - alpha`` asymptotic confidence sequence of a
    mean of terms with standard deviation ``sd``, tightest at ``tight_at`` rows (module doc).

    Example:
        >>> round(anytime_width(1.0, 1000), 4), round(1.96 / 1000 ** 0.5, 4)
        (0.096, 0.062)

    Raises:
        OPEInputError: ``n`` or ``tight_at`` below 1, ``alpha`` outside (0, 1), ``sd`` < 0.
    """
    if n < 1 or tight_at < 1:
        raise OPEInputError(f"n and tight_at: expected integers >= 1, got {n!r}, {tight_at!r}")
    if not 0.0 < alpha < 1.0:
        raise OPEInputError(f"alpha: expected a number in (0, 1), got {alpha!r}")
    if not sd >= 0.0:
        raise OPEInputError(f"sd: expected a number >= 0, got {sd!r}")
    log_a = -2.0 * math.log(alpha)
    rho2 = (log_a + math.log(log_a + 1.0)) / tight_at
    v = n * rho2 + 1.0
    return sd * math.sqrt(2.0 * v / (n * n * rho2) * math.log(math.sqrt(v) / alpha))


def anytime_interval(result: OPEResult, tight_at: int = 1000) -> tuple[float, float]:
    """``result``'s value with the confidence-sequence half-width in place of its fixed
    interval's: the per-row standard deviation is ``std_error * sqrt(n)``, at ``result.alpha``.
    """
    sd = result.std_error * math.sqrt(result.n)
    w = anytime_width(sd, result.n, result.alpha, tight_at)
    return result.value - w, result.value + w
