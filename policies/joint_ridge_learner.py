"""One ridge regression over the context crossed with the action's attributes, with SquareCB's
exploration, for the engine's candidate list.

:class:`~policies.ridge_learner.RidgeLearner` keeps one regression per action, so with 54
actions made of 6 messages x 3 channels x 3 timings it learns each action from its own rows
only. This learner keeps one: ``reward(x, a) = theta . [vec(x outer z_a), b_a]`` where ``x`` is
the shared features hashed into ``dim`` slots plus a constant (as the ridge learner's) and
``z_a`` the action's attributes, so what it learns about a channel carries to every action
that uses it.

The attributes are enumerated exactly from the action feature sets given to
:meth:`JointRidgeLearner.set_actions`: one column per distinct ``(namespace, feature)`` the
actions carry (its value, 1 for a category), a column equal to an earlier one over the actions
dropped (two namespaces that split the actions alike, such as a message per action and the
action's id, learn the same thing twice), and so is a column equal on every action (the
constant's); then a constant column.

Which columns are crossed with ``x``: every column two actions or more share (a message, a
channel, a timing, a margin), and an action's own column (carried by it alone: its id) when
the action shares no category with another, as when each action is one message
(classification as a bandit, or one message per channel and timing whatever numbers the
messages carry) or for the no-contact action. The own column of an action that does share a
category keeps only a per-action constant ``b_a``: crossed with ``x`` it would make the model
contain the disjoint one, at a dimension growing with the number of actions and with the shared
columns' evidence spread over it. ``D = (dim + 1) * (crossed columns + 1) + constants``; a
catalog for which it exceeds ``max_dim`` is refused (:class:`~policies.errors.PolicyConfigError`
naming ``max_dim``): 54 actions of 6 messages x 3 channels x 3 timings at ``dim`` 32 are
``33 * 13 + 54 = 483``; ten one-message actions are ``33 * 11 = 363``.

The model keeps the dense inverse ``A^-1`` of the ``D x D`` ridge matrix (``A = l2 I +
sum phi phi^T``), updated by Sherman-Morrison: ``phi`` has few non-zeros (the context's
slots times the action's attributes), so ``u = A^-1 phi`` reads those columns only (the matrix
is kept column-major). The rank-one updates are held, up to :data:`_HELD_UPDATES` of them, as
the columns of ``W`` (``A^-1 = B - W W'``, ``B`` the matrix as last folded), and folded into
``B`` together by one BLAS matrix product: one pass over the ``D x D`` matrix per
:data:`_HELD_UPDATES` rewards instead of one per reward (``dger``, which was itself about three
times faster than numpy's ``A -= outer(u, u)`` with its ``D x D`` temporary:
``benchmarks/bench_joint_ridge.py``). Probabilities are inverse gap weighting over the
estimates, exactly :class:`~policies.ridge_learner.RidgeLearner`'s (``gamma_scale``,
``gamma_exponent``). :meth:`JointRidgeLearner.weights` gives every action's effective weights
over ``x``, so :class:`~policies.ridge_batch_scorer.RidgeBatchScorer` scores it as it scores the
disjoint ridge.

Example:
    >>> acts = [{"m": {"msg": m}, "n": {"ch": c}} for m in "ab" for c in ("email", "sms")]
    >>> with JointRidgeLearner(JointRidgeConfig(dim=8)) as j:
    ...     j.set_actions(acts)
    ...     for _ in range(30):  # sms pays, learned from message a's actions only
    ...         j.learn({"c": {"x": 1.0}}, None, chosen=0, probability=0.25, reward=0.0)
    ...         j.learn({"c": {"x": 1.0}}, None, chosen=1, probability=0.25, reward=1.0)
    ...     est = j.estimates({"c": {"x": 1.0}})
    >>> bool(est[3] > est[2] + 0.3)  # message b on sms, never played, is expected to pay
    True
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.linalg import solve_triangular  # type: ignore[import-untyped]
from scipy.linalg.blas import dgemm, dger  # type: ignore[import-untyped]
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

from policies.errors import PolicyConfigError, PolicyInputError
from policies.hashed_ridge import (
    FeatureSlots,
    HashedRidge,
    check_forget,
    check_slots,
    fingerprint_of,
    inverse_gap_weights,
)
from policies.number_scale import NumberScale, check_number_scale
from policies.vw_format import FeatureSet, feature_items

__all__ = ["ATTRIBUTE_SCALES", "CROSS_IDENTITY", "HISTORY", "POOLS", "THOMPSON_COUNTS",
           "THOMPSON_FLOOR", "THOMPSON_L2_ON",
           "JointRidgeConfig", "JointRidgeLearner", "action_columns", "joint_dimension",
           "scale_columns", "shares_attributes"]

#: Under Thompson sampling (``JointRidgeConfig.thompson``), the share of the probability
#: spread evenly over the eligible actions, so that none is logged at 0 (off-policy estimates
#: of the other candidates need every action possible).
THOMPSON_FLOOR = 0.01
#: ``JointRidgeConfig.thompson_l2_on``'s values.
THOMPSON_L2_ON = ("all", "crosses")
#: ``JointRidgeConfig.thompson_counts``'s values.
THOMPSON_COUNTS = ("rewards", "evidence")
#: ``JointRidgeConfig.pool``'s values.
POOLS = ("redrawn", "perturbed")
#: ``JointRidgeConfig.attribute_scale``'s values.
ATTRIBUTE_SCALES = ("raw", "max")
#: ``JointRidgeConfig.cross_identity``'s values.
CROSS_IDENTITY = ("untold", "unshared", "always")
#: ``JointRidgeConfig.history``'s values.
HISTORY = ("crossed", "left_out")
#: The layouts a saved model may have been written under, newest first: stops 21-22 (every
#: identity of an action that shares a category a constant), and before stop 21 (a shared
#: number counting as describing the actions, too).
_EARLIER_LAYOUTS: tuple[dict[str, Any], ...] = (
    {"cross_identity": "unshared"}, {"cross_identity": "unshared", "numbers_describe": True})

#: With ``thompson_l2``: rows held for the Gram matrix before they are added as one product.
_HELD_ROWS = 256
#: Rank-one updates of ``A^-1`` held before they are folded in by one matrix product. Why:
#: each update passed over the whole ``D x D`` inverse (2 MB at ``D = 510``), one ``dger`` of
#: 48-54 us, where one product folds 32 of them in 419-435 us, 13-14 us each (one BLAS
#: thread, the ``timeit`` commands of docs/engine.md, stop 40, run at stop 41); a learn in
#: between reads only the ``nnz`` columns it needs and ``W``'s ``D x held`` block
#: (``benchmarks/bench_joint_ridge.py``: the shared default's learn against each update
#: applied at once).
_HELD_UPDATES = 32
#: A row whose ``1 + phi' A^-1 phi`` exceeds this is applied at once, not held: such a row lies
#: far outside what was learned (a number of absurd size read raw), and held beside the others
#: its column of ``W`` is large enough that ``B - W W'`` loses the small directions to rounding
#: (ten rows of ``x = 1e9``, ``tests/policies/test_number_scale.py``, turned a later
#: ``phi' A^-1 phi`` negative, a ``W`` column's square root undefined).
_FOLD_AT_LEVERAGE = 1e3


class _OneBlasThread:
    """A context in which BLAS runs one thread: a rank-one update is memory-bound, and with
    two threads on a loaded machine it took 25 times as long (8 ms against 0.36 ms at D 483).

    The loaded BLAS libraries are listed once (on the first use, after numpy and scipy have
    loaded theirs) and then set directly: threadpoolctl's ``limit`` selects them afresh at
    each call, 11-12 us an entry and exit against 4-5 here (``python -m timeit``, the
    commands in docs/engine.md, stop 39). Nested uses keep the outer
    one's setting; like ``limit``, the setting is the process's, not the thread's.
    """

    def __init__(self) -> None:
        self._libs: list[Any] | None = None
        self._mine = threading.local()  # each thread's depth and the counts it found

    def __enter__(self) -> None:
        mine = self._mine
        mine.depth = getattr(mine, "depth", 0) + 1
        if mine.depth > 1:
            return
        if self._libs is None:
            self._libs = ThreadpoolController().select(user_api="blas").lib_controllers
        mine.before = [lib.get_num_threads() for lib in self._libs]
        for lib, n in zip(self._libs, mine.before, strict=True):
            if n != 1:
                lib.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        mine = self._mine
        mine.depth -= 1
        if mine.depth or self._libs is None:
            return
        for lib, n in zip(self._libs, mine.before, strict=True):
            if n != 1:
                lib.set_num_threads(n)


_ONE_BLAS_THREAD = _OneBlasThread()


def _one_blas_thread() -> _OneBlasThread:
    """The context in which BLAS runs one thread (:class:`_OneBlasThread`)."""
    return _ONE_BLAS_THREAD


@dataclass(frozen=True)
class JointRidgeConfig:
    """The joint ridge learner's settings.

    Attributes:
        dim: hashed slots for the shared features (a power of two, 4..256); the joint
            dimension is ``(dim + 1)`` times the action's columns plus one.
        l2: the ridge penalty (> 0): ``A`` starts as ``l2 * I``. The engine's shared-attribute
            default sets 100 (rewards are on the engine's scale there, a conversion about 1;
            docs/engine.md, "The joint ridge's penalty"); 1 here keeps a bare learner's
            fingerprint, and checkpoints, as they were.
        gamma_scale: SquareCB's gamma at the first reward (> 0).
        gamma_exponent: how fast gamma grows with the rewards learned (0..1).
        max_dim: the largest joint dimension ``D`` allowed (64..8192): the model holds a
            ``D x D`` float64 inverse (2,048: 34 MB), passed over once per
            :data:`_HELD_UPDATES` learns (at every learn under forgetting).
        ucb: optimism, in standard deviations of the rewards learned (>= 0; 0, the default,
            none): the inverse gap weighting runs over ``estimate_a + ucb * sd *
            sqrt(phi_a' A^-1 phi_a)`` (:meth:`JointRidgeLearner._quadratic_form`), as
            :class:`~policies.ridge_learner.RidgeConfig`'s ``ucb`` does per action.
        forget: how much of its past the regression keeps at each update, in (0, 1]; 1 (the
            default) forgets nothing. Below 1 the regression weights each reward
            ``forget ** age`` (``age``: the updates since) with a penalty between ``l2 / 2``
            and ``l2``, as :class:`~policies.ridge_learner.RidgeConfig`'s ``forget`` does per
            action: each update scales ``A^-1`` (one more pass over ``D x D``), and the
            penalty is put back by one ``O(D^3)`` solve every 693 updates at 0.999.
        own_l2: the penalty on the actions' own effects and the bias (the context's constant
            crossed with every column, and the actions' constants), ``l2`` on the rest (the
            context, and its crosses with the attributes); 0 (the default): ``l2`` on every
            weight. Offline, 300 there with 100 elsewhere recovered most of what 300 on every
            weight gained over 100 (docs/engine.md, "The joint ridge's penalty").
        slots: how a shared feature finds its slot, as
            :class:`~policies.ridge_learner.RidgeConfig`'s ``slots``: ``"hashed"`` (the
            default) or ``"table"`` (the next free slot, saved with the model).
        thompson: Thompson sampling's posterior scale, in standard deviations of the rewards
            learned (>= 0; 0, the default, keeps inverse gap weighting): the distribution is
            the share of a pool of ``draws`` weight vectors drawn from
            ``N(theta, (thompson * sd)^2 A^-1)`` under which each eligible action is the best,
            mixed with :data:`THOMPSON_FLOOR` spread evenly (so every eligible action keeps a
            logged probability above 0). The pool is redrawn every ``redraw`` rewards (and at
            1, 2, 4... before that), from a generator seeded by the learner's seed and reward
            count, and saved with the model: a restart or a replay draws the same pools.
            Why: on marketing54 LinTS, Thompson sampling on a joint ridge, captured 0.79
            against 0.72 for the same model with epsilon-greedy and 0.54 greedy
            (docs/engine.md, stop 10).
        thompson_final: with ``thompson_halfway`` above 0, the scale Thompson sampling's
            draws fall toward as rewards are learned, in [0, ``thompson``) (0.0, the default).
        thompson_halfway: rewards learned after which the scale is halfway from ``thompson``
            to ``thompson_final``: ``final + (thompson - final) * h / (h + n)`` after ``n``
            rewards (0, the default: the scale stays at ``thompson``). ``n`` is every reward
            learned (``thompson_counts`` can make it each action's own evidence): forgetting
            widens the posterior again but does not raise the scale; the redrawn pool reads
            the scale at each redraw, the perturbed one at each use.
            Why: at 0.2 the default's joint ridge was level with LinTS on fresh random
            catalogs, where 0.5 trails it, but locked in on a small noiseless world
            (docs/engine.md, stop 24).
            Falling from 0.5 to 0.2, halfway at 1,000, it beat the default on 100 held-out
            random catalogs (+0.025 [0.015, 0.035]), but was behind it on `capacity` on the
            mean over seeds 0-9 (level over seeds 0-29: -0.009 [-0.040, +0.021], stop 26) and
            locked in on that small world on 8 seeds of 80 against 3 (not separated; two
            still locked after 4,000 decisions; halfway at 3,000, 14 of 160 against 4,
            separated), so it is an option, off (docs/engine.md, stops 25 and 26).
        thompson_counts: what ``thompson_halfway``'s ``n`` counts (:data:`THOMPSON_COUNTS`):
            ``"rewards"`` (the default), every reward learned, one scale for every action;
            ``"evidence"``, each action's own in the context at hand, ``1 / (phi' A^-1 phi) -
            1 / (phi' P^-1 phi)`` (``P`` the penalties: the prior alone), which is exactly
            ``n`` after ``n`` rows equal to ``phi`` and 0 where nothing was learned (below 0,
            where forgetting took more than the rows gave, read as 0). So a pair of context
            and action the model knows is drawn narrow while one it has not tried keeps the
            wide draws. Needs the perturbed ``pool`` (the redrawn one holds its draws scaled)
            and costs one quadratic form per eligible action at each use (a ``probabilities``
            call 1.9-2.9x the default's on five fresh catalogs). Why it was tried: the scale
            falling with every reward locked in on a small world more often (docs/engine.md,
            stop 25). What it did: halfway at 30 of its own gained on fresh random catalogs
            what halfway at 3,000 of every reward gains and locked in as often; at 100 it
            locked in as rarely as the default and gained little, so it is an option, off
            (docs/engine.md, stop 26).
        draws: the pool's size (1..4096); probabilities are multiples of ``1 / draws`` before
            the floor.
        redraw: rewards between two pools (1..1,000,000): each draw costs a Cholesky
            factorisation of ``A^-1``, ``O(D^3)`` (under the perturbed ``pool``: between two
            fresh sets of its deviations).
        thompson_l2: the draws' own prior penalty (0, the default: ``l2``, the mean's). Above
            0 the pool is drawn from ``N(theta, (thompson * sd)^2 (X'X + thompson_l2 I)^-1)``
            (``X'X``: the rows learned, forgetting's weights in), the mean still ``theta``: a
            direction the model has few rows in keeps a prior spread of
            ``1 / sqrt(thompson_l2)`` per weight instead of ``1 / sqrt(l2)``, one it has many
            rows in is drawn as before. Why: the penalty that steadies the mean (100) also
            said, as a prior, that no action differs from another by more than about a tenth
            of the rewards' spread, and Thompson sampling at 0.5 left one segment of a small
            world unserved on 2 seeds of 10 (docs/engine.md, stop 13). The model then also
            keeps ``X'X`` (``D x D``, saved).
        thompson_l2_on: which weights the draws' prior penalty replaces the mean's on:
            ``"all"`` (the default) or ``"crosses"``, only the crosses of the context with the
            attributes (group 2 of :meth:`JointRidgeLearner.weight_groups`, what personalises),
            the rest drawn with the penalty the mean has. Why: the tiny world's lock-in is a
            segment's own preference (a cross), and a wide prior on every action's own effect
            spreads the first draws over every action.
        thompson_mix: the share of inverse gap weighting's distribution (over the same
            estimates, at ``gamma_scale``) mixed into Thompson sampling's, in [0, 1] (0, the
            default: none). A floor that shrinks as an action's estimated gap grows, where
            Thompson sampling's draws are narrow at the penalty 100: Thompson 0.5 alone left
            a segment of a small world unserved for its first 2,000-3,000 decisions on 4
            seeds of 40, a twentieth mixed in (the shared default's) on 1, as many as inverse
            gap weighting alone (docs/engine.md, stop 14).
        pool: how Thompson sampling's pool follows the rewards: ``"redrawn"`` (the default)
            draws it afresh every ``redraw`` rewards, a Cholesky factorisation of ``A^-1``
            each (``O(D^3)``: about 3 ms at ``D`` 483 on a quiet core, 24 ms measured on a busy
            one); ``"perturbed"`` keeps each draw as the ridge fitted to the rewards plus noise
            of its own, ``theta + thompson * sd * dev_j`` with ``dev_j = A^-1 c_j``, ``c_j``
            the prior's noise plus each learned row times a standard normal of the draw's
            own: every ``dev_j`` is distributed ``N(0, A^-1)`` at every reward, and a learn
            moves all of them by one rank-one update of ``O(draws x D)`` (Sherman-Morrison on
            ``c_j``'s new row), so the pool follows every reward; the deviations are drawn
            afresh (one factorisation) every ``redraw`` rewards only, not at 1, 2, 4...
            before, and where forgetting puts the penalty back. Why afresh at all: a draw's
            noise persists, and with no fresh draw in 3,500 decisions one tiny-world seed of
            40 kept a segment unserved (every 300: none of seeds 0-39, stop 15, but 3 of seeds
            40-79, stop 17; docs/engine.md).
            Refused with ``thompson_l2`` (the draws' prior is not ``A``'s).
        redraw_share: under the perturbed ``pool``, the share of its deviations drawn afresh
            every ``redraw`` rewards, in (0, 1] (1, the default: all of them): the next block
            of ``round(draws * redraw_share)`` in turn, so that each lives
            ``redraw / redraw_share`` rewards and the distribution moves by that share at each
            redraw rather than all at once (where forgetting puts the penalty back, all are
            drawn afresh). Why: drawn afresh every 300 rewards, the perturbed pool kept a small
            world from locking in but cost 0.017 [0.000, 0.035] on `capacity` against never
            (docs/engine.md, stop 16).
        attribute_scale: how the actions' numeric attributes enter the model: ``"raw"`` (the
            default) as given, ``"max"`` divided by their largest absolute value over the
            actions (:func:`scale_columns`), so that a margin in euros or in cents gives the
            same decisions. Why: the penalty is per unit of a column, so a raw margin of 14-30
            crossed with the context was barely penalised and a discount of 0.05-0.3 barely
            allowed (docs/engine.md, stop 12).
        action_constants: whether an action that has shared columns keeps a constant of its
            own (``b_a``, its identity column; the default). ``False`` leaves it out, so such
            an action is only the sum of what its message, channel and timing earn (LinTS's
            model on the suite's worlds).
        context_keys: the context keys the model reads (up to 64 names; empty, the default:
            every shared feature, the contact history's too). Given, only the context's
            features of those keys are crossed with the actions' attributes (a category
            ``segment = "vip"``, a number ``age``); the history and every other key are left
            out. Why: on `baseline` (one world) a model of the segment alone, at the penalty
            1000, chose better than one of every feature at the same penalty after 16,000
            uniform rows (capture 0.60 against 0.43, 4 seeds; docs/engine.md, stop 18).
        numbers_describe: whether a number two actions or more carry (a margin, a cost) counts
            as describing them, so that an action sharing only numbers keeps a constant of
            its own instead of its own crosses with the context (``False``, the default: only
            a shared category does; ``True``: the layout before stop 21, where a catalog of
            one message per channel and timing whose messages carry a margin had no
            per-message response to the context; docs/engine.md, stop 21).
        cross_identity: when an action's own column (its identity) is crossed with the
            context (:data:`CROSS_IDENTITY`): ``"untold"`` (the default) when the categories
            it shares do not tell it apart from another action (two messages of one theme,
            each its own action, or an action that shares nothing), ``"unshared"`` only when
            it shares no category with another (the layout before stop 23). Why: on a
            catalog of one message per action in a few themes the model had no per-message
            response to the context, only the theme's; on the 185 ``random_catalog`` worlds
            of seeds 0-2499 whose layout this changes, the default gained +0.012 [-0.003,
            +0.028] of capture (not separated; docs/engine.md, stop 23). An action that its
            shared categories do tell apart (a message on a channel at a timing) keeps a
            constant of its own, as before: crossing it would be the disjoint model. Where
            the crosses would take the model past ``max_dim`` the identities stay constants.
            ``"always"`` crosses every action's identity (a response of its own on top of
            the shared ones: what its message, channel and timing cannot add up to), falling
            back to ``"untold"`` past ``max_dim``; an option: on ``random_catalog`` seeds
            200-299 it captured 0.042 [0.031, 0.052] less than the default
            (docs/engine.md, stop 24).
        history: what the model does with the contact history the engine keeps (the shared
            namespace ``h``: contacts in the last 1 / 7 / 30 days, days since the last contact
            per channel, the last outcome; :func:`engine.features.history_namespace`)
            (:data:`HISTORY`): ``"crossed"`` (the default) hashes it into the slots beside the
            context, so it is crossed with every attribute as the context is; ``"left_out"``
            gives it no slot (the contact rules still read it; the engine's shared default
            since stop 28). Why: on the simulator's `baseline` at 40,000 decisions the
            default's joint ridge without the history's features gained +103 [+66, +140] per
            1,000 decisions (8 seeds; docs/engine.md, stop 27), and on `capacity` +27.9
            [+13.1, +42.8] (20 seeds; stop 28). A reading of why, not traced: the history
            is what the serving policy made it, so crossed with every attribute it teaches
            the model the policy's own pattern of contacts as much as the customer's.
        number_scale: how the context's numbers are read
            (:data:`~policies.number_scale.NUMBER_SCALES`): ``"spread"`` (the default: each on
            a scale fixed from its first values learned, ``policies/number_scale.py``) or
            ``"raw"`` (as they come: the reading before the setting existed, which a model
            saved then keeps whatever this says).
    """

    dim: int = 32
    l2: float = 1.0
    gamma_scale: float = 10.0
    gamma_exponent: float = 0.5
    max_dim: int = 2048
    ucb: float = 0.0
    forget: float = 1.0
    own_l2: float = 0.0
    slots: str = "hashed"
    thompson: float = 0.0
    thompson_final: float = 0.0
    thompson_halfway: int = 0
    thompson_counts: str = "rewards"
    draws: int = 64
    redraw: int = 100
    thompson_l2: float = 0.0
    thompson_l2_on: str = "all"
    thompson_mix: float = 0.0
    pool: str = "redrawn"
    redraw_share: float = 1.0
    attribute_scale: str = "raw"
    action_constants: bool = True
    context_keys: tuple[str, ...] = ()
    numbers_describe: bool = False
    number_scale: str = "spread"
    cross_identity: str = "untold"
    history: str = "crossed"

    def __post_init__(self) -> None:
        object.__setattr__(self, "context_keys", check_context_keys(self.context_keys))
        for key, least, most in (("dim", 4, 256), ("max_dim", 64, 8192), ("draws", 1, 4096),
                                 ("redraw", 1, 1_000_000), ("thompson_halfway", 0, 10**9)):
            n = getattr(self, key)
            if isinstance(n, bool) or not isinstance(n, int) or not least <= n <= most:
                raise PolicyConfigError(f"{key}: expected an integer in [{least}, {most}], "
                                        f"got {n!r}")
        if self.dim & (self.dim - 1):
            raise PolicyConfigError(f"dim: expected a power of two in [4, 256], got {self.dim}")
        for name, low, high, low_open in (("l2", 0.0, 1e6, True),
                                          ("gamma_scale", 0.0, 1e6, True),
                                          ("gamma_exponent", 0.0, 1.0, False),
                                          ("ucb", 0.0, 1e3, False),
                                          ("own_l2", 0.0, 1e6, False),
                                          ("thompson", 0.0, 1e3, False),
                                          ("thompson_final", 0.0, 1e3, False),
                                          ("thompson_l2", 0.0, 1e6, False),
                                          ("thompson_mix", 0.0, 1.0, False),
                                          ("redraw_share", 0.0, 1.0, True)):
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
        for name in ("action_constants", "numbers_describe"):
            if not isinstance(getattr(self, name), bool):
                raise PolicyConfigError(f"{name}: expected true or false, got "
                                        f"{getattr(self, name)!r}")
        if self.cross_identity not in CROSS_IDENTITY:
            raise PolicyConfigError(f"cross_identity: expected one of "
                                    f"{', '.join(CROSS_IDENTITY)}, got {self.cross_identity!r}")
        if self.history not in HISTORY:
            raise PolicyConfigError(f"history: expected one of {', '.join(HISTORY)}, got "
                                    f"{self.history!r}")
        if self.attribute_scale not in ATTRIBUTE_SCALES:
            raise PolicyConfigError(f"attribute_scale: expected one of "
                                    f"{', '.join(ATTRIBUTE_SCALES)}, got {self.attribute_scale!r}")
        if self.thompson and self.ucb:
            raise PolicyConfigError(f"ucb: expected 0 with thompson above 0, got {self.ucb!r}")
        if self.thompson_counts not in THOMPSON_COUNTS:
            raise PolicyConfigError(f"thompson_counts: expected one of "
                                    f"{', '.join(THOMPSON_COUNTS)}, got "
                                    f"{self.thompson_counts!r}")
        if self.thompson_counts != "rewards" and (not self.thompson_halfway
                                                  or self.pool != "perturbed"):
            raise PolicyConfigError(f"thompson_counts: expected \"rewards\" unless "
                                    f"thompson_halfway is above 0 and the pool perturbed, got "
                                    f"{self.thompson_counts!r}")
        if self.thompson_l2_on not in THOMPSON_L2_ON:
            raise PolicyConfigError(f"thompson_l2_on: expected one of "
                                    f"{', '.join(THOMPSON_L2_ON)}, got {self.thompson_l2_on!r}")
        if self.pool not in POOLS:
            raise PolicyConfigError(f"pool: expected one of {', '.join(POOLS)}, got "
                                    f"{self.pool!r}")
        if self.pool != "redrawn" and not self.thompson:
            raise PolicyConfigError(f"pool: expected \"redrawn\" without thompson, got "
                                    f"{self.pool!r}")
        if self.redraw_share != 1.0 and self.pool != "perturbed":
            raise PolicyConfigError(f"redraw_share: expected 1 without the perturbed pool, got "
                                    f"{self.redraw_share!r}")
        if self.pool == "perturbed" and self.thompson_l2:
            raise PolicyConfigError(f"pool: expected \"redrawn\" with thompson_l2 above 0, "
                                    f"got {self.pool!r}")
        for name in ("thompson_l2", "thompson_mix", "thompson_halfway"):
            if getattr(self, name) and not self.thompson:
                raise PolicyConfigError(f"{name}: expected 0 without thompson, got "
                                        f"{getattr(self, name)!r}")
        if self.thompson_halfway and not self.thompson_final < self.thompson:
            raise PolicyConfigError(f"thompson_final: expected a number below thompson "
                                    f"({self.thompson!r}) with thompson_halfway above 0, got "
                                    f"{self.thompson_final!r}")
        if self.thompson_final and not self.thompson_halfway:
            raise PolicyConfigError(f"thompson_final: expected 0 with thompson_halfway at 0, "
                                    f"got {self.thompson_final!r}")

    @property
    def exploration(self) -> str:
        """The exploration's name as the engine reports it (``stats()["exploration"]``)."""
        return "joint"

    def fingerprint(self) -> str:
        """Everything that shapes the model (a checkpoint made with another is refused);
        ``ucb`` is left out at 0.0, ``forget`` at 1.0, ``own_l2`` at 0.0, ``slots`` at
        ``"hashed"``, ``thompson`` at 0.0, ``thompson_final`` at 0.0, ``thompson_halfway``
        at 0, ``thompson_counts`` at ``"rewards"``, ``draws`` at 64, ``redraw`` at 100,
        ``thompson_l2`` at 0.0, ``thompson_l2_on`` at ``"all"``, ``thompson_mix`` at 0.0,
        ``pool`` at ``"redrawn"``, ``redraw_share`` at 1.0, ``attribute_scale`` at
        ``"raw"``, ``action_constants`` at true, ``context_keys`` empty,
        ``numbers_describe`` at false, ``number_scale`` at ``"spread"``,
        ``cross_identity`` at ``"untold"`` and ``history`` at ``"crossed"``, so checkpoints
        written before they existed still open (one written under the earlier layout opens
        with it: :meth:`set_actions`; one written before ``number_scale`` reads its numbers
        raw, as it learned them)."""
        return fingerprint_of("joint", self, {"ucb": 0.0, "forget": 1.0, "own_l2": 0.0,
                                              "slots": "hashed", "thompson": 0.0,
                                              "thompson_final": 0.0, "thompson_halfway": 0,
                                              "thompson_counts": "rewards", "draws": 64,
                                              "redraw": 100, "thompson_l2": 0.0,
                                              "thompson_l2_on": "all",
                                              "thompson_mix": 0.0,
                                              "pool": "redrawn", "redraw_share": 1.0,
                                              "attribute_scale": "raw",
                                              "action_constants": True,
                                              "context_keys": (),
                                              "numbers_describe": False,
                                              "number_scale": "spread",
                                              "cross_identity": "untold",
                                              "history": "crossed"})


def check_context_keys(keys: object) -> tuple[str, ...]:
    """``keys`` as a tuple of context keys (1 to 64 characters each, at most 64, no repeats),
    or a :class:`PolicyConfigError` naming ``context_keys``.

    Example:
        >>> check_context_keys(["segment"])
        ('segment',)
    """
    if isinstance(keys, str) or not isinstance(keys, list | tuple) or len(keys) > 64:
        raise PolicyConfigError(f"context_keys: expected a list of at most 64 context keys, "
                                f"got {keys!r}")
    for k in keys:
        if not isinstance(k, str) or not 1 <= len(k) <= 64 or not k.isprintable():
            raise PolicyConfigError(f"context_keys: expected names of 1 to 64 printable "
                                    f"characters, got {k!r}")
    if len(set(keys)) != len(keys):
        raise PolicyConfigError(f"context_keys: expected no key twice, got {list(keys)!r}")
    return tuple(keys)


def _left_out(config: JointRidgeConfig) -> tuple[str, ...]:
    """The shared namespaces ``config`` gives no slot (``history``)."""
    return ("h",) if config.history == "left_out" else ()


def _root(cov: np.ndarray) -> np.ndarray:
    """``R`` with ``R R^T = cov`` (Cholesky; an eigen root where rounding left ``cov`` a hair
    from positive definite)."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(cov)
        return vecs * np.sqrt(np.clip(vals, 0.0, None))


def _redraw_due(n: int, every: int) -> bool:
    """Whether Thompson sampling's pool is redrawn after the ``n``-th reward: every ``every``
    rewards, and at 1, 2, 4, 8... before (the first rewards move the posterior most)."""
    return n % every == 0 or (n < every and n & (n - 1) == 0)


def action_columns(actions: Sequence[FeatureSet]) -> tuple[list[str], np.ndarray]:
    """The actions' attribute columns: names ``"ns:name"`` and the ``(K, C)`` values, one
    column per distinct feature, in first-seen order, a column equal to an earlier one or
    equal on every action dropped.

    Example:
        >>> names, z = action_columns([{"m": {"msg": "a"}, "a": {"id": "1"}},
        ...                            {"m": {"msg": "b"}, "a": {"id": "2"}}])
        >>> names, z.tolist()
        (['m:msg=a', 'm:msg=b'], [[1.0, 0.0], [0.0, 1.0]])
    """
    index: dict[str, int] = {}
    cells: list[tuple[int, int, float]] = []
    for k, feats in enumerate(actions):
        for ns, name, value in feature_items(feats):
            col = index.setdefault(f"{ns}:{name}", len(index))
            cells.append((k, col, value))
    z = np.zeros((len(actions), len(index)))
    for k, col, value in cells:
        z[k, col] += value
    keep, seen = [], set()
    for col in range(z.shape[1]):
        key = z[:, col].tobytes()
        if key not in seen and np.ptp(z[:, col]) > 0:  # a column equal on every action is
            seen.add(key)                              # the constant's (times a number)
            keep.append(col)
    names = list(index)
    return [names[c] for c in keep], z[:, keep]


def scale_columns(z: np.ndarray) -> np.ndarray:
    """The columns divided by their largest absolute value over the actions: a one-hot column
    is unchanged, a number lands in [-1, 1] whatever its unit, and a zero stays a zero (which
    actions carry a column, what the model's layout reads, does not change).

    Example:
        >>> scale_columns(np.array([[1.0, 14.0], [0.0, 30.0], [1.0, 0.0]])).round(3).tolist()
        [[1.0, 0.467], [0.0, 1.0], [1.0, 0.0]]
    """
    top = np.abs(z).max(axis=0, initial=0.0)
    return z / np.where(top > 0, top, 1.0)


def shares_attributes(actions: Sequence[FeatureSet]) -> bool:
    """Whether some attribute column is carried by two actions or more (what the joint model
    can carry from one action to another; classification as a bandit, one message per action,
    has none).

    Example:
        >>> grid = [{"m": {"msg": m}, "n": {"ch": c}} for m in "ab" for c in ("email", "sms")]
        >>> shares_attributes(grid), shares_attributes([{"m": {"msg": d}} for d in "abc"])
        (True, False)
    """
    _, z = action_columns(actions)
    return bool(((z != 0).sum(axis=0) >= 2).any())


def _layout(names: list[str], z: np.ndarray, config: JointRidgeConfig
            ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Which columns are crossed with the context, as (their names, the constant-only ones
    marked, Zc, Zb): a column two actions or more share, and an action's own column when the
    categories it shares do not tell it apart from another action (``config.cross_identity``
    ``"untold"``; ``"unshared"``: when it shares no category; ``"always"``: every action's,
    as under ``"untold"`` where that would pass ``max_dim``); the own column of an action
    that its shared categories tell apart is its constant only. Where crossing those
    identities would take the model past ``max_dim``, they are constants.

    A shared number (a margin, a cost) does not tell actions apart as a category does: one
    weight per context slot, the same for every action but for the number's size. Counted as
    describing the actions (``config.numbers_describe``: the layout of models saved before
    stop 21), it left a catalog of one message per channel and timing whose messages carry a
    margin without any per-message response to the context (on ``random_catalog`` seed 32,
    after 3,000 uniform rows, the greedy choice captured 0.35 under that layout and 0.83 under
    this one: docs/engine.md, stop 21).

    Raises:
        PolicyConfigError: the joint dimension exceeds ``max_dim``.
    """
    k, w, cap = z.shape[0], config.dim + 1, config.max_dim
    own = (z != 0).sum(axis=0) == 1
    category = np.array(["=" in n for n in names], dtype=bool)  # "m:msg=a", not "m:margin"
    shared = ~own if config.numbers_describe else ~own & category
    described = (z[:, shared] != 0).any(axis=1)  # actions that share a category
    apart = described & _told_apart(z[:, shared])
    # the actions whose identity is a constant, the setting's first and then each coarser
    # layout in turn: the first whose crosses fit within max_dim
    layouts = {"always": (np.zeros_like(described), apart, described),
               "untold": (apart, described), "unshared": (described,)}[config.cross_identity]
    for told in layouts:
        crossed, constant, d = _sizes(z, own, told, config)
        if d <= cap:
            break
    if d > cap:
        raise PolicyConfigError(
            f"max_dim: expected the joint dimension (dim + 1) x (crossed columns + 1) + "
            f"constants = {w} x {int(crossed.sum()) + 1} + {int(constant.sum())} = {d} to be "
            f"at most {cap}; lower dim or raise max_dim")
    marked = [n for n, c in zip(names, crossed, strict=True) if c] + \
        [f"{n} (constant)" for n, c in zip(names, constant, strict=True) if c]
    return marked, np.hstack([np.ones((k, 1)), z[:, crossed]]), z[:, constant]


def _told_apart(shared: np.ndarray) -> np.ndarray:
    """``(K,)``: whether each action's shared columns (``(K, S)``) differ from every other
    action's.

    Example:
        >>> _told_apart(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])).tolist()
        [False, False, True]
    """
    _, where, counts = np.unique(shared, axis=0, return_inverse=True, return_counts=True)
    return np.asarray(counts[where.ravel()] == 1)


def _sizes(z: np.ndarray, own: np.ndarray, told: np.ndarray, config: JointRidgeConfig
           ) -> tuple[np.ndarray, np.ndarray, int]:
    """The crossed columns, the constant ones and ``D`` when the own columns of the actions
    ``told`` apart are their constants only."""
    identity = own & (z != 0)[told].any(axis=0)
    crossed = ~identity
    constant = identity if config.action_constants else np.zeros_like(identity)
    return crossed, constant, (config.dim + 1) * (int(crossed.sum()) + 1) + int(constant.sum())


def joint_dimension(actions: Sequence[FeatureSet], config: JointRidgeConfig) -> int:
    """D, the joint model's weights for these actions, without building it.

    Raises:
        PolicyConfigError: D exceeds ``config.max_dim`` (the message names ``max_dim``).

    Example:
        >>> grid = [{"m": {"msg": m}, "n": {"ch": c}} for m in "ab" for c in ("email", "sms")]
        >>> joint_dimension(grid, JointRidgeConfig(dim=8))  # 9 x (4 columns + 1)
        45
    """
    _, zc, zb = _layout(*action_columns(actions), config)
    return (config.dim + 1) * zc.shape[1] + zb.shape[1]


class JointRidgeLearner(HashedRidge):
    """One ridge regression over ``vec(x outer [1, z_a])`` (plus per-action constants for the
    ids of actions that share columns), inverse gap weighting over its estimates.

    The same interface as :class:`~policies.ridge_learner.RidgeLearner`, so the engine's
    candidate machinery runs either.

    Args:
        config: the settings.
        seed: unused (the distribution is deterministic); kept for the common interface.
        model_path: a file written by :meth:`save` to resume from.
    """

    _pool: np.ndarray  # Thompson sampling's draws (the perturbed pool: their deviations)
    _pool_constants: np.ndarray  # the actions' constants under each row of the pool

    def __init__(self, config: JointRidgeConfig | None = None, *, seed: int = 0,
                 model_path: str | os.PathLike | None = None) -> None:
        self.config = config or JointRidgeConfig()
        self.seed = int(seed)
        self._width = self.config.dim + 1  # the context's slots, the constant last
        self._slots = FeatureSlots(self.config.slots, self.config.dim,
                                   context_keys=self.config.context_keys,
                                   left_out=_left_out(self.config))
        self._numbers = NumberScale(enabled=self.config.number_scale == "spread")
        self._k = 0
        self._columns: list[str] = []
        self._zc = np.zeros((0, 1))  # (K, Cx + 1): crossed columns, the constant first
        self._zb = np.zeros((0, 0))  # (K, U): identity columns kept as constants only
        # per action: its non-zero crossed columns and their values, its constants' indices
        # in the joint vector and their values (_set_columns)
        self._nonzero: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._base = np.zeros((0, 0), order="F")  # A^-1 as last folded (B; _inverse_columns)
        self._held = np.zeros((0, _HELD_UPDATES), order="F")  # W: A^-1 = B - W[:, :n] W[:, :n]'
        self._held_n = 0
        self._b = np.zeros(0)
        self._theta = np.zeros(0)
        self._n = 0
        self._moments = np.zeros(3)  # the rewards' count, mean, squared deviations (_welford)
        self._forget_for = (1.0, 0)  # a temporary forget factor and the updates it has left
        self._pending = np.ones(1)  # the share of the penalty left (one regression; _forget)
        # Thompson sampling's posterior draws (the perturbed pool: their deviations, and the
        # generator of each learned row's noise)
        self._set_pool(np.zeros((0, 0)))
        self._noise = np.random.default_rng([self.seed, 0, 1])
        # with thompson_l2: the rows' Gram matrix X'X (forgetting's weights in), kept as
        # _gram_scale * _gram so that forgetting is one multiplication, not a pass over D x D
        self._gram = np.zeros((0, 0))
        self._gram_scale = 1.0
        self._rows: list[tuple[np.ndarray, np.ndarray]] = []  # rows not yet in _gram
        self._closed = False
        if model_path is not None:
            self._load(Path(model_path))

    # -- actions -------------------------------------------------------------------------------
    def set_actions(self, actions: Sequence[FeatureSet]) -> None:
        """Enumerate the actions' attribute columns and size the model (a loaded model must
        find the same columns).

        Raises:
            PolicyInputError: no actions, or other actions than a loaded model's.
            PolicyConfigError: the joint dimension exceeds ``max_dim`` even with the identity
                columns kept as constants (the message names ``max_dim`` and the sizes).
        """
        self._check_open()
        if not actions:
            raise PolicyInputError("actions must hold at least one action, got none")
        names, z = action_columns(actions)
        if self.config.attribute_scale == "max":
            z = scale_columns(z)
        crossed, zc, zb = _layout(names, z, self.config)
        if self._k and crossed != self._columns:  # a model saved under an earlier layout
            for before in _EARLIER_LAYOUTS:  # stops 21-22; before stop 21
                earlier = _layout(names, z, replace(self.config, **before))
                if earlier[0] == self._columns:
                    crossed, zc, zb = earlier
                    break
        if self._k:  # a loaded model, or actions set before: the same ones only
            if crossed != self._columns or zc.shape[0] != self._k:
                raise PolicyInputError(f"actions: expected the model's {self._k} actions "
                                       f"with columns {self._columns[:6]}..., got "
                                       f"{len(actions)} with {crossed[:6]}...")
            self._set_columns(zc, zb)
            return
        self._k, self._columns = len(actions), crossed
        self._set_columns(zc, zb)
        d = self._width * zc.shape[1] + zb.shape[1]
        self._set_inverse(np.diag(1.0 / self._weight_penalties()))
        self._b = np.zeros(d)
        self._theta = np.zeros(d)
        if self.config.thompson_l2:
            self._gram = np.zeros((d, d))
        if self.config.thompson:
            self._draw_pool()

    def _set_columns(self, zc: np.ndarray, zb: np.ndarray) -> None:
        """The actions' crossed columns ``zc`` and constants ``zb``, and each action's
        non-zero ones (:meth:`_phi` reads them at every learn)."""
        self._zc, self._zb = zc, zb
        cross = self._width * zc.shape[1]
        self._nonzero = []
        for a in range(zc.shape[0]):
            cs, bs = np.flatnonzero(zc[a]), np.flatnonzero(zb[a])
            self._nonzero.append((cs, zc[a, cs], cross + bs, zb[a, bs]))

    def weight_groups(self) -> np.ndarray:
        """Each weight's group, ``(D,)``: 0 the actions' own effects and the bias (the context's
        constant crossed with every column, and the actions' constants), 1 the context alone
        (its slots crossed with the constant column), 2 the crosses of the context with the
        attributes (what personalises).

        Example:
            >>> grid = [{"m": {"msg": m}, "n": {"ch": c}} for m in "ab" for c in "xy"]
            >>> j = JointRidgeLearner(JointRidgeConfig(dim=4))
            >>> j.set_actions(grid)
            >>> np.bincount(j.weight_groups()).tolist()  # 5 columns; 4 slots + the constant
            [5, 4, 16]
        """
        grid = np.full((self._width, self._zc.shape[1]), 2)
        grid[:, 0] = 1
        grid[-1, :] = 0
        return np.concatenate([grid.ravel(), np.zeros(self._zb.shape[1], dtype=int)])

    def _weight_penalties(self) -> np.ndarray:
        """Each weight's penalty: ``own_l2`` on group 0 of :meth:`weight_groups` when set,
        ``l2`` on the rest."""
        pen = np.full(self._width * self._zc.shape[1] + self._zb.shape[1], self.config.l2)
        if self.config.own_l2:
            pen[self.weight_groups() == 0] = self.config.own_l2
        return pen

    def _penalty(self, i: int) -> float | np.ndarray:
        """The prior forgetting puts back: one penalty, or one per weight with ``own_l2``."""
        return self._weight_penalties() if self.config.own_l2 else float(self.config.l2)

    @property
    def joint_dim(self) -> int:
        """D, the number of weights (0 before :meth:`set_actions`)."""
        return int(self._theta.size)

    @property
    def columns(self) -> list[str]:
        """The action columns, the crossed ones first (``"(constant)"`` marks the rest)."""
        return list(self._columns)

    def _indices(self, eligible: Sequence[int] | np.ndarray | None) -> np.ndarray:
        if not self._k or self._zc.shape[0] != self._k:
            raise PolicyInputError("actions: expected set_actions before use, got none")
        return super()._indices(eligible)

    # -- predict / learn -----------------------------------------------------------------------
    def weights(self) -> np.ndarray:
        """Every action's effective weights over :meth:`features`, ``(K, dim + 1)`` (the
        constant last): ``features(shared) @ weights().T`` are :meth:`estimates`."""
        cross = self._width * self._zc.shape[1]
        theta = self._theta[:cross].reshape(self._width, self._zc.shape[1])
        w = (theta @ self._zc.T).T.copy()
        w[:, -1] += self._zb @ self._theta[cross:]
        return w

    # -- the inverse: folded, plus the updates held ---------------------------------------------
    @property
    def _ainv(self) -> np.ndarray:
        """``A^-1`` as it stands, the held updates in: the folded matrix itself when none is
        held, else a new array (reading it folds nothing, so that when the updates are folded
        never depends on who read the matrix: a replay rounds as the live run did)."""
        if not self._held_n:
            return self._base
        w = self._held[:, :self._held_n]
        with _one_blas_thread():
            return self._base - w @ w.T

    @_ainv.setter
    def _ainv(self, value: np.ndarray) -> None:
        self._set_inverse(value)

    def _set_inverse(self, value: np.ndarray, held: np.ndarray | None = None) -> None:
        """Make ``value`` the folded ``A^-1`` (column-major: BLAS updates it in place), with
        ``held``'s columns (``D x n``, ``n <= _HELD_UPDATES``) the updates held, none if None."""
        self._base = np.asfortranarray(value, dtype=np.float64)
        if self._held.shape[0] != self._base.shape[0]:
            self._held = np.zeros((self._base.shape[0], _HELD_UPDATES), order="F")
        self._held_n = 0 if held is None else held.shape[1]
        if self._held_n:
            self._held[:, :self._held_n] = held

    def _fold(self) -> None:
        """Fold the held updates into the matrix: ``B <- B - W W'``, one BLAS product."""
        if not self._held_n:
            return
        w = self._held[:, :self._held_n]
        with _one_blas_thread():
            self._base = dgemm(-1.0, w, w, beta=1.0, c=self._base, trans_b=True,
                               overwrite_c=True)
        self._held_n = 0

    def _update_inverse(self, u: np.ndarray, denom: float) -> None:
        """``A^-1 -= u u' / denom``: held as ``W``'s next column, ``u / sqrt(denom)``, and
        folded when ``W`` is full; a row of large leverage, or one whose ``denom`` rounding
        took below 1, is applied at once, in place, as before the updates were held."""
        if 1.0 <= denom <= _FOLD_AT_LEVERAGE:
            self._held[:, self._held_n] = u * (1.0 / np.sqrt(denom))
            self._held_n += 1
            if self._held_n == _HELD_UPDATES:
                self._fold()
            return
        self._fold()
        with _one_blas_thread():
            self._base = dger(-1.0 / denom, u, u, a=self._base, overwrite_a=True)

    def _inverse_columns(self, cols: np.ndarray) -> np.ndarray:
        """``A^-1[:, cols]``, the held updates in (``D x len(cols)``)."""
        out = self._base[:, cols]
        if self._held_n:
            w = self._held[:, :self._held_n]
            out -= w @ w[cols].T
        return out

    def _inverse_times(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """``A^-1 phi`` for the sparse ``phi`` with values ``vals`` at ``cols``: the folded
        matrix's columns times ``vals``, less ``W (W' phi)``, two products of ``held`` terms
        (not the ``D x len(cols)`` correction of every column)."""
        out = self._base[:, cols] @ vals
        if self._held_n:
            w = self._held[:, :self._held_n]
            out -= w @ (vals @ w[cols])
        return out

    def _estimate(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        cross = self._width * self._zc.shape[1]
        per_column = x @ self._theta[:cross].reshape(self._width, self._zc.shape[1])
        # every action's, then the eligible ones: copying the eligible rows of the constants'
        # K x K block first cost more than the products (60 us at 192 actions)
        return (self._zc @ per_column + self._zb @ self._theta[cross:])[idx]

    def _quadratic_form(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """``phi_a' A^-1 phi_a`` for every action of ``idx`` at once.

        ``phi_a`` is ``E zc_a`` (``E``: ``x`` placed in each crossed column's block) plus the
        action's constants ``zb_a``, so the forms need ``W = A^-1 E`` (``D x q``, from the
        ``S q`` columns of ``A^-1`` the context touches) and then ``zc' (E' W) zc +
        2 zc' W_b' zb + zb' A^-1_bb zb``: ``O(D S q)`` for all actions together instead of
        ``O(K (S q)^2)``.
        """
        xs = np.flatnonzero(x)
        q, d = self._zc.shape[1], self._theta.size
        cross = self._width * q
        cols = (xs[:, None] * q + np.arange(q)[None, :]).ravel()
        w = np.einsum("dsc,s->dc", self._inverse_columns(cols).reshape(d, xs.size, q), x[xs])
        inner = np.einsum("scd,s->cd", w[cols].reshape(xs.size, q, q), x[xs])
        zc, zb = self._zc[idx], self._zb[idx]
        quad = np.einsum("kc,cd,kd->k", zc, inner, zc)
        if zb.shape[1]:
            quad += 2.0 * ((zb @ w[cross:]) * zc).sum(axis=1)
            constants = self._inverse_columns(np.arange(cross, d))[cross:]
            quad += ((zb @ constants) * zb).sum(axis=1)
        return quad

    def _phi(self, x: np.ndarray, a: int) -> tuple[np.ndarray, np.ndarray]:
        """The non-zero entries of action ``a``'s joint features: (indices, values)."""
        xs = np.flatnonzero(x)
        cs, cv, bs, bv = self._nonzero[a]
        idx = (xs[:, None] * self._zc.shape[1] + cs[None, :]).ravel()
        val = (x[xs][:, None] * cv[None, :]).ravel()
        return np.concatenate([idx, bs]), np.concatenate([val, bv])

    def learn(self, shared: FeatureSet, eligible: Sequence[int] | np.ndarray | None, chosen: int,
              probability: float, reward: float) -> None:
        """Learn one logged decision: the one regression takes the played action's reward
        (Sherman-Morrison on ``A^-1``; ``probability`` checked, not used: the direct method).
        With a forget factor below 1 (``config.forget``, or :meth:`forget_for`'s while it
        lasts) the statistics are first discounted, ``A <- f A`` and ``b <- f b``, the penalty
        put back once half of it has gone (:meth:`_forget`).
        """
        r = self._checked_reward(eligible, chosen, probability, reward)
        nz, val = self._phi(self.features(shared, learning=True), int(chosen))
        if self.config.thompson_l2:
            self._add_to_gram(nz, val, self.forget)
        factor = self.forget  # before _forget spends a temporary factor's update
        if factor != 1.0:  # forgetting scales the whole matrix: the held updates in first
            self._fold()
        restored = self._forget(0, self._base, self._b)
        if restored:  # the penalty came back: the weights moved
            self._theta = self._base @ self._b
        perturbed = self.config.pool == "perturbed"  # refused without thompson
        if perturbed and (restored or factor != 1.0):
            self._forget_deviations(factor, restored)
        with _one_blas_thread():
            u = self._inverse_times(nz, val)
            denom = 1.0 + val @ u[nz]
            if self._held_n and not denom >= 1.0:
                # phi' A^-1 phi is >= 0 exactly: below, B - W W' lost it to rounding (a
                # row of absurd size, against held updates of another); fold and ask again
                self._fold()
                u = self._inverse_times(nz, val)
                denom = 1.0 + val @ u[nz]
            error = r - self._theta[nz] @ val
            if perturbed:
                self._perturb(nz, val, u, denom)
            # theta = A^-1 b after the update: theta + u (r - phi . theta) / (1 + phi . u)
            self._theta += u * (error / denom)
            self._update_inverse(u, denom)
        self._b[nz] += r * val
        self._welford(r)
        self._n += 1
        if self.config.thompson and (self._n % self.config.redraw == 0 if perturbed
                                     else _redraw_due(self._n, self.config.redraw)):
            self._draw_pool()

    # -- Thompson sampling ---------------------------------------------------------------------
    def _rows_afresh(self) -> np.ndarray | None:
        """The perturbed pool's rows to draw afresh at this redraw (``redraw_share``): the
        next block in turn, or None for all of them (no pool yet, or the share is 1)."""
        c = self.config
        draws = c.draws
        if c.redraw_share >= 1.0 or self._pool.shape != (draws, self._theta.size):
            return None
        m = max(1, min(draws, round(draws * c.redraw_share)))
        start = (self._n // c.redraw) * m % draws
        return (start + np.arange(m)) % draws

    def _draw_pool(self, full: bool = False) -> None:
        """``draws`` weight vectors from ``N(theta, (thompson * sd)^2 C)``, ``C`` being ``A^-1``
        (with ``thompson_l2``, ``(X'X + thompson_l2 I)^-1``: :meth:`_noise_under_draws_prior`),
        from a generator seeded by the seed and the reward count (a replay of the same rewards
        draws the same)."""
        rng = np.random.default_rng([self.seed, self._n])
        rows = None if full else self._rows_afresh()
        with _one_blas_thread():
            noise = rng.standard_normal((self.config.draws if rows is None else rows.size,
                                         self._theta.size))
            if self.config.thompson_l2:
                spread = self._noise_under_draws_prior(noise)
            else:
                inverse = self._ainv
                spread = noise @ _root(0.5 * (inverse + inverse.T)).T
            if rows is not None:  # a block of the perturbed pool's deviations, the rest kept
                self._pool[rows] = spread
                self._set_pool(self._pool)  # its actions' constants computed afresh
            elif self.config.pool == "perturbed":  # the deviations alone, unitless (_perturb)
                self._set_pool(np.asfortranarray(spread))
            else:
                scale = self._thompson_scale() * self._posterior_spread()
                self._set_pool(self._theta + scale * spread)

    def _perturb(self, nz: np.ndarray, val: np.ndarray, u: np.ndarray, denom: float) -> None:
        """The perturbed pool's learn (``config.pool = "perturbed"``), before ``A^-1`` takes
        the row ``phi`` (``nz``, ``val``; ``u = A^-1 phi``, ``denom = 1 + phi' u``): each
        draw's right-hand side ``c_j`` takes ``phi e_j``, ``e_j`` standard normal, and
        ``dev_j = A^-1 c_j`` becomes ``dev_j + u (e_j - phi' dev_j) / denom`` (Sherman-Morrison
        on both), one rank-one update of the ``(draws, D)`` deviations."""
        e = self._noise.standard_normal(self._pool.shape[0])
        coef = (e - self._pool[:, nz] @ val) / denom
        self._pool = dger(1.0, coef, u, a=self._pool, overwrite_a=True)
        if self._pool_constants.shape == (self._pool.shape[0], self._k):
            cross = self._width * self._zc.shape[1]
            self._pool_constants += np.outer(coef, self._zb @ u[cross:])

    def _forget_deviations(self, factor: float, restored: bool) -> None:
        """The perturbed pool under forgetting: ``A <- f A`` makes ``c_j <- sqrt(f) c_j`` keep
        ``dev_j`` distributed ``N(0, A^-1)``, so ``dev_j <- dev_j / sqrt(f)``; where the
        penalty was put back (``A`` changed otherwise) the deviations are drawn afresh."""
        if restored:
            self._draw_pool(full=True)
        else:
            self._pool *= 1.0 / np.sqrt(factor)
            self._pool_constants *= 1.0 / np.sqrt(factor)

    def _add_to_gram(self, nz: np.ndarray, val: np.ndarray, factor: float) -> None:
        """One row for the Gram matrix, after forgetting by ``factor``; held, and added with
        the others by one product (:meth:`_gram_matrix`). Why: added alone, in place, a row
        costs ``O(nnz^2)`` in fancy indexing on every learn (a simulator world's row has about
        140 non-zeros); held, the rows cost one BLAS product per pool."""
        self._gram_scale *= factor
        if self._gram_scale < 1e-100 or len(self._rows) >= _HELD_ROWS:
            self._gram_matrix()  # the held rows in before the scale they were kept at changes
            self._gram *= self._gram_scale
            self._gram_scale = 1.0
        self._rows.append((nz, val / np.sqrt(self._gram_scale)))

    def _gram_matrix(self) -> np.ndarray:
        """``X'X`` (forgetting's weights in), the rows held added in first."""
        if self._rows:
            rows = np.zeros((len(self._rows), self._theta.size))
            for i, (nz, val) in enumerate(self._rows):
                rows[i, nz] = val
            self._gram += rows.T @ rows
            self._rows = []
        return self._gram_scale * self._gram

    def _noise_under_draws_prior(self, noise: np.ndarray) -> np.ndarray:
        """``noise`` (``(draws, D)``, standard normal) made ``N(0, (X'X + Q)^-1)``, ``Q`` the
        draws' prior (``thompson_l2`` on the weights of ``thompson_l2_on``, the penalty ``A``
        holds on the rest): ``L^-T z`` for ``X'X + Q = L L^T``."""
        precision = self._gram_matrix()
        prior = np.full(self._theta.size, self.config.thompson_l2)
        if self.config.thompson_l2_on == "crosses":
            kept = self.weight_groups() != 2
            prior[kept] = self._pending[0] * self._weight_penalties()[kept]
        precision[np.diag_indices_from(precision)] += prior
        try:
            low = np.linalg.cholesky(precision)
        except np.linalg.LinAlgError:  # rounding: the data's part a hair from semidefinite
            vals, vecs = np.linalg.eigh(precision)
            return (noise / np.sqrt(np.clip(vals, prior.min(), None))) @ vecs.T
        return solve_triangular(low, noise.T, lower=True, trans="T").T

    def _thompson_scale(self, n: np.ndarray | None = None) -> float | np.ndarray:
        """Thompson sampling's scale: ``thompson``, or with ``thompson_halfway`` ``h`` above
        0, ``final + (thompson - final) * h / (h + n)``, ``n`` the rewards learned or, given,
        each action's own evidence (:meth:`_own_evidence`; below 0 read as 0)."""
        c = self.config
        if not c.thompson_halfway:
            return c.thompson
        count = self._n if n is None else np.maximum(n, 0.0)
        return c.thompson_final + (c.thompson - c.thompson_final) * (
            c.thompson_halfway / (c.thompson_halfway + count))

    def _own_evidence(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Each action of ``idx``'s own evidence in context ``x`` (``thompson_counts =
        "evidence"``): ``1 / (phi' A^-1 phi) - 1 / (phi' P^-1 phi)``, below 0 where
        forgetting took more than the rows gave.

        Why that: ``A = P + X'X``, and after ``n`` rows equal to ``phi`` Sherman-Morrison
        gives ``phi' A^-1 phi = q0 / (1 + n q0)`` with ``q0 = phi' P^-1 phi``, so the
        difference of the inverses is ``n`` itself; rows near ``phi`` count in part, rows
        orthogonal to it not at all.
        """
        cross = self._width * self._zc.shape[1]
        inverse = 1.0 / self._weight_penalties()
        per_column = (x * x) @ inverse[:cross].reshape(self._width, self._zc.shape[1])
        prior = (self._zc[idx] ** 2) @ per_column + (self._zb[idx] ** 2) @ inverse[cross:]
        left = np.maximum(self._quadratic_form(x, idx), 1e-300)
        return np.asarray(1.0 / left - 1.0 / np.maximum(prior, 1e-300))

    def _posterior_spread(self) -> float:
        """The rewards' spread that Thompson sampling's draws are scaled by: their standard
        deviation, or, while every reward learned is the same number, that number's size (1 if
        it is 0). Why: a world's first matured rewards are often all 0 (decisions whose
        answer has not come yet, no cost); a spread of 0 made every draw the mean, every
        action tied at 0, and the first action won every draw (on `baseline` a mean logged
        probability of 0.97-0.99 from the first rewards on: docs/engine.md, stop 12)."""
        sd = self.reward_sd()
        return sd if sd > 0.0 else (abs(float(self._moments[1])) or 1.0)

    def _set_pool(self, pool: np.ndarray) -> None:
        """Serve from ``pool`` (``(draws, D)``); its actions' constants per draw are computed
        at its first use (they need the actions, which a loaded model gets later)."""
        self._pool = pool
        self._pool_constants = np.zeros((0, 0))  # (draws, K) once computed

    def _pool_estimates(self, x: np.ndarray, idx: np.ndarray,
                        mean: np.ndarray | None = None) -> np.ndarray:
        """``(draws, len(idx))``: each draw's estimate of each action of ``idx`` (under the
        perturbed pool, the mean's, ``mean`` where the caller has it, plus ``thompson * sd``
        times each deviation's)."""
        if self.config.pool == "perturbed":
            mean = self._estimate(x, idx) if mean is None else mean
            own = (self._own_evidence(x, idx) if self.config.thompson_counts == "evidence"
                   else None)
            scale = self._thompson_scale(own) * self._posterior_spread()
            return mean[None, :] + scale * self._pool_products(x, idx)
        return self._pool_products(x, idx)

    def _pool_products(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """``(draws, len(idx))``: the pool's rows (draws, or deviations) times each action of
        ``idx``'s features."""
        q = self._zc.shape[1]
        cross = self._width * q
        xs = np.flatnonzero(x)
        crossed = self._pool[:, :cross].reshape(-1, self._width, q)[:, xs, :]
        per_column = np.einsum("s,psc->pc", x[xs], crossed)
        if self._pool_constants.shape != (self._pool.shape[0], self._k):
            # the actions' constants under each draw do not depend on the context: once a pool
            self._pool_constants = self._pool[:, cross:] @ self._zb.T
        return (per_column @ self._zc.T + self._pool_constants)[:, idx]

    def probabilities(self, shared: FeatureSet,
                      eligible: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """Inverse gap weighting (:meth:`HashedRidge.probabilities`), or under Thompson
        sampling (``config.thompson`` above 0) each eligible action's share of the pool's
        draws under which it is the best, ``(1 - THOMPSON_FLOOR)`` of it, plus
        ``THOMPSON_FLOOR`` spread evenly."""
        if not self.config.thompson:
            return super().probabilities(shared, eligible)
        idx = self._indices(eligible)
        x = self.features(shared)  # once for the draws and the mix (ucb is 0 under Thompson)
        mean = (self._estimate(x, idx)
                if self.config.thompson_mix or self.config.pool == "perturbed" else None)
        best = self._pool_estimates(x, idx, mean).argmax(axis=1)
        share = np.bincount(best, minlength=idx.size) / best.size
        p = (1.0 - THOMPSON_FLOOR) * share + THOMPSON_FLOOR / idx.size
        if mean is not None and self.config.thompson_mix:
            m = self.config.thompson_mix
            p = (1.0 - m) * p + m * inverse_gap_weights(mean, self.gamma())
        return p

    def rescale_rewards(self, factor: float) -> None:
        """:meth:`HashedRidge.rescale_rewards`; the redrawn pool's draws with the weights (each
        is ``theta`` plus noise in the rewards' own spread: both scale alike), the perturbed
        pool's deviations not (they are unitless: the spread is read at each use)."""
        super().rescale_rewards(factor)
        if self.config.pool == "redrawn":  # the perturbed pool's deviations are unitless
            self._set_pool(self._pool * factor)

    def _add_to_b(self, x: np.ndarray, a: int, delta: float) -> None:
        """:meth:`HashedRidge._add_to_b`; the redrawn pool's draws move with the weights
        (each is ``theta`` plus noise), the perturbed pool's deviations not (``A`` did not
        change)."""
        nz, val = self._phi(x, a)
        self._b[nz] += delta * val
        with _one_blas_thread():
            step = self._inverse_times(nz, delta * val)
        self._theta += step
        if self.config.pool == "redrawn" and self._pool.shape[-1:] == step.shape:
            self._set_pool(self._pool + step)

    def _action_weights(self, a: int) -> np.ndarray:
        return self.weights()[a]

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the whole model to ``path`` atomically (temp file, fsync, rename)."""
        # ainv: the whole inverse, as a reader from before the held updates expects; the
        # folded matrix and the held updates beside it, so that a resumed model folds (and
        # rounds) where this one will
        held = ({"ainv_base": self._base, "held": self._held[:, :self._held_n]}
                if self._held_n else {})
        self._write(path, ainv=self._ainv, **held, b=self._b, theta=self._theta,
                    n=np.array([self._n, self._k], dtype=np.int64),
                    columns=np.array(json.dumps(self._columns)), pool=self._pool,
                    pool_noise=np.array(json.dumps(self._noise.bit_generator.state)),
                    gram=self._gram_matrix(), **self._learned_state(),
                    config=np.array(self.config.fingerprint()))

    def _load(self, path: Path) -> None:
        if not path.is_file():
            raise PolicyConfigError(f"model_path must be an existing file, got {str(path)!r}")
        try:
            with np.load(path, allow_pickle=False) as z:
                saved = str(z["config"])
                ainv, b, theta, counts = z["ainv"], z["b"], z["theta"], z["n"]
                held = z["held"] if "held" in z.files else None
                if held is not None:
                    ainv = z["ainv_base"]
                columns = json.loads(str(z["columns"]))
                pool = z["pool"] if "pool" in z.files else np.zeros((0, 0))
                gram = z["gram"] if "gram" in z.files else np.zeros((0, 0))
                noise = json.loads(str(z["pool_noise"])) if "pool_noise" in z.files else None
                self._read_learned_state(z, regressions=1)
        except (OSError, ValueError, KeyError) as exc:
            raise PolicyConfigError(f"model_path: expected a joint ridge model, cannot read "
                                    f"{str(path)!r}: {exc}") from exc
        if saved != self.config.fingerprint():
            raise PolicyConfigError(f"model_path: expected a model made with "
                                    f"{self.config.fingerprint()}, got {saved}")
        if held is not None and (held.ndim != 2 or held.shape[0] != ainv.shape[0]
                                 or held.shape[1] > _HELD_UPDATES):
            raise PolicyConfigError(f"model_path: expected held updates of shape "
                                    f"({ainv.shape[0]}, <= {_HELD_UPDATES}), got "
                                    f"{held.shape} in {str(path)!r}")
        self._set_inverse(ainv, held)
        self._b, self._theta = b.copy(), theta.copy()
        self._n, self._k = int(counts[0]), int(counts[1])
        self._columns = list(columns)
        self._set_pool(np.array(pool, dtype=np.float64, order="F"))  # dger updates it
        if noise is not None:
            self._noise.bit_generator.state = noise
        self._gram = np.asarray(gram, dtype=np.float64).copy()
