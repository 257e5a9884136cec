"""Rewards on one scale for the learners, whatever the business counts in.

The learners see ``reward / scale``, ``scale`` = E[r^2] / E[|r|] over the non-zero rewards seen
so far: exactly 1 for 0/1 rewards, about the typical order value for revenue (a weighted mean of
|r| that the many small values do not drag down), 1 before any non-zero reward. So SquareCB's
exploration (which reads gaps between predicted rewards) and the regression's steps behave the
same whether a conversion is worth 1 or 80 euros. The scale is in the checkpoint; explanations
and every estimate stay on the business scale.

Example:
    >>> s = RewardScale()
    >>> [s.observe(r) for r in (0.0, 1.0, 0.0, 1.0)] and s.value
    1.0
    >>> s = RewardScale()
    >>> _ = [s.observe(r) for r in (0.0, 40.0, 0.0, 60.0)]
    >>> s.value, s.normalise(60.0)
    (52.0, 1.1538461538461537)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.catalog import Catalog
    from engine.decision_store import DecisionStore

__all__ = ["RewardScale", "scale_of_log"]


class RewardScale:
    """A running scale of rewards (see the module docstring); ``unit`` is what a typical
    reward counts as for the learner (a candidate's ``reward_unit``, 1 unless configured).

    Example (a learner that wants a typical reward to count 64):
        >>> s = RewardScale(unit=64.0)
        >>> _ = [s.observe(r) for r in (0.0, 1.0, 0.0, 1.0)]
        >>> s.normalise(1.0), s.value
        (64.0, 0.015625)
    """

    def __init__(self, sum_abs: float = 0.0, sum_sq: float = 0.0, unit: float = 1.0) -> None:
        self.sum_abs, self.sum_sq, self.unit = float(sum_abs), float(sum_sq), float(unit)

    @property
    def value(self) -> float:
        """The current scale: what the learner's rewards are multiplied by to be on the
        business scale (1 before any non-zero reward)."""
        return self.sum_sq / self.sum_abs / self.unit if self.sum_abs > 0 else 1.0

    def observe(self, reward: float) -> None:
        """Count one reward into the scale."""
        if reward != 0.0:
            self.sum_abs += abs(reward)
            self.sum_sq += reward * reward

    def replace(self, old: float, new: float) -> None:
        """Count ``new`` in place of ``old``, counted before (a decision's corrected total).

        Example (every reward corrected to 0: the scale is as before any, not what rounding
        left of the sums):
            >>> s = RewardScale()
            >>> s.observe(0.1), s.observe(0.2), s.replace(0.1, 0.0), s.replace(0.2, 0.0)
            (None, None, None, None)
            >>> s.value
            1.0
        """
        self.sum_abs += abs(new) - abs(old)
        self.sum_sq += new * new - old * old
        if self.sum_abs <= 1e-9 * abs(old):  # nothing left but rounding
            self.sum_abs = self.sum_sq = 0.0

    def normalise(self, reward: float) -> float:
        """``reward`` on the learners' scale."""
        return reward / self.value

    def to_state(self) -> dict[str, Any]:
        """The two sums (JSON-ready)."""
        return {"sum_abs": self.sum_abs, "sum_sq": self.sum_sq}

    @classmethod
    def from_state(cls, state: dict[str, Any], unit: float = 1.0) -> RewardScale:
        """The scale :meth:`to_state` wrote (the unit is configuration, not state)."""
        return cls(state["sum_abs"], state["sum_sq"], unit)


def scale_of_log(log: DecisionStore, catalog: Catalog, upto: int,
                 unit: float = 1.0) -> RewardScale:
    """The reward scale a learner had after learning the log up to ``upto``: every reward it
    learned, observed in sequence order (a snapshot does not carry it: the fleet's learner
    resuming from one and a campaign scoring with one both read it here)."""
    scale = RewardScale(unit=unit)
    for seq, rec, value, kind in log.rewards_since(0):
        if seq > upto:
            break
        if (rec.holdout or rec.action_index < 0 or not rec.active
                or rec.catalog_version != catalog.version):
            continue
        total = (value if kind != "correction"
                 else sum(v for s, v, _, _ in log.rewards_of(rec.decision_id) if s <= seq))
        scale.observe(total)
    return scale
