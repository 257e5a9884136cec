"""Distributions and sampling shared by the policies; the A/B test behind the baselines."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from policies.ab_test import ABTest
from policies.sampling import greedy_distribution, mix_uniform, sample_actions


@st.composite
def scored_batches(draw):
    n, k = draw(st.integers(1, 6)), draw(st.integers(1, 7))
    eligible = draw(arrays(np.bool_, (n, k)))
    eligible[np.arange(n), draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))] = True
    scores = draw(arrays(np.float64, (n, k), elements=st.floats(-1e6, 1e6)))
    return scores, eligible, draw(st.floats(0.0, 1.0)), draw(st.integers(0, 2**32 - 1))


@settings(max_examples=100, deadline=None)
@given(scored_batches())
def test_distributions_are_proper_and_samples_eligible(batch):
    scores, eligible, epsilon, seed = batch
    for probs in (greedy_distribution(scores, eligible),
                  mix_uniform(greedy_distribution(scores, eligible), eligible, epsilon)):
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
        assert (probs[~eligible] == 0).all() and (probs >= 0).all()
        actions = sample_actions(probs, np.random.default_rng(seed))
        assert eligible[np.arange(len(actions)), actions].all()
        assert (probs[np.arange(len(actions)), actions] > 0).all()


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
    frozen = ABTest(1, np.eye(2), explore_decisions=4, min_count=1, keep_learning=False,
                    estimate="mean")
    frozen.record(groups, actions, rewards)
    assert frozen.counts.tolist() == [[2, 2]]
    assert not frozen.exploring(groups[:1])[0]
    live = ABTest(1, np.eye(2), explore_decisions=4, min_count=1, keep_learning=True,
                  estimate="mean")
    live.record(groups, actions, rewards)
    assert live.counts.tolist() == [[4, 2]]
    eligible = np.ones((1, 2), dtype=bool)
    assert frozen.distribution(groups[:1], eligible).tolist() == [[0.0, 1.0]]
    assert live.distribution(groups[:1], eligible).tolist() == [[1.0, 0.0]]


def test_ab_test_quota_is_per_group():
    t = ABTest(2, np.eye(2), explore_decisions=2, min_count=1, keep_learning=False, estimate="mean")
    t.record(np.array([0, 0, 0, 1]), np.array([0, 1, 1, 0]), np.ones(4))
    assert t.counts.tolist() == [[1, 1], [1, 0]]
    assert t.exploring(np.array([0, 1])).tolist() == [False, True]


def test_additive_reading_of_a_factorial_test_beats_per_action_means():
    # 6 messages x 8 channels, reward additive in the two and noisy; 480 results = 10 per action.
    msg, ch = np.divmod(np.arange(48), 8)
    z = np.hstack([np.eye(6)[msg], np.eye(8)[ch]])
    truth = (np.array([0.0, 0.3, 0.1, 0.2, 0.25, 0.05])[msg]
             + np.array([0.1, 0.0, 0.4, 0.2, 0.3, 0.35, 0.15, 0.05])[ch])
    regret = {"additive": [], "mean": []}
    for seed in range(20):
        rng = np.random.default_rng(seed)
        actions = rng.integers(0, 48, 480)
        rewards = truth[actions] + rng.standard_normal(480)
        for estimate, out in regret.items():
            t = ABTest(1, z, explore_decisions=480, min_count=1, keep_learning=False,
                       estimate=estimate)
            t.record(np.zeros(480, dtype=np.int64), actions, rewards)
            pick = t.distribution(np.zeros(1, dtype=np.int64), np.ones((1, 48), dtype=bool))
            out.append(truth.max() - truth[int(pick.argmax())])
    # Measured: 0.105 vs 0.198 (the per-action winner is the luckiest, not the best).
    assert np.mean(regret["additive"]) < 0.7 * np.mean(regret["mean"])
