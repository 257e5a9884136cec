"""Thompson sampling's perturbed pool (``JointRidgeConfig.pool = "perturbed"``): each draw is
the ridge's mean plus a deviation ``A^-1 c_j`` that every learn moves by one rank-one update,
so the deviations stay distributed ``N(0, A^-1)`` (with forgetting too) without a Cholesky
factorisation; a restart continues the same pool; bad settings are refused naming the field."""

from __future__ import annotations

import numpy as np
import pytest

import policies.joint_ridge_learner as jrl
from policies.errors import PolicyConfigError
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from tests.engine.engine_world import make_engine, play

#: six actions of three messages x two channels, each with its own id (a constant of its own)
ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}, "i": {f"{m}-{c}": 1.0}}
           for m in "abc" for c in ("email", "sms")]


def _learner(seed: int = 0, **config) -> JointRidgeLearner:
    """A perturbed pool never drawn afresh (unless ``redraw`` is given): what a test checks
    is then the rank-one updates' doing, not a fresh draw's."""
    fields = {"dim": 8, "thompson": 0.5, "l2": 3.0, "pool": "perturbed", "redraw": 1_000_000,
              **config}
    learner = JointRidgeLearner(JointRidgeConfig(**fields), seed=seed)
    learner.set_actions(ACTIONS)
    return learner


def _rows(n: int, seed: int = 0):
    """``n`` (shared, chosen, reward): contexts with numbers and a category, rewards 0/1 at a
    rate that grows with the action."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        shared = {"c": {"x": float(rng.normal()), "y": float(rng.normal()),
                        "s": f"s{rng.integers(3)}"}}
        a = int(rng.integers(len(ACTIONS)))
        yield shared, a, float(rng.random() < 0.2 + 0.1 * a)


def _feed(learner: JointRidgeLearner, n: int, seed: int = 0) -> None:
    for shared, a, r in _rows(n, seed):
        learner.learn(shared, None, a, 1.0 / len(ACTIONS), r)


@pytest.mark.parametrize("forget", [1.0, 0.99, "for 400 updates"])
def test_the_deviations_are_distributed_as_the_posterior(forget):
    """Over 2,048 draws the deviations' covariance matches ``A^-1`` in 300 random directions:
    ``v' S v / v' A^-1 v`` averages 1 within 0.02. Fails without the rows' own noise (the
    deviations shrink to ``A^-1 c_0``), and, forgetting at 0.99 (the setting, or a temporary
    factor for 400 updates, as drift recovery sets it), without the ``1 / sqrt(f)`` that
    forgetting owes them."""
    learner = _learner(draws=2048, forget=0.99 if forget == 0.99 else 1.0)
    if forget == "for 400 updates":
        learner.forget_for(0.99, 400)
    _feed(learner, 500)
    dev, ainv = learner._pool, learner._ainv
    sample = dev.T @ dev / dev.shape[0]
    v = np.random.default_rng(1).normal(size=(300, ainv.shape[0]))
    ratio = (np.einsum("vd,de,ve->v", v, sample, v) / np.einsum("vd,de,ve->v", v, ainv, v))
    assert ratio.mean() == pytest.approx(1.0, abs=0.02)


def test_a_factorisation_every_redraw_rewards_only(monkeypatch):
    """The point of the perturbed pool: a learn costs a rank-one update; a Cholesky
    factorisation is paid only every ``redraw`` rewards (the redrawn pool also pays one at 1,
    2, 4 ... rewards: 7 in the first 100)."""
    perturbed, redrawn = _learner(redraw=100), _learner(pool="redrawn", redraw=100)
    calls: list[int] = []
    root = jrl._root

    def counted(cov: np.ndarray) -> np.ndarray:
        calls.append(1)
        return root(cov)

    monkeypatch.setattr(jrl, "_root", counted)
    _feed(perturbed, 299)
    assert len(calls) == 2  # at 100 and 200
    assert perturbed.probabilities({"c": {"x": 0.1}}).sum() == pytest.approx(1.0)
    calls.clear()
    _feed(redrawn, 100)
    assert len(calls) == 8  # at 1, 2, 4, 8, 16, 32, 64 and 100


def test_the_pool_follows_every_reward():
    """Under the redrawn pool a draw stays put between redraws; the perturbed pool's draws move
    with each learn, so the mean's move reaches the distribution at once."""
    learner = _learner()
    _feed(learner, 200)
    before = learner._pool_estimates(learner.features({"c": {"x": 0.5}}), np.arange(6)).copy()
    _feed(learner, 1, seed=9)
    after = learner._pool_estimates(learner.features({"c": {"x": 0.5}}), np.arange(6))
    assert not np.allclose(before, after)


@pytest.mark.parametrize("forget", [1.0, 0.99])
def test_the_draws_estimates_are_their_weights_times_the_features(forget):
    """Each draw's estimate of each action is ``(theta + thompson * sd * dev_j) . phi_a``,
    checked against the features built one action at a time, after learns between which the
    actions' constants per draw were in use (they are kept up to date, not recomputed).
    Fails if a learn, or forgetting, leaves the constants behind."""
    learner = _learner(forget=forget)
    for i, (shared, a, r) in enumerate(_rows(200)):
        learner.learn(shared, None, a, 1.0 / 6, r)
        if i % 7 == 0:
            learner.probabilities(shared)
    x = learner.features({"c": {"x": 0.4, "s": "s1"}})
    got = learner._pool_estimates(x, np.arange(6))
    scale = learner.config.thompson * learner._posterior_spread()
    draws = learner._theta[None, :] + scale * learner._pool
    for a in range(6):
        nz, val = learner._phi(x, a)
        np.testing.assert_allclose(got[:, a], draws[:, nz] @ val, atol=1e-10)


def test_a_restart_continues_the_same_pool(tmp_path):
    """A model saved mid-stream and loaded gives, after the same further rewards, the same
    probabilities as one never stopped: the deviations and the rows' noise generator are
    saved with it. Fails if the generator restarts from its seed."""
    config = {"thompson_mix": 0.05, "gamma_scale": 30.0}
    whole, first = _learner(seed=4, **config), _learner(seed=4, **config)
    rows = list(_rows(400))
    for learner in (whole, first):
        for shared, a, r in rows[:250]:
            learner.learn(shared, None, a, 1.0 / 6, r)
    first.save(tmp_path / "m.npz")
    resumed = JointRidgeLearner(first.config, seed=4, model_path=tmp_path / "m.npz")
    resumed.set_actions(ACTIONS)
    for learner in (whole, resumed):
        for shared, a, r in rows[250:]:
            learner.learn(shared, None, a, 1.0 / 6, r)
    for shared, _, _ in rows[:20]:
        np.testing.assert_array_equal(resumed.probabilities(shared), whole.probabilities(shared))


def test_the_rewards_unit_does_not_matter():
    """Rescaling the rewards (the engine's reward scale) scales the mean and the spread alike:
    the deviations are unitless and must not be scaled with them (the redrawn pool's draws
    are). Fails if they are: the draws' spread would grow by the factor twice."""
    learner, scaled = _learner(), _learner()
    _feed(learner, 300)
    for shared, a, r in _rows(300):
        scaled.learn(shared, None, a, 1.0 / 6, 40.0 * r)
    scaled.rescale_rewards(1.0 / 40.0)
    for shared, _, _ in list(_rows(20, seed=3)):
        np.testing.assert_allclose(scaled.probabilities(shared), learner.probabilities(shared),
                                   atol=1e-9)


def test_a_share_of_the_pool_is_drawn_afresh_in_turn():
    """``redraw_share = 0.5`` every 5 rewards: at the 5th reward the second half of the
    deviations is drawn afresh, the first half being what a pool never drawn afresh holds (the
    same rows' noise moved both); at the 10th the first half, the second following the reward
    only; the pool's covariance still matches ``A^-1``. Fails if the whole pool is drawn
    afresh, or the same block each time."""
    part, never = _learner(draws=8, redraw=5, redraw_share=0.5), _learner(draws=8)
    rows = list(_rows(10))

    def learn(shared_a_r) -> None:
        shared, a, r = shared_a_r
        for learner in (part, never):
            learner.learn(shared, None, a, 1.0 / 6, r)

    for row in rows[:5]:
        learn(row)
    np.testing.assert_allclose(part._pool[:4], never._pool[:4], atol=1e-12)
    assert not np.allclose(part._pool[4:], never._pool[4:])
    for row in rows[5:9]:
        learn(row)
    never._set_pool(part._pool.copy(order="F"))  # the same pool before the 10th reward
    learn(rows[9])
    np.testing.assert_allclose(part._pool[4:], never._pool[4:], atol=1e-12)
    assert not np.allclose(part._pool[:4], never._pool[:4])
    wide = _learner(draws=2048, redraw=50, redraw_share=0.25)
    _feed(wide, 500)
    dev, ainv = wide._pool, wide._ainv
    v = np.random.default_rng(1).normal(size=(300, ainv.shape[0]))
    ratio = (np.einsum("vd,de,ve->v", v, dev.T @ dev / dev.shape[0], v)
             / np.einsum("vd,de,ve->v", v, ainv, v))
    assert ratio.mean() == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize(("fields", "match"), [
    ({"pool": "fresh"}, r"^pool: expected one of redrawn, perturbed, got 'fresh'"),
    ({"pool": "perturbed", "redraw_share": 0.0}, r"^redraw_share: expected a number in \(0"),
    ({"pool": "perturbed", "redraw_share": 1.5}, r"^redraw_share: expected a number in \(0"),
    ({"redraw_share": 0.5}, r"^redraw_share: expected 1 without the perturbed pool"),
    ({"pool": "perturbed", "thompson": 0.0}, r'^pool: expected "redrawn" without thompson'),
    ({"pool": "perturbed", "thompson_l2": 10.0}, r'^pool: expected "redrawn" with thompson_l2'),
])
def test_bad_settings_are_refused_naming_the_field(fields, match):
    with pytest.raises(PolicyConfigError, match=match):
        JointRidgeConfig(**{"thompson": 0.5, **fields})


def test_redrawn_by_default_and_the_fingerprint_is_unchanged():
    assert JointRidgeConfig().pool == "redrawn"
    assert '"pool"' not in JointRidgeConfig(thompson=0.5).fingerprint()
    assert '"redraw_share"' not in JointRidgeConfig(thompson=0.5, pool="perturbed").fingerprint()
    assert '"pool": "perturbed"' in JointRidgeConfig(thompson=0.5, pool="perturbed").fingerprint()


def test_a_tiny_world_is_served_whole_through_the_engine(tmp_path):
    """The engine's tiny world (two segments, one paying pair each) under the shared default
    (the perturbed pool drawn afresh every 300 rewards): both segments served over the last
    500 of 1,500 decisions, on seed 4, where the perturbed pool never drawn afresh served
    one (0.50, also after 3,500 decisions: `benchmarks/tiny_world_lock_in.py`)."""
    joint = {"name": "joint", "exploration": "joint", "l2": 100.0, "gamma_scale": 30.0,
             "thompson": 0.5, "thompson_mix": 0.05, "pool": "perturbed", "redraw": 300}
    with make_engine(tmp_path, seed=4, candidates=[joint, "ridge", "squarecb"]) as eng:
        got = play(eng, 1500)
    assert got[-500:].mean() > 0.9
