"""What the two closed-form ridge learners share (:class:`~policies.ridge_learner.RidgeLearner`,
one regression per action; :class:`~policies.joint_ridge_learner.JointRidgeLearner`, one over
the context crossed with the actions' attributes): the hashed context vector, inverse gap
weighting over their estimates, forgetting (a forget factor, a temporary one, and the penalty
put back late), the checks of a logged decision, the explanation, the atomic write and
the lifecycle. A subclass gives ``_estimate``, ``_quadratic_form`` (the optimism's
width), ``learn`` and ``_action_weights``.

Example:
    >>> import numpy as np
    >>> np.round(inverse_gap_weights(np.array([1.0, 0.0]), gamma=10.0), 3).tolist()
    [0.917, 0.083]
"""

from __future__ import annotations

import io
import json
import os
import zlib
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Self

import numpy as np

from policies.batch_checks import eligible_indices
from policies.errors import PolicyConfigError, PolicyInputError
from policies.number_scale import NumberScale
from policies.vw_format import FeatureSet, clean_token, feature_items

__all__ = ["PENALTY_OWED", "SLOT_KINDS", "FeatureSlots", "HashedRidge", "check_forget",
           "check_slots", "feature_slot", "fingerprint_of",
           "inverse_gap_weights", "restore_penalty"]

_MAX_CACHE = 100_000  # hashed feature names kept; high-cardinality categories start it over

#: The share of the penalty a forgetting regression may lose before it is put back
#: (``HashedRidge._forget``).
PENALTY_OWED = 0.5


#: How a ridge learner maps a shared feature to a slot: ``hashed`` (CRC-32, stateless: two
#: features may share a slot, and with more features than slots many do) or ``table`` (each
#: feature gets the next free slot the first time the learner learns from it, kept in the saved
#: model; once every slot is taken, later features are hashed as before).
SLOT_KINDS = ("hashed", "table")


def check_slots(value: object) -> str:
    """``value`` as one of :data:`SLOT_KINDS`, or a :class:`PolicyConfigError` naming
    ``slots``.

    Example:
        >>> check_slots("table")
        'table'
    """
    if not isinstance(value, str) or value not in SLOT_KINDS:
        raise PolicyConfigError(f"slots: expected one of {', '.join(SLOT_KINDS)}, got {value!r}")
    return value


class FeatureSlots:
    """Where each shared feature ``(namespace, name)`` goes among ``dim`` slots: hashed
    (:func:`feature_slot`, remembered in a cache), or under ``kind = "table"`` the next free
    slot, given when the model learns from the feature (:meth:`slot` with ``learning``),
    hashed once every slot is taken. One mapping for the learner and for whatever scores with
    its weights (:meth:`copy`). With ``context_keys`` only the context's (namespace ``c``)
    features of those keys have a slot (``key`` itself, a number, or ``key=value``, a
    category); every other feature has none. A feature of a namespace in ``left_out`` (as
    ``"h"``, the contact history) has none either.

    Example:
        >>> slots = FeatureSlots("table", dim=4)
        >>> slots.slot("c", "x"), slots.slot("c", "x", learning=True), slots.slot("c", "x")
        (-1, 0, 0)
        >>> by_segment = FeatureSlots("hashed", dim=4, context_keys=("segment",))
        >>> by_segment.slot("c", "age") == by_segment.slot("h", "contacts_7d") == -1
        True
        >>> by_segment.slot("c", "segment=vip") >= 0
        True
        >>> FeatureSlots("hashed", dim=4, left_out=("h",)).slot("h", "contacts_7d")
        -1
    """

    def __init__(self, kind: str, dim: int, table: Sequence[Sequence[str]] = (),
                 context_keys: Sequence[str] = (), left_out: Sequence[str] = ()) -> None:
        self.kind, self.dim = check_slots(kind), dim
        self.context_keys = tuple(clean_token(k) for k in context_keys)
        self.left_out = tuple(left_out)
        self._table = {(str(ns), str(name)): i for i, (ns, name) in enumerate(table)}
        self._hashed: dict[tuple[str, str], int] = {}

    def slot(self, ns: str, name: str, learning: bool = False) -> int:
        """Feature ``ns:name``'s slot, or -1 for none. Under ``table`` a feature not in the
        table takes the next free slot when ``learning`` (its weights there are still the
        prior's, so nothing learned moves), and has none otherwise (it would weigh 0 there
        anyway: choosing and scoring never change the model); once the table is full, such a
        feature is hashed."""
        key = (ns, name)
        if self.kind == "table":
            slot = self._table.get(key)
            if slot is not None:
                return slot
            if len(self._table) < self.dim and self._reads(ns, name):
                if not learning:
                    return -1
                slot = self._table[key] = len(self._table)
                return slot
        slot = self._hashed.get(key)
        if slot is None:  # a feature outside ``context_keys`` is cached as -1: one check each
            if len(self._hashed) >= _MAX_CACHE:
                self._hashed.clear()
            slot = self._hashed[key] = (feature_slot(ns, name, self.dim)
                                        if self._reads(ns, name) else -1)
        return slot

    def _reads(self, ns: str, name: str) -> bool:
        """Whether the mapping gives feature ``ns:name`` a slot at all (``context_keys``,
        ``left_out``)."""
        if ns in self.left_out:
            return False
        if not self.context_keys:
            return True
        return ns == "c" and any(name == k or name.startswith(k + "=")
                                 for k in self.context_keys)

    def table(self) -> dict[tuple[str, str], int]:
        """A copy of the features given their own slot (empty when hashed)."""
        return dict(self._table)

    def names(self) -> list[list[str]]:
        """The table's features in slot order, JSON-ready (what a saved model keeps)."""
        return [list(k) for k, _ in sorted(self._table.items(), key=lambda kv: kv[1])]

    def copy(self) -> FeatureSlots:
        """The mapping as it stands, apart from this one (a scorer of a snapshot)."""
        return FeatureSlots(self.kind, self.dim, self.names(), self.context_keys,
                            self.left_out)


def check_forget(value: object, name: str = "forget") -> float:
    """``value`` as a forget factor in (0, 1], or a :class:`PolicyConfigError` naming ``name``.

    Example:
        >>> check_forget(0.999)
        0.999
    """
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not (np.isfinite(value) and 0.0 < value <= 1.0)):
        raise PolicyConfigError(f"{name}: expected a number in (0, 1], got {value!r}")
    return float(value)


def restore_penalty(ainv: np.ndarray, c: float | np.ndarray) -> None:
    """In place, ``A^-1`` becomes the inverse of ``A + C`` with ``C = c I`` (``c >= 0``), or
    ``C = diag(c)`` for an array of one penalty per weight.

    ``(A + C)^-1 = (I + A^-1 C)^-1 A^-1``, one solve over the slots some context has coupled
    (a row of ``A^-1`` with an entry off its diagonal): ``O(t^3)`` for ``t`` such slots. The
    others are diagonal, each ``1 / (1 / a_ii + c_i)``.

    Example:
        >>> a = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 4.0]])
        >>> ainv = np.linalg.inv(a)
        >>> restore_penalty(ainv, 0.5)
        >>> bool(np.allclose(ainv, np.linalg.inv(a + 0.5 * np.eye(3))))
        True
        >>> c = np.array([0.5, 2.0, 1.0])
        >>> restore_penalty(ainv, c)
        >>> bool(np.allclose(ainv, np.linalg.inv(a + 0.5 * np.eye(3) + np.diag(c))))
        True
    """
    diag = np.diagonal(ainv).copy()
    each = np.broadcast_to(np.asarray(c, dtype=np.float64), diag.shape)
    coupled = np.flatnonzero(((ainv != 0.0).sum(axis=1) - (diag != 0.0)) > 0)
    alone = np.setdiff1d(np.arange(ainv.shape[0]), coupled)
    ainv[alone, alone] = 1.0 / (1.0 / diag[alone] + each[alone])
    if coupled.size:
        block = ainv[np.ix_(coupled, coupled)]
        new = np.linalg.solve(np.eye(coupled.size) + block * each[coupled][None, :], block)
        ainv[np.ix_(coupled, coupled)] = 0.5 * (new + new.T)  # symmetric, kept so


def feature_slot(ns: str, name: str, dim: int) -> int:
    """The hashed slot (0..dim-1) of feature ``ns:name``: CRC-32, stable across processes.

    Example:
        >>> feature_slot("c", "seg=vip", 128) == feature_slot("c", "seg=vip", 128)
        True
    """
    return zlib.crc32(f"{ns}\x00{name}".encode()) & (dim - 1)


def fingerprint_of(kind: str, config: Any, left_out: dict[str, Any]) -> str:
    """A learner config's fingerprint: ``kind`` and its fields, less each field of
    ``left_out`` at its given value (a field added later is left out at its default, so
    checkpoints written before it existed still open).

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass
        ... class C:
        ...     dim: int = 8
        ...     ucb: float = 0.0
        >>> fingerprint_of("ridge", C(), {"ucb": 0.0}), fingerprint_of("ridge", C(ucb=1), {})
        ('{"dim": 8, "kind": "ridge"}', '{"dim": 8, "kind": "ridge", "ucb": 1}')
    """
    fields = {k: v for k, v in asdict(config).items() if k not in left_out or v != left_out[k]}
    return json.dumps({"kind": kind, **fields}, sort_keys=True)


def inverse_gap_weights(est: np.ndarray, gamma: float) -> np.ndarray:
    """SquareCB's distribution over estimates ``est``: ``1 / (K + gamma * gap)`` to every
    action but the best, the rest to the best."""
    best = int(np.argmax(est))
    p = 1.0 / (est.size + gamma * (est[best] - est))
    p[best] = 0.0
    p[best] = 1.0 - p.sum()
    return p


class HashedRidge:
    """The shared part of the ridge learners; see the module. Subclasses set ``config`` (with
    ``dim``, ``gamma_scale``, ``gamma_exponent``, ``ucb``), ``_width = dim + 1``, ``_k``, ``_n``
    and ``_moments``."""

    config: Any
    _width: int
    _k: int
    _n: int
    _slots: FeatureSlots  # where each shared feature goes
    _numbers: NumberScale  # the scale each context number is read on
    _closed: bool
    _b: np.ndarray  # the sum of rewards times features (per regression)
    _theta: np.ndarray  # the weights, A^-1 b
    _moments: np.ndarray  # the rewards' count, mean and squared deviations (_welford)
    _forget_for: tuple[float, int]  # a temporary forget factor and the updates it has left
    _pending: np.ndarray  # per regression, the share of the penalty left since it was put back

    @property
    def forget(self) -> float:
        """The forget factor the next update uses: a temporary one while it lasts
        (:meth:`forget_for`), else ``config.forget``."""
        factor, left = self._forget_for
        return factor if left > 0 else self.config.forget

    @property
    def forget_updates_left(self) -> int:
        """Updates the temporary forget factor has left (0: ``config.forget`` applies)."""
        return self._forget_for[1]

    def forget_for(self, factor: float, updates: int) -> None:
        """Use forget factor ``factor`` for the next ``updates`` updates, then
        ``config.forget`` again (a drift answer: forget faster for a while).

        Raises:
            PolicyConfigError: ``factor`` outside (0, 1] or ``updates`` not an integer >= 0.
        """
        factor = check_forget(factor, "factor")
        if isinstance(updates, bool) or not isinstance(updates, int) or updates < 0:
            raise PolicyConfigError(f"updates: expected an integer >= 0, got {updates!r}")
        self._forget_for = (factor, updates)

    def _forget(self, i: int, ainv: np.ndarray, b: np.ndarray) -> bool:
        """Forget before an update of regression ``i`` (its inverse ``ainv`` and ``b``, changed
        in place; nothing at a factor of 1). Returns whether the penalty was put back (then
        the weights ``A^-1 b`` moved and the caller recomputes them).

        Forgetting exactly is ``A <- f A + (1 - f) l2 I`` and ``b <- f b`` at each update
        (each reward weighted ``f ** age``, the penalty ``l2`` kept whole, so directions no
        recent context excites return to the prior instead of their inverse growing as
        ``f ** -n`` and one new reward there setting the weight unshrunk). The penalty term
        is additive, so it may be put back late without changing the rewards' weights:
        ``A <- f A``, ``b <- f b`` now (``A^-1 / f``: a scaling, and the weights do not
        move), and ``A <- A + c I`` (:func:`restore_penalty`, one solve) only once the penalty
        left, ``l2`` times the product ``P`` of the factors since, has fallen to
        ``PENALTY_OWED * l2``; then ``c = (1 - P) l2``. Meanwhile the penalty is between half
        and all of ``l2``. Why late: a solve at every update cost the disjoint ridge 2.4x to
        6x a learn at ``forget = 0.999`` (``O(t^3)`` in the touched slots), and the joint
        ridge's ``D`` reaches 1,223; late, it is paid every 693 updates at 0.999, every 138
        at 0.995.
        """
        factor, left = self._forget_for
        if left > 0:
            self._forget_for = (factor, left - 1)
        else:
            factor = self.config.forget
        if factor == 1.0:
            return False
        ainv *= 1.0 / factor
        b *= factor
        self._pending[i] *= factor
        kept = float(self._pending[i])
        if kept > PENALTY_OWED:
            return False
        self._pending[i] = 1.0
        restore_penalty(ainv, (1.0 - kept) * self._penalty(i))
        return True

    def _penalty(self, i: int) -> float | np.ndarray:
        """Regression ``i``'s penalty, which forgetting puts back: ``config.l2`` (a learner
        with a penalty per weight gives them as an array)."""
        return float(self.config.l2)

    def rescale_rewards(self, factor: float) -> None:
        """Every reward learned so far, multiplied by ``factor`` (> 0), exactly: the weights
        ``A^-1 b`` and ``b`` are linear in the rewards, their mean too, their squared deviations
        go by ``factor ** 2``; ``A`` does not hold a reward.

        Why: the engine divides rewards by a running scale (``engine/reward_scale.py``). When
        the scale moves, rows learned before it would stay in the old unit: on a world whose
        first rewards are only sending costs (a thousandth of an order's value) the scale starts
        at the cost and then jumps some thousandfold at the first conversion, and without this
        each cost learned first would weigh about as much as an order.

        Example:
            >>> from policies.ridge_learner import RidgeConfig, RidgeLearner
            >>> r = RidgeLearner(RidgeConfig(dim=8))
            >>> r.set_actions([{"m": {"msg": "a"}}, {"m": {"msg": "b"}}])
            >>> r.learn({"u": {"x": 1.0}}, None, 0, 0.5, 2.0)
            >>> before = r.estimates({"u": {"x": 1.0}})
            >>> r.rescale_rewards(0.5)
            >>> bool(np.allclose(r.estimates({"u": {"x": 1.0}}), before * 0.5))
            True

        Raises:
            PolicyInputError: ``factor`` not a finite number above 0.
        """
        if not (isinstance(factor, int | float) and np.isfinite(factor) and factor > 0):
            raise PolicyInputError(f"factor: expected a finite number above 0, got {factor!r}")
        if factor == 1.0:
            return
        self._b *= factor
        self._theta *= factor
        self._moments[1] *= factor
        self._moments[2] *= factor * factor

    def correct(self, shared: FeatureSet, eligible: Sequence[int] | np.ndarray | None,
                chosen: int, probability: float, previous: float, reward: float) -> None:
        """A decision learned before with reward ``previous`` now has reward ``reward`` (both on
        the scale learned now): the right-hand side ``b`` moves by the difference and ``A``
        does not, so the model is the one that learned ``reward`` in the first place. Exact
        with forgetting off (the shared default's joint ridge) and features read as when it
        was learned; with ``forget < 1`` the difference counts whole, as if learned now.

        Why: a client that reports each send as 0 at once and a conversion as a correction
        when it comes (``reward_mode = "sum"``) has every decision learned without waiting,
        its zeros as early as its conversions (docs/engine.md, stop 32). Learning the
        correction as one more row would count the decision twice, once at 0.

        Example:
            >>> from policies.ridge_learner import RidgeConfig, RidgeLearner
            >>> once, twice = RidgeLearner(RidgeConfig(dim=8)), RidgeLearner(RidgeConfig(dim=8))
            >>> for r in (once, twice):
            ...     r.set_actions([{"m": {"msg": "a"}}, {"m": {"msg": "b"}}])
            >>> once.learn({"u": {"x": 1.0}}, None, 0, 0.5, 3.0)
            >>> twice.learn({"u": {"x": 1.0}}, None, 0, 0.5, 0.0)
            >>> twice.correct({"u": {"x": 1.0}}, None, 0, 0.5, 0.0, 3.0)
            >>> bool(np.allclose(once.estimates({"u": {"x": 1.0}}),
            ...                  twice.estimates({"u": {"x": 1.0}})))
            True

        Raises:
            PolicyInputError: as :meth:`learn`, or ``previous`` not finite.
        """
        r = self._checked_reward(eligible, chosen, probability, reward)
        old = float(previous)
        if not np.isfinite(old):
            raise PolicyInputError(f"previous must be finite, got {previous!r}")
        if r == old:
            return
        self._add_to_b(self.features(shared), int(chosen), r - old)
        m = self._moments  # the learned rewards' moments with one value replaced, count kept
        if m[0] >= 1.0:
            mean = m[1] + (r - old) / m[0]
            m[2] = max(0.0, m[2] + (r - old) * (r - mean + old - m[1]))
            m[1] = mean

    def _add_to_b(self, x: np.ndarray, a: int, delta: float) -> None:
        """``b`` of action ``a``'s row ``x`` moves by ``delta`` times its features; the
        weights follow (``A^-1`` times the change)."""
        raise NotImplementedError

    def _learned_state(self) -> dict[str, np.ndarray]:
        """What both learners save beside their regressions: the reward moments, the
        temporary forget factor, the penalty left per regression, the slot table (its
        features in slot order) and the numbers' scale."""
        return {"moments": self._moments, "pending": self._pending,
                "forget_for": np.array([self._forget_for[0], self._forget_for[1]]),
                "table": np.array(json.dumps(self._slots.names())),
                "number_scale": np.array(json.dumps(self._numbers.to_state()))}

    def _read_learned_state(self, z: Any, regressions: int) -> None:
        """Read :meth:`_learned_state` back from an open ``.npz``; a file written before a
        field existed gets its neutral value (no moments, no temporary factor, the whole
        penalty, an empty table, numbers read as they come: the model learned them so)."""
        moments = z["moments"] if "moments" in z.files else np.zeros(3)
        held = z["forget_for"] if "forget_for" in z.files else np.array([1.0, 0.0])
        pending = z["pending"] if "pending" in z.files else np.ones(regressions)
        self._moments = np.asarray(moments, dtype=np.float64).copy()
        self._forget_for = (float(held[0]), int(held[1]))
        self._pending = np.asarray(pending, dtype=np.float64).copy()
        names = json.loads(str(z["table"])) if "table" in z.files else []
        self._slots = FeatureSlots(self.config.slots, self.config.dim, names,
                                   self._slots.context_keys, self._slots.left_out)
        self._numbers = (NumberScale.from_state(json.loads(str(z["number_scale"])))
                         if "number_scale" in z.files else NumberScale(enabled=False))

    def slot_table(self) -> dict[tuple[str, str], int]:
        """A copy of the features given their own slot (``slots = "table"``; empty when
        hashed): ``(namespace, name) -> slot``."""
        return self._slots.table()

    def feature_slots(self) -> FeatureSlots:
        """A copy of where each shared feature goes (for a scorer of these weights)."""
        return self._slots.copy()

    def number_scale(self) -> NumberScale:
        """A copy of the scale each context number is read on (for a scorer of these
        weights)."""
        return self._numbers.copy()

    def features(self, shared: FeatureSet, learning: bool = False) -> np.ndarray:
        """The dense ``(dim + 1,)`` vector of ``shared`` (the features' slots, then the
        constant 1; a context number on its scale: ``policies/number_scale.py``);
        ``learning`` lets a feature new to the slot table take a slot and a number being
        collected count the value. A namespace the slots leave out (``left_out``: the
        shared joint ridge's contact history) is not read at all: none of its features would
        take a slot (``benchmarks/engine_pair_parts.py``: the pair's two calls took 45 us with
        the history read, 37 without; one run each, docs/engine.md, stop 40)."""
        x = np.zeros(self._width)
        read = self._numbers.read
        left_out = self._slots.left_out
        if left_out:
            shared = {ns: f for ns, f in shared.items() if clean_token(ns) not in left_out}
        for ns, name, value in feature_items(shared):
            slot = self._slots.slot(ns, name, learning)
            if slot >= 0:
                x[slot] += read(ns, name, value, learning)
        x[-1] = 1.0
        return x

    def _indices(self, eligible: Sequence[int] | np.ndarray | None) -> np.ndarray:
        return eligible_indices(eligible, self._k)

    @property
    def n_actions(self) -> int:
        """K, the number of actions set by ``set_actions``."""
        return self._k

    @property
    def rewards_learned(self) -> int:
        """How many rewards the model has learned (gamma grows with it)."""
        return self._n

    def estimates(self, shared: FeatureSet,
                  eligible: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """The ridge estimate of each eligible action's reward (on the learned scale)."""
        idx = self._indices(eligible)
        return self._estimate(self.features(shared), idx)

    def optimistic_estimates(self, shared: FeatureSet,
                             eligible: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """``estimate_a + ucb * sd * sqrt(phi_a' A^-1 phi_a)`` for each eligible action ``a``
        (``ucb``: ``config.ucb``; ``sd``: :meth:`reward_sd`, so the width is on the rewards'
        own scale and a reward in euros explores as one in 0/1; ``phi_a``: the action's
        features in the subclass's model, ``A^-1`` its inverse)."""
        idx = self._indices(eligible)
        x = self.features(shared)
        width = np.sqrt(np.maximum(self._quadratic_form(x, idx), 0.0))
        return self._estimate(x, idx) + self.config.ucb * self.reward_sd() * width

    def _estimate(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """The estimates of actions ``idx`` for the feature vector ``x`` (:meth:`features`)."""
        raise NotImplementedError

    def _quadratic_form(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """``phi_a' A^-1 phi_a`` of actions ``idx`` for the feature vector ``x``."""
        raise NotImplementedError

    def _action_weights(self, a: int) -> np.ndarray:
        """Action ``a``'s effective weights over :meth:`features` (the constant last)."""
        raise NotImplementedError

    def reward_sd(self) -> float:
        """The standard deviation of the rewards learned (1.0 before two): the optimism's unit,
        so that a width is on the rewards' own scale."""
        n, _, m2 = self._moments
        return 1.0 if n < 2 else float(np.sqrt(m2 / n))

    def _welford(self, r: float) -> None:
        """Count, mean and sum of squared deviations of the rewards (Welford: exact for
        rewards of any scale, where a sum of squares would cancel)."""
        m = self._moments
        m[0] += 1.0
        d = r - m[1]
        m[1] += d / m[0]
        m[2] += d * (r - m[1])

    def gamma(self) -> float:
        """SquareCB's gamma now: ``gamma_scale * max(n, 1) ** gamma_exponent``."""
        return float(self.config.gamma_scale * max(self._n, 1) ** self.config.gamma_exponent)

    def probabilities(self, shared: FeatureSet,
                      eligible: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """Inverse gap weighting over the eligible actions' estimates, optimistic by
        ``config.ucb`` (:meth:`optimistic_estimates`) when it is above 0.

        Returns:
            (len(eligible),) float64 probabilities aligned with ``eligible``, summing to 1, each
            above 0.
        """
        est = (self.optimistic_estimates(shared, eligible) if self.config.ucb
               else self.estimates(shared, eligible))
        return inverse_gap_weights(est, self.gamma())

    def _checked_reward(self, eligible: Sequence[int] | np.ndarray | None, chosen: int,
                        probability: float, reward: float) -> float:
        """``reward`` as a float once the logged decision is checked, or a
        :class:`PolicyInputError` naming what is wrong."""
        if not np.any(self._indices(eligible) == chosen):
            raise PolicyInputError(f"chosen must be one of the eligible actions, got {chosen}")
        if not 0.0 < float(probability) <= 1.0:
            raise PolicyInputError(f"probability must lie in (0, 1], got {probability!r}")
        r = float(reward)
        if not np.isfinite(r):
            raise PolicyInputError(f"reward must be finite, got {reward!r}")
        return r

    def explain(self, shared: FeatureSet, action: int, top: int = 5
                ) -> tuple[float, list[tuple[str, float]]]:
        """The estimated reward of one action in this context, and its heaviest features.

        Returns:
            ``(score, [(feature, contribution), ...])``: the ``top`` contributions of largest
            magnitude, named ``"ns:name"`` (``"constant"`` for the constant); features that
            share a hashed slot each show that slot's weight times their own value (a number
            on its scale: ``policies/number_scale.py``).
        """
        w = self._action_weights(int(self._indices([action])[0]))
        contrib: dict[str, float] = {"constant": float(w[-1])}
        for ns, name, value in feature_items(shared):
            label = f"{ns}:{name}"
            slot = self._slots.slot(ns, name)
            if slot >= 0:  # a number on its scale, as the score reads it
                read = self._numbers.read(ns, name, value)
                contrib[label] = contrib.get(label, 0.0) + read * float(w[slot])
        score = float(w @ self.features(shared))
        heavy = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))[:top]
        return score, [(k, v) for k, v in heavy if v != 0.0]

    def _write(self, path: str | os.PathLike, **arrays: np.ndarray) -> None:
        """``arrays`` as one ``.npz`` at ``path``, atomically (temp file, fsync, rename)."""
        self._check_open()
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        buf = io.BytesIO()
        # numpy's stub types the keyword arguments as allow_pickle's
        np.savez(buf, **arrays)  # type: ignore[arg-type]
        with open(tmp, "wb") as f:
            f.write(buf.getvalue())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def close(self) -> None:
        """Release the model. Safe to call twice."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise PolicyInputError(f"this {type(self).__name__} is closed")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
