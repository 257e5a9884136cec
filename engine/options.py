"""The engine's settings (``Engine(..., **options)`` or a catalog's ``[engine]`` table).

Example:
    >>> EngineOptions(reward_window="1d", exploration="squarecb").learner.cb_type
    'mtr'
    >>> EngineOptions.from_dict({"reward_windw": "7d"})  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    engine.errors.ConfigError: reward_windw: unknown engine option; expected one of reward_window,
        default_reward, reward_mode, reward_range, max_clock_skew, max_clock_lag,
        holdout_fraction, holdout_salt, holdout_action, checkpoint_every, expire_batch,
        synchronous, thread_safe, explain_top, exploration, learner, store
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from engine.clock import ClockBounds
from engine.decision_store import DecisionStore
from engine.errors import ConfigError
from engine.features import INTERACTIONS
from engine.reward_window import parse_duration
from engine.store_url import store_kind
from policies.errors import PolicyConfigError
from policies.number_check import check_number
from policies.vw_config import VWConfig

__all__ = ["MAX_REWARD_MAGNITUDE", "REWARD_MODES", "EngineOptions", "default_learner"]

REWARD_MODES = ("refuse", "sum")
#: The widest ``reward_range`` a configuration may set. Measured: a VW learner fed 2,000
#: decisions with rewards of +-1e12 (and features of +-1e15) stays finite under every
#: exploration offered; +-1e100 makes SquareCB's probabilities NaN at once.
MAX_REWARD_MAGNITUDE = 1e12
_DAY_S = 86400.0


def default_learner() -> VWConfig:
    """The learner used when none is given: chosen by ``benchmarks/bench_engine_learning.py``.

    Epsilon-greedy (5%) on VW's direct-method regression (``cb_type="dm"``) captured the most
    lift on the simulator's baseline at 50,000 decisions (0.56, against 0.45 for bag and 0.25
    for SquareCB in the same run; it also led over two seeds before); importance-weighted
    regression (``mtr``) let one rare large reward on an explored action swing the model
    (epsilon + mtr: 0.13). See docs/engine.md.
    """
    return VWConfig(exploration="epsilon", epsilon=0.05, cb_type="dm",
                    interactions=INTERACTIONS)


@dataclass(frozen=True)
class EngineOptions:
    """Every engine option, validated at construction.

    Attributes:
        reward_window: seconds (or ``"7d"``, ``"12h"``...) a reward is accepted after activation.
        default_reward: learned once when the window passes with no reward.
        reward_mode: ``"refuse"`` a second reward (DuplicateRewardError), or ``"sum"`` it with
            the first (learned as a correction of the same decision).
        reward_range: ``(low, high)``: a reward (and a decision's summed total) outside it is
            refused with RewardError naming ``value``; at most +-:data:`MAX_REWARD_MAGNITUDE`,
            so that no accepted reward can drive the learner to NaN or infinity.
        max_clock_skew: how far ahead of the engine's clock a caller's ``now`` may be
            (seconds, or ``"1d"``...); further is refused with ClockError naming ``now``.
        max_clock_lag: how far behind the clock it may be; shorter than ``reward_window`` (a
            decision must not be born expired). Default: a day, or half the window if that
            is shorter.
        holdout_fraction: share of customers (stable hash) who get the control action.
        holdout_salt: changes who is in the holdout.
        holdout_action: the control action's name (``"message/channel/timing"``); None = no
            contact.
        checkpoint_every: rewards between checkpoints (a checkpoint is also written on close).
        expire_batch: at most this many expired decisions are settled inside one
            ``choose``/``reward`` call (bounded cost); ``expire_rewards`` settles all.
        synchronous: SQLite ``NORMAL`` (durable against process death) or ``FULL`` (also
            against power loss).
        thread_safe: guard the learner and the log with one lock (turn off only for one thread).
        explain_top: actions and features listed in an explanation.
        exploration: shortcut for ``learner.exploration`` (``"squarecb"`` also sets cb_type mtr).
        learner: a :class:`VWConfig` or a dict of its fields.
        store: where the log lives: None = SQLite in ``state_dir``; ``"sqlite:///folder/"`` or
            ``"postgresql://..."`` (``engine.store_url``); or an open store object, which the
            engine then owns and closes.
    """

    reward_window: float | str = "7d"
    default_reward: float = 0.0
    reward_mode: str = "refuse"
    reward_range: tuple[float, float] = (-1e6, 1e6)
    max_clock_skew: float | str = "1d"
    max_clock_lag: float | str | None = None
    holdout_fraction: float = 0.0
    holdout_salt: str = ""
    holdout_action: str | None = None
    checkpoint_every: int = 1000
    expire_batch: int = 100
    synchronous: str = "NORMAL"
    thread_safe: bool = True
    explain_top: int = 5
    exploration: str | None = None
    learner: VWConfig | Mapping[str, Any] | None = field(default=None)
    store: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reward_window", parse_duration(self.reward_window))
        check_number("default_reward", self.default_reward, error=ConfigError)
        if self.reward_mode not in REWARD_MODES:
            raise ConfigError(f"reward_mode: expected one of {', '.join(REWARD_MODES)}, got "
                              f"{self.reward_mode!r}")
        object.__setattr__(self, "reward_range", self._reward_range())
        check_number("default_reward", self.default_reward, low=self.reward_range[0],
                     high=self.reward_range[1], error=ConfigError)
        object.__setattr__(self, "max_clock_skew",
                           parse_duration(self.max_clock_skew, "max_clock_skew"))
        window = self.reward_window_s
        lag = (min(_DAY_S, window / 2) if self.max_clock_lag is None
               else parse_duration(self.max_clock_lag, "max_clock_lag"))
        if not lag < window:
            raise ConfigError(f"max_clock_lag: expected less than reward_window ({window:g} s), "
                              f"got {lag:g} s")
        object.__setattr__(self, "max_clock_lag", lag)
        check_number("holdout_fraction", self.holdout_fraction, low=0.0, high=1.0,
                     error=ConfigError)
        for name in ("checkpoint_every", "expire_batch", "explain_top"):
            check_number(name, getattr(self, name), low=1, integer=True, error=ConfigError)
        if self.synchronous not in ("NORMAL", "FULL"):
            raise ConfigError(f"synchronous: expected 'NORMAL' or 'FULL', got "
                              f"{self.synchronous!r}")
        if not isinstance(self.thread_safe, bool):
            raise ConfigError(f"thread_safe: expected true or false, got {self.thread_safe!r}")
        object.__setattr__(self, "learner", self._learner())
        if isinstance(self.store, str) or self.store is None:
            store_kind(self.store)  # ConfigError naming the field for an unknown scheme
        elif not isinstance(self.store, DecisionStore):
            raise ConfigError(f"store: expected a store URL or an open store, got "
                              f"{type(self.store).__name__}")

    @property
    def reward_window_s(self) -> float:
        """``reward_window`` in seconds (a duration such as ``"7d"`` is parsed at construction)."""
        return float(self.reward_window)

    @property
    def clock_bounds(self) -> ClockBounds:
        """How far a caller's ``now`` may be from the engine's clock."""
        assert self.max_clock_lag is not None  # __post_init__ turned None into seconds
        return ClockBounds(float(self.max_clock_skew), float(self.max_clock_lag))

    def _reward_range(self) -> tuple[float, float]:
        given = self.reward_range
        if isinstance(given, str | bytes) or not isinstance(given, tuple | list) or len(
                given) != 2:
            raise ConfigError(f"reward_range: expected [low, high], got {given!r}")
        low, high = (check_number(f"reward_range[{i}]", v, low=-MAX_REWARD_MAGNITUDE,
                                  high=MAX_REWARD_MAGNITUDE, error=ConfigError)
                     for i, v in enumerate(given))
        if not low < high:
            raise ConfigError(f"reward_range: expected low < high, got [{low:g}, {high:g}]")
        return low, high

    @property
    def learner_config(self) -> VWConfig:
        """``learner`` as the :class:`VWConfig` it became at construction."""
        assert isinstance(self.learner, VWConfig)  # __post_init__ replaced None or a table
        return self.learner

    def _learner(self) -> VWConfig:
        base = self.learner
        try:
            if base is None:
                cfg = default_learner()
            elif isinstance(base, VWConfig):
                cfg = base
            elif isinstance(base, Mapping):
                values = dict(base)
                if "interactions" in values:
                    values["interactions"] = tuple(values["interactions"])
                cfg = replace(default_learner(), **values)
            else:
                raise ConfigError(f"learner: expected a VWConfig or a table, got "
                                  f"{type(base).__name__}")
            if self.exploration is not None:
                # SquareCB runs on VW's mtr only; the other explorations keep the configured type
                cb_type = "mtr" if self.exploration == "squarecb" else cfg.cb_type
                cfg = replace(cfg, exploration=self.exploration, cb_type=cb_type)
        except PolicyConfigError as exc:
            raise ConfigError(f"learner.{exc}") from None
        except TypeError as exc:
            raise ConfigError(f"learner: {exc}") from None
        return cfg

    @classmethod
    def from_dict(cls, options: Mapping[str, Any]) -> EngineOptions:
        """Options from keyword arguments or a TOML ``[engine]`` table; unknown keys refused."""
        allowed = [f.name for f in fields(cls)]
        for key in options:
            if key not in allowed:
                raise ConfigError(f"{key}: unknown engine option; expected one of "
                                  f"{', '.join(allowed)}")
        return cls(**options)
