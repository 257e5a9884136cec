"""The context's numbers read on a scale of their own, fixed from the first values learned.

A ridge penalty is per unit. Every default of the ridge learners was tuned on numbers spread
over about one unit (the simulator's lie in [-1, 1], the synthetic worlds' are standard
normal), so a number in euros (a spend of 10 to 5,000) barely feels the penalty and swamps
the Thompson draws. The fix is a scale per number, taken from data (the learner never knows
the unit):

- each number of the context (namespace ``c``; a category or a flag never moves) collects its
  first :data:`WARMUP` nonzero values learned (zeros never reach a learner). A category's
  feature is named ``key=value``, so a number whose key holds ``=`` is taken for one and read
  raw, as every number was before;
- then its scale is fixed: ``s`` = the 95th percentile of ``|v - median|`` over 1.96 (the
  standard deviation, for normal values, but an outlier cannot move it), over the values
  within :data:`GROSS_MADS` median absolute deviations of their median (so that a few
  stand-ins for "unknown", a spend of 999999, cannot either). A number spread over a few
  units (``s`` under 2 ** 2.5, about 5.7) is read as it comes: the defaults were tuned on
  such numbers, and dividing those spread over 3 to 5 units by 4 cost the held-out family
  0.005 of capture (docs/engine.md, stop 22). A wider one is divided from then on by the
  power of two nearest ``s`` (exact in floating point), so it lands within a factor of 1.4
  of one unit;
- until its scale is fixed, a value within +-:data:`RAW_BOUND` is read as it comes and a
  bigger one is left out (weighs 0), so a euro never enters the model raw. The warm-up is
  short because a number left out of the first rows is missing from the rows that steer the
  first exploration (256 rows cost the held-out family of catalogs more than the scale won:
  docs/engine.md, stop 22);
- once its scale is fixed, a value is also held within a limit: ``|median| +``
  :data:`LIMIT_SPREADS` ``* s`` (``s`` as above), on the number's scale, and never under
  :data:`RAW_BOUND`, so a value far out of line (an age of 1e9, a spend typed in cents) is
  read as the limit. Why: a ridge learns a row of a huge value as an exact fit in that
  number's direction, and the model never learns that number again (ten rows of ``x =
  1e9`` among 6,000 left a ridge per action's slope of ``x`` at 0.60 where it learned 1.19
  without them: ``tests/policies/test_number_scale.py``; ``benchmarks/number_limits.py``).
  One caller's typing error must not cost every other customer. A model saved before the
  limit reads its numbers unheld, as it learned them.

No centring: a learner reads a sparse vector in which 0 means "absent", and a centred number
would make its median indistinguishable from a missing value. The learner's constant takes
the offset.

The factors and the values still being collected are saved with the learner's model
(:meth:`NumberScale.to_state`), so a restarted engine, a replica's snapshot and a batch
scorer all read numbers as the learner does.

Example:
    >>> scale = NumberScale(warmup=4)
    >>> scale.read("c", "spend", 900.0, learning=True)  # collecting: too big to read raw
    0.0
    >>> for v in (300.0, 1200.0, 2500.0):
    ...     _ = scale.read("c", "spend", v, learning=True)
    >>> scale.factors
    {'spend': 512.0}
    >>> scale.read("c", "spend", 1024.0), scale.read("c", "age=vip", 1.0)
    (2.0, 1.0)
    >>> round(scale.read("c", "spend", 1e9), 2)  # held at |median| + 8 s, on its scale
    12.77
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from policies.errors import PolicyConfigError

__all__ = ["GROSS_MADS", "LIMIT_SPREADS", "MAX_NUMBERS", "NUMBER_SCALES", "RAW_BOUND",
           "WARMUP", "NumberScale", "check_number_scale", "plausible", "read_limit",
           "spread_factor"]

#: Values of a number collected before its scale is fixed.
WARMUP = 32
#: Until its scale is fixed, a number's value is read as it comes within +- this, else left out.
RAW_BOUND = 4.0
#: Once a number's scale is fixed, its values are held within ``|median| + LIMIT_SPREADS * s``
#: (its robust spread ``s``): 8 standard deviations of a normal number.
LIMIT_SPREADS = 8.0
#: A value beyond this many median absolute deviations of its number's first values is left
#: out of the spread and the limit read from them (a stand-in for "unknown"); no value of a
#: normal number is (1,000 deviations are some 670 standard deviations).
GROSS_MADS = 1000.0
#: Numbers (context keys) given a scale; a later one keeps the warm-up's reading for good.
MAX_NUMBERS = 4096
#: ``number_scale`` settings of the ridge learners: ``"spread"`` (this module) or ``"raw"``
#: (every number as it comes, as before the setting existed).
NUMBER_SCALES = ("spread", "raw")


def check_number_scale(value: object) -> str:
    """``value`` as one of :data:`NUMBER_SCALES`, or a :class:`PolicyConfigError` naming
    ``number_scale``.

    Example:
        >>> check_number_scale("raw")
        'raw'
    """
    if not isinstance(value, str) or value not in NUMBER_SCALES:
        raise PolicyConfigError(f"number_scale: expected one of {', '.join(NUMBER_SCALES)}, "
                                f"got {value!r}")
    return value


def plausible(values: np.ndarray) -> np.ndarray:
    """``values`` without those beyond :data:`GROSS_MADS` median absolute deviations of their
    median (all of them when that deviation is 0): what the scale and the limit are read
    from, so that a few stand-ins for "unknown" (999999, -1e9) among a number's first values
    cannot set its scale.

    Example:
        >>> plausible(np.array([120.0, 80.0, 999999.0, 95.0, 300.0])).tolist()
        [120.0, 80.0, 95.0, 300.0]
    """
    dev = np.abs(values - np.median(values))
    mad = float(np.median(dev))
    return values[dev <= GROSS_MADS * mad] if mad > 0.0 else values


def _robust_spread(values: np.ndarray) -> float:
    """The 95th percentile of ``|v - median|`` over 1.96: the standard deviation of normal
    values, which one outlier in 32 cannot move."""
    return float(np.quantile(np.abs(values - np.median(values)), 0.95)) / 1.96


def spread_factor(values: np.ndarray) -> float:
    """The power of two nearest the values' robust spread, or 1 for a spread under about 5.7
    (module docstring).

    Example:
        >>> [spread_factor(np.array(v)) for v in ([0.5, -1.0, 1.5], [0, 5.0], [10.0, 90.0])]
        [1.0, 1.0, 16.0]
    """
    s = _robust_spread(values)
    if not (s > 0.0 and math.isfinite(s)):
        return 1.0
    power = round(math.log2(s))
    return float(2.0**power) if power >= 3 else 1.0


def read_limit(values: np.ndarray, factor: float) -> float:
    """The largest size a number's value is read at, on its scale (``value / factor``):
    ``(|median| + LIMIT_SPREADS * s) / factor``, and never under :data:`RAW_BOUND`.

    Example:
        >>> read_limit(np.array([-0.5, 0.0, 0.5]), 1.0)  # under a unit: the floor
        4.0
        >>> round(read_limit(np.array([10.0, 50.0, 90.0]), 16.0), 2)  # (50 + 8 * 40 / 1.96) / 16
        13.33
    """
    limit = (abs(float(np.median(values))) + LIMIT_SPREADS * _robust_spread(values)) / factor
    return max(limit, RAW_BOUND) if math.isfinite(limit) else RAW_BOUND


class NumberScale:
    """A scale per context number (see the module docstring).

    Args:
        enabled: False reads every number as it comes (``number_scale = "raw"``, or a model
            saved before the setting existed).
        warmup: values collected before a number's scale is fixed.
    """

    def __init__(self, enabled: bool = True, warmup: int = WARMUP) -> None:
        self.enabled, self.warmup = enabled, warmup
        # each fixed number's (factor, limit), one lookup per read on the hot path; the limit
        # is infinite for a number fixed by a model saved before the limits
        self._fixed: dict[str, tuple[float, float]] = {}
        self._values: dict[str, list[float]] = {}

    @property
    def factors(self) -> dict[str, float]:
        """Each fixed number's factor."""
        return {k: f for k, (f, _) in self._fixed.items()}

    @property
    def limits(self) -> dict[str, float]:
        """Each fixed number's limit, on its scale (none for a number fixed before them)."""
        return {k: lim for k, (_, lim) in self._fixed.items() if math.isfinite(lim)}

    def read(self, ns: str, name: str, value: float, learning: bool = False) -> float:
        """Feature ``ns:name``'s value as the learner reads it; ``learning`` collects it
        first (a value being learned)."""
        if not self.enabled or ns != "c" or "=" in name:
            return value
        fixed = self._fixed.get(name)
        if fixed is None:
            if learning:
                self._collect(name, value)
            fixed = self._fixed.get(name)
            if fixed is None:
                return value if -RAW_BOUND <= value <= RAW_BOUND else 0.0
        scaled = value / fixed[0]
        limit = fixed[1]
        return limit if scaled > limit else -limit if scaled < -limit else scaled

    def held(self, name: str, value: float) -> bool:
        """Whether context number ``name``'s ``value`` is read at its limit (beyond it).

        Example:
            >>> scale = NumberScale(warmup=2)
            >>> for v in (10.0, 30.0):
            ...     _ = scale.read("c", "n", v, learning=True)
            >>> scale.held("n", 50.0), scale.held("n", 1e9), scale.held("other", 1e9)
            (False, True, False)
        """
        fixed = self._fixed.get(name)
        return fixed is not None and abs(value / fixed[0]) > fixed[1]

    def _collect(self, name: str, value: float) -> None:
        values = self._values.get(name)
        if values is None:
            if len(self._values) + len(self._fixed) >= MAX_NUMBERS:
                return
            values = self._values[name] = []
        values.append(value)
        if len(values) >= self.warmup:
            seen = plausible(np.asarray(values))
            factor = spread_factor(seen)
            self._fixed[name] = (factor, read_limit(seen, factor))
            del self._values[name]

    def copy(self) -> NumberScale:
        """The scale as it stands, apart from this one (a scorer of a snapshot)."""
        return NumberScale.from_state(self.to_state())

    def to_state(self) -> dict[str, Any]:
        """Factors, limits and the values still being collected (JSON-ready)."""
        return {"enabled": self.enabled, "warmup": self.warmup, "factors": self.factors,
                "limits": self.limits, "values": self._values}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> NumberScale:
        """The scale :meth:`to_state` wrote."""
        out = cls(bool(state["enabled"]), int(state["warmup"]))
        limits = state.get("limits", {})  # a scale saved before the limits has none
        out._fixed = {str(k): (float(v), float(limits.get(k, math.inf)))
                      for k, v in state["factors"].items()}
        out._values = {str(k): [float(e) for e in v] for k, v in state["values"].items()}
        return out
