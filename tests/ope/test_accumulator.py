"""Streaming accumulators: batches and merged partial results equal the one-shot estimate."""

from __future__ import annotations

import pytest

from experiments.ope.synthetic_world import SyntheticWorld
from ope import ESTIMATORS, Accumulator, OPEInputError, estimate, make_estimator
from ope.estimators.reward_model import fit_reward_model


@pytest.fixture(scope="module")
def log():
    world = SyntheticWorld(n_actions=5, context_dim=3, seed=3)
    lg = world.sample_log(3000, seed=4)
    q = fit_reward_model(lg.contexts, lg.actions, lg.rewards, 5, folds=3, seed=0)
    return lg, q


@pytest.mark.parametrize("name", ESTIMATORS)
def test_merged_chunks_equal_one_shot(log, name):
    lg, q = log
    whole = estimate(name, lg.rewards, lg.actions, lg.propensities, lg.target_probs, q)
    parts = []
    for lo, hi in ((0, 1), (1, 1000), (1000, 1700), (1700, 3000)):
        acc = Accumulator(make_estimator(name), n_actions=5)
        acc.add(lg.rewards[lo:hi], lg.actions[lo:hi], lg.propensities[lo:hi],
                lg.target_probs[lo:hi], q[lo:hi])
        parts.append(acc)
    merged = parts[0] + parts[1] + parts[2] + parts[3]
    got = merged.get()
    assert got.value == pytest.approx(whole.value, rel=1e-10)
    assert got.ci == pytest.approx(whole.ci, rel=1e-9)
    assert got.ess == pytest.approx(whole.ess, rel=1e-10)
    assert got.max_weight == whole.max_weight and got.n == whole.n == 3000


def test_merge_refuses_other_estimators_and_empty_get():
    a, b = Accumulator(make_estimator("ips"), 2), Accumulator(make_estimator("snips"), 2)
    with pytest.raises(OPEInputError, match="cannot merge"):
        a + b
    with pytest.raises(OPEInputError, match="no logged decisions were added"):
        a.get()


def test_add_refuses_other_action_count():
    acc = Accumulator(make_estimator("ips"), 3)
    with pytest.raises(OPEInputError, match="target_probs has 2 columns but this accumulator"):
        acc.add([1.0], [0], [0.5], [[0.5, 0.5]])
    with pytest.raises(OPEInputError, match="no logged decisions"):
        acc.get()  # the refused batch changed nothing


def test_partial_state_pickles_for_workers(log):
    # Ray ships partial results by pickling; the merged state must survive the round trip
    import pickle

    lg, q = log
    acc = Accumulator(make_estimator("sndr"), n_actions=5)
    acc.add(lg.rewards[:1500], lg.actions[:1500], lg.propensities[:1500], lg.target_probs[:1500],
            q[:1500])
    other = Accumulator(make_estimator("sndr"), n_actions=5)
    other.add(lg.rewards[1500:], lg.actions[1500:], lg.propensities[1500:],
              lg.target_probs[1500:], q[1500:])
    merged = pickle.loads(pickle.dumps(acc)) + pickle.loads(pickle.dumps(other))
    whole = estimate("sndr", lg.rewards, lg.actions, lg.propensities, lg.target_probs, q)
    assert merged.get().value == pytest.approx(whole.value, rel=1e-10)
    assert len(pickle.dumps(merged)) < 4096  # small enough to send around freely
