"""The learning suite's worlds keep their contract: seeded, honest expected rewards, every
reward delivered once, the Engine's catalog aligned with the world's actions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import f_oneway

from experiments.errors import SpecError
from experiments.worlds import HIDING, SCENARIOS, WORLDS, make_world

TABULAR = [w for w in WORLDS if w not in SCENARIOS and w not in HIDING]


def _run(world, seed: int = 0, n_batches: int | None = None):
    """Play uniformly random eligible actions; return expected and realised of the played."""
    rng = np.random.default_rng(seed)
    exp, real = {}, {}
    k = 0
    while not world.done and (n_batches is None or k < n_batches):
        b = world.observe()
        pick = np.array([rng.choice(np.flatnonzero(row)) for row in b.eligible])
        exp.update(zip(b.refs.tolist(), b.expected[np.arange(pick.size), pick].tolist(),
                       strict=True))
        m = world.play(pick)
        real.update(zip(m.refs.tolist(), m.rewards.tolist(), strict=True))
        k += 1
    m = world.flush()
    real.update(zip(m.refs.tolist(), m.rewards.tolist(), strict=True))
    return exp, real


@pytest.mark.parametrize("name", TABULAR)
def test_a_seed_fixes_the_world_and_another_seed_changes_it(name):
    a, b, c = (make_world(name, seed=s, horizon=100) for s in (0, 0, 1))
    ba, bb, bc = a.observe(), b.observe(), c.observe()
    assert np.array_equal(ba.contexts, bb.contexts) and np.array_equal(ba.expected, bb.expected)
    assert not (np.array_equal(ba.contexts, bc.contexts)
                and np.array_equal(ba.expected, bc.expected))


@pytest.mark.parametrize("name", TABULAR)
def test_realised_rewards_average_to_the_expected_rewards(name):
    horizon = {"digits": 1500, "breast_cancer": 1500}.get(name, 4000)
    w = make_world(name, seed=3, horizon=horizon if name not in ("wine", "iris") else None)
    exp, real = _run(w, seed=3)
    assert sorted(exp) == sorted(real) == list(range(w.horizon))  # each reward once
    diff = np.array([real[i] - exp[i] for i in range(w.horizon)])
    se = diff.std(ddof=1) / np.sqrt(diff.size) + 1e-12
    assert abs(diff.mean()) < 4.5 * se, (diff.mean(), se)


@pytest.mark.parametrize("name", TABULAR)
def test_the_engines_catalog_is_the_worlds_action_list(name):
    w = make_world(name, seed=0, horizon=100)
    setup = w.engine_setup()
    assert setup.catalog.n_actions == w.problem.n_actions
    b = w.observe()
    ctxs = w.engine_contexts(b)
    assert len(ctxs) == b.refs.size and all(isinstance(c, dict) for c in ctxs)
    # structured catalogs: names line up
    if name in ("marketing54", "example_catalog", "random_catalog"):
        assert tuple(a.name for a in setup.catalog.actions) == w.problem.action_names


def test_late_rewards_come_back_late_and_all_by_the_flush():
    w = make_world("sparse_delayed", seed=0, horizon=2000)
    b = w.observe()
    first = w.play(np.zeros(b.refs.size, dtype=np.int64))
    assert first.refs.size < b.refs.size  # most are still pending after their batch
    _, real = _run(w)
    assert len(real) + first.refs.size == 2000


def test_a_classification_shows_every_example_three_times():
    w = make_world("iris", seed=0)
    seen = []
    while not w.done:
        b = w.observe()
        seen.append(b.contexts)
        w.play(np.argmax(b.expected, axis=1))
    rows = np.vstack(seen)
    _, counts = np.unique(rows, axis=0, return_counts=True)
    assert rows.shape[0] == 450 and counts.sum() == 450 and counts.max() >= 3


def test_an_ineligible_pick_is_refused_naming_the_decision():
    w = make_world("example_catalog", seed=0, horizon=100)
    b = w.observe()
    row = int(np.flatnonzero(~b.eligible.all(axis=1))[0])
    pick = np.full(b.refs.size, w.problem.no_contact_action)
    pick[row] = int(np.flatnonzero(~b.eligible[row])[0])
    with pytest.raises(SpecError, match=f"not eligible for decision {row}"):
        w.play(pick)


def test_an_unknown_world_is_refused_with_the_list():
    with pytest.raises(SpecError, match="world: expected one of digits, wine"):
        make_world("mnist", seed=0)


def test_the_random_catalog_draws_a_different_kind_of_world_per_seed():
    shapes = [make_world("random_catalog", seed=s, horizon=100).describe() for s in range(20)]
    for trait in ("revenue", "key_matters"):
        assert {d[trait] for d in shapes} == {True, False}, trait
    assert {d["mean_delay"] > 0 for d in shapes} == {True, False}
    assert len({d["actions"] for d in shapes}) >= 5
    assert min(d["numbers"] for d in shapes) < 5 < 15 < max(d["numbers"] for d in shapes)


def test_the_random_catalogs_segment_moves_the_rewards_only_where_it_matters():
    """Where the key matters its levels' mean expected rewards differ by far more than their
    sampling noise; where it does not, by about that noise."""
    for seed in range(12):
        w = make_world("random_catalog", seed=seed, horizon=4000)
        exp, levels = [], []
        while not w.done:
            b = w.observe()
            exp.append(b.expected)
            levels.extend(c["segment"] for c in w.engine_contexts(b))
            w.play(np.zeros(b.refs.size, dtype=np.int64))
        rows, lv = np.vstack(exp), np.array(levels)
        groups = [rows[lv == v] for v in np.unique(lv)]
        t = f_oneway(*groups).statistic  # one F per action: about 1 where the levels agree
        if w.describe()["key_matters"]:
            assert t.max() > 20.0, (seed, t.max())
        else:
            assert t.max() < 5.0, (seed, t.max())

