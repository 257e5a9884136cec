"""The holdout hash: stable across processes, uniform, nested in the fraction, salted."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from engine.errors import ConfigError
from engine.holdout import holdout_score, in_holdout

IDS = [f"customer-{i}" for i in range(20000)]


def test_stable_across_processes():
    # Python's hash() is salted per process; ours must not be.
    code = ("from engine.holdout import holdout_score; "
            "print(repr([holdout_score(f'customer-{i}') for i in range(5)]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "123"}).stdout
    assert out.strip() == repr([holdout_score(f"customer-{i}") for i in range(5)])


def test_known_value_is_pinned():
    # Moving customers between groups across releases would break running experiments.
    assert holdout_score("customer-42") == pytest.approx(0.7963085126585834, abs=0, rel=1e-12)


@pytest.mark.parametrize("fraction", [0.01, 0.05, 0.2, 0.5])
def test_share_matches_fraction(fraction):
    share = np.mean([in_holdout(c, fraction) for c in IDS])
    sd = np.sqrt(fraction * (1 - fraction) / len(IDS))
    assert abs(share - fraction) < 5 * sd


def test_groups_nest_as_the_fraction_grows():
    small = {c for c in IDS if in_holdout(c, 0.05)}
    large = {c for c in IDS if in_holdout(c, 0.10)}
    assert small < large


def test_salt_draws_another_group():
    a = {c for c in IDS if in_holdout(c, 0.1)}
    b = {c for c in IDS if in_holdout(c, 0.1, salt="experiment-2")}
    assert len(a & b) < 0.2 * len(a)


def test_edges():
    assert not any(in_holdout(c, 0.0) for c in IDS[:100])
    assert all(in_holdout(c, 1.0) for c in IDS[:100])


@pytest.mark.parametrize("fraction", [-0.1, 1.5, float("nan"), True, "0.1", None])
def test_bad_fraction(fraction):
    with pytest.raises(ConfigError, match=r"holdout_fraction: expected a number in \[0, 1\]"):
        in_holdout("c", fraction)
