"""The experiment spec: scenarios x policies x seeds, read from TOML into frozen, validated records.

A spec is plain data (names, numbers, small dicts), so it pickles to Ray workers as it is; the
worker builds the simulator and the policy from it. A cell is one (scenario, policy, seed).

TOML shape (``experiments/configs/standard.toml`` is the worked example)::

    name = "standard"
    scenarios = ["baseline", "fatigue"]
    seeds = [0, 1, 2, 3]
    horizon = 20000            # decisions per cell
    batch_size = 500           # customers per simulator step
    window = 2000              # decisions per result row (a multiple of batch_size)
    holdout_fraction = 0.05    # customers (stable hash of the id) who get no contact
    reward = "total"           # what is learned and reported; see REWARDS
    currency = "EUR"           # the report's label of the simulator's money unit

    [[policies]]
    name = "linucb"            # a policies.registry name, or "engine" (the whole Engine)
    label = "LinUCB"           # how the report names it (default: the name)
    params = { alpha = 0.3 }

Example:
    >>> spec = ExperimentSpec.from_dict({"scenarios": ["small"], "seeds": [0],
    ...     "horizon": 200, "batch_size": 100, "window": 100,
    ...     "policies": [{"name": "random"}]})
    >>> [c.cell_id for c in spec.cells()]
    ['small__random__seed0']
    >>> ExperimentSpec.from_dict({"scenarios": ["small"], "seeds": [0], "horizon": 250,
    ...     "batch_size": 100, "window": 100, "policies": [{"name": "random"}]})
    Traceback (most recent call last):
    ...
    experiments.errors.SpecError: horizon: expected a multiple of window=100, got 250
    >>> ExperimentSpec.from_dict({"scenarios": ["smal"], "seeds": [0], "horizon": 100,
    ...     "policies": [{"name": "random"}]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    experiments.errors.SpecError: scenarios: unknown scenario 'smal'; expected one of ...
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from experiments.errors import SpecError
from policies.number_check import check_number

__all__ = ["ENGINE_POLICY", "REWARDS", "CellSpec", "ExperimentSpec", "PolicyEntry", "load_spec"]

#: The policy name that runs the whole Engine (rules, features, store, learner) as a policy.
ENGINE_POLICY = "engine"
#: Reward definitions: ``total`` is the scenario's own total per decision (revenue minus discount
#: and channel cost, plus the scenario's open/click values and guardrail penalties), learned when
#: it matures; regret is measured on the expectation of the same total, so it is exact.
REWARDS = ("total",)
_LABEL = re.compile(r"^[A-Za-z0-9_.+\-=, ()]{1,60}$")
_KEYS = ("name", "scenarios", "seeds", "horizon", "batch_size", "window", "holdout_fraction",
         "reward", "currency", "policies")
_CURRENCY = re.compile(r"^[^\s\d<>&\"'][^\d<>&\"']{0,11}$")


def _int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return value


@dataclass(frozen=True)
class PolicyEntry:
    """One contestant: a registry name (or ``"engine"``), its parameters and its report label.

    Example:
        >>> PolicyEntry("linucb", {"alpha": 0.3}).label
        'linucb'
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"policies.name: expected a policy name, got {self.name!r}")
        if not isinstance(self.params, Mapping):
            raise SpecError(f"policies[{self.name}].params: expected a table, got "
                            f"{self.params!r}")
        label = self.label or self.name
        if not isinstance(label, str) or not _LABEL.match(label):
            raise SpecError(f"policies[{self.name}].label: expected 1-60 letters, digits, spaces "
                            f"or _.+-=,(), got {label!r}")
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        if self.name == ENGINE_POLICY:
            self._check_engine_options()
        else:
            self._check_registered()

    def _check_engine_options(self) -> None:
        # an engine's options (a candidate's misspelt field, a bad value) fail here, before any
        # worker starts; its ``rules`` table needs the scenario's catalog and fails in the cell
        from engine.errors import ConfigError
        from engine.options import EngineOptions
        from experiments.engine_policy import (
            ADAPTER_PARAMS,
            check_rewards_at,
            provisional_zeros,
        )

        try:
            EngineOptions.from_dict({k: v for k, v in self.params.items()
                                     if k not in ADAPTER_PARAMS})
            check_rewards_at(self.params.get("rewards_at", "due"))
            provisional_zeros(self.params.get("rewards_at", "due"),
                              self.params.get("provisional_after_h", 0.0), dict(self.params))
        except (ConfigError, SpecError) as exc:
            raise SpecError(f"policies[{self.label}].params.{exc}") from None

    def _check_registered(self) -> None:
        # names and parameter names fail here, before any worker starts; values fail in the cell
        from policies.registry import available_policies, policy_parameters

        names = (*available_policies(), ENGINE_POLICY)
        if self.name not in names:
            raise SpecError(f"policies.name: expected one of {', '.join(names)}, "
                            f"got {self.name!r}")
        accepted = policy_parameters(self.name)
        unknown = sorted(set(self.params) - set(accepted))
        if unknown:
            raise SpecError(f"policies[{self.label}].params.{unknown[0]}: unknown parameter; "
                            f"accepted: {', '.join(accepted) or 'none'}")

    def __reduce__(self):  # MappingProxyType does not pickle; a plain dict does
        return (PolicyEntry, (self.name, dict(self.params), self.label))


@dataclass(frozen=True)
class CellSpec:
    """One cell of the grid: everything a worker needs, and nothing live.

    Attributes:
        scenario: simulator scenario name (or TOML path).
        policy: the contestant.
        seed: seeds the world and the policy.
        horizon, batch_size, window, holdout_fraction, reward: as in :class:`ExperimentSpec`.
    """

    scenario: str
    policy: PolicyEntry
    seed: int
    horizon: int
    batch_size: int
    window: int
    holdout_fraction: float
    reward: str = "total"

    @property
    def cell_id(self) -> str:
        """A file-name-safe id, unique within an experiment."""
        label = re.sub(r"[^A-Za-z0-9_.+-]+", "-", self.policy.label).strip("-")
        scenario = re.sub(r"[^A-Za-z0-9_.+-]+", "-", Path(self.scenario).stem)
        return f"{scenario}__{label}__seed{self.seed}"


@dataclass(frozen=True)
class ExperimentSpec:
    """A grid of cells: every scenario x policy x seed, each run for ``horizon`` decisions.

    Attributes:
        scenarios: simulator scenario names (or TOML paths), at least one, no repeats.
        policies: the contestants; labels must be unique.
        seeds: non-negative ints, at least one, no repeats.
        horizon: decisions per cell, a multiple of ``window``.
        batch_size: customers per simulator step.
        window: decisions per result row, a multiple of ``batch_size``.
        holdout_fraction: share in [0, 0.5] of customers who get the control (no contact), so
            lift is measured against them; 0 turns the holdout off.
        reward: one of :data:`REWARDS`.
        name: the experiment's name (titles the report).
        currency: how the report labels money (the simulator's totals have no unit of their
            own): 1-12 characters, no digits, e.g. ``EUR``, ``USD``, ``€``.
    """

    scenarios: tuple[str, ...]
    policies: tuple[PolicyEntry, ...]
    seeds: tuple[int, ...]
    horizon: int
    batch_size: int = 500
    window: int = 2000
    holdout_fraction: float = 0.05
    reward: str = "total"
    name: str = "experiment"
    currency: str = "EUR"

    def __post_init__(self) -> None:
        self._check_lists()
        self._check_scenarios()
        _int("batch_size", self.batch_size, 1)
        _int("window", self.window, 1)
        _int("horizon", self.horizon, 1)
        if self.window % self.batch_size:
            raise SpecError(f"window: expected a multiple of batch_size={self.batch_size}, "
                            f"got {self.window}")
        if self.horizon % self.window:
            raise SpecError(f"horizon: expected a multiple of window={self.window}, "
                            f"got {self.horizon}")
        check_number("holdout_fraction", self.holdout_fraction, low=0.0, high=0.5,
                     error=SpecError)
        if self.reward not in REWARDS:
            raise SpecError(f"reward: expected one of {', '.join(REWARDS)}, got {self.reward!r}")
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"name: expected a non-empty string, got {self.name!r}")
        if not isinstance(self.currency, str) or not _CURRENCY.match(self.currency):
            raise SpecError(f"currency: expected a label of 1-12 characters without digits, "
                            f"spaces first or <>&\"', got {self.currency!r}")

    def _check_scenarios(self) -> None:
        # an unknown name or an unreadable TOML path fails here, before Ray starts a worker
        from simulator import SimulatorError, load_scenario

        for s in self.scenarios:
            try:
                load_scenario(s)
            except (SimulatorError, OSError) as exc:
                raise SpecError(f"scenarios: {exc}") from None

    def _check_lists(self) -> None:
        for key in ("scenarios", "policies", "seeds"):
            value = getattr(self, key)
            if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or (
                    not value):
                raise SpecError(f"{key}: expected a non-empty list, got {value!r}")
            object.__setattr__(self, key, tuple(value))
        for s in self.scenarios:
            if not isinstance(s, str) or not s:
                raise SpecError(f"scenarios: expected scenario names, got {s!r}")
        for s in self.seeds:
            _int("seeds", s, 0)
        policies = tuple(p if isinstance(p, PolicyEntry) else _entry(p) for p in self.policies)
        object.__setattr__(self, "policies", policies)
        for key, values in (("scenarios", self.scenarios), ("seeds", self.seeds),
                            ("policies.label", [p.label for p in policies])):
            repeated = sorted({str(v) for v in values if list(values).count(v) > 1})
            if repeated:
                raise SpecError(f"{key}: expected no repeats, got {', '.join(repeated)} twice")

    def to_dict(self) -> dict[str, Any]:
        """The spec as the plain document :meth:`from_dict` reads."""
        return {"name": self.name, "scenarios": list(self.scenarios), "seeds": list(self.seeds),
                "horizon": self.horizon, "batch_size": self.batch_size, "window": self.window,
                "holdout_fraction": self.holdout_fraction, "reward": self.reward,
                "currency": self.currency,
                "policies": [{"name": p.name, "label": p.label, "params": dict(p.params)}
                             for p in self.policies]}

    def cells(self) -> list[CellSpec]:
        """Every cell, scenario-major (scenario, then policy, then seed)."""
        return [CellSpec(s, p, seed, self.horizon, self.batch_size, self.window,
                         float(self.holdout_fraction), self.reward)
                for s in self.scenarios for p in self.policies for seed in self.seeds]

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ExperimentSpec:
        """A spec from a parsed TOML document; unknown keys are refused."""
        if not isinstance(doc, Mapping):
            raise SpecError(f"spec: expected a table, got {type(doc).__name__}")
        unknown = sorted(set(doc) - set(_KEYS))
        if unknown:
            raise SpecError(f"{unknown[0]}: unknown spec key; expected one of {', '.join(_KEYS)}")
        missing = [k for k in ("scenarios", "seeds", "horizon", "policies") if k not in doc]
        if missing:
            raise SpecError(f"{missing[0]}: required spec key is missing")
        return cls(**dict(doc))


def _entry(item: Any) -> PolicyEntry:
    if not isinstance(item, Mapping):
        raise SpecError(f"policies: expected tables with name, params, label; got {item!r}")
    unknown = sorted(set(item) - {"name", "params", "label"})
    if unknown:
        raise SpecError(f"policies.{unknown[0]}: unknown key; expected name, params, label")
    return PolicyEntry(item.get("name", ""), item.get("params", {}), item.get("label", ""))


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a TOML spec; the experiment's name defaults to the file's stem.

    Raises:
        SpecError: unreadable file, bad TOML or an invalid field (the message names the file).
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: cannot read the spec ({exc})") from None
    doc.setdefault("name", path.stem)
    try:
        return ExperimentSpec.from_dict(doc)
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from None
