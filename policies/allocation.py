"""Allocation under capacity and budget: which action each customer of a batch gets, so that no
channel's capacity and no budget is ever exceeded, with honest probabilities.

Each action may consume one unit of its channel's capacity and some money (its cost, against a
total budget); the no-contact action consumes nothing. A dual price per resource
(:class:`Prices`, found by :func:`policies.dual_prices.find_prices`) turns the estimated reward
into a *priced score* ``reward - price[channel] - budget_price * cost``; each customer's
distribution is ``(1 - epsilon)`` on the best priced score among the actions feasible for them
plus ``epsilon`` uniform over those actions (:func:`explore_distribution`), so the scarce
channel goes to the customers who gain most from it and exploration stays among feasible
actions.

:func:`allocate` then draws customer after customer in a given order, each among the actions
that are still feasible at their turn (their channel has room, their cost fits what is left of
the budget): capacity is folded in *before* the draw, so the probability logged for a customer
is the probability with which their action was really drawn, given everything drawn before.
It is vectorised: everyone is drawn at once under the resources open now, and the draws are kept
up to the first customer whose turn would have seen a resource closed; from there on the rest are
drawn again under the smaller set (at most one round per channel and per distinct cost level).
With zero prices the same function is *first come, first served*: each customer in arrival order
takes their best action among those still open.

Example:
    >>> import numpy as np
    >>> res = Resources(action_channel=np.array([0, 1, -1]), capacity=np.array([1.0, 5.0]))
    >>> scores = np.array([[3.0, 1.0, 0.0], [2.0, 1.5, 0.0]])
    >>> out = allocate(scores, np.ones((2, 3), bool), res, epsilon=0.0,
    ...                rng=np.random.default_rng(0))
    >>> out.actions.tolist(), out.probabilities.tolist(), out.channel_used.tolist()
    ([0, 1], [1.0, 1.0], [1, 1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from policies.errors import PolicyConfigError, PolicyInputError
from policies.number_check import check_number
from policies.sampling import greedy_distribution, sample_actions

__all__ = ["Allocation", "Prices", "Resources", "allocate", "explore_distribution"]

# The budget is kept with this relative margin: float sums of many costs round, and a spend
# above the budget by one rounding is still above it.
_BUDGET_MARGIN = 1e-9


def _array(name: str, value: object, dtype: type, ndim: int) -> np.ndarray:
    arr: np.ndarray = np.array(value, dtype=dtype, copy=True)
    if arr.ndim != ndim:
        raise PolicyConfigError(f"{name}: expected a {ndim}-d array, got shape {arr.shape}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class Resources:
    """What actions consume.

    Attributes:
        action_channel: (K,) int, each action's channel index, -1 for an action on no channel
            (no contact).
        capacity: (C,) float >= 0, sends allowed per channel (``inf`` = unlimited); a fraction
            (the share of a sample) allows its whole part.
        action_cost: (K,) float >= 0, the money an action commits (default 0 each).
        budget: total money (``inf`` = unlimited).

    Example:
        >>> Resources(action_channel=[0, -1], capacity=[-1.0])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        policies.errors.PolicyConfigError: capacity: expected numbers >= 0 or inf, got ...
    """

    action_channel: np.ndarray
    capacity: np.ndarray
    action_cost: np.ndarray | None = None
    budget: float = float("inf")

    def __post_init__(self) -> None:
        ch = _array("action_channel", self.action_channel, np.int64, 1)
        cap = _array("capacity", self.capacity, np.float64, 1)
        k = ch.shape[0]
        cost = _array("action_cost", np.zeros(k) if self.action_cost is None
                      else self.action_cost, np.float64, 1)
        if k == 0 or ch.min() < -1 or ch.max() >= cap.shape[0]:
            raise PolicyConfigError(f"action_channel: expected K >= 1 indices in [-1, "
                                    f"{cap.shape[0]}), got {ch.tolist()[:20]}")
        if np.isnan(cap).any() or (cap < 0).any():
            raise PolicyConfigError(f"capacity: expected numbers >= 0 or inf, got "
                                    f"{cap.tolist()[:20]}")
        if cost.shape != (k,) or not np.isfinite(cost).all() or (cost < 0).any():
            raise PolicyConfigError(f"action_cost: expected {k} finite numbers >= 0, got "
                                    f"{cost.tolist()[:20]}")
        budget = self.budget
        if budget != float("inf"):
            budget = check_number("budget", budget, low=0.0, error=PolicyConfigError)
        object.__setattr__(self, "action_channel", ch)
        object.__setattr__(self, "capacity", cap)
        object.__setattr__(self, "action_cost", cost)
        object.__setattr__(self, "budget", float(budget))

    @property
    def n_actions(self) -> int:
        """K."""
        return int(self.action_channel.shape[0])

    @property
    def n_channels(self) -> int:
        """C."""
        return int(self.capacity.shape[0])

    @property
    def costs(self) -> np.ndarray:
        """(K,) the action costs (``action_cost`` as the array it became)."""
        assert self.action_cost is not None  # __post_init__ filled it
        return self.action_cost

    def usage(self, actions: np.ndarray) -> tuple[np.ndarray, float]:
        """``(sends per channel (C,), money spent)`` of chosen actions (-1 = none).

        Example:
            >>> Resources([0, 0, -1], [9.0], [1.0, 2.0, 0.0]).usage(np.array([0, 1, 2, -1]))
            (array([2]), 3.0)
        """
        a = np.asarray(actions, dtype=np.int64)
        a = a[a >= 0]
        ch = self.action_channel[a]
        sends = np.bincount(ch[ch >= 0], minlength=self.n_channels)
        return sends, float(np.sum(self.costs[a]))

    def scaled(self, share: float) -> Resources:
        """The same resources with capacity and budget scaled by ``share``, for a sample of a
        share of the customers (prices fitted on it).

        Example:
            >>> res = Resources([0, -1], [60.0], budget=50.0).scaled(0.25)
            >>> res.capacity.tolist(), res.budget
            ([15.0], 12.5)
        """
        share = check_number("share", share, low=0.0, error=PolicyConfigError)
        return Resources(self.action_channel, self.capacity * share, self.action_cost,
                         self.budget * share)


@dataclass(frozen=True)
class Prices:
    """Dual prices: per channel (per send) and of the budget (per unit of money).

    Example:
        >>> res = Resources([0, 1, -1], [5.0, 5.0], [0.1, 0.5, 0.0])
        >>> Prices(np.array([2.0, 0.0]), 1.0).action_prices(res).tolist()
        [2.1, 0.5, 0.0]
    """

    channel: np.ndarray
    budget: float = 0.0

    def __post_init__(self) -> None:
        ch = _array("prices.channel", self.channel, np.float64, 1)
        if not np.isfinite(ch).all() or (ch < 0).any():
            raise PolicyConfigError(f"prices.channel: expected finite numbers >= 0, got "
                                    f"{ch.tolist()}")
        object.__setattr__(self, "channel", ch)
        object.__setattr__(self, "budget", check_number("prices.budget", self.budget, low=0.0,
                                                        error=PolicyConfigError))

    @classmethod
    def zero(cls, resources: Resources) -> Prices:
        """No prices: first come, first served."""
        return cls(np.zeros(resources.n_channels), 0.0)

    def action_prices(self, resources: Resources) -> np.ndarray:
        """(K,) what each action costs in score units."""
        if self.channel.shape[0] != resources.n_channels:
            raise PolicyConfigError(f"prices.channel: expected {resources.n_channels} prices "
                                    f"(one per channel), got {self.channel.shape[0]}")
        ch = resources.action_channel
        per_send = np.where(ch >= 0, self.channel[np.maximum(ch, 0)], 0.0)
        return per_send + self.budget * resources.costs


@dataclass(frozen=True)
class Allocation:
    """What :func:`allocate` chose.

    Attributes:
        actions: (n,) int64, the action of each customer (-1: no action was feasible).
        probabilities: (n,) float64, the probability with which it was drawn (1 for -1 and for
            held customers).
        feasible: (n, K) bool, the actions feasible for each customer at their turn (the support
            their distribution was drawn from).
        channel_used: (C,) int64, sends per channel.
        spent: money committed.
        rounds: how many times the resources open changed during the draw, plus one.
    """

    actions: np.ndarray
    probabilities: np.ndarray
    feasible: np.ndarray
    channel_used: np.ndarray
    spent: float
    rounds: int


def explore_distribution(priced: np.ndarray, feasible: np.ndarray, epsilon: float
                         ) -> np.ndarray:
    """(n, K): ``1 - epsilon`` on each row's best feasible priced score (ties share it), plus
    ``epsilon`` uniform over its feasible actions. A row with nothing feasible is all zeros.

    Example:
        >>> p = explore_distribution(np.array([[1.0, 2.0, 0.0]]),
        ...                          np.array([[True, True, False]]), 0.2)
        >>> p.round(2).tolist()
        [[0.1, 0.9, 0.0]]
    """
    epsilon = check_number("epsilon", epsilon, low=0.0, high=1.0, error=PolicyInputError)
    out = np.zeros(priced.shape, dtype=np.float64)
    rows = feasible.any(axis=1)
    if rows.all():
        f, s = feasible, priced
    else:
        f, s = feasible[rows], priced[rows]
    count = f.sum(axis=1, keepdims=True)
    probs = (1.0 - epsilon) * greedy_distribution(s, f) + epsilon * (f / count)
    if rows.all():
        return probs
    out[rows] = probs
    return out


def _check_batch(scores: np.ndarray, eligible: np.ndarray, resources: Resources) -> None:
    k = resources.n_actions
    if scores.ndim != 2 or scores.shape[1] != k:
        raise PolicyInputError(f"scores: expected shape (n, {k}), got {scores.shape}")
    if eligible.shape != scores.shape or eligible.dtype != bool:
        raise PolicyInputError(f"eligible: expected a bool array of shape {scores.shape}, got "
                               f"{eligible.dtype} {eligible.shape}")
    if not np.isfinite(scores).all():
        raise PolicyInputError("scores: expected finite numbers, got NaN or inf")


def _order(order: np.ndarray | None, n: int) -> np.ndarray:
    if order is None:
        return np.arange(n)
    o = np.asarray(order)
    if o.shape != (n,) or not np.array_equal(np.sort(o), np.arange(n)):
        raise PolicyInputError(f"order: expected a permutation of range({n}), got shape "
                               f"{o.shape}")
    return o.astype(np.int64)


def _held(held: np.ndarray | None, held_action: np.ndarray | None, n: int, k: int
          ) -> tuple[np.ndarray, np.ndarray]:
    if held is None:
        return np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64)
    h = np.asarray(held, dtype=bool)
    a = np.full(n, -1, dtype=np.int64) if held_action is None else np.asarray(
        held_action, dtype=np.int64)
    if h.shape != (n,) or a.shape != (n,) or (a < -1).any() or (a >= k).any():
        raise PolicyInputError(f"held, held_action: expected ({n},) arrays, actions in "
                               f"[-1, {k}), got {h.shape} and {a.shape}")
    return h, a


class _Budget:
    """What is left of the resources while the customers are drawn."""

    def __init__(self, resources: Resources) -> None:
        self.res = resources
        self.room = resources.capacity.copy()
        self.left = resources.budget
        self.margin = _BUDGET_MARGIN * max(1.0, resources.budget) if np.isfinite(
            resources.budget) else 0.0

    def open_actions(self) -> np.ndarray:
        """(K,) bool: the actions whose channel has room and whose cost fits the budget."""
        ch = self.res.action_channel
        room_ok = np.where(ch >= 0, self.room[np.maximum(ch, 0)] >= 1, True)
        return room_ok & (self.res.costs <= self.left - self.margin)

    def consistent_prefix(self, chosen: np.ndarray, open_now: np.ndarray) -> int:
        """How many of the draws ``chosen`` (in order; -1 = none) saw ``open_now`` still open
        at their turn: the index of the first whose turn came after a resource closed."""
        res, m = self.res, chosen.shape[0]
        ok = np.ones(m, dtype=bool)
        a = np.maximum(chosen, 0)
        ch = np.where(chosen >= 0, res.action_channel[a], -1)
        for c in np.unique(res.action_channel[open_now]):
            if c < 0 or not np.isfinite(self.room[c]):
                continue
            before = np.cumsum(ch == c) - (ch == c)
            ok &= before <= self.room[c] - 1
        if np.isfinite(self.left) and open_now.any():
            spend = np.where(chosen >= 0, res.costs[a], 0.0)
            before = np.cumsum(spend) - spend
            ok &= res.costs[open_now].max() <= self.left - self.margin - before
        bad = np.flatnonzero(~ok)
        return int(bad[0]) if bad.size else m

    def take(self, chosen: np.ndarray) -> None:
        sends, spent = self.res.usage(chosen)
        self.room = self.room - sends
        self.left = self.left - spent


def allocate(scores: np.ndarray, eligible: np.ndarray, resources: Resources,
             prices: Prices | None = None, *, epsilon: float, rng: np.random.Generator,
             order: np.ndarray | None = None, held: np.ndarray | None = None,
             held_action: np.ndarray | None = None, no_contact: int | None = None
             ) -> Allocation:
    """Draw one action per customer so that no capacity and no budget is exceeded.

    Args:
        scores: (n, K) estimated rewards.
        eligible: (n, K) bool, what the contact rules allow per customer.
        resources: capacities and budget for these n customers.
        prices: dual prices (default zero: first come, first served).
        epsilon: exploration share, uniform over each customer's feasible actions.
        rng: the draws' generator.
        order: (n,) the order customers are drawn in (default: row order); a resource that
            fills up closes for everyone after.
        held: (n,) bool, customers who get ``held_action`` with probability 1 (a holdout).
        held_action: (n,) their action, played when feasible at their turn, else ``no_contact``.
        no_contact: the index of the no-contact action, if any.

    Returns:
        An :class:`Allocation`; ``actions`` never send more on a channel than its capacity nor
        spend more than the budget.

    Raises:
        PolicyInputError: shapes or values that do not fit (the message names the argument).
    """
    scores = np.asarray(scores, dtype=np.float64)
    eligible = np.asarray(eligible)
    _check_batch(scores, eligible, resources)
    n, k = scores.shape
    perm = _order(order, n)
    hold, hold_action = _held(held, held_action, n, k)
    if no_contact is not None and not 0 <= no_contact < k:
        raise PolicyInputError(f"no_contact: expected an action index in [0, {k}), got "
                               f"{no_contact}")
    priced = scores - (prices or Prices.zero(resources)).action_prices(resources)
    actions = np.full(n, -1, dtype=np.int64)
    probs = np.ones(n)
    feasible = np.zeros((n, k), dtype=bool)
    state = _Budget(resources)
    pos, rounds = 0, 0
    while pos < n:
        rounds += 1
        open_now = state.open_actions()
        rows = perm[pos:]
        f = eligible[rows] & open_now
        p = explore_distribution(priced[rows], f, epsilon)
        _hold_rows(p, f, hold[rows], hold_action[rows], no_contact)
        chosen = np.where(f.any(axis=1), sample_actions(p, rng), -1)
        keep = state.consistent_prefix(chosen, open_now)
        done = rows[:keep]
        actions[done] = chosen[:keep]
        probs[done] = np.where(chosen[:keep] >= 0,
                               p[np.arange(keep), np.maximum(chosen[:keep], 0)], 1.0)
        feasible[done] = f[:keep]
        state.take(chosen[:keep])
        pos += keep
    used, spent = resources.usage(actions)
    return Allocation(actions, probs, feasible, used, spent, rounds)


def _hold_rows(p: np.ndarray, f: np.ndarray, held: np.ndarray, action: np.ndarray,
               no_contact: int | None) -> None:
    """Held rows get their action when feasible, else no contact, with probability 1."""
    if not held.any():
        return
    rows = np.flatnonzero(held)
    a = action[rows]
    ok = (a >= 0) & f[rows, np.maximum(a, 0)]
    fallback = -1 if no_contact is None else no_contact
    a = np.where(ok, a, fallback)
    a = np.where((a >= 0) & f[rows, np.maximum(a, 0)], a, -1)
    p[rows] = 0.0
    f[rows] = False  # a held row's support is its one action
    has = a >= 0
    p[rows[has], a[has]] = 1.0
    f[rows[has], a[has]] = True
