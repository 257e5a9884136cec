"""A streaming accumulator for any estimator: ``add`` batches, ``+`` partial results, ``get``.

The state is a few numbers per column plus two length-K vectors (about 1 KB for 50 actions), so
Ray workers or file chunks can each evaluate a slice and the driver merges them; the merged result
equals the one-shot result on the concatenated arrays.

Example:
    >>> import numpy as np
    >>> from ope.estimators.accumulator import Accumulator
    >>> from ope.estimators.ips import IPS
    >>> acc = Accumulator(IPS(), n_actions=2)
    >>> acc.add([1.0, 0.0], [0, 1], [0.5, 0.5], [[1.0, 0.0], [0.5, 0.5]])
    >>> acc.get().value
    1.0
"""

from __future__ import annotations

import copy
from statistics import NormalDist

import numpy as np

from ope.errors import OPEInputError
from ope.estimators.input_checks import check_batch
from ope.estimators.moments import Moments
from ope.estimators.protocol import Estimator
from ope.estimators.result import OPEResult

__all__ = ["Accumulator"]


class Accumulator:
    """Running state of one estimator over logged batches with ``n_actions`` actions."""

    def __init__(self, estimator: Estimator, n_actions: int) -> None:
        self.estimator = estimator
        self.n_actions = n_actions
        self.moments: Moments | None = None
        self.sum_w = 0.0
        self.sum_w2 = 0.0
        self.max_w = 0.0
        self.seen = np.zeros(n_actions, dtype=bool)  # actions that appear in the log
        self.target_mass = np.zeros(n_actions)  # sum over rows of target_probs[:, a]

    def add(self, rewards, actions, propensities, target_probs, reward_hat=None) -> None:
        """Validate one batch of logged decisions and fold it in (see ``estimate`` for shapes)."""
        if self.estimator.needs_reward_hat and reward_hat is None:
            raise OPEInputError(
                f"reward_hat is required for estimator {self.estimator.name!r}; fit one with "
                "ope.fit_reward_model"
            )
        batch = check_batch(rewards, actions, propensities, target_probs, reward_hat)
        if batch.n_actions != self.n_actions:
            raise OPEInputError(
                f"target_probs has {batch.n_actions} columns but this accumulator was made for "
                f"{self.n_actions} actions"
            )
        self.add_validated(batch, batch.target_probs.sum(axis=0))

    def add_validated(self, batch, target_mass: np.ndarray) -> None:
        """Fold in a batch already checked by :func:`check_batch` (or built from checked arrays).

        ``batch`` needs what the estimators read (``rewards``, ``actions``, ``weights``,
        ``direct_terms()``, ``residuals()``) and ``target_mass`` (K,) is the target's summed
        probability per action: callers that evaluate many targets on one log (the dashboard's
        fixed actions) validate once and skip the (n, K) target matrices.
        """
        m = Moments.of(self.estimator.columns(batch))
        self.moments = m if self.moments is None else self.moments + m
        w = batch.weights
        self.sum_w += float(w.sum())
        self.sum_w2 += float((w * w).sum())  # not BLAS: see moments._products
        self.max_w = max(self.max_w, float(w.max()))
        self.seen[batch.actions] = True
        self.target_mass += target_mass

    def replace_row(self, rows) -> None:
        """Replace one row already folded in by the same decision with another reward (a
        later conversion after a provisional 0), ``rows`` a two-row batch of the row as added
        and as it is now: the weights, the actions seen and the target's mass stay as they
        were, the moments take the new row's columns in place of the old's."""
        if self.moments is None:
            raise OPEInputError("replace_row: no logged decisions were added")
        old, new = self.estimator.columns(rows)
        self.moments = self.moments.replaced(old, new)

    def __add__(self, other: Accumulator) -> Accumulator:
        if other.estimator != self.estimator or other.n_actions != self.n_actions:
            raise OPEInputError(
                f"cannot merge accumulators of {self.estimator} / {self.n_actions} actions and "
                f"{other.estimator} / {other.n_actions} actions"
            )
        out = copy.deepcopy(self)
        if other.moments is not None:
            out.moments = other.moments if out.moments is None else out.moments + other.moments
        out.sum_w += other.sum_w
        out.sum_w2 += other.sum_w2
        out.max_w = max(out.max_w, other.max_w)
        out.seen = out.seen | other.seen
        out.target_mass = out.target_mass + other.target_mass
        return out

    def get(self, alpha: float = 0.05) -> OPEResult:
        """The estimate so far with a two-sided ``1 - alpha`` interval."""
        if not 0.0 < alpha < 1.0:
            raise OPEInputError(f"alpha must be in (0, 1), got {alpha}")
        if self.moments is None:
            raise OPEInputError("no logged decisions were added; call add() first")
        m = self.moments
        value, grad = self.estimator.value_and_gradient(m.mean)
        cov = m.covariance()
        variance = float(grad @ cov @ grad)
        # The delta method's variance is a difference of terms: where they cancel exactly (a
        # fitted control variate on two rows), rounding leaves a residue of either sign whose
        # square root is far from 0 and differs between a split and a one-shot log; below
        # rounding's reach of the terms' own scale it is 0.
        scale = float(np.abs(grad) @ np.sqrt(np.clip(np.diag(cov), 0.0, None))) ** 2
        if variance <= 1e-12 * scale:
            variance = 0.0
        # One row says nothing about the spread: an infinite interval, not a zero-width one.
        se = float(np.sqrt(variance / m.n)) if m.n > 1 else float("inf")
        z = NormalDist().inv_cdf(1.0 - alpha / 2.0)
        ess = self.sum_w**2 / self.sum_w2 if self.sum_w2 > 0 else 0.0
        unsupported = float(self.target_mass[~self.seen].sum() / m.n)
        return OPEResult(
            estimator=self.estimator.name, value=value, ci=(value - z * se, value + z * se),
            std_error=se, ess=ess, max_weight=self.max_w, unsupported_mass=unsupported,
            n=m.n, alpha=alpha, ci_method=self.estimator.ci_method,
        )
