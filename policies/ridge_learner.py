"""A closed-form ridge learner with SquareCB's exploration, for the engine's candidate list.

One ridge regression per action (disjoint) over the shared features hashed into ``dim`` slots
plus a constant: action ``a`` keeps ``A_a^-1`` (``(dim+1) x (dim+1)``) and ``b_a``, updated by
Sherman-Morrison when it is played, and its weights ``theta_a = A_a^-1 b_a``. Probabilities are
SquareCB's inverse gap weighting over the estimates ``theta_a . x`` of the eligible actions:
``p_a = 1 / (k + gamma * (best - estimate_a))`` for every action but the best, which gets the
rest, with ``gamma = gamma_scale * n ** gamma_exponent`` and ``n`` the rewards learned (VW's
SquareCB rule and defaults). The distribution is deterministic given the model, so the
probability the caller logs is exactly the one its draw used, and no action gets 0.

Features are :func:`policies.vw_format.feature_items` of the shared set (``namespace:name``,
value), hashed with CRC-32 (stable across processes, so a saved model resumes exactly); two
features in one slot share a weight. The action's own features (message, channel, timing) are
not used: each action has its own model, so they could only add a constant per action, which
the constant already learns. Memory is ``K * (dim+1)^2`` float64: 193 actions at ``dim=128``
hold about 26 MB.

Example:
    >>> with RidgeLearner(RidgeConfig(dim=16)) as r:
    ...     r.set_actions([{"m": {"msg": "a"}}, {"m": {"msg": "b"}}])
    ...     p0 = r.probabilities({"c": {"x": 1.0}})
    ...     for _ in range(20):
    ...         r.learn({"c": {"x": 1.0}}, [0, 1], chosen=1, probability=0.5, reward=1.0)
    ...     p1 = r.probabilities({"c": {"x": 1.0}})
    >>> p0.tolist(), bool(p1[1] > 0.9), bool(p1[0] > 0)
    ([0.5, 0.5], True, True)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policies.errors import PolicyConfigError, PolicyInputError
from policies.hashed_ridge import (
    FeatureSlots,
    HashedRidge,
    check_forget,
    check_slots,
    feature_slot,
    fingerprint_of,
)
from policies.number_scale import NumberScale, check_number_scale
from policies.vw_format import FeatureSet

__all__ = ["RidgeConfig", "RidgeLearner", "check_forget", "feature_slot"]

@dataclass(frozen=True)
class RidgeConfig:
    """The ridge learner's settings.

    Attributes:
        dim: hashed slots for the shared features (a power of two, 8..512).
        l2: the ridge penalty (> 0): ``A_a`` starts as ``l2 * I``.
        gamma_scale: SquareCB's gamma at the first reward (> 0).
        gamma_exponent: how fast gamma grows with the rewards learned (0..1).
        forget: how much of its past an action's regression keeps at each of its own updates,
            in (0, 1]; 1 (the default) forgets nothing. Below 1 the regression is the ridge
            solve weighting each reward ``forget ** age`` (``age``: the action's updates since)
            with a penalty between ``l2 / 2`` and ``l2`` (see :meth:`RidgeLearner.learn`).
        ucb: optimism, in standard deviations of the rewards learned (>= 0; 0, the default,
            none): the inverse gap weighting runs over ``estimate_a + ucb * sd *
            sqrt(x' A_a^-1 x)`` instead of the estimates, so the exploration it leaves goes to
            the actions the model knows least in this context rather than evenly to every
            action (LinUCB's width over the ridge's own ``A_a^-1``; docs/engine.md, "Why the
            ridge trails LinUCB on multiclass60").
        slots: how a shared feature finds its slot (:data:`~policies.hashed_ridge.SLOT_KINDS`):
            ``"hashed"`` (the default: CRC-32, two features may share one) or ``"table"``
            (each feature learned from takes the next free slot, saved with the model; hashed
            once all ``dim`` are taken).
        number_scale: how the context's numbers are read
            (:data:`~policies.number_scale.NUMBER_SCALES`): ``"spread"`` (the default: each on
            a scale fixed from its first values learned, ``policies/number_scale.py``) or
            ``"raw"`` (as they come: the reading before the setting existed, which a model
            saved then keeps whatever this says).
    """

    dim: int = 128
    l2: float = 1.0
    gamma_scale: float = 10.0
    gamma_exponent: float = 0.5
    forget: float = 1.0
    ucb: float = 0.0
    slots: str = "hashed"
    number_scale: str = "spread"

    def __post_init__(self) -> None:
        d = self.dim
        if isinstance(d, bool) or not isinstance(d, int) or not 8 <= d <= 512 or d & (d - 1):
            raise PolicyConfigError(f"dim: expected a power of two in [8, 512], got {d!r}")
        for name, low, high, low_open in (("l2", 0.0, 1e6, True),
                                          ("gamma_scale", 0.0, 1e6, True),
                                          ("gamma_exponent", 0.0, 1.0, False),
                                          ("ucb", 0.0, 1e3, False)):
            v = getattr(self, name)
            ok = (not isinstance(v, bool) and isinstance(v, int | float) and np.isfinite(v)
                  and (v > low if low_open else v >= low) and v <= high)
            if not ok:
                bound = "(" if low_open else "["
                raise PolicyConfigError(f"{name}: expected a number in {bound}{low:g}, "
                                        f"{high:g}], got {v!r}")
        check_forget(self.forget)
        check_slots(self.slots)
        check_number_scale(self.number_scale)

    @property
    def exploration(self) -> str:
        """The exploration's name as the engine reports it (``stats()["exploration"]``)."""
        return "ridge"

    def fingerprint(self) -> str:
        """Everything that shapes the model (a checkpoint made with another is refused).

        ``forget`` is left out at 1.0, ``ucb`` at 0.0, ``slots`` at ``"hashed"`` and
        ``number_scale`` at ``"spread"``, so checkpoints written before they existed still
        open (one written before ``number_scale`` reads its numbers raw: it learned them so).
        """
        return fingerprint_of("ridge", self, {"forget": 1.0, "ucb": 0.0, "slots": "hashed",
                                              "number_scale": "spread"})


class RidgeLearner(HashedRidge):
    """Disjoint ridge regressions with inverse gap weighting over a fixed list of actions.

    The same interface as :class:`policies.vw_learner.VWLearner` (``set_actions``,
    ``probabilities``, ``learn``, ``explain``, ``save``, ``close``), so the engine's candidate
    machinery runs either.

    Args:
        config: the settings.
        seed: unused (the distribution is deterministic); kept for the common interface.
        model_path: a file written by :meth:`save` to resume from.
    """

    def __init__(self, config: RidgeConfig | None = None, *, seed: int = 0,
                 model_path: str | os.PathLike | None = None) -> None:
        self.config = config or RidgeConfig()
        self.seed = int(seed)
        self._width = self.config.dim + 1  # the last slot is the constant
        self._slots = FeatureSlots(self.config.slots, self.config.dim)
        self._numbers = NumberScale(enabled=self.config.number_scale == "spread")
        self._k = 0
        self._ainv = np.zeros((0, self._width, self._width))
        self._b = np.zeros((0, self._width))
        self._theta = np.zeros((0, self._width))
        self._n = 0
        self._forget_for = (1.0, 0)  # a temporary forget factor and the updates it has left
        self._pending = np.ones(0)  # per action, the share of the penalty left (_forget)
        self._moments = np.zeros(3)  # the rewards' count, mean, squared deviations (_welford)
        self._closed = False
        if model_path is not None:
            self._load(Path(model_path))

    # -- actions -------------------------------------------------------------------------------
    def set_actions(self, actions: Sequence[FeatureSet]) -> None:
        """Size the model for ``len(actions)`` actions (a loaded model must have as many)."""
        self._check_open()
        if not actions:
            raise PolicyInputError("actions must hold at least one action, got none")
        k = len(actions)
        if self._k and self._k != k:
            raise PolicyInputError(f"actions: expected {self._k} actions (the saved model's), "
                                   f"got {k}")
        if not self._k:
            w = self._width
            self._ainv = np.broadcast_to(np.eye(w) / self.config.l2, (k, w, w)).copy()
            self._b = np.zeros((k, w))
            self._theta = np.zeros((k, w))
            self._pending = np.ones(k)
            self._k = k

    # -- predict / learn -----------------------------------------------------------------------
    def _estimate(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return self._theta[idx] @ x

    def _quadratic_form(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """``x' A_a^-1 x`` over the slots ``x`` touches only (``A_a^-1`` restricted to them):
        ``O(K s^2)`` for ``s`` non-zero features, not ``O(K dim^2)``."""
        nz = np.flatnonzero(x)
        return (self._ainv[np.ix_(idx, nz, nz)] @ x[nz]) @ x[nz]

    def weights(self) -> np.ndarray:
        """A copy of every action's weights ``theta``, ``(K, dim + 1)`` (the constant last):
        ``features(shared) @ weights().T`` are :meth:`estimates` for every action."""
        return self._theta.copy()

    def learn(self, shared: FeatureSet, eligible: Sequence[int] | np.ndarray | None, chosen: int,
              probability: float, reward: float) -> None:
        """Learn one logged decision: the played action's ridge regression takes the reward.

        ``probability`` is checked but not used: the direct method regresses on the played
        action's reward (as VW's ``mtr`` does up to its importance weight). With a forget
        factor ``f < 1`` (``config.forget``, or :meth:`forget_for`'s while it lasts) the played
        action's statistics are first discounted, ``A <- f A`` and ``b <- f b``, the penalty
        put back once half of it has gone (:meth:`_forget`), so its regression weights each
        of its rewards ``f ** age``, age counted in its own updates (an action not played keeps
        what it knew), with a penalty between ``l2 / 2`` and ``l2``.
        """
        r = self._checked_reward(eligible, chosen, probability, reward)
        x = self.features(shared, learning=True)
        a = int(chosen)
        self._forget(a, self._ainv[a], self._b[a])  # theta is recomputed below anyway
        ainv = self._ainv[a]
        u = ainv @ x
        ainv -= np.outer(u, u) / (1.0 + x @ u)
        self._b[a] += r * x
        self._theta[a] = ainv @ self._b[a]
        self._welford(r)
        self._n += 1

    def _add_to_b(self, x: np.ndarray, a: int, delta: float) -> None:
        self._b[a] += delta * x
        self._theta[a] += self._ainv[a] @ (delta * x)

    def _action_weights(self, a: int) -> np.ndarray:
        return self._theta[a]

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the whole model to ``path`` atomically (temp file, fsync, rename)."""
        self._write(path, ainv=self._ainv, b=self._b, theta=self._theta,
                    n=np.array([self._n], dtype=np.int64),
                    **self._learned_state(), config=np.array(self.config.fingerprint()))

    def _load(self, path: Path) -> None:
        if not path.is_file():
            raise PolicyConfigError(f"model_path must be an existing file, got {str(path)!r}")
        try:
            with np.load(path, allow_pickle=False) as z:
                saved = str(z["config"])
                ainv, b, theta, n = z["ainv"], z["b"], z["theta"], int(z["n"][0])
                self._read_learned_state(z, regressions=ainv.shape[0])
        except (OSError, ValueError, KeyError) as exc:
            raise PolicyConfigError(f"model_path: expected a ridge model, cannot read "
                                    f"{str(path)!r}: {exc}") from exc
        if saved != self.config.fingerprint():
            raise PolicyConfigError(f"model_path: expected a model made with "
                                    f"{self.config.fingerprint()}, got {saved}")
        self._ainv, self._b, self._theta, self._n = ainv.copy(), b.copy(), theta.copy(), n
        self._k = int(ainv.shape[0])
