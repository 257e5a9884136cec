"""A campaign's settings and the resources it may use: the room left today on each channel, its
own caps, a total budget, and what each action costs.

An action's cost is its channel's cost per send plus its message's ``discount`` times
``discount_base``: with the default 1 a discount counts as money given with every send (an
amount-off voucher, as if every recipient redeemed it), so the budget is a hard bound on what
the campaign can commit; for a percentage discount give the basket it applies to (times the
redemption rate you expect) as ``discount_base``.

Example:
    >>> from engine.catalog import Catalog, Channel, Message
    >>> cat = Catalog.from_names([Message("m", discount=2.0)],
    ...                          [Channel("sms", cost=0.05, daily_capacity=100)], ["now"])
    >>> plan = CampaignPlan(at=0.0, budget=50.0, capacity={"sms": 30})
    >>> res = campaign_resources(cat, plan, used_today={"sms": 80})
    >>> res.capacity.tolist(), res.action_cost.tolist(), res.budget
    ([20.0], [2.05, 0.0], 50.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from engine.catalog import Catalog
from engine.errors import CampaignError
from policies.allocation import Resources
from policies.number_check import check_number

__all__ = ["CampaignPlan", "action_costs", "campaign_resources"]


@dataclass(frozen=True)
class CampaignPlan:
    """How a campaign is scored.

    Attributes:
        at: the decision time of every decision (epoch seconds): rules, send times, caps and the
            day whose capacity it uses.
        budget: the most money the campaign commits (``inf``: no budget).
        capacity: channel -> the most sends of this campaign on it (also never more than the
            channel's ``daily_capacity`` left that day).
        discount_base: money per unit of a message's ``discount`` per send (see the module).
        epsilon: exploration, uniform over each customer's feasible actions.
        seed: seeds the draws.
        batch_size: customers per batch (one transaction each).
        sample_size: customers scored first to set the prices.
    """

    at: float
    budget: float = math.inf
    capacity: Mapping[str, int] = field(default_factory=dict)
    discount_base: float = 1.0
    epsilon: float = 0.05
    seed: int = 0
    batch_size: int = 2000
    sample_size: int = 20_000

    def __post_init__(self) -> None:
        check_number("at", self.at, error=CampaignError)
        if self.budget != math.inf:
            check_number("budget", self.budget, low=0.0, error=CampaignError)
        for ch, cap in self.capacity.items():
            check_number(f"capacity.{ch}", cap, low=0, integer=True, error=CampaignError)
        check_number("discount_base", self.discount_base, low=0.0, error=CampaignError)
        check_number("epsilon", self.epsilon, low=0.0, high=1.0, error=CampaignError)
        check_number("seed", self.seed, low=0, integer=True, error=CampaignError)
        check_number("batch_size", self.batch_size, low=1, integer=True, error=CampaignError)
        check_number("sample_size", self.sample_size, low=1, integer=True, error=CampaignError)


def action_costs(catalog: Catalog, discount_base: float = 1.0) -> np.ndarray:
    """(K,) each action's cost: channel cost + discount x ``discount_base`` (0: no contact)."""
    return np.array([0.0 if a.triple is None else
                     a.triple[1].cost + a.triple[0].discount * discount_base
                     for a in catalog.actions])


def campaign_resources(catalog: Catalog, plan: CampaignPlan, used_today: Mapping[str, int]
                       ) -> Resources:
    """What the campaign may use: per channel the smaller of its own cap and the daily capacity
    left (``used_today``: sends already counted that day), and its budget.

    Raises:
        CampaignError: a capacity names a channel the catalog lacks.
    """
    names = [c.name for c in catalog.channels]
    unknown = sorted(set(plan.capacity) - set(names))
    if unknown:
        raise CampaignError(f"capacity.{unknown[0]}: expected a channel of the catalog "
                            f"({', '.join(names)})")
    room = []
    for ch in catalog.channels:
        left = math.inf if ch.daily_capacity is None else max(
            0, ch.daily_capacity - int(used_today.get(ch.name, 0)))
        room.append(float(min(left, plan.capacity.get(ch.name, math.inf))))
    return Resources(catalog.action_channel, np.array(room),
                     action_costs(catalog, plan.discount_base), plan.budget)
