"""The anytime interval (ope/estimators/sequential.py): read at every row of a stream it holds
at every row at once about as often as promised, where the fixed interval read the same way
does not; it is wider than the fixed one everywhere, tightest near ``tight_at``; bad input is
refused naming the field."""

from __future__ import annotations

import numpy as np
import pytest

from ope.errors import OPEInputError
from ope.estimators.result import OPEResult
from ope.estimators.sequential import anytime_interval, anytime_width


def _misses(widths: np.ndarray, z: np.ndarray) -> float:
    """Share of streams whose running mean leaves +- widths somewhere (true mean 0)."""
    return float((np.abs(z) > widths).any(axis=1).mean())


def test_read_at_every_row_it_holds_where_the_fixed_interval_does_not():
    """Catches a width that is the fixed interval's (or shrinks as fast): over 2,000 streams of
    4,000 standard normal terms read every 10 rows, the fixed 95 % interval is left by far more
    than 5 % of the streams somewhere; the confidence sequence by about 5 % or fewer."""
    rng = np.random.default_rng(0)
    n = np.arange(10, 4001, 10)
    sums = rng.standard_normal((2000, 4000)).cumsum(axis=1)[:, n - 1]
    means = sums / n
    fixed = 1.96 / np.sqrt(n)
    anytime = np.array([anytime_width(1.0, int(k), 0.05, tight_at=500) for k in n])
    assert _misses(fixed, means) > 0.2
    assert _misses(anytime, means) <= 0.06
    assert np.all(anytime > fixed)


def test_the_band_is_tightest_relative_to_the_fixed_interval_near_tight_at():
    ratio = {k: anytime_width(1.0, k, tight_at=1000) * np.sqrt(k) / 1.96
             for k in (100, 1000, 10_000)}
    assert ratio[1000] < ratio[100] and ratio[1000] < ratio[10_000]
    assert 1.4 < ratio[1000] < 1.7


def test_an_estimates_anytime_interval_is_centred_on_its_value_and_wider():
    r = OPEResult("dr", 0.3, (0.2, 0.4), 0.05102, 400.0, 2.0, 0.0, 400, 0.05, "normal")
    low, high = anytime_interval(r, tight_at=400)
    assert low < 0.2 and high > 0.4 and abs((low + high) / 2 - 0.3) < 1e-12


@pytest.mark.parametrize("kwargs, field", [
    ({"sd": 1.0, "n": 0}, "n"), ({"sd": 1.0, "n": 5, "tight_at": 0}, "tight_at"),
    ({"sd": 1.0, "n": 5, "alpha": 1.0}, "alpha"), ({"sd": -1.0, "n": 5}, "sd"),
    ({"sd": float("nan"), "n": 5}, "sd"),
])
def test_bad_input_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(OPEInputError, match=field):
        anytime_width(**kwargs)
