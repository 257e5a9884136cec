"""Bad input to the estimators raises OPEInputError naming the array."""

from __future__ import annotations

import numpy as np
import pytest

from ope import OPEInputError, estimate

GOOD = {"rewards": [1.0, 0.0], "actions": [0, 1], "propensities": [0.5, 0.5],
            "target_probs": [[1.0, 0.0], [0.5, 0.5]], "reward_hat": [[0.5, 0.5], [0.5, 0.5]]}


@pytest.mark.parametrize(("change", "match"), [
    ({"propensities": [0.0, 0.5]}, r"propensities must be in \(0, 1\], got 0.0 at row 0"),
    ({"propensities": [0.5, 1.5]}, r"propensities must be in \(0, 1\], got 1.5 at row 1"),
    ({"propensities": [-0.1, 0.5]}, r"propensities must be in \(0, 1\]"),
    ({"target_probs": [[0.9, 0.0], [0.5, 0.5]]},
     r"target_probs rows must sum to 1, row 0 sums to 0.9"),
    ({"target_probs": [[1.5, -0.5], [0.5, 0.5]]}, r"target_probs must be >= 0"),
    ({"target_probs": [1.0, 0.0]}, r"target_probs must have shape \(n, K\)"),
    ({"target_probs": [[1.0, 0.0]]}, r"target_probs has 1 rows but rewards has 2"),
    ({"rewards": [1.0, np.nan]}, r"rewards must be finite, got nan at index \(1,\)"),
    ({"propensities": [np.nan, 0.5]}, r"propensities must be finite"),
    ({"reward_hat": [[0.5, np.inf], [0.5, 0.5]]}, r"reward_hat must be finite"),
    ({"reward_hat": [[0.5], [0.5]]}, r"reward_hat must have the shape of target_probs \(2, 2\)"),
    ({"actions": [0, 2]}, r"actions must be in \[0, 2\) .*got 2 at row 1"),
    ({"actions": [0, -1]}, r"actions must be in \[0, 2\)"),
    ({"actions": [0.0, 0.5]}, r"actions must be integer action indices"),
    ({"actions": ["a", "b"]}, r"actions must be integer action indices"),
    ({"actions": [0, 1, 1]}, r"actions has 3 rows but rewards has 2"),
    ({"rewards": [[1.0], [0.0]]}, r"rewards must have shape \(n,\)"),
    ({"rewards": [], "propensities": [], "actions": [], "target_probs": np.zeros((0, 2)),
      "reward_hat": np.zeros((0, 2))}, r"rewards is empty"),
    ({"rewards": ["x", "y"]}, r"rewards must be numeric"),
])
def test_bad_arrays_are_named(change, match):
    with pytest.raises(OPEInputError, match=match):
        estimate("dr", **{**GOOD, **change})


@pytest.mark.parametrize(("estimator", "kwargs", "match"), [
    ("ipw", {}, r"estimator must be one of dm, ips, snips, dr, sndr, switch_dr, dr_cv; got 'ipw'"),
    ("dm", {"reward_hat": None}, r"reward_hat is required for estimator 'dm'"),
    ("dr", {"reward_hat": None}, r"reward_hat is required for estimator 'dr'"),
    ("sndr", {"reward_hat": None}, r"reward_hat is required for estimator 'sndr'"),
    ("switch_dr", {"reward_hat": None}, r"reward_hat is required for estimator 'switch_dr'"),
    ("ips", {"alpha": 0.0}, r"alpha must be in \(0, 1\), got 0.0"),
    ("ips", {"alpha": 1.5}, r"alpha must be in \(0, 1\)"),
    ("switch_dr", {"tau": 0.0}, r"tau must be > 0"),
    ("snips", {"target_probs": [[0.0, 1.0], [1.0, 0.0]]}, r"importance weights sum to 0"),
])
def test_bad_arguments(estimator, kwargs, match):
    with pytest.raises(OPEInputError, match=match):
        estimate(estimator, **{**GOOD, **kwargs})


def test_opeinputerror_is_a_valueerror():
    # callers that catch ValueError catch ours; the error raised is ours, not numpy's
    with pytest.raises(ValueError, match=r"propensities must be in \(0, 1\]") as info:
        estimate("ips", **{**GOOD, "propensities": [0.0, 0.5]})
    assert type(info.value) is OPEInputError
