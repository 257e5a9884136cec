"""The suite's ``drift`` world changes in the middle of its horizon (the scenario's own change,
at hour 504, falls after every suite horizon): before the middle it is ``baseline``'s world to
the digit, after it the customers' expected rewards differ."""

from __future__ import annotations

import numpy as np

from experiments.worlds import make_world


def _expected_by_batch(name: str, horizon: int) -> list[np.ndarray]:
    w = make_world(name, seed=0, horizon=horizon)
    out = []
    while not w.done:
        b = w.observe()
        out.append(b.expected.copy())
        w.play(np.zeros(b.refs.size, dtype=np.int64))  # the same picks in both worlds
    w.close()
    return out


def test_the_drift_world_changes_in_the_middle_of_its_horizon():
    """Catches the change left at the scenario's hour 504 (the two worlds equal throughout) or
    put at the start (different from the first batch)."""
    drift, base = _expected_by_batch("drift", 2000), _expected_by_batch("baseline", 2000)
    same = [np.array_equal(d, b) for d, b in zip(drift, base, strict=True)]
    assert all(same[:10])  # the first half: 10 batches of 100
    assert not any(same[11:])
