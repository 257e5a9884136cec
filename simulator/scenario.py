"""Scenarios: the frozen, validated description of one simulated world.

A scenario is read from a TOML file (``simulator/scenarios/<name>.toml`` for the shipped ones, or
any path). A file may say ``extends = "baseline"`` and then give only what differs; tables merge
key by key, arrays of tables (channels, messages, timings) replace the parent's whole, and
``[channel_overrides.<name>]`` (likewise ``message_overrides``, ``timing_overrides``) changes
fields of one named item.

Example:
    >>> from simulator.scenario import load_scenario
    >>> sc = load_scenario("baseline", n_customers=500)
    >>> sc.name, sc.n_customers, len(sc.channels)
    ('baseline', 500, 4)
    >>> load_scenario("baseline", reward={"click_value": 0.5}).reward.click_value
    0.5
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from simulator.errors import ScenarioError, ScenarioFileError, UnknownScenarioError

__all__ = [
    "ChannelSpec",
    "MessageSpec",
    "RewardSpec",
    "Scenario",
    "TimingSpec",
    "WorldSpec",
    "load_scenario",
    "scenario_names",
]

SCENARIO_DIR = Path(__file__).parent / "scenarios"


def _check(ok: bool, where: str, expected: str, actual: object) -> None:
    """Raise a :class:`ScenarioError` naming the field, the expected and the actual value."""
    if not ok:
        raise ScenarioError(f"{where} must be {expected}, got {actual!r}")


def _probability(where: str, value: float) -> None:
    _check(isinstance(value, (int, float)) and 0.0 <= value <= 1.0, where, "in [0, 1]", value)


def _finite(where: str, value: float) -> None:
    _check(isinstance(value, (int, float)) and math.isfinite(value), where, "a finite number",
           value)


def _non_negative(where: str, value: float) -> None:
    _check(isinstance(value, (int, float)) and math.isfinite(value) and value >= 0, where,
           "a finite number >= 0", value)


@dataclass(frozen=True)
class ChannelSpec:
    """One contact channel and how it behaves.

    Attributes:
        name: channel name (``email``, ``sms``, ``push``, ``inapp``...).
        cost: money spent per send, whatever happens next.
        deliver: probability that a send is delivered (in-app: scaled by the customer's app use).
        open_logit: logit intercept of opening (reading) a delivered message.
        click_logit: logit intercept of clicking an opened message.
        timing_weight: how much the send hour matters (an email is read hours later: small; a push
            decays in minutes: large).
        unsubscribe_logit: logit intercept of losing consent on this channel after a delivery.
        churn_logit: logit intercept of the customer leaving altogether after a delivery.
        pressure: contact pressure a delivery adds (drives fatigue).
        daily_cap: most sends per simulated day on this channel over the whole population; 0 = none.
        app_gated: True when delivery needs the customer to open the app (in-app messages).
        convert_logit: conversion logit offset of the traffic this channel brings (a click on a
            text message converts more often than a click in a newsletter).
    """

    name: str
    cost: float
    deliver: float
    open_logit: float
    click_logit: float
    timing_weight: float
    unsubscribe_logit: float
    churn_logit: float
    pressure: float = 1.0
    daily_cap: int = 0
    app_gated: bool = False
    convert_logit: float = 0.0

    def __post_init__(self) -> None:
        w = f"channel {self.name!r}"
        _check(isinstance(self.name, str) and self.name != "" and "/" not in self.name,
               f"{w}: name", "a non-empty string without '/'", self.name)
        _non_negative(f"{w}: cost", self.cost)
        _probability(f"{w}: deliver", self.deliver)
        for f in ("open_logit", "click_logit", "timing_weight", "unsubscribe_logit",
                  "churn_logit", "convert_logit"):
            _finite(f"{w}: {f}", getattr(self, f))
        _non_negative(f"{w}: pressure", self.pressure)
        _check(isinstance(self.daily_cap, int) and self.daily_cap >= 0, f"{w}: daily_cap",
               "an int >= 0 (0 = no cap)", self.daily_cap)
        _check(isinstance(self.app_gated, bool), f"{w}: app_gated", "a bool", self.app_gated)


@dataclass(frozen=True)
class MessageSpec:
    """One message of the catalog.

    Attributes:
        name: message name, e.g. ``welcome10``.
        theme: what it is about (``welcome``, ``new_arrivals``, ``winback``...).
        offer: offer type (``none``, ``percent``, ``free_shipping``, ``points``...).
        discount: fraction of the basket given away when it converts, in [0, 1).
        margin: gross margin of the promoted goods, in (0, 1].
        available_from_hour: simulated hour from which it may be sent (cold start); 0 = always.
    """

    name: str
    theme: str
    offer: str = "none"
    discount: float = 0.0
    margin: float = 0.4
    available_from_hour: float = 0.0

    def __post_init__(self) -> None:
        w = f"message {self.name!r}"
        _check(isinstance(self.name, str) and self.name != "" and "/" not in self.name,
               f"{w}: name", "a non-empty string without '/'", self.name)
        _check(isinstance(self.theme, str) and self.theme != "", f"{w}: theme",
               "a non-empty string", self.theme)
        _check(isinstance(self.offer, str) and self.offer != "", f"{w}: offer",
               "a non-empty string", self.offer)
        _check(isinstance(self.discount, (int, float)) and 0.0 <= self.discount < 1.0,
               f"{w}: discount", "in [0, 1)", self.discount)
        _check(isinstance(self.margin, (int, float)) and 0.0 < self.margin <= 1.0,
               f"{w}: margin", "in (0, 1]", self.margin)
        _non_negative(f"{w}: available_from_hour", self.available_from_hour)


@dataclass(frozen=True)
class TimingSpec:
    """One send-time slot.

    Attributes:
        name: slot name (``now``, ``morning``...).
        hour: local hour of the send in [0, 24), or -1 for *now* (the customer's current hour).
        weekend: True when the send waits for the weekend.
    """

    name: str
    hour: float
    weekend: bool = False

    def __post_init__(self) -> None:
        w = f"timing {self.name!r}"
        _check(isinstance(self.name, str) and self.name != "" and "/" not in self.name,
               f"{w}: name", "a non-empty string without '/'", self.name)
        _check(isinstance(self.hour, (int, float)) and (self.hour == -1 or 0 <= self.hour < 24),
               f"{w}: hour", "in [0, 24) or -1 (now)", self.hour)


@dataclass(frozen=True)
class RewardSpec:
    """How the reward of one decision is counted (all weights are multipliers).

    total = revenue * basket * (margin if use_margin else 1) - discount * basket * discount_rate
            - channel_cost * cost + open_value * opened + click_value * clicked
            - unsubscribe_penalty * unsubscribed - churn_penalty * churned
    """

    revenue: float = 1.0
    discount: float = 1.0
    channel_cost: float = 1.0
    use_margin: bool = False
    open_value: float = 0.0
    click_value: float = 0.0
    unsubscribe_penalty: float = 0.0
    churn_penalty: float = 0.0

    def __post_init__(self) -> None:
        for f in ("revenue", "discount", "channel_cost", "open_value", "click_value",
                  "unsubscribe_penalty", "churn_penalty"):
            _finite(f"reward.{f}", getattr(self, f))
        _check(isinstance(self.use_margin, bool), "reward.use_margin", "a bool", self.use_margin)


@dataclass(frozen=True)
class WorldSpec:
    """How strongly the hidden traits drive the answers (the world's physics).

    Attributes:
        channel_weight: open logit per unit of channel affinity.
        theme_weight: click logit per unit of theme affinity.
        offer_weight: click logit per unit of offer-type affinity.
        conversion_logit: logit intercept of converting after a click.
        propensity_weight: conversion logit per unit of base purchase propensity.
        theme_conversion_weight: conversion logit per unit of theme affinity.
        discount_gain: conversion logit gained when the discount clears the customer's threshold
            (times the customer's discount sensitivity).
        discount_softness: width of the discount threshold (a logistic step in the discount
            minus the customer's threshold; small = a sharp step).
        fatigue_strength: open logit lost per unit of contact pressure (times fatigue sensitivity).
        fatigue_half_life_hours: half-life of contact pressure.
        unsubscribe_fatigue: unsubscribe/churn logit gained per unit of pressure.
        context_noise: scale of the noise between hidden traits and the observable context.
    """

    channel_weight: float = 1.0
    theme_weight: float = 1.1
    offer_weight: float = 0.6
    conversion_logit: float = -3.3
    propensity_weight: float = 1.0
    theme_conversion_weight: float = 0.4
    discount_gain: float = 1.6
    discount_softness: float = 0.02
    fatigue_strength: float = 0.35
    fatigue_half_life_hours: float = 96.0
    unsubscribe_fatigue: float = 0.4
    context_noise: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            _finite(f"world.{f.name}", getattr(self, f.name))
        _check(self.fatigue_half_life_hours > 0, "world.fatigue_half_life_hours", "> 0",
               self.fatigue_half_life_hours)
        _non_negative("world.context_noise", self.context_noise)
        _check(self.discount_softness > 0, "world.discount_softness", "> 0",
               self.discount_softness)


@dataclass(frozen=True)
class Scenario:
    """One simulated world: population size, catalog, physics, reward and events.

    Attributes:
        name: scenario name.
        description: one line on what it tests.
        n_customers: population size (churned customers are replaced by new ones).
        contacts_per_customer_per_week: decision rate; simulated time advances by
            ``batch / decisions_per_hour`` hours per step, whatever the batch size.
        conversion_window_hours: a conversion arrives within this many hours of the send or never.
        conversion_delay_hours: mean delay of a conversion (exponential, cut at the window).
        horizon_hours: the episode is truncated once simulated time reaches it; 0 = never.
        drift_at_hour: from this hour, tastes for the product themes rotate; 0 = never.
        drift_shift: how many places the product-theme tastes rotate at the drift.
        mix_at_hour: from this hour a new acquisition channel brings other customers: at once
            ``mix_share`` of the population is replaced by newcomers of the new mix, and from
            then on churned customers are replaced from it too. Who the customers are changes;
            how a customer answers does not. 0 = never.
        mix_share: share of the population replaced at ``mix_at_hour``.
        mix_age: age-band probabilities of the new mix (one per band of
            ``simulator.population.AGE_BANDS``, summing to 1); empty = as before.
        mix_device: device probabilities of the new mix (``ios``, ``android``, ``desktop``);
            empty = as before.
        allow_no_contact: whether the catalog has the explicit *no contact* action.
        channels, messages, timings: the catalog parts.
        reward: how rewards are counted.
        world: how traits drive answers.
    """

    name: str
    channels: tuple[ChannelSpec, ...]
    messages: tuple[MessageSpec, ...]
    timings: tuple[TimingSpec, ...]
    description: str = ""
    n_customers: int = 10_000
    contacts_per_customer_per_week: float = 1.0
    conversion_window_hours: float = 72.0
    conversion_delay_hours: float = 12.0
    horizon_hours: float = 0.0
    drift_at_hour: float = 0.0
    drift_shift: int = 1
    mix_at_hour: float = 0.0
    mix_share: float = 0.0
    mix_age: tuple[float, ...] = ()
    mix_device: tuple[float, ...] = ()
    allow_no_contact: bool = True
    reward: RewardSpec = field(default_factory=RewardSpec)
    world: WorldSpec = field(default_factory=WorldSpec)

    def __post_init__(self) -> None:
        _check(isinstance(self.n_customers, int) and self.n_customers >= 1, "n_customers",
               "an int >= 1", self.n_customers)
        _check(isinstance(self.contacts_per_customer_per_week, (int, float))
               and math.isfinite(self.contacts_per_customer_per_week)
               and self.contacts_per_customer_per_week > 0,
               "contacts_per_customer_per_week", "a finite number > 0",
               self.contacts_per_customer_per_week)
        _check(isinstance(self.conversion_window_hours, (int, float))
               and 0 < self.conversion_window_hours < math.inf,
               "conversion_window_hours", "a finite number > 0", self.conversion_window_hours)
        _check(isinstance(self.conversion_delay_hours, (int, float))
               and 0 < self.conversion_delay_hours < math.inf,
               "conversion_delay_hours", "a finite number > 0", self.conversion_delay_hours)
        _non_negative("horizon_hours", self.horizon_hours)
        _non_negative("drift_at_hour", self.drift_at_hour)
        _check(isinstance(self.drift_shift, int), "drift_shift", "an int", self.drift_shift)
        _non_negative("mix_at_hour", self.mix_at_hour)
        _probability("mix_share", self.mix_share)
        for name, size in (("mix_age", 5), ("mix_device", 3)):
            value = getattr(self, name)
            _check(isinstance(value, (list, tuple)) and len(value) in (0, size)
                   and all(isinstance(x, (int, float)) and 0 <= x <= 1 for x in value)
                   and (not value or abs(sum(value) - 1.0) < 1e-6),
                   name, f"empty or {size} probabilities summing to 1", value)
            object.__setattr__(self, name, tuple(float(x) for x in value))
        for part, kind in (("channels", ChannelSpec), ("messages", MessageSpec),
                           ("timings", TimingSpec)):
            items = getattr(self, part)
            _check(isinstance(items, tuple) and len(items) > 0
                   and all(isinstance(x, kind) for x in items),
                   part, f"a non-empty tuple of {kind.__name__}", items)
            names = [x.name for x in items]
            dupes = sorted({n for n in names if names.count(n) > 1})
            _check(not dupes, f"{part} names", "unique", dupes)
        _check(isinstance(self.reward, RewardSpec), "reward", "a RewardSpec", self.reward)
        _check(isinstance(self.world, WorldSpec), "world", "a WorldSpec", self.world)

    @property
    def decisions_per_hour(self) -> float:
        """How many decisions the whole population receives per simulated hour."""
        return self.n_customers * self.contacts_per_customer_per_week / 168.0

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, source: str = "scenario") -> Scenario:
        """Build a scenario from a TOML-shaped dict, refusing unknown keys.

        Args:
            raw: the parsed TOML (``extends`` already resolved).
            source: where it came from, for error messages.

        Returns:
            The validated scenario.

        Raises:
            ScenarioFileError: unknown or missing keys, or a table of the wrong type.
            ScenarioError: a value out of range.
        """
        data = dict(raw)
        data.pop("extends", None)
        for part in ("channels", "messages", "timings"):
            _apply_named_overrides(data, part, source)
        try:
            data["channels"] = tuple(_build(ChannelSpec, c, f"{source}: channels")
                                     for c in _table_list(data, "channels", source))
            data["messages"] = tuple(_build(MessageSpec, m, f"{source}: messages")
                                     for m in _table_list(data, "messages", source))
            data["timings"] = tuple(_build(TimingSpec, t, f"{source}: timings")
                                    for t in _table_list(data, "timings", source))
            for key, kind in (("reward", RewardSpec), ("world", WorldSpec)):
                if key in data:
                    data[key] = _build(kind, data[key], f"{source}: {key}")
            return _build(cls, data, source)
        except ScenarioError as err:
            if isinstance(err, ScenarioFileError):
                raise
            raise ScenarioError(f"{source}: {err}") from None


def _apply_named_overrides(data: dict[str, Any], part: str, source: str) -> None:
    """Merge ``[<part singular>_overrides.<name>]`` tables into the items of ``part`` by name,
    so a scenario can change one channel's cap without repeating the whole array."""
    key = f"{part[:-1]}_overrides"
    patches = data.pop(key, None)
    if patches is None:
        return
    if not isinstance(patches, dict) or not all(isinstance(v, dict) for v in patches.values()):
        raise ScenarioFileError(f"{source}: '{key}' must be a table of tables, got {patches!r}")
    items = _table_list(data, part, source)
    names = [item.get("name") for item in items]
    unknown = sorted(set(patches) - set(names))
    if unknown:
        raise ScenarioFileError(
            f"{source}: '{key}' names unknown {part} {unknown}; expected some of {names}")
    data[part] = [{**item, **patches.get(item.get("name"), {})} for item in items]


def _table_list(data: dict[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ScenarioFileError(
            f"{source}: '{key}' must be an array of tables ([[{key}]]), got {value!r}")
    return value


def _build(kind: type, raw: object, where: str) -> Any:
    """Instantiate dataclass ``kind`` from a dict, naming unknown and missing keys."""
    if not isinstance(raw, dict):
        raise ScenarioFileError(f"{where} must be a table, got {raw!r}")
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ScenarioFileError(
            f"{where}: unknown key(s) {unknown}; expected some of {sorted(known)}")
    try:
        return kind(**raw)
    except TypeError as err:  # a required key is missing
        raise ScenarioFileError(f"{where}: {err}") from None


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``top`` over ``base``: tables merge key by key, everything else replaces."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def scenario_names() -> tuple[str, ...]:
    """The names of the shipped scenarios.

    Example:
        >>> "baseline" in scenario_names()
        True
    """
    return tuple(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioFileError(f"scenario file {path.name}: not valid TOML: {err}") from None


def _resolve(name_or_path: str | Path, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """Read a scenario by name or path and resolve its ``extends`` chain."""
    text = str(name_or_path)
    path = Path(text)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise UnknownScenarioError(f"scenario file {text!r} does not exist")
    else:
        path = SCENARIO_DIR / f"{text}.toml"
        if not path.is_file():
            raise UnknownScenarioError(
                f"unknown scenario {text!r}; expected one of {list(scenario_names())} "
                "or a path to a .toml file")
    if str(path) in seen:
        raise ScenarioFileError(f"scenario {path.name}: 'extends' forms a cycle")
    raw = _read_toml(path)
    parent = raw.get("extends")
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioFileError(f"scenario {path.name}: 'extends' must be a string, got {parent!r}")
    base_dir = path.parent
    target = base_dir / parent if parent.endswith(".toml") else parent
    return _merge(_resolve(target, (*seen, str(path))), raw)


def load_scenario(name_or_path: str | Path, **overrides: Any) -> Scenario:
    """Load a shipped scenario by name, or a scenario TOML file by path, with field overrides.

    Args:
        name_or_path: ``baseline``, ``cold_start``, ``drift``, ``fatigue``, ``capacity``,
            ``small``, or a path to a ``.toml`` file.
        **overrides: top-level fields to replace (``n_customers=1000``); a dict merges into a
            table (``reward={"click_value": 0.1}``); a list replaces an array of tables.

    Returns:
        The frozen, validated :class:`Scenario`.

    Raises:
        UnknownScenarioError: no such scenario name or file.
        ScenarioFileError: the file is not valid TOML or has unknown/missing keys.
        ScenarioError: a value is out of range.

    Example:
        >>> load_scenario("small").n_customers < load_scenario("baseline").n_customers
        True
    """
    raw = _resolve(name_or_path)
    source = f"scenario {str(name_or_path)!r}"
    if overrides:
        raw = _merge(raw, overrides)
        source += f" with overrides {sorted(overrides)}"
    return Scenario.from_dict(raw, source=source)
