"""The drift monitor's settings: the ``[engine.drift]`` table of a catalog (or
``Engine(..., drift={...})``), validated at construction.

Example:
    >>> DriftOptions.from_dict({"psi_alert": 0.3}).psi_warn
    0.1
    >>> DriftOptions.from_dict({"psi_warn": 0.5, "psi_alert": 0.3})
    Traceback (most recent call last):
    ...
    engine.errors.ConfigError: drift.psi_alert: expected a number >= psi_warn (0.5), got 0.3
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from engine.errors import ConfigError
from engine.setting_table import setting_table
from policies.number_check import check_number

__all__ = ["REWARD_SPLITS", "DriftOptions"]

REWARD_SPLITS = ("channel", "message")  # how the treatment's rewards may be split

_INTEGERS = ("reference_size", "window", "block", "bins", "max_categories", "max_features",
             "warmup", "reward_block", "reward_warmup_blocks", "reward_memory_blocks",
             "lift_window", "lift_windows", "follow_every", "recover_cooldown",
             "recover_batch", "response_reference", "response_warmup", "forget_updates",
             "response_confirm", "response_min_positive", "response_refresh",
             "response_bins")
# settings that leave the monitor's saved state valid (they do not shape what it computes)
_NOT_SHAPING = ("enabled", "follow_every", "recover", "recover_cooldown", "recover_batch",
                "forget_on_change", "forget_factor", "forget_updates")
_LOWEST = {"warmup": 0, "reward_memory_blocks": 0, "bins": 2, "lift_windows": 3,
           "response_reference": 100, "response_warmup": 0, "response_min_positive": 0,
           "response_refresh": 0, "response_bins": 0}


@dataclass(frozen=True)
class DriftOptions:
    """Every drift setting (``docs/drift.md`` says how each was chosen).

    Attributes:
        enabled: watch the log for drift at all.
        reference_size: decisions in a feature's reference window.
        window: decisions in the recent window compared with it (a multiple of ``block``).
        block: decisions between two evaluations of PSI.
        bins: quantile bins of a number.
        max_categories: categories with a bin of their own (the rest share ``other``).
        max_features: context keys watched at most (the most frequent).
        warmup: decisions skipped before the first reference (for a world that starts empty,
            like the simulator's, whose contact pressure builds up over its first weeks).
        ignore: context keys not watched (ids, timestamps).
        psi_warn: PSI from which a feature is ``warn`` (0.1: a moderate shift).
        psi_alert: PSI from which a feature is ``alert`` (0.25: a shift that matters).
        reward_block: rewards per block mean of a reward stream.
        reward_warmup_blocks: blocks that set a stream's reference mean and spread.
        reward_shift: the smallest relative change of a stream's mean worth detecting.
        reward_threshold: the detection threshold, a log-likelihood ratio (about
            ``ln`` of the blocks between two false alarms; ``engine/drift/reward_drift.py``).
        reward_memory_blocks: blocks the detectors' reference mean remembers (a learner's slow
            rise is followed; a drop is measured from the recent level).
        reward_streams: how the treatment's rewards are split into streams besides the whole:
            ``channel`` and/or ``message``.
        lift_window: rewards per window of the lift trend.
        lift_windows: windows the lift trend spans.
        follow_every: the engine reads the log's new rows every this many calls.
        recover: answer a confirmed change with a challenger learner
            (``engine/drift/recovery.py``).
        recover_cooldown: rewards after a challenger's start during which further alerts are
            taken as the same change.
        recover_batch: log rows a challenger meets per read of the log while it catches up.
        forget_on_change: answer a confirmed change by having the serving ridge learner forget
            faster (``engine/drift/forgetting.py``; a VW learner serving: nothing, said).
        forget_factor: its forget factor meanwhile, in (0, 1] (1 changes nothing).
        forget_updates: how many of its updates that lasts before its own factor is back.
        response: watch each message's rewards against a reward model of the context fitted on
            a reference window (``engine/drift/response_drift.py``): a change of the answer
            with the population unchanged (on by default since stop 9, as the count test:
            docs/drift.md).
        response_reference: treatment rewards that fit that model (again after each alert).
        response_warmup: rewards skipped before the first reference.
        response_shift: the smallest relative change of a message's mean reward worth
            detecting.
        response_threshold: the per-message CUSUM's threshold, a log-likelihood ratio.
        response_ridge: the model's ridge penalty, relative to each column's sum of squares.
        response_confirm: crossings of a response CUSUM's threshold, by the same message the
            same way, that make an alert (the earlier ones are warnings).
        response_min_positive: rewards above 0 a message's reference needs to be watched.
        response_counts: test how often a message's rewards are above 0 (its conversions,
            a Poisson log-likelihood ratio) instead of their level.
        response_refresh: 0, or ``n`` >= 1: keep fitting the model on each next
            ``response_reference`` rewards; the one watching is fitted on the ``n``-th last
            complete reference (a slow change of the world is measured against a recent one).
        response_bins: 0 (a linear model of each number), or ``b`` >= 2: steps at each number's
            ``b``-quantiles in the first reference as well (a piecewise model: less wrong
            where the policy sends a message to the customers the model ranks highest).
    """

    enabled: bool = True
    reference_size: int = 5000
    window: int = 5000
    block: int = 500
    bins: int = 10
    max_categories: int = 20
    max_features: int = 64
    warmup: int = 0
    ignore: tuple[str, ...] = ()
    psi_warn: float = 0.1
    psi_alert: float = 0.25
    reward_block: int = 250
    reward_warmup_blocks: int = 20
    reward_shift: float = 0.2
    reward_threshold: float = 10.0
    reward_memory_blocks: int = 100
    reward_streams: tuple[str, ...] = ("channel", "message")
    lift_window: int = 5000
    lift_windows: int = 8
    follow_every: int = 64
    recover: bool = False
    recover_cooldown: int = 20_000
    recover_batch: int = 500
    forget_on_change: bool = False
    forget_factor: float = 0.995
    forget_updates: int = 5000
    response: bool = True
    response_reference: int = 20_000
    response_warmup: int = 0
    response_shift: float = 0.25
    response_threshold: float = 10.0
    response_ridge: float = 0.01
    response_confirm: int = 1
    response_min_positive: int = 0
    response_counts: bool = True
    response_refresh: int = 2
    response_bins: int = 0

    def __post_init__(self) -> None:
        for name in ("enabled", "recover", "response", "forget_on_change", "response_counts"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"drift.{name}: expected true or false, got "
                                  f"{getattr(self, name)!r}")
        for name in _INTEGERS:
            low = _LOWEST.get(name, 1)
            check_number(f"drift.{name}", getattr(self, name), low=low, integer=True,
                         error=ConfigError)
        if self.response_bins == 1:
            raise ConfigError("drift.response_bins: expected 0 (a linear model) or at least 2 "
                              "quantile steps, got 1")
        if self.window % self.block:
            raise ConfigError(f"drift.window: expected a multiple of drift.block "
                              f"({self.block}), got {self.window}")
        ignore = self.ignore
        if isinstance(ignore, str) or not all(isinstance(k, str) for k in ignore):
            raise ConfigError(f"drift.ignore: expected a list of context keys, got {ignore!r}")
        object.__setattr__(self, "ignore", tuple(ignore))
        streams = self.reward_streams
        if isinstance(streams, str) or not set(streams) <= set(REWARD_SPLITS):
            raise ConfigError(f"drift.reward_streams: expected a list of "
                              f"{' and '.join(REWARD_SPLITS)}, got {streams!r}")
        object.__setattr__(self, "reward_streams", tuple(streams))
        check_number("drift.psi_warn", self.psi_warn, low=0.0, low_open=True, error=ConfigError)
        if check_number("drift.psi_alert", self.psi_alert, error=ConfigError) < self.psi_warn:
            raise ConfigError(f"drift.psi_alert: expected a number >= psi_warn "
                              f"({self.psi_warn:g}), got {self.psi_alert:g}")
        check_number("drift.forget_factor", self.forget_factor, low=0.0, high=1.0,
                     low_open=True, error=ConfigError)
        check_number("drift.reward_shift", self.reward_shift, low=0.0, low_open=True,
                     error=ConfigError)
        check_number("drift.reward_threshold", self.reward_threshold, low=0.0, low_open=True,
                     error=ConfigError)
        for name in ("response_shift", "response_threshold"):
            check_number(f"drift.{name}", getattr(self, name), low=0.0, low_open=True,
                         error=ConfigError)
        check_number("drift.response_ridge", self.response_ridge, low=0.0, error=ConfigError)

    @classmethod
    def from_dict(cls, table: Mapping[str, Any]) -> DriftOptions:
        """From an ``[engine.drift]`` table; unknown keys refused."""
        values = dict(setting_table(table, "drift", [f.name for f in fields(cls)]))
        for key in ("ignore", "reward_streams"):
            if isinstance(values.get(key), list):
                values[key] = tuple(values[key])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The settings as an ``[engine.drift]`` table (``from_dict`` reads it back)."""
        return {**asdict(self), "ignore": list(self.ignore),
                "reward_streams": list(self.reward_streams)}

    def fingerprint(self) -> str:
        """A hash of the settings that shape the monitor's state (a saved state made with
        other ones is rebuilt from the log instead of resumed)."""
        shaping = {k: v for k, v in asdict(self).items() if k not in _NOT_SHAPING}
        return hashlib.blake2b(json.dumps(shaping, sort_keys=True).encode(),
                               digest_size=8).hexdigest()
