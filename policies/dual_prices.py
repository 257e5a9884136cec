"""Dual prices that make a batch's expected use of each resource fit its capacity and budget.

The allocation problem of :mod:`policies.allocation` relaxed to fractions is a linear
programme; its dual has one price per resource, and at the optimum each customer takes the
action of best *priced* score ``reward - price[channel] - budget_price * cost``. The prices are
found by coordinate descent on the dual, a few passes over the resources:

- a channel's price, the others held, is exact: customer i leaves channel c once its price
  exceeds ``t_i = best score on c - best score elsewhere``, so the price that keeps the greedy
  use of c within what exploration and held customers leave of its capacity is an order
  statistic of the ``t_i`` (no search);
- the budget price moves every action by its own cost, so it is found by bisection (the spend of
  the greedy choice never grows with the price).

Expected use counts exploration (``epsilon`` uniform over the eligible actions) and held
customers, which prices do not move. The prices aim at the capacities themselves; the draw in
:func:`policies.allocation.allocate` then keeps every constraint exactly, closing a resource for
the customers after it in the rare case the draws exceed it.

Example:
    >>> import numpy as np
    >>> from policies.allocation import Resources
    >>> res = Resources(action_channel=np.array([0, -1]), capacity=np.array([2.0]))
    >>> scores = np.array([[5.0, 0.0], [3.0, 0.0], [1.0, 0.0], [4.0, 0.0]])
    >>> p = find_prices(scores, np.ones((4, 2), bool), res, epsilon=0.0)
    >>> float(p.channel[0])   # the third-best gain: customers gaining 4 and 5 keep the channel
    3.0
"""

from __future__ import annotations

import numpy as np

from policies.allocation import Prices, Resources, explore_distribution
from policies.errors import PolicyInputError
from policies.number_check import check_number

__all__ = ["expected_usage", "find_prices"]

_RELATIVE = 1e-4  # the budget price's bisection stops at this relative width


def expected_usage(scores: np.ndarray, eligible: np.ndarray, resources: Resources,
                   prices: Prices, epsilon: float, held_use: tuple[np.ndarray, float] | None = None
                   ) -> tuple[np.ndarray, float]:
    """``(expected sends per channel (C,), expected spend)`` of the priced distribution.

    Example:
        >>> import numpy as np
        >>> res = Resources(np.array([0, -1]), np.array([1.0]))
        >>> expected_usage(np.array([[1.0, 0.0]]), np.ones((1, 2), bool), res,
        ...                Prices.zero(res), 0.5)[0].tolist()
        [0.75]
    """
    p = explore_distribution(scores - prices.action_prices(resources), eligible, epsilon)
    per_action = p.sum(axis=0)
    ch = resources.action_channel
    sends = np.bincount(ch[ch >= 0], weights=per_action[ch >= 0], minlength=resources.n_channels)
    spend = float(per_action @ resources.costs)
    if held_use is not None:
        sends, spend = sends + held_use[0], spend + held_use[1]
    return sends, spend


def _explore_use(eligible: np.ndarray, resources: Resources, epsilon: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel sends and per-row spend that exploration alone brings (price-free)."""
    count = eligible.sum(axis=1, keepdims=True)
    uniform = np.divide(eligible, count, out=np.zeros(eligible.shape), where=count > 0)
    ch = resources.action_channel
    per_action = uniform.sum(axis=0)
    sends = np.bincount(ch[ch >= 0], weights=per_action[ch >= 0], minlength=resources.n_channels)
    return epsilon * sends, epsilon * (uniform @ resources.costs)


def _channel_price(base: np.ndarray, eligible: np.ndarray, on_c: np.ndarray, allowed: float
                   ) -> float:
    """The smallest price on one channel that leaves at most ``allowed`` greedy choices on it.

    ``base``: (n, K) scores priced by every other resource; ``on_c``: (K,) the channel's
    actions."""
    best_c = np.where(eligible & on_c, base, -np.inf).max(axis=1)
    best_other = np.where(eligible & ~on_c, base, -np.inf).max(axis=1)
    wants = np.isfinite(best_c)
    gain = np.where(np.isfinite(best_other), best_c - best_other, np.inf)[wants]
    allowed = max(0.0, allowed)
    if np.count_nonzero(gain > 0) <= allowed:
        return 0.0
    finite = gain[np.isfinite(gain)]
    if finite.size == 0:
        return 0.0  # every customer who may use it has nothing else: no price moves them
    top = np.sort(finite)[::-1]
    forced = gain.size - finite.size  # customers with no other action stay whatever the price
    keep = round(allowed) - forced  # a sample's share of the room may be a fraction
    if keep <= 0:
        return float(max(top[0], 0.0)) + 1e-9 * max(1.0, abs(float(top[0])))
    if keep >= top.size:
        return 0.0
    return float(max(top[keep], 0.0))


def _greedy_spend(masked: np.ndarray, costs: np.ndarray, mu: float) -> float:
    """Spend of the greedy choice at budget price ``mu``; ``masked``: scores with -inf where
    ineligible. Exact ties go to the first action (a tie between actions of different costs
    needs a score gap of exactly ``mu`` times their cost gap)."""
    return float(costs[np.argmax(masked - mu * costs, axis=1)].sum())


def _budget_price(base: np.ndarray, eligible: np.ndarray, costs: np.ndarray, allowed: float,
                  guess: float) -> float:
    """The smallest budget price whose greedy spend is at most ``allowed``: bisection, in a
    bracket grown from ``guess`` (the previous pass's price)."""
    masked = np.where(eligible, base, -np.inf)
    masked[~eligible.any(axis=1)] = 0.0  # a row with nothing eligible spends nothing
    if _greedy_spend(masked, costs, 0.0) <= allowed:
        return 0.0
    positive = costs[costs > 0]
    if positive.size == 0:
        return 0.0
    finite = masked[np.isfinite(masked)]
    top = (float(np.ptp(finite)) + 1.0) / float(positive.min())
    if _greedy_spend(masked, costs, top) > allowed:
        return top  # exploration and forced choices spend more than allowed: the draw cuts it
    lo, hi = 0.0, top
    if 0.0 < guess < top:  # bracket the previous price: passes move it little
        step = max(guess * 0.05, 1e-12)
        lo, hi = max(0.0, guess - step), min(top, guess + step)
        while lo > 0.0 and _greedy_spend(masked, costs, lo) <= allowed:
            lo, step = max(0.0, lo - 2 * step), 2 * step
        while _greedy_spend(masked, costs, hi) > allowed:
            hi, step = min(top, hi + 2 * step), 2 * step
    while hi - lo > _RELATIVE * hi:
        mid = 0.5 * (lo + hi)
        if _greedy_spend(masked, costs, mid) > allowed:
            lo = mid
        else:
            hi = mid
    return hi


def find_prices(scores: np.ndarray, eligible: np.ndarray, resources: Resources, *,
                epsilon: float, held: np.ndarray | None = None,
                held_action: np.ndarray | None = None, passes: int = 8,
                tolerance: float = 1e-3) -> Prices:
    """Prices per channel and of the budget for a batch (or a sample of one, with
    ``resources.scaled(share)``).

    Args:
        scores: (n, K) estimated rewards.
        eligible: (n, K) bool, what the rules allow.
        resources: capacities and budget for these customers.
        epsilon: the exploration share the allocation will use.
        held: (n,) bool, customers with a fixed action (a holdout): they use resources whatever
            the prices.
        held_action: (n,) their actions (-1: none).
        passes: most passes over the resources.
        tolerance: stop when no price moves more than this (relative).

    Returns:
        :class:`Prices` (zero for a resource that does not bind).

    Raises:
        PolicyInputError: shapes that do not fit.
    """
    scores = np.asarray(scores, dtype=np.float64)
    eligible = np.asarray(eligible, dtype=bool)
    if scores.ndim != 2 or scores.shape != eligible.shape or scores.shape[1] != \
            resources.n_actions:
        raise PolicyInputError(f"scores, eligible: expected shape (n, {resources.n_actions}), "
                               f"got {scores.shape} and {eligible.shape}")
    epsilon = check_number("epsilon", epsilon, low=0.0, high=1.0, error=PolicyInputError)
    n = scores.shape[0]
    hold = np.zeros(n, dtype=bool) if held is None else np.asarray(held, dtype=bool)
    fixed = np.full(n, -1) if held_action is None else np.asarray(held_action)
    held_sends, held_spend = resources.usage(fixed[hold])
    s, e = scores[~hold], eligible[~hold]
    explore_sends, explore_spend = _explore_use(e, resources, epsilon)
    greedy = 1.0 - epsilon
    ch, costs = resources.action_channel, resources.costs
    prices = Prices.zero(resources)
    if greedy == 0.0 or s.shape[0] == 0:
        return prices
    channel = prices.channel.copy()
    budget_price = 0.0
    capped = [c for c in range(resources.n_channels) if np.isfinite(resources.capacity[c])]
    for _ in range(passes):
        moved = 0.0
        for c in capped:
            others = channel.copy()
            others[c] = 0.0
            base = s - Prices(others, budget_price).action_prices(resources)
            allowed = (resources.capacity[c] - held_sends[c] - explore_sends[c]) / greedy
            new = _channel_price(base, e, ch == c, allowed)
            moved = max(moved, abs(new - channel[c]) / max(1.0, abs(channel[c])))
            channel[c] = new
        if np.isfinite(resources.budget):
            base = s - Prices(channel, 0.0).action_prices(resources)
            allowed = (resources.budget - held_spend - float(explore_spend.sum())) / greedy
            new = _budget_price(base, e, costs, allowed, budget_price)
            moved = max(moved, abs(new - budget_price) / max(1.0, budget_price))
            budget_price = new
        if moved <= tolerance:
            break
    return Prices(channel, budget_price)
