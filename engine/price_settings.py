"""The settings of priced live ``choose``: the ``[engine.prices]`` table of a catalog (or
``Engine(..., prices={...})``), validated at construction.

Off by default: ``choose`` then gives a capacity-limited channel to whoever comes first each day.
With ``enabled = true`` each capacity-limited channel gets a price refreshed from the day's
forecast (``engine/live_prices.py``; ``docs/campaigns.md``, *The live path*).

Example:
    >>> PriceSettings.from_dict({"enabled": True}).refresh_every
    200
    >>> PriceSettings.from_dict({"refresh_every": 0})
    Traceback (most recent call last):
    ...
    engine.errors.ConfigError: prices.refresh_every: expected an integer >= 1, got 0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from engine.errors import ConfigError
from engine.setting_table import setting_table
from policies.number_check import check_number

__all__ = ["PriceSettings"]

_INTEGERS = ("refresh_every", "forecast_days", "sample_size", "rescore_every")


@dataclass(frozen=True)
class PriceSettings:
    """Every setting of priced live ``choose``.

    Attributes:
        enabled: price the capacity-limited channels in ``choose`` (default: first come, first
            served).
        refresh_every: decisions between two refreshes of the prices within a day (they are
            also refreshed at each UTC day's first decision).
        forecast_days: the days before today whose logged customers forecast today's.
        sample_size: at most this many of those customers are kept (a uniform sample) and
            scored at each refresh.
        rescore_every: learned rewards after which the cached VW weight columns are rebuilt
            (the priced scores lag the model by fewer learns than this).
        epsilon: exploration of the priced distribution (uniform over the eligible actions);
            None: the serving learner's ``epsilon`` (0.05 for a learner without one).
    """

    enabled: bool = False
    refresh_every: int = 200
    forecast_days: int = 3
    sample_size: int = 5000
    rescore_every: int = 100
    epsilon: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ConfigError(f"prices.enabled: expected true or false, got {self.enabled!r}")
        for name in _INTEGERS:
            check_number(f"prices.{name}", getattr(self, name), low=1, integer=True,
                         error=ConfigError)
        if self.epsilon is not None:
            object.__setattr__(self, "epsilon", check_number(
                "prices.epsilon", self.epsilon, low=0.0, high=1.0, error=ConfigError))

    @classmethod
    def from_dict(cls, table: Mapping[str, Any] | PriceSettings | None) -> PriceSettings:
        """Settings from an ``[engine.prices]`` table; unknown keys refused by name.

        Example:
            >>> PriceSettings.from_dict({"refresh_evry": 5})  # doctest: +NORMALIZE_WHITESPACE
            Traceback (most recent call last):
            ...
            engine.errors.ConfigError: prices.refresh_evry: unknown setting; expected one of
                enabled, refresh_every, forecast_days, sample_size, rescore_every, epsilon
        """
        if table is None:
            return cls()
        if isinstance(table, PriceSettings):
            return table
        return cls(**setting_table(table, "prices", [f.name for f in fields(cls)]))
