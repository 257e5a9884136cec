"""The engine's settings (``Engine(..., **options)`` or a catalog's ``[engine]`` table).

Example:
    >>> EngineOptions(reward_window="1d", exploration="squarecb").learner.cb_type
    'mtr'
    >>> EngineOptions.from_dict({"reward_windw": "7d"})  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    engine.errors.ConfigError: reward_windw: unknown engine option; expected one of reward_window,
        default_reward, reward_mode, provisional_after, reward_range, max_clock_skew, max_clock_lag,
        holdout_fraction, holdout_salt, holdout_action, checkpoint_every, expire_batch,
        synchronous, thread_safe, explain_top, exploration, learner, candidates, selection,
        follow_every, served_memory, reward_scale, number_bins, bins_warmup, prune_features,
        store, drift, prices
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from engine.candidates import (
    DEFAULT_CANDIDATES,
    SHARED_DEFAULT_SELECTION,
    CandidateSpec,
    SelectionSettings,
    default_candidates,
    parse_candidates,
)
from engine.catalog import Catalog
from engine.clock import ClockBounds
from engine.decision_store import DecisionStore
from engine.drift.options import DriftOptions
from engine.errors import ConfigError
from engine.features import INTERACTIONS, action_feature_sets
from engine.price_settings import PriceSettings
from engine.reward_window import parse_duration, resolve_provisional
from engine.served_memory import SERVED_MEMORY
from engine.setting_table import setting_table
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
    """The base learner every candidate is built over (``candidates`` names only what differs).

    VW's direct-method regression (``cb_type="dm"``) with the nine interactions of
    ``engine.features`` (pruned per catalog, see ``catalog_interactions``): the ``epsilon``
    candidate is this with epsilon 5 %, the engine's single learner before issue 12; the
    ``squarecb`` candidate is this with SquareCB on ``mtr`` (VW runs SquareCB on mtr only).
    Which serves is measured online (``engine/learner_selection.py``); which candidates there are
    by default was chosen by the learning suite (``benchmarks/learning_suite.py``,
    docs/engine.md).
    """
    return VWConfig(exploration="epsilon", epsilon=0.05, cb_type="dm",
                    interactions=INTERACTIONS)


def _with_bins(interactions: tuple[str, ...]) -> tuple[str, ...]:
    """``interactions`` plus, for each one crossing the context ``c``, the same with ``q``."""
    extra = tuple("q" + t[1:] for t in interactions if t.startswith("c") and t != "cc")
    return interactions + tuple(t for t in extra if t not in interactions)


@dataclass(frozen=True)
class EngineOptions:
    """Every engine option, validated at construction.

    Attributes:
        reward_window: seconds (or ``"7d"``, ``"12h"``...) a reward is accepted after activation.
        default_reward: learned once when the window passes with no reward.
        reward_mode: ``"refuse"`` a second reward (DuplicateRewardError), or ``"sum"`` it with
            the first (learned as a correction of the same decision).
        provisional_after: ``"auto"`` (the default since stop 47: 12 hours where
            ``reward_window`` is longer, else off), ``"off"`` or None, or a duration shorter
            than ``reward_window``: a decision with no reward that long after its activation
            is learned at ``default_reward`` then, not when its window ends. A reward that
            comes later in the window is a correction: with ``reward_mode = "sum"`` added to
            the default; with ``"refuse"`` the client's one reward replaces it (the row holds
            the difference; a second is refused). The ridge candidates learn a correction
            exactly (docs/engine.md, *Reward*).
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
        candidates: the candidate learners (``engine/candidates.py``): names of built-ins or
            tables ``{name, <VWConfig fields>}`` over ``learner``; the first serves until the
            selection finds a better one. Default: :data:`DEFAULT_CANDIDATES`, or
            :data:`SHARED_DEFAULT_CANDIDATES` on a catalog whose actions share attributes
            (:meth:`for_catalog`), unless ``learner`` or ``exploration`` is given (then that
            one learner, alone).
        selection: the switch rule's settings (:class:`SelectionSettings` fields). With the
            shared-attribute default candidates, the trial of
            :data:`SHARED_DEFAULT_SELECTION` unless this names ``trial_share``,
            ``trial_share_max`` or ``rule``.
        follow_every: when the candidates that do not serve learn: ``1`` with every reward,
            ``n`` every n rewards (in a batch, off the reward's own path), ``0`` only when
            :meth:`Engine.follow` is called (by another thread or process following the log).
        served_memory: decisions whose serving candidate's distribution is held until their
            reward (``engine/served_memory.py``), so that the reward scores that candidate on
            the distribution it decided with instead of asking it again (within 32 MiB
            whatever the catalog); 0 holds none (each reward asks every candidate, as
            before).
        reward_scale: divide rewards by their running scale before the learners see them, so
            0/1 rewards and euros learn alike (``engine/reward_scale.py``).
        number_bins: cut each context number into this many quantile bins learned from the
            first ``bins_warmup`` contexts (a category per bin, namespace ``q``); 0 = off.
        bins_warmup: contexts whose numbers fix the bins' edges.
        prune_features: leave out the action features and interactions the catalog makes
            useless (``engine.features.catalog_interactions``). Off by default: the learning
            suite measured it to help cbify worlds and to hurt others (docs/engine.md).
        store: where the log lives: None = SQLite in ``state_dir``; ``"sqlite:///folder/"`` or
            ``"postgresql://..."`` (``engine.store_url``); or an open store object, which the
            engine then owns and closes.
        drift: the drift monitor's settings, a :class:`DriftOptions` or an ``[engine.drift]``
            table (see ``docs/drift.md``).
        prices: priced live ``choose`` (off by default), a :class:`PriceSettings` or an
            ``[engine.prices]`` table (see ``docs/campaigns.md``, *The live path*).
    """

    reward_window: float | str = "7d"
    default_reward: float = 0.0
    reward_mode: str = "refuse"
    provisional_after: float | str | None = "auto"
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
    candidates: Sequence[str | Mapping[str, Any]] | None = None
    selection: SelectionSettings | Mapping[str, Any] | None = None
    follow_every: int = 1
    served_memory: int = SERVED_MEMORY
    reward_scale: bool = True
    number_bins: int = 0
    bins_warmup: int = 1000
    prune_features: bool = False
    _specs: tuple[CandidateSpec, ...] = field(default=(), init=False, repr=False, compare=False)
    _defaulted: bool = field(default=False, init=False, repr=False, compare=False)
    _selection_named: frozenset[str] = field(default=frozenset(), init=False, repr=False,
                                             compare=False)
    store: Any = None
    drift: DriftOptions | Mapping[str, Any] | None = field(default=None)
    prices: PriceSettings | Mapping[str, Any] | None = field(default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reward_window", parse_duration(self.reward_window))
        check_number("default_reward", self.default_reward, error=ConfigError)
        if self.reward_mode not in REWARD_MODES:
            raise ConfigError(f"reward_mode: expected one of {', '.join(REWARD_MODES)}, got "
                              f"{self.reward_mode!r}")
        object.__setattr__(self, "reward_range", self._reward_range())
        object.__setattr__(self, "provisional_after", self._provisional_after())
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
        for name in ("thread_safe", "reward_scale", "prune_features"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name}: expected true or false, got {getattr(self, name)!r}")
        check_number("follow_every", self.follow_every, low=0, integer=True, error=ConfigError)
        check_number("served_memory", self.served_memory, low=0, high=10**7, integer=True,
                     error=ConfigError)
        check_number("number_bins", self.number_bins, low=0, high=64, integer=True,
                     error=ConfigError)
        check_number("bins_warmup", self.bins_warmup, low=1, integer=True, error=ConfigError)
        if self.number_bins == 1:
            raise ConfigError("number_bins: expected 0 (off) or at least 2 bins, got 1")
        explicit = self.learner is not None or self.exploration is not None
        object.__setattr__(self, "learner", self._learner())
        object.__setattr__(self, "_selection_named", self._named_selection())
        object.__setattr__(self, "selection", self._selection())
        object.__setattr__(self, "_specs", self._candidates(explicit))
        object.__setattr__(self, "_defaulted", self.candidates is None and not explicit)
        if isinstance(self.store, str) or self.store is None:
            store_kind(self.store)  # ConfigError naming the field for an unknown scheme
        elif not isinstance(self.store, DecisionStore):
            raise ConfigError(f"store: expected a store URL or an open store, got "
                              f"{type(self.store).__name__}")
        if not isinstance(self.drift, DriftOptions):
            object.__setattr__(self, "drift", DriftOptions.from_dict(self.drift or {}))
        object.__setattr__(self, "prices", PriceSettings.from_dict(self.prices))

    @property
    def reward_window_s(self) -> float:
        """``reward_window`` in seconds (a duration such as ``"7d"`` is parsed at construction)."""
        return float(self.reward_window)

    @property
    def provisional_after_s(self) -> float | None:
        """``provisional_after`` in seconds, or None when off."""
        return None if self.provisional_after is None else float(self.provisional_after)

    @property
    def clock_bounds(self) -> ClockBounds:
        """How far a caller's ``now`` may be from the engine's clock."""
        assert self.max_clock_lag is not None  # __post_init__ turned None into seconds
        return ClockBounds(float(self.max_clock_skew), float(self.max_clock_lag))

    def _provisional_after(self) -> float | None:
        return resolve_provisional(self.provisional_after, self.reward_window_s)

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

    @property
    def candidate_specs(self) -> tuple[CandidateSpec, ...]:
        """The candidate learners, the first serving first (parsed at construction)."""
        return self._specs

    def scales_rewards(self, name: str) -> bool:
        """Whether candidate ``name`` learns rewards divided by their running scale: the
        engine's ``reward_scale`` and the candidate's own ``scale_rewards`` (a candidate not
        configured, a drift challenger, follows ``reward_scale``)."""
        own = next((c.scale_rewards for c in self._specs if c.name == name), True)
        return self.reward_scale and own

    @property
    def unscaled_candidates(self) -> tuple[str, ...]:
        """The candidates configured with ``scale_rewards = false``."""
        return tuple(c.name for c in self._specs if not c.scale_rewards)

    @property
    def reward_units(self) -> dict[str, float]:
        """The candidates configured with a ``reward_unit`` other than 1: name -> unit."""
        return {c.name: c.reward_unit for c in self._specs if c.reward_unit != 1.0}

    def reward_unit(self, name: str) -> float:
        """What a typical reward counts as for candidate ``name`` (1 unless configured)."""
        return next((c.reward_unit for c in self._specs if c.name == name), 1.0)

    def candidate(self, name: str) -> CandidateSpec:
        """The candidate called ``name``.

        Raises:
            ConfigError: no such candidate (the message lists them).
        """
        for spec in self._specs:
            if spec.name == name:
                return spec
        raise ConfigError(f"candidate: expected one of {', '.join(c.name for c in self._specs)}, "
                          f"got {name!r}")

    @property
    def selection_settings(self) -> SelectionSettings:
        """``selection`` as the :class:`SelectionSettings` it became at construction."""
        assert isinstance(self.selection, SelectionSettings)
        return self.selection

    def for_catalog(self, catalog: Catalog) -> EngineOptions:
        """These options with the default candidates chosen for ``catalog``
        (:func:`engine.candidates.default_candidates`: the joint ridge first, RegCB-opt beside
        it on trial, when its actions share attributes); unchanged when ``candidates``,
        ``learner`` or ``exploration`` was given. Every place that builds the engine's
        learners from a catalog calls it, so they agree on the candidates (and the
        checkpoints' fingerprint).

        Example:
            >>> cat = Catalog.from_names(["a", "b"], ["email", "sms"], ["now"])
            >>> shared = EngineOptions().for_catalog(cat)
            >>> [c.name for c in shared.candidate_specs]
            ['joint', 'regcb']
            >>> shared.selection_settings.trial_share, shared.selection_settings.trial_share_max
            (0.1, 0.9)
            >>> one = Catalog.from_names(["a", "b", "c"], ["web"], ["now"], no_contact=False)
            >>> [c.name for c in EngineOptions().for_catalog(one).candidate_specs]
            ['ridge', 'squarecb']
        """
        if not self._defaulted:
            return self
        wanted = default_candidates(action_feature_sets(catalog, self.prune_features))
        if wanted == DEFAULT_CANDIDATES:
            return self
        resolved = replace(self, candidates=list(wanted), selection=self._shared_selection())
        # the fields the caller named, not all of the settings the default filled in
        object.__setattr__(resolved, "_selection_named", self._selection_named)
        return resolved

    def _shared_selection(self) -> SelectionSettings:
        """The selection settings for :data:`SHARED_DEFAULT_CANDIDATES`: the trial of
        :data:`SHARED_DEFAULT_SELECTION`, unless ``selection`` named the trial or the rule
        (then as given: a trial the caller set, or none, is theirs to choose)."""
        if self._selection_named & {"trial_share", "trial_share_max", "rule"}:
            return self.selection_settings
        return replace(self.selection_settings,
                       trial_share=SHARED_DEFAULT_SELECTION["trial_share"],
                       trial_share_max=SHARED_DEFAULT_SELECTION["trial_share_max"])

    def _named_selection(self) -> frozenset[str]:
        """The ``selection`` fields the caller named (all of them for a
        :class:`SelectionSettings`)."""
        if isinstance(self.selection, SelectionSettings):
            return frozenset(f.name for f in fields(SelectionSettings))
        return frozenset(self.selection) if isinstance(self.selection, Mapping) else frozenset()

    @property
    def trial_configured(self) -> bool:
        """Whether the caller set a trial (``selection`` named ``trial_share`` above 0), not
        the default's own (:data:`SHARED_DEFAULT_SELECTION`).

        Example:
            >>> cat = Catalog.from_names(["a", "b"], ["email", "sms"], ["now"])
            >>> EngineOptions().for_catalog(cat).trial_configured
            False
            >>> EngineOptions(selection={"trial_share": 0.2}).for_catalog(cat).trial_configured
            True
        """
        return "trial_share" in self._selection_named and self.selection_settings.trial_share > 0

    @property
    def defaulted(self) -> bool:
        """Whether the candidates are the engine's default (no ``candidates``, ``learner`` or
        ``exploration`` given), so :meth:`for_catalog` chooses them."""
        return self._defaulted

    def fingerprint(self) -> str:
        """Everything that shapes the learners' models: the candidates (names, configs, and
        ``scale_rewards`` where it is off and ``reward_unit`` where it is not 1: named only
        then, so that every checkpoint made before they existed keeps its fingerprint), the
        reward scale and the bins (a checkpoint
        made with another is refused)."""
        return json.dumps({"candidates": [[c.name, c.config.fingerprint(),
                                           *([] if c.scale_rewards else ["unscaled"]),
                                           *([] if c.reward_unit == 1.0
                                             else [f"unit {c.reward_unit!r}"])]
                                          for c in self.candidate_specs],
                           "reward_scale": self.reward_scale, "number_bins": self.number_bins,
                           "bins_warmup": self.bins_warmup,
                           "prune_features": self.prune_features}, sort_keys=True)

    def _candidates(self, explicit: bool) -> tuple[CandidateSpec, ...]:
        if self.candidates is not None:
            specs = parse_candidates(self.candidates, self.learner_config)
        elif explicit:  # one learner given: it serves alone, named by its exploration
            specs = (CandidateSpec(self.learner_config.exploration, self.learner_config),)
        else:
            specs = parse_candidates(DEFAULT_CANDIDATES, self.learner_config)
        if self.number_bins:  # the bins (namespace q) are crossed wherever the context (c) is
            specs = tuple(CandidateSpec(s.name, replace(s.config, interactions=_with_bins(
                s.config.interactions))) if isinstance(s.config, VWConfig) else s
                for s in specs)  # the ridge learner hashes every shared namespace, q too
        return specs

    def _selection(self) -> SelectionSettings:
        value = self.selection
        if value is None:
            return SelectionSettings()
        if isinstance(value, SelectionSettings):
            return value
        known = [f.name for f in fields(SelectionSettings)]
        return SelectionSettings(**setting_table(value, "selection", known))

    @property
    def drift_options(self) -> DriftOptions:
        """``drift`` as the :class:`DriftOptions` it became at construction."""
        assert isinstance(self.drift, DriftOptions)  # __post_init__ replaced None or a table
        return self.drift

    @property
    def price_settings(self) -> PriceSettings:
        """``prices`` as the :class:`PriceSettings` it became at construction."""
        assert isinstance(self.prices, PriceSettings)  # __post_init__ replaced None or a table
        return self.prices

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
        allowed = [f.name for f in fields(cls) if f.init]
        for key in options:
            if key not in allowed:
                raise ConfigError(f"{key}: unknown engine option; expected one of "
                                  f"{', '.join(allowed)}")
        return cls(**options)
