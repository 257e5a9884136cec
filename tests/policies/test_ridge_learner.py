"""The closed-form ridge learner (policies/ridge_learner.py): its estimates are the batch ridge
solution, its probabilities are SquareCB's inverse gap weighting (honest, never 0), and a saved
model resumes exactly."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError, PolicyInputError
from policies.ridge_learner import RidgeConfig, RidgeLearner

ACTIONS = [{"m": {"msg": f"m{a}"}} for a in range(4)]


def _shared(rng: np.random.Generator) -> dict:
    return {"c": {"x": float(rng.normal()), "y": float(rng.normal()),
                  "seg": str(rng.choice(["a", "b", "c"]))}}


def _truth(shared: dict, a: int) -> float:
    c = shared["c"]
    return 0.3 * a * c["x"] - 0.2 * c["y"] + (0.5 if c["seg"] == "abc"[a % 3] else 0.0)


def _feed(learner: RidgeLearner, rng: np.random.Generator, n: int) -> None:
    for _ in range(n):
        s = _shared(rng)
        a = int(rng.integers(4))
        learner.learn(s, None, a, 0.25, _truth(s, a) + 0.1 * rng.normal())


def test_the_estimates_are_the_batch_ridge_solution():
    """Catches a wrong Sherman-Morrison update (sign, missing 1 + x'A^-1x) or b/theta drift."""
    rng = np.random.default_rng(0)
    r = RidgeLearner(RidgeConfig(dim=32, l2=2.0))
    r.set_actions(ACTIONS)
    rows = []
    for _ in range(300):
        s = _shared(rng)
        a = int(rng.integers(4))
        y = _truth(s, a) + 0.1 * rng.normal()
        r.learn(s, [0, 1, 2, 3], a, 0.25, y)
        rows.append((r.features(s), a, y))
    probe = _shared(rng)
    for a in range(4):
        X = np.array([x for x, b, _ in rows if b == a])
        y = np.array([v for _, b, v in rows if b == a])
        theta = np.linalg.solve(2.0 * np.eye(33) + X.T @ X, X.T @ y)
        assert r.estimates(probe, [a])[0] == pytest.approx(theta @ r.features(probe), abs=1e-9)


def test_probabilities_are_inverse_gap_weighting_summing_to_one_never_zero():
    """Catches a distribution that does not sum to 1, gives a feasible action 0, is misaligned
    with ``eligible``, or ignores gamma's growth."""
    rng = np.random.default_rng(1)
    r = RidgeLearner(RidgeConfig(dim=16))
    r.set_actions(ACTIONS)
    s = _shared(rng)
    assert r.probabilities(s).tolist() == [0.25] * 4  # a fresh model: uniform
    _feed(r, rng, 2000)
    eligible = np.array([3, 0, 2])
    p = r.probabilities(s, eligible)
    est = r.estimates(s, eligible)
    best = int(np.argmax(est))
    gamma = 10.0 * 2000 ** 0.5
    for j in range(3):
        if j != best:
            assert p[j] == pytest.approx(1.0 / (3 + gamma * (est[best] - est[j])))
    assert p.sum() == pytest.approx(1.0, abs=1e-12) and (p > 0).all()
    assert p[best] == p.max() and p[best] > 0.9  # it learned: the best action dominates
    assert r.probabilities(s, eligible).tolist() == p.tolist()  # deterministic given the model


def test_a_saved_model_resumes_exactly_as_if_uninterrupted(tmp_path):
    """Catches state left out of the file (b, theta, the reward count behind gamma)."""
    cfg = RidgeConfig(dim=32)
    whole, part = RidgeLearner(cfg), RidgeLearner(cfg)
    for r in (whole, part):
        r.set_actions(ACTIONS)
    _feed(whole, np.random.default_rng(2), 500)
    _feed(part, np.random.default_rng(2), 500)
    part.save(tmp_path / "m.vw")
    resumed = RidgeLearner(cfg, model_path=tmp_path / "m.vw")
    resumed.set_actions(ACTIONS)
    _feed(whole, np.random.default_rng(3), 300)
    _feed(resumed, np.random.default_rng(3), 300)
    s = _shared(np.random.default_rng(4))
    assert resumed.probabilities(s).tolist() == whole.probabilities(s).tolist()
    assert resumed.rewards_learned == whole.rewards_learned == 800
    assert resumed.explain(s, 2) == whole.explain(s, 2)


def test_bad_settings_and_inputs_are_refused_naming_the_field(tmp_path):
    for field, kwargs in (("dim", {"dim": 100}), ("dim", {"dim": 4}), ("l2", {"l2": 0.0}),
                          ("gamma_scale", {"gamma_scale": float("nan")}),
                          ("gamma_exponent", {"gamma_exponent": 2.0})):
        with pytest.raises(PolicyConfigError, match=f"^{field}:"):
            RidgeConfig(**kwargs)
    r = RidgeLearner(RidgeConfig(dim=16))
    r.set_actions(ACTIONS)
    with pytest.raises(PolicyInputError, match="chosen"):
        r.learn({"c": {"x": 1.0}}, [0, 1], 2, 0.5, 1.0)
    with pytest.raises(PolicyInputError, match="reward"):
        r.learn({"c": {"x": 1.0}}, [0, 1], 1, 0.5, float("inf"))
    with pytest.raises(PolicyInputError, match="eligible"):
        r.probabilities({"c": {"x": 1.0}}, [5])
    r.save(tmp_path / "m.vw")
    with pytest.raises(PolicyConfigError, match="model_path"):
        RidgeLearner(RidgeConfig(dim=32), model_path=tmp_path / "m.vw")  # another config
    with pytest.raises(PolicyInputError, match="actions"):
        RidgeLearner(RidgeConfig(dim=16), model_path=tmp_path / "m.vw").set_actions(ACTIONS[:2])


def _weighted_ridge(rows: list, a: int, forget: float, l2: float, width: int,
                    penalty_left: bool = False) -> np.ndarray:
    """The batch solve: action ``a``'s rewards weighted ``forget ** age`` (age: its later
    updates), the penalty ``l2`` whole, or with ``penalty_left`` the share of it a forgetting
    learner has left: ``forget ** k``, ``k`` its updates since the penalty was last put back
    (every ``period`` updates, the first at which ``forget ** period <= 1/2``)."""
    mine = [(x, y) for x, b, y in rows if b == a]
    n = len(mine)
    w = forget ** np.arange(n - 1, -1, -1, dtype=float)
    X = np.array([x for x, _ in mine])
    y = np.array([v for _, v in mine])
    left = 1.0
    if penalty_left:
        period = int(np.ceil(np.log(0.5) / np.log(forget) - 1e-9))
        left = forget ** (n % period)
        assert 0.5 < left <= 1.0
    return np.linalg.solve(l2 * left * np.eye(width) + (X * w[:, None]).T @ X,
                           (X * w[:, None]).T @ y)


@pytest.mark.parametrize("forget, l2, dim, n", [(0.97, 2.0, 32, 400), (0.995, 1.5, 16, 1000)])
def test_forgetting_weighs_each_reward_forget_to_its_age_and_a_save_keeps_the_penalty_left(
        tmp_path, forget, l2, dim, n):
    """Each reward weighs ``forget ** age`` exactly, and the penalty left is ``l2`` times the
    product of the factors since it was last put back (once it fell to half: every 23 updates
    at 0.97, 139 at 0.995). Catches the discount left out, applied twice, applied to ``b`` and
    not ``A`` (or the reverse), the penalty never put back (it would sink under ``l2 / 2``) or
    put back at every update (the whole ``l2``), the inverse not kept exact, or what is left
    forgotten by a save half-way."""
    rng = np.random.default_rng(5)
    cfg = RidgeConfig(dim=dim, l2=l2, forget=forget)
    r, twin = RidgeLearner(cfg), RidgeLearner(cfg)
    r.set_actions(ACTIONS)
    twin.set_actions(ACTIONS)
    rows = []
    for i in range(n):
        s = _shared(rng)
        a = int(rng.integers(4))
        y = _truth(s, a) + 0.1 * rng.normal()
        r.learn(s, None, a, 0.25, y)
        twin.learn(s, None, a, 0.25, y)
        rows.append((r.features(s), a, y))
        if i == n // 2 + 1:
            twin.save(tmp_path / "m.npz")
            twin = RidgeLearner(cfg, model_path=tmp_path / "m.npz")
    whole = []  # per action: is its penalty whole now (put back on its last update)?
    for a in range(4):
        theta = _weighted_ridge(rows, a, forget, l2, dim + 1, penalty_left=True)
        np.testing.assert_allclose(r.weights()[a], theta, atol=1e-9)
        np.testing.assert_allclose(twin.weights()[a], theta, atol=1e-9)
        assert not np.allclose(theta, _weighted_ridge(rows, a, 1.0, l2, dim + 1), atol=1e-3)
        whole.append(np.allclose(theta, _weighted_ridge(rows, a, forget, l2, dim + 1),
                                 atol=1e-7))
    assert not all(whole)


def test_a_temporary_forget_factor_lasts_its_updates_and_survives_a_save(tmp_path):
    """Catches a temporary factor never restored, restored early, or lost on a restart."""
    rng = np.random.default_rng(6)
    r = RidgeLearner(RidgeConfig(dim=16))
    r.set_actions(ACTIONS)
    _feed(r, rng, 50)
    r.forget_for(0.9, 30)
    assert r.forget == 0.9 and r.forget_updates_left == 30
    _feed(r, rng, 10)
    r.save(tmp_path / "m.vw")
    resumed = RidgeLearner(RidgeConfig(dim=16), model_path=tmp_path / "m.vw")
    assert resumed.forget == 0.9 and resumed.forget_updates_left == 20
    _feed(resumed, rng, 20)
    assert resumed.forget == 1.0 and resumed.forget_updates_left == 0
    for bad in (0.0, 1.5, float("nan"), True):
        with pytest.raises(PolicyConfigError, match=r"^forget:"):
            RidgeConfig(forget=bad)
    with pytest.raises(PolicyConfigError, match=r"^updates:"):
        r.forget_for(0.9, -1)


def test_forget_one_keeps_the_fingerprint_of_models_saved_before_it_existed():
    """Catches a fingerprint change that would refuse every ridge checkpoint written before."""
    assert "forget" not in RidgeConfig().fingerprint()
    assert '"forget": 0.999' in RidgeConfig(forget=0.999).fingerprint()
