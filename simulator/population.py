"""The customers: hidden traits that drive their answers, and the noisy context we observe.

Traits (hidden) and context (observed) are drawn together, so that the context is informative
but noisy about the traits: past engagement counts per theme and channel are Poisson draws around
the true affinities, the last-activity hour is the peak hour plus noise, the discount usage is a
noisy view of the discount threshold. Some traits act through thresholds and products (discount
threshold, fatigue sensitivity times pressure, the funnel itself), so per-segment rules leave
value on the table while a learner with context x action interactions can capture most of it.

Example:
    >>> import numpy as np
    >>> from simulator.scenario import load_scenario
    >>> from simulator.catalog import Catalog
    >>> sc = load_scenario("baseline")
    >>> pop = Population.draw(np.random.default_rng(0), 100, Catalog.from_scenario(sc), sc)
    >>> pop.static_context.shape == (100, len(pop.static_names))
    True
"""

from __future__ import annotations

import numpy as np

from simulator.catalog import Catalog
from simulator.scenario import Scenario

__all__ = ["AGE_BANDS", "DEVICES", "REGIONS", "SEGMENTS", "Population"]

AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55+")
AGE_P = np.array([0.12, 0.24, 0.24, 0.20, 0.20])
REGIONS = ("west", "central", "east", "europe")
REGION_P = np.array([0.25, 0.20, 0.35, 0.20])
UTC_OFFSET = np.array([-8.0, -6.0, -5.0, 1.0])
DEVICES = ("ios", "android", "desktop")
DEVICE_P = np.array([0.35, 0.35, 0.30])
SEGMENTS = ("new", "active", "lapsed", "vip")
PEAK_HOURS = np.array([8.5, 12.5, 20.0])
PEAK_P = np.array([0.30, 0.20, 0.50])

# Semantic nudges of theme affinity by lifecycle (theme names absent from a catalog are ignored).
_THEME_BY_STAGE = {"welcome": (1.8, -1.2, -1.2), "winback": (-1.2, -1.2, 1.8),
                   "loyalty": (-0.8, 0.3, -0.3)}  # (new, active, lapsed)
# Channel affinity nudges by device (ios, android, desktop).
_CHANNEL_BY_DEVICE = {"email": (-0.2, -0.2, 0.6), "sms": (0.2, 0.3, -0.2),
                      "push": (0.6, 0.5, -1.2), "inapp": (0.6, 0.6, -1.2)}
_CONSENT_BY_DEVICE = {"email": (0.88, 0.88, 0.93), "sms": (0.45, 0.45, 0.35),
                      "push": (0.60, 0.55, 0.10), "inapp": (0.85, 0.85, 0.20)}


class Population:
    """The hidden traits and static observable context of ``n`` customers (arrays of length n).

    Traits: ``theme_aff`` (n, n_themes), ``offer_aff`` (n, n_offers), ``channel_aff``
    (n, C), ``discount_sens``, ``discount_threshold``, ``peak_cos``/``peak_sin`` (the
    activity-peak hour on the unit circle), ``weekend_pref``, ``propensity`` (conversion logit
    offset), ``basket`` (order value), ``fatigue_sens``, ``churn_hazard``, ``app_use`` (chance an
    in-app message is seen), ``utc_offset``; initial ``consent`` (n, C) bool.
    """

    # Set from ``arrays`` in __init__ (one attribute per key of :func:`_draw`'s dict).
    static_context: np.ndarray
    theme_aff: np.ndarray
    offer_aff: np.ndarray
    channel_aff: np.ndarray
    discount_sens: np.ndarray
    discount_threshold: np.ndarray
    peak_cos: np.ndarray
    peak_sin: np.ndarray
    weekend_pref: np.ndarray
    propensity: np.ndarray
    basket: np.ndarray
    fatigue_sens: np.ndarray
    churn_hazard: np.ndarray
    app_use: np.ndarray
    utc_offset: np.ndarray
    consent: np.ndarray

    def __init__(self, arrays: dict[str, np.ndarray], static_names: tuple[str, ...]) -> None:
        self.static_names = static_names
        self.arrays = arrays
        for key, value in arrays.items():
            setattr(self, key, value)

    @property
    def n(self) -> int:
        """How many customers."""
        return len(self.basket)

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int, catalog: Catalog, sc: Scenario,
             *, newcomers: bool = False, new_mix: bool = False) -> Population:
        """Draw ``n`` customers.

        Args:
            rng: the generator to draw from.
            n: how many.
            catalog: the catalog (themes, offers, channels name the trait columns).
            sc: the scenario (context noise, the new mix).
            newcomers: draw brand-new customers only (tenure 0), as replacements of churned ones.
            new_mix: draw ages and devices from the scenario's new mix (``mix_age``,
                ``mix_device``) where it gives them.

        Returns:
            The population.
        """
        age_p = np.asarray(sc.mix_age) if new_mix and sc.mix_age else AGE_P
        device_p = np.asarray(sc.mix_device) if new_mix and sc.mix_device else DEVICE_P
        arrays, names = _draw(rng, n, catalog, sc.world.context_noise, newcomers, age_p,
                              device_p)
        return cls(arrays, names)

    def overwrite(self, slots: np.ndarray, other: Population) -> None:
        """Put the customers of ``other`` into ``slots`` (in place; len(slots) == other.n)."""
        for key, value in self.arrays.items():
            value[slots] = other.arrays[key]


def _poisson_feature(rng: np.random.Generator, rate: np.ndarray, cap: float = 10.0) -> np.ndarray:
    """A noisy engagement count scaled into [0, 1]."""
    return np.minimum(rng.poisson(rate), cap) / cap


def _draw(rng: np.random.Generator, n: int, catalog: Catalog, noise: float,
          newcomers: bool, age_p: np.ndarray = AGE_P, device_p: np.ndarray = DEVICE_P
          ) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """Draw traits and the static context together (see the module docstring)."""
    age = rng.choice(len(AGE_BANDS), size=n, p=age_p)
    region = rng.choice(len(REGIONS), size=n, p=REGION_P)
    device = rng.choice(len(DEVICES), size=n, p=device_p)
    mobile = device < 2
    young, old = age <= 1, age >= 3

    # Lifecycle: tenure, recency, frequency -> stage (new / active / lapsed) and segment.
    is_new = np.full(n, True) if newcomers else rng.random(n) < 0.12
    tenure = np.where(is_new, rng.uniform(0, 30, n), 30 + rng.exponential(700, n))
    tenure = np.minimum(tenure, 3650)
    lapsed = ~is_new & (rng.random(n) < 0.35)
    recency = np.where(is_new, rng.uniform(0, 30, n),
                       np.where(lapsed, 90 + rng.exponential(120, n), rng.exponential(30, n)))
    propensity_raw = rng.normal(0, 1, n)
    frequency = rng.poisson(np.exp(0.7 * propensity_raw + 1.0 - 0.8 * lapsed))
    basket = np.exp(rng.normal(np.log(55) + 0.1 * (age - 2), 0.45, n))
    monetary = basket * np.exp(rng.normal(0, 0.15 * noise, n))
    vip = ~is_new & ~lapsed & (frequency >= 6) & (monetary >= 60)
    stage = np.where(is_new, 0, np.where(lapsed, 2, 1))
    segment = np.where(vip, 3, stage)

    # Theme affinity: individual taste plus lifecycle and age nudges; observed as engagement.
    themes = catalog.themes
    theme_aff = rng.normal(0, 0.8, (n, len(themes)))
    for j, th in enumerate(themes):
        if th in _THEME_BY_STAGE:
            theme_aff[:, j] += np.asarray(_THEME_BY_STAGE[th])[stage]
    if "new_arrivals" in themes:
        theme_aff[:, themes.index("new_arrivals")] += 0.5 * young - 0.3 * old
    if "bestsellers" in themes:
        theme_aff[:, themes.index("bestsellers")] += 0.5 * old
    if "loyalty" in themes:
        theme_aff[:, themes.index("loyalty")] += 0.9 * vip
    engaged = _poisson_feature(rng, 1.5 * np.exp(theme_aff + rng.normal(0, 0.3 * noise,
                                                                         theme_aff.shape)))

    # Offer-type affinity (hidden; free shipping suits small baskets, points suit VIPs).
    offers = catalog.offers
    offer_aff = rng.normal(0, 0.7, (n, len(offers)))
    if "free_shipping" in offers:
        offer_aff[:, offers.index("free_shipping")] += 0.6 * (basket < 45)
    if "points" in offers:
        offer_aff[:, offers.index("points")] += 0.8 * vip

    # Discount: a threshold (the discount that tips them) and a sensitivity; usage is observed.
    threshold = rng.uniform(0.02, 0.25, n)
    discount_sens = np.exp(rng.normal(0, 0.5, n))
    usage = np.clip(1 - threshold / 0.25 + rng.normal(0, 0.2 * noise, n), 0, 1)

    # Channels: affinity nudged by device and age, observed as past opens; consent per channel.
    chans = catalog.channels
    channel_aff = rng.normal(0, 0.7, (n, len(chans)))
    consent = np.zeros((n, len(chans)), dtype=bool)
    for j, ch in enumerate(chans):
        if ch in _CHANNEL_BY_DEVICE:
            channel_aff[:, j] += np.asarray(_CHANNEL_BY_DEVICE[ch])[device]
        p = np.asarray(_CONSENT_BY_DEVICE.get(ch, (0.5, 0.5, 0.5)))[device]
        consent[:, j] = rng.random(n) < p
    if "email" in chans:
        channel_aff[:, chans.index("email")] += 0.4 * old - 0.3 * young
    opens = _poisson_feature(rng, 2.0 * np.exp(channel_aff + rng.normal(0, 0.3 * noise,
                                                                         channel_aff.shape)))
    app_use = 1 / (1 + np.exp(-(rng.normal(0, 1, n) + np.where(mobile, 0.8, -1.5))))

    # Time of day: a peak activity hour (hidden) seen through the last-activity hour.
    peak = (PEAK_HOURS[rng.choice(3, size=n, p=PEAK_P)] + rng.normal(0, 1.5, n)) % 24
    last_hour = (peak + rng.normal(0, 2.0 * noise, n)) % 24
    weekend_pref = rng.normal(0, 0.8, n)
    weekend_share = np.clip(1 / (1 + np.exp(-(weekend_pref + rng.normal(0, 0.5 * noise, n)))),
                            0, 1)

    propensity = (0.8 * propensity_raw - 0.4 * lapsed + 0.3 * vip
                  + rng.normal(0, 0.3, n))
    fatigue_sens = np.exp(rng.normal(0, 0.5, n) + 0.2 * old)
    churn_hazard = rng.normal(0, 0.5, n) + 0.5 * lapsed

    angle = 2 * np.pi * peak / 24
    last_angle = 2 * np.pi * last_hour / 24
    blocks = [
        (_onehot(age, len(AGE_BANDS)), [f"age_band={a}" for a in AGE_BANDS]),
        (_onehot(region, len(REGIONS)), [f"region={r}" for r in REGIONS]),
        (_onehot(segment, len(SEGMENTS)), [f"segment={s}" for s in SEGMENTS]),
        (_onehot(device, len(DEVICES)), [f"device={d}" for d in DEVICES]),
        (np.column_stack([
            np.minimum(tenure / 3650, 1), np.minimum(recency / 365, 1),
            np.minimum(frequency / 20, 1), np.minimum(monetary / 300, 1), usage,
            UTC_OFFSET[region] / 12, np.sin(last_angle), np.cos(last_angle), weekend_share,
        ]), ["tenure", "recency", "frequency", "monetary", "discount_usage", "utc_offset",
             "last_active_hour_sin", "last_active_hour_cos", "weekend_share"]),
        (engaged, [f"engaged_{t}" for t in themes]),
        (opens, [f"opens_{c}" for c in chans]),
    ]
    static = np.hstack([b for b, _ in blocks])
    names = tuple(nm for _, group in blocks for nm in group)
    arrays = {
        "static_context": static, "theme_aff": theme_aff, "offer_aff": offer_aff,
        "channel_aff": channel_aff, "discount_sens": discount_sens, "discount_threshold": threshold,
        "peak_cos": np.cos(angle), "peak_sin": np.sin(angle), "weekend_pref": weekend_pref,
        "propensity": propensity, "basket": basket,
        "fatigue_sens": fatigue_sens, "churn_hazard": churn_hazard, "app_use": app_use,
        "utc_offset": UTC_OFFSET[region], "consent": consent,
    }
    return arrays, names


def _onehot(index: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((len(index), n), dtype=np.float64)
    out[np.arange(len(index)), index] = 1.0
    return out
