"""Doubly robust with a partial-identification bound for what the log cannot identify.

A target's mass on actions the logger (almost) never played is not identified by the log: no
weight can correct the reward model there, and a normal interval on the DR terms says nothing
about how wrong the model may be. So the target is split per row into its *supported* part
(actions the logger played with probability at least ``floor``) and the rest:

- the supported part is estimated by DR (importance-weighted residuals only on rows whose logged
  action was supported), the unsupported part by the reward model alone: their sum is the point
  estimate, with the normal interval of the per-row terms (``supported``);
- the unsupported part's true value is only known to lie in the range the rewards can take
  (``reward_low``, ``reward_high`` per action): the *identification bound* is
  ``mean_i sum_a u(a|x_i) (low_a - q(x_i, a))`` below and ``... (high_a - q(x_i, a))`` above,
  ``u`` the target's unsupported mass and ``q`` the reward model, clipped into the range
  (everywhere: the point estimate uses the clipped model too);
- the combined interval adds the bound to the DR interval's ends (Manski-style: whatever the
  unsupported actions are worth, within the range, the value is inside it at the DR interval's
  level).

With ``floor = 0`` only actions the logger could not play (probability 0) are unsupported and
the point estimate is plain DR's with the clipped model (a never-played action never carries a
weight). With ``floor > 0`` rows whose logged action was barely supported lose their
importance correction (weights above ``1 / floor`` no longer occur) and their mass moves into
the bound.

Example:
    >>> import numpy as np
    >>> from ope.estimators.identification import partially_identified_dr
    >>> r = partially_identified_dr([1.0, 0.0], [0, 0], [1.0, 1.0], [[0.5, 0.5], [0.5, 0.5]],
    ...     reward_hat=[[0.5, 0.5], [0.5, 0.5]], support=[[True, False], [True, False]],
    ...     reward_low=[0.0, 0.0], reward_high=[1.0, 1.0])
    >>> r.mass, r.bound, r.supported.value
    (0.5, (-0.25, 0.25), 0.5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ope.errors import OPEInputError
from ope.estimators.input_checks import check_batch
from ope.estimators.result import OPEResult

__all__ = ["PartialIdentification", "observed_reward_range", "partially_identified_dr",
           "predicted_reward_range"]


@dataclass(frozen=True)
class PartialIdentification:
    """DR on the supported part, the identification bound, and the combined interval.

    Attributes:
        supported: DR with the unsupported mass valued by the reward model; its ``ci`` is the
            sampling interval only, its ``unsupported_mass`` the mass below the floor.
        mass: the target's mean mass on unsupported actions (logger probability < ``floor``).
        bound: (low <= 0, high >= 0): what the unsupported mass could add to ``supported.value``
            if its rewards were anywhere in their range instead of the model's prediction.
        ci: the combined interval, ``supported.ci`` widened by ``bound``.
        floor: the logger probability below which an action counted as unsupported.
    """

    supported: OPEResult
    mass: float
    bound: tuple[float, float]
    ci: tuple[float, float]
    floor: float

    def to_dict(self) -> dict:
        """A flat JSON-ready dict."""
        return {"supported": self.supported.to_dict(), "unidentified_mass": self.mass,
                "bound_low": self.bound[0], "bound_high": self.bound[1],
                "ci_low": self.ci[0], "ci_high": self.ci[1], "floor": self.floor}


def observed_reward_range(rewards: np.ndarray, actions: np.ndarray, groups: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """(K,), (K,): per action, the smallest and largest logged reward of its group.

    ``groups`` (K,) puts actions together (e.g. by channel); a group with no logged reward
    takes the whole log's range.

    Example:
        >>> lo, hi = observed_reward_range([1.0, 3.0, 5.0], [0, 1, 0], [0, 0, 1])
        >>> lo.tolist(), hi.tolist()
        ([1.0, 1.0, 1.0], [5.0, 5.0, 5.0])
    """
    r = np.asarray(rewards, dtype=float)
    a = np.asarray(actions, dtype=np.int64)
    g = np.asarray(groups, dtype=np.int64)
    if r.size == 0:
        raise OPEInputError("rewards is empty; the range needs at least one logged reward")
    codes, inverse = np.unique(g, return_inverse=True)
    lo = np.full(codes.size, np.inf)
    hi = np.full(codes.size, -np.inf)
    np.minimum.at(lo, inverse[a], r)
    np.maximum.at(hi, inverse[a], r)
    empty = ~np.isfinite(lo)
    lo[empty], hi[empty] = r.min(), r.max()
    return lo[inverse], hi[inverse]


def predicted_reward_range(reward_hat: np.ndarray, support: np.ndarray, groups: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
    """(K,), (K,): per action, the smallest and largest prediction of ``reward_hat`` (n, K) on the
    supported cells (``support`` (n, K)) of its group (``groups`` (K,)).

    Narrower than :func:`observed_reward_range` where rewards are rare large amounts (a purchase
    among zeros): the realised range bounds an expected reward, but loosely. This one is not a
    guarantee: it says the unsupported actions are worth no more or less than the model thinks
    the supported ones of their group can be. A group with no supported cell takes the range
    over all supported cells (or all cells when none is).

    Example:
        >>> lo, hi = predicted_reward_range([[1.0, 9.0], [2.0, 3.0]],
        ...                                 [[True, False], [True, True]], [0, 0])
        >>> lo.tolist(), hi.tolist()
        ([1.0, 1.0], [3.0, 3.0])
    """
    q = np.asarray(reward_hat, dtype=float)
    s = np.asarray(support, dtype=bool)
    g = np.asarray(groups, dtype=np.int64)
    if q.shape != s.shape:
        raise OPEInputError(f"support must have the shape of reward_hat {q.shape}, got {s.shape}")
    fallback = q[s] if s.any() else q.ravel()
    lo, hi = np.empty(g.size), np.empty(g.size)
    for code in np.unique(g):  # a few channels, not customers
        cells = q[:, g == code][s[:, g == code]]
        cells = cells if cells.size else fallback
        lo[g == code], hi[g == code] = cells.min(), cells.max()
    return lo, hi


def partially_identified_dr(rewards: np.ndarray, actions: np.ndarray, propensities: np.ndarray,
                            target_probs: np.ndarray, reward_hat: np.ndarray, support: np.ndarray,
                            reward_low: np.ndarray, reward_high: np.ndarray, alpha: float = 0.05,
                            floor: float = 0.0) -> PartialIdentification:
    """DR on the supported part of ``target_probs`` plus the bound on the rest (module doc).

    Args:
        rewards, actions, propensities, target_probs, reward_hat: as for :func:`ope.estimate`.
        support: (n, K) bool, True where the logger played the action with probability at
            least ``floor`` (``logging_probs >= floor`` when the full distribution is logged).
        reward_low, reward_high: (K,) the range each action's expected reward lies in
            (:func:`observed_reward_range`).
        alpha: the DR interval is two-sided at ``1 - alpha``.
        floor: recorded in the result (the caller applied it to ``support``).

    Raises:
        OPEInputError: malformed arrays (the message names the array).
    """
    b = check_batch(rewards, actions, propensities, target_probs, reward_hat)
    assert b.reward_hat is not None  # check_batch was given one
    s = np.asarray(support, dtype=bool)
    if s.shape != b.target_probs.shape:
        raise OPEInputError(f"support must have the shape of target_probs "
                            f"{b.target_probs.shape}, got {s.shape}")
    lo, hi = (np.broadcast_to(np.asarray(v, dtype=float), (b.n_actions,))
              for v in (reward_low, reward_high))
    if (lo > hi).any():
        i = int(np.argmax(lo > hi))
        raise OPEInputError(f"reward_low must be <= reward_high, got {lo[i]} > {hi[i]} at {i}")
    q = np.clip(b.reward_hat, lo, hi)  # no prediction outside the range the truth is in
    b = check_batch(b.rewards, b.actions, b.propensities, b.target_probs, q)
    rows = np.arange(b.n)
    kept = s[rows, b.actions]
    w = np.where(kept, b.weights, 0.0)
    terms = b.direct_terms() + w * b.residuals()
    value = float(terms.mean())
    se = float(terms.std(ddof=1)) / math.sqrt(b.n) if b.n > 1 else math.inf
    z = NormalDist().inv_cdf(1.0 - alpha / 2.0)
    unsupported = np.where(s, 0.0, b.target_probs)
    bound = (float(np.einsum("ij,ij->i", unsupported, lo - q).mean()),
             float(np.einsum("ij,ij->i", unsupported, hi - q).mean()))
    mass = float(unsupported.sum(1).mean())
    sum_w2 = float((w ** 2).sum())
    result = OPEResult(
        estimator="dr", value=value, ci=(value - z * se, value + z * se), std_error=se,
        ess=float(w.sum()) ** 2 / sum_w2 if sum_w2 > 0 else 0.0,
        max_weight=float(w.max(initial=0.0)), unsupported_mass=mass, n=b.n, alpha=alpha,
        ci_method=f"normal on per-row DR terms, weights only on actions logged with "
                  f"probability >= {floor:g}")
    return PartialIdentification(result, mass, bound,
                                 (result.ci[0] + bound[0], result.ci[1] + bound[1]), floor)
