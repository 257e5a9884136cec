"""The batched Kronecker-structured ridge agrees with the textbook one on explicit features."""

from __future__ import annotations

import numpy as np
import pytest

from policies import PolicyConfigError
from policies.joint_ridge import JointRidge


def explicit_features(contexts, z, actions):
    x = np.hstack([np.ones((len(contexts), 1)), contexts])
    za = np.hstack([np.ones((len(z), 1)), z])[actions]
    return np.einsum("ni,nj->nij", x, za).reshape(len(x), -1)


def test_means_and_variances_match_explicit_ridge():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((7, 3))
    model = JointRidge(4, z, ridge=0.7)
    xs, acts, rs = [], [], []
    for size in (1, 3, 200, 2, 1):  # Woodbury for small batches, exact for the large one
        x, a, r = rng.standard_normal((size, 4)), rng.integers(0, 7, size), rng.random(size)
        model.update(x, a, r)
        xs.append(x), acts.append(a), rs.append(r)
    phi = explicit_features(np.vstack(xs), z, np.concatenate(acts))
    precision = 0.7 * np.eye(phi.shape[1]) + phi.T @ phi
    theta = np.linalg.solve(precision, phi.T @ np.concatenate(rs))

    test_x = rng.standard_normal((5, 4))
    every = np.repeat(np.arange(7)[None], 5, axis=0)
    phi_all = explicit_features(np.repeat(test_x, 7, axis=0), z, every.ravel())
    want_mean = (phi_all @ theta).reshape(5, 7)
    want_var = np.einsum("nd,de,ne->n", phi_all, np.linalg.inv(precision), phi_all).reshape(5, 7)
    np.testing.assert_allclose(model.means(test_x), want_mean, atol=1e-8)
    np.testing.assert_allclose(model.variances(test_x), want_var, atol=1e-8)


def test_many_small_updates_stay_close_to_the_exact_inverse():
    rng = np.random.default_rng(1)
    model = JointRidge(3, rng.standard_normal((5, 2)), ridge=1.0)
    for _ in range(400):
        model.update(rng.standard_normal((1, 3)), rng.integers(0, 5, 1), rng.random(1))
    np.testing.assert_allclose(model.covariance @ model.precision, np.eye(model.dim), atol=1e-8)


def test_sampled_winners_respect_eligibility_and_follow_a_confident_posterior():
    rng = np.random.default_rng(2)
    z = np.eye(3)
    model = JointRidge(1, z, ridge=1.0)
    x = np.ones((600, 1))
    model.update(x, np.arange(600) % 3, np.where(np.arange(600) % 3 == 2, 1.0, 0.0))
    thetas = model.sample_thetas(50, 0.1, rng)
    eligible = np.array([[True, True, True], [True, True, False]])
    winners = model.sampled_winners(np.ones((2, 1)), eligible, thetas)
    assert (winners[0] == 2).all()
    assert np.isin(winners[1], [0, 1]).all()


def test_a_joint_dimension_too_large_is_refused_with_the_sizes():
    with pytest.raises(PolicyConfigError, match=r"43 x 202 = 8686 exceed 4096"):
        JointRidge(42, np.eye(201), ridge=1.0)


def test_row_blocks_do_not_change_the_results(monkeypatch):
    from policies import joint_ridge

    rng = np.random.default_rng(3)
    model = JointRidge(3, rng.standard_normal((6, 2)), ridge=1.0)
    model.update(rng.standard_normal((50, 3)), rng.integers(0, 6, 50), rng.random(50))
    x, eligible = rng.standard_normal((9, 3)), rng.random((9, 6)) < 0.7
    eligible[:, 0] = True
    thetas = model.sample_thetas(5, 1.0, rng)
    whole = model.variances(x), model.sampled_winners(x, eligible, thetas)
    monkeypatch.setattr(joint_ridge, "_BLOCK_FLOATS", 1)  # one row per block
    np.testing.assert_allclose(model.variances(x), whole[0], atol=1e-12)
    np.testing.assert_array_equal(model.sampled_winners(x, eligible, thetas), whole[1])
