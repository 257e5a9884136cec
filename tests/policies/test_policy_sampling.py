"""Distributions and sampling shared by the policies; the A/B test behind the baselines."""

from __future__ import annotations

import numpy as np

from policies.ab_test import ABTest
from policies.sampling import greedy_distribution, mix_uniform, sample_actions


def test_sampling_follows_the_distribution_and_never_draws_zero_mass():
    probs = np.tile([0.0, 0.2, 0.0, 0.5, 0.3, 0.0], (20000, 1))
    actions = sample_actions(probs, np.random.default_rng(0))
    freq = np.bincount(actions, minlength=6) / len(actions)
    assert freq[[0, 2, 5]].sum() == 0
    np.testing.assert_allclose(freq, probs[0], atol=0.015)


def test_greedy_splits_ties_and_epsilon_mix_keeps_rows_normalised():
    eligible = np.array([[True, True, True, False]])
    greedy = greedy_distribution(np.array([[1.0, 3.0, 3.0, 9.0]]), eligible)
    np.testing.assert_allclose(greedy, [[0.0, 0.5, 0.5, 0.0]])
    mixed = mix_uniform(greedy, eligible, 0.3)
    np.testing.assert_allclose(mixed, [[0.1, 0.45, 0.45, 0.0]])


def test_ab_test_freezes_after_its_quota_unless_told_to_keep_learning():
    groups = np.zeros(6, dtype=np.int64)
    actions = np.array([0, 1, 0, 1, 0, 0])
    rewards = np.array([0.0, 1.0, 0.0, 1.0, 5.0, 5.0])  # the last two come after the test
    frozen = ABTest(1, 2, explore_decisions=4, min_count=1, keep_learning=False)
    frozen.record(groups, actions, rewards)
    assert frozen.counts.tolist() == [[2, 2]]
    assert not frozen.exploring(groups[:1])[0]
    live = ABTest(1, 2, explore_decisions=4, min_count=1, keep_learning=True)
    live.record(groups, actions, rewards)
    assert live.counts.tolist() == [[4, 2]]
    eligible = np.ones((1, 2), dtype=bool)
    assert frozen.distribution(groups[:1], eligible).tolist() == [[0.0, 1.0]]
    assert live.distribution(groups[:1], eligible).tolist() == [[1.0, 0.0]]


def test_ab_test_quota_is_per_group():
    t = ABTest(2, 2, explore_decisions=2, min_count=1, keep_learning=False)
    t.record(np.array([0, 0, 0, 1]), np.array([0, 1, 1, 0]), np.ones(4))
    assert t.counts.tolist() == [[1, 1], [1, 0]]
    assert t.exploring(np.array([0, 1])).tolist() == [False, True]
