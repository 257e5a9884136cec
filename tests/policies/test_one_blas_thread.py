"""The joint ridge's BLAS guard: one BLAS thread inside (a rank-one update is memory-bound and
two threads on a loaded machine took 25 times as long), the process's own count back after,
nested uses included, and a learn leaves the count as it found it."""

from __future__ import annotations

import pytest
import threadpoolctl  # type: ignore[import-untyped]

from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner, _one_blas_thread


def blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


def two_threads() -> threadpoolctl.threadpool_limits:
    limits = threadpoolctl.threadpool_limits(limits=2, user_api="blas")
    if set(blas_threads()) != {2}:
        limits.restore_original_limits()
        pytest.skip("this machine's BLAS runs one thread at most")
    return limits


def test_one_thread_inside_and_the_count_restored_after():
    with two_threads():
        with _one_blas_thread():
            assert set(blas_threads()) == {1}
            with _one_blas_thread():
                assert set(blas_threads()) == {1}
            assert set(blas_threads()) == {1}  # the inner exit leaves the outer's setting
        assert set(blas_threads()) == {2}


def test_a_learn_leaves_the_processs_blas_threads_as_they_were():
    learner = JointRidgeLearner(JointRidgeConfig(dim=8), seed=0)
    learner.set_actions([{"m": {"a": 1}}, {"m": {"b": 1}}])
    with two_threads():
        for i in range(5):
            learner.learn({"c": {"x": float(i)}}, None, i % 2, 0.5, 1.0)
        assert set(blas_threads()) == {2}
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        learner.learn({"c": {"x": 1.0}}, None, 0, 0.5, 1.0)
        assert set(blas_threads()) == {1}
