"""The joint ridge's held updates (policies/joint_ridge_learner.py, ``_HELD_UPDATES``): the
inverse is ``B - W W'``, folded once per 32 rewards; with updates held it is still the ridge
solve, the Thompson pool follows it, a save resumes it to the last bit, reading it folds
nothing, and a file's held updates are checked."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError
from policies.joint_ridge_learner import _HELD_UPDATES, JointRidgeConfig, JointRidgeLearner

ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}, "a": {"id": f"{m}/{c}"}}
           for m in ("m0", "m1", "m2") for c in ("email", "sms")]
#: the engine's shared-attribute default's settings (engine/candidates.py), at a small dim
PERTURBED = JointRidgeConfig(dim=8, l2=100.0, gamma_scale=30.0, thompson=0.5, thompson_mix=0.05,
                             pool="perturbed", redraw=300, history="left_out")


def _rows(n: int, seed: int = 0) -> list[tuple[dict, int, float]]:
    rng = np.random.default_rng(seed)
    return [({"c": {"x": float(rng.normal()), "seg": str(rng.choice(["a", "b"]))}},
             int(rng.integers(len(ACTIONS))), float(rng.random() < 0.3)) for _ in range(n)]


def _learned(config: JointRidgeConfig, rows: list) -> JointRidgeLearner:
    j = JointRidgeLearner(config, seed=3)
    j.set_actions(ACTIONS)
    for shared, a, r in rows:
        j.learn(shared, None, a, 0.5, r)
    return j


def _same_then_closed(one: JointRidgeLearner, other: JointRidgeLearner,
                      fields: tuple[str, ...]) -> None:
    """Both learners hold the same ``fields``, bit for bit; then both are closed."""
    for field in fields:
        np.testing.assert_array_equal(getattr(one, field), getattr(other, field),
                                      err_msg=field)
    one.close()
    other.close()


def test_with_updates_held_the_inverse_is_the_ridge_solve():
    """Catches a held update lost or counted twice (the inverse or the weights off the exact
    solve of ``l2 I + sum phi phi'`` against ``sum r phi``) while some are held."""
    rows = _rows(45)
    with _learned(PERTURBED, rows) as j:
        assert j._held_n == 45 - _HELD_UPDATES  # 13 held: the check below reads them
        a_mat, b = 100.0 * np.eye(j.joint_dim), np.zeros(j.joint_dim)
        for shared, a, r in rows:
            nz, val = j._phi(j.features(shared), a)
            phi = np.zeros(j.joint_dim)
            phi[nz] = val
            a_mat += np.outer(phi, phi)
            b += r * phi
        np.testing.assert_allclose(j._ainv, np.linalg.inv(a_mat), rtol=0, atol=1e-13)
        np.testing.assert_allclose(j._theta, np.linalg.solve(a_mat, b), rtol=0, atol=1e-12)


def test_the_matrix_is_passed_over_once_per_held_block():
    """Catches a learn that updates the whole ``D x D`` matrix at every reward (the cost the
    held updates remove): the folded matrix stays bit for bit the same for 31 rewards after a
    fold and changes at the 32nd."""
    rows = _rows(3 * _HELD_UPDATES)
    with _learned(PERTURBED, rows[:_HELD_UPDATES]) as j:
        assert j._held_n == 0
        folded = j._base.copy()
        for shared, a, r in rows[_HELD_UPDATES:2 * _HELD_UPDATES - 1]:
            j.learn(shared, None, a, 0.5, r)
            np.testing.assert_array_equal(j._base, folded)
        shared, a, r = rows[2 * _HELD_UPDATES - 1]
        j.learn(shared, None, a, 0.5, r)
        assert j._held_n == 0 and np.abs(j._base - folded).max() > 1e-6


def test_the_perturbed_pool_follows_the_held_inverse():
    """Catches a pool that drifts from its definition once updates are held: each deviation is
    ``dev_j = A^-1 c_j``, its right-hand side ``c_j`` starting at ``A dev_j`` of the first
    draw (``l2 dev_j``) and taking ``phi_i e_ij`` at each row, ``e_i`` the learner's own
    noise draws in turn (Sherman-Morrison on both)."""
    rows = _rows(45)
    with _learned(PERTURBED, []) as fresh:
        rhs = 100.0 * fresh._pool.T  # (D, draws): c_j, one per column, before any row
    noise = np.random.default_rng([3, 0, 1])  # the learner's (seed 3): one draw per row
    with _learned(PERTURBED, rows) as j:
        assert j._held_n > 0
        for shared, a, _ in rows:
            nz, val = j._phi(j.features(shared), a)
            rhs[nz] += np.outer(val, noise.standard_normal(rhs.shape[1]))
        np.testing.assert_allclose(j._pool, (j._ainv @ rhs).T, rtol=0, atol=1e-12)
        assert np.abs(j._pool - fresh._pool).max() > 0.01  # the rows moved it


@pytest.mark.parametrize("first", [45, 2 * _HELD_UPDATES])  # 13 held; none held
def test_a_save_resumes_the_held_updates_to_the_last_bit(tmp_path, first):
    """Catches a save that folds or drops the held updates (the resumed model would round
    otherwise, or miss rows), or whose ``ainv`` is not the whole inverse (what a reader from
    before held updates loads)."""
    rows = _rows(first + 40, seed=1)
    live = _learned(PERTURBED, rows[:first])
    held = live._held_n
    assert held == first % _HELD_UPDATES
    live.save(tmp_path / "m")
    with np.load(tmp_path / "m", allow_pickle=False) as z:
        np.testing.assert_allclose(z["ainv"], live._ainv, rtol=0, atol=1e-15)
        assert ("held" in z.files) == bool(held)
    resumed = JointRidgeLearner(PERTURBED, seed=3, model_path=tmp_path / "m")
    resumed.set_actions(ACTIONS)
    assert resumed._held_n == held
    for shared, a, r in rows[first:]:
        for j in (live, resumed):
            j.learn(shared, None, a, 0.5, r)
        np.testing.assert_array_equal(resumed.probabilities(shared), live.probabilities(shared))
    _same_then_closed(resumed, live, ("_theta", "_ainv", "_pool"))


def test_reading_the_inverse_folds_nothing():
    """Catches a read of the inverse (a test, ``explain``, the quadratic form of optimism)
    that folds the held updates early: the fold would round differently, so a model that
    was read would drift from a replay that was not."""
    rows = _rows(100, seed=2)
    read = _learned(PERTURBED, [])
    unread = _learned(PERTURBED, [])
    for shared, a, r in rows:
        _ = read._ainv, read._pool, read._quadratic_form(read.features(shared), np.arange(6))
        for j in (read, unread):
            j.learn(shared, None, a, 0.5, r)
    _same_then_closed(read, unread, ("_theta", "_base", "_pool"))


def test_the_quadratic_form_reads_the_held_updates():
    """Catches optimism's ``phi' A^-1 phi`` read from the folded matrix alone (it would miss
    up to 31 rewards' worth of shrinking)."""
    with _learned(JointRidgeConfig(dim=8, ucb=1.0), _rows(45)) as j:
        assert j._held_n > 0
        x = j.features({"c": {"x": 0.4, "seg": "a"}})
        dense = []
        for a in range(len(ACTIONS)):
            nz, val = j._phi(x, a)
            dense.append(val @ j._ainv[np.ix_(nz, nz)] @ val)
        np.testing.assert_allclose(j._quadratic_form(x, np.arange(len(ACTIONS))), dense,
                                   rtol=1e-12, atol=0)


def test_a_file_with_held_updates_of_the_wrong_shape_is_refused(tmp_path):
    """Catches a damaged file loaded as a model: held updates that do not fit the matrix."""
    with _learned(PERTURBED, _rows(40)) as j:
        j.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:
        arrays = dict(z)
    arrays["held"] = arrays["held"][:5]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(PolicyConfigError, match=r"^model_path: expected held updates"):
        JointRidgeLearner(PERTURBED, model_path=tmp_path / "bad.npz")
