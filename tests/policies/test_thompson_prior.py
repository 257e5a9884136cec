"""The draws' own prior penalty (``JointRidgeConfig.thompson_l2``): the pool is drawn from
``N(theta, (thompson * sd)^2 (X'X + thompson_l2 I)^-1)``, the mean keeping ``l2``. The kept
``X'X`` is the rows' Gram matrix (forgetting's weights in); a direction with no rows is drawn
with the prior's width, one with many rows as before; it survives a save and load; a live
tiny world where Thompson sampling 0.5 alone leaves a segment unserved is served whole."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from tests.engine.engine_world import make_engine, play

ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}} for m in "abc" for c in ("email", "sms")]


def _learner(seed: int = 0, **config) -> JointRidgeLearner:
    learner = JointRidgeLearner(
        JointRidgeConfig(**{"dim": 8, "thompson": 0.5, "l2": 100.0, "thompson_l2": 1.0,
                            **config}), seed=seed)
    learner.set_actions(ACTIONS)
    return learner


def _feed(learner: JointRidgeLearner, n: int, seed: int = 0, segments: str = "ab") -> None:
    rng = np.random.default_rng(seed)
    for i in range(n):
        seg = segments[i % len(segments)]
        shared = {"c": {"x": float(rng.normal()), "seg": seg}}
        a = int(rng.integers(len(ACTIONS)))
        learner.learn(shared, None, a, 1.0 / len(ACTIONS), float(rng.random() < 0.3))


@pytest.mark.parametrize("forget, redraw", [(1.0, 100), (0.99, 100), (0.3, 1000)])
def test_the_kept_gram_matrix_is_the_rows_learned(forget, redraw):
    """``A = X'X + P`` (``P``: the penalty A holds now, its share after forgetting), so the kept
    ``X'X`` must equal ``A`` less ``P``. Catches a row left out, counted twice, or a forgetting
    that does not reach the Gram matrix; (0.3, 1000) holds more rows than are held at once and
    forgets past the scale's fold (0.3 ** 300 is below 1e-100)."""
    learner = _learner(forget=forget, redraw=redraw)
    _feed(learner, 300)
    held = learner._pending[0] * learner._weight_penalties()
    want = np.linalg.inv(learner._ainv) - np.diag(held)
    got = learner._gram_matrix()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * np.abs(want).max())


def test_the_rows_held_between_pools_are_bounded():
    """Rows wait for the next pool to join the Gram matrix; with pools far apart (``redraw``
    up to 1,000,000) they must not pile up (800 rows: the last pool at 512, 288 after it)."""
    learner = _learner(redraw=1_000_000)
    _feed(learner, 800)
    assert 0 < len(learner._rows) <= 256


def test_a_direction_without_rows_is_drawn_with_the_priors_width():
    """Segment c is never seen: its weights keep the prior. Their spread in the pool must be
    ``thompson * sd / sqrt(thompson_l2)``, not ``/ sqrt(l2)`` (ten times narrower: the defect
    the option mends)."""
    wide, narrow = _learner(draws=4096), _learner(draws=4096, thompson_l2=0.0)
    for learner in (wide, narrow):
        _feed(learner, 200, segments="ab")
    unseen = learner.features({"c": {"seg": "c"}})
    slot = int(np.flatnonzero(unseen)[0])
    q = wide._zc.shape[1]
    block = slice(slot * q, (slot + 1) * q)  # segment c crossed with every action column
    sd = wide.config.thompson * wide._posterior_spread()

    np.testing.assert_allclose(wide._pool[:, block].std(axis=0), sd / 1.0, rtol=0.08)
    np.testing.assert_allclose(narrow._pool[:, block].std(axis=0), sd / 10.0, rtol=0.08)


def test_on_crosses_only_the_crosses_get_the_priors_width():
    """``thompson_l2_on = "crosses"``: before any row, the crosses of the context with the
    attributes (group 2) are drawn with ``1 / sqrt(thompson_l2)``, every other weight with the
    mean's ``1 / sqrt(l2)``; ``"all"`` draws every weight with the prior's."""
    crosses, every = _learner(draws=4096, thompson_l2_on="crosses"), _learner(draws=4096)
    groups = crosses.weight_groups()
    sd = crosses.config.thompson * crosses._posterior_spread()
    spread_c, spread_e = crosses._pool.std(axis=0), every._pool.std(axis=0)
    np.testing.assert_allclose(spread_c[groups == 2], sd, rtol=0.1)
    np.testing.assert_allclose(spread_c[groups != 2], sd / 10.0, rtol=0.1)
    np.testing.assert_allclose(spread_e, sd, rtol=0.1)


def test_a_direction_with_many_rows_is_drawn_as_before():
    """Where the rows dominate both penalties (an action's estimate in a context seen 8,000
    times), the two pools spread it alike; a single weight would not do (the columns are
    collinear: its own spread is the prior's)."""
    wide, narrow = _learner(draws=4096), _learner(draws=4096, thompson_l2=0.0)
    for learner in (wide, narrow):
        _feed(learner, 8000, segments="a")
    x = wide.features({"c": {"x": 0.0, "seg": "a"}})
    idx = np.arange(len(ACTIONS))
    ratio = wide._pool_estimates(x, idx).std(axis=0) / narrow._pool_estimates(x, idx).std(axis=0)
    assert ((ratio > 0.95) & (ratio < 1.1)).all(), ratio


def test_a_saved_model_draws_the_same_pools_as_one_never_stopped(tmp_path):
    """Catches a Gram matrix missing from the checkpoint (the next pool would be drawn from the
    prior alone)."""
    learner = _learner(seed=3)
    _feed(learner, 150)
    learner.save(tmp_path / "m.npz")
    again = JointRidgeLearner(learner.config, seed=3, model_path=tmp_path / "m.npz")
    again.set_actions(ACTIONS)
    for one in (learner, again):
        _feed(one, 60, seed=1)  # a pool redrawn at 200
    np.testing.assert_array_equal(again._pool, learner._pool)


@pytest.mark.parametrize("fields, name", [
    ({"thompson": 0.5, "thompson_l2": -1.0}, "thompson_l2"),
    ({"thompson": 0.5, "thompson_l2": float("nan")}, "thompson_l2"),
    ({"thompson_l2": 1.0}, "thompson_l2"),  # without Thompson sampling it would do nothing
    ({"thompson": 0.5, "thompson_l2": 1.0, "thompson_l2_on": "cross"}, "thompson_l2_on"),
])
def test_bad_settings_are_refused_naming_the_field(fields, name):
    with pytest.raises(PolicyConfigError, match=f"^{name}: expected"):
        JointRidgeConfig(**fields)


def test_off_by_default_and_the_fingerprint_is_unchanged():
    assert JointRidgeConfig().thompson_l2 == 0.0
    assert "thompson_l2" not in JointRidgeConfig(thompson=0.5).fingerprint()
    assert '"thompson_l2": 1.0' in JointRidgeConfig(thompson=0.5, thompson_l2=1.0).fingerprint()
    assert "thompson_l2_on" not in JointRidgeConfig(thompson=0.5, thompson_l2=1.0).fingerprint()


@pytest.mark.parametrize("on", ["all", "crosses"])
@pytest.mark.parametrize("seed", [2, 4])
def test_a_tiny_world_is_served_whole(tmp_path, seed, on):
    """The engine's tiny world (two segments, one paying pair each), seeds on which Thompson
    sampling 0.5 at the penalty 100 alone served one segment only (0.49 and 0.50 over the last
    500 decisions: `benchmarks/tiny_world_lock_in.py`). With the draws' prior at 1, on every
    weight or on the crosses only, both segments are served."""
    joint = {"name": "joint", "exploration": "joint", "l2": 100.0, "gamma_scale": 30.0,
             "thompson": 0.5, "thompson_l2": 1.0, "thompson_l2_on": on}
    with make_engine(tmp_path, seed=seed, candidates=[joint, "ridge", "squarecb"]) as eng:
        got = play(eng, 1500)
    assert got[-500:].mean() > 0.9
