"""The contract every registered policy keeps, discovered from the registry (nothing to add here
when a policy is registered): shapes, honest probabilities, determinism, pickling, rebuilding."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from linear_world import LinearWorld, make_problem

from policies import Policy, PolicySpec, available_policies, make_policy
from policies.base import SeesTruth

# Small tests so that the exploit phase of the A/B-test baselines is exercised too.
QUICK_PARAMS = {
    "best_fixed": {"explore_decisions": 40, "min_count": 1},
    "segment_rules": {"explore_decisions": 20, "min_count": 1},
}
NAMES = available_policies()


def build(name: str, seed: int = 0):
    """The policy ``name`` built for the test world with its quick parameters."""
    return make_policy(name, make_problem(), seed, **QUICK_PARAMS.get(name, {}))


def show_truth(policy, world: LinearWorld, contexts: np.ndarray) -> None:
    """What a runner does before act for a policy that needs the truth (the oracle)."""
    if isinstance(policy, SeesTruth):
        policy.see_expected(world.expected(contexts))


def warm(policy, world: LinearWorld, rounds: int = 3, n: int = 40) -> None:
    """A few act/learn rounds so that learners have a non-trivial state."""
    for _ in range(rounds):
        x, e = world.contexts(n), world.eligible(n)
        show_truth(policy, world, x)
        a, p = policy.act(x, e)
        policy.learn(x, a, p, world.rewards(x, a))


@pytest.fixture(params=NAMES)
def name(request) -> str:
    return request.param


def test_registry_lists_the_required_policies():
    required = {"random", "best_fixed", "segment_rules", "epsilon_greedy", "linucb", "lints",
                "oracle"}
    assert required <= set(NAMES)


def test_is_a_policy(name):
    policy = build(name)
    assert isinstance(policy, Policy)
    assert policy.name == name


def test_act_shapes_and_probabilities(name):
    world = LinearWorld(1)
    policy = build(name)
    warm(policy, world)
    x, e = world.contexts(64), world.eligible(64)
    show_truth(policy, world, x)
    actions, probs = policy.act(x, e)
    assert actions.shape == (64,) and actions.dtype == np.int64
    assert probs.shape == (64,) and probs.dtype == np.float64
    assert e[np.arange(64), actions].all(), "an ineligible action was played"
    assert ((probs > 0) & (probs <= 1)).all()
    dist = policy.action_probabilities(x, e)
    assert dist.shape == (64, 6)
    np.testing.assert_allclose(dist.sum(axis=1), 1.0, atol=1e-9)
    assert (dist >= 0).all()
    assert (dist[~e] == 0).all(), "probability mass on ineligible actions"
    np.testing.assert_allclose(dist[np.arange(64), actions], probs, atol=1e-9)


def test_act_on_an_empty_batch(name):
    policy = build(name)
    x, e = np.zeros((0, 4)), np.zeros((0, 6), dtype=bool)
    show_truth(policy, LinearWorld(0), x)
    actions, probs = policy.act(x, e)
    assert actions.shape == (0,) and probs.shape == (0,)
    policy.learn(x, actions, probs, np.zeros(0))


def test_same_seed_same_decisions(name):
    def trace(policy) -> list[np.ndarray]:
        world = LinearWorld(2)
        out = []
        for _ in range(4):
            x, e = world.contexts(30), world.eligible(30)
            show_truth(policy, world, x)
            a, p = policy.act(x, e)
            policy.learn(x, a, p, world.rewards(x, a))
            out += [a, p]
        return out

    first, second = trace(build(name, seed=5)), trace(build(name, seed=5))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_pickled_policy_continues_identically(name):
    world = LinearWorld(3)
    policy = build(name, seed=4)
    warm(policy, world)
    clone = pickle.loads(pickle.dumps(policy))
    x, e = world.contexts(50), world.eligible(50)
    show_truth(policy, world, x)
    show_truth(clone, world, x)
    np.testing.assert_allclose(clone.action_probabilities(x, e),
                               policy.action_probabilities(x, e), atol=1e-9)
    for got, want in zip(clone.act(x, e), policy.act(x, e), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-9)


def test_spec_rebuilds_the_same_policy(name):
    spec = PolicySpec(name, QUICK_PARAMS.get(name, {}), seed=9)
    spec = pickle.loads(pickle.dumps(spec))  # specs travel to Ray workers
    rebuilt, direct = spec.build(make_problem()), build(name, seed=9)
    world_a, world_b = LinearWorld(6), LinearWorld(6)
    warm(rebuilt, world_a)
    warm(direct, world_b)
    x, e = world_a.contexts(20), world_a.eligible(20)
    show_truth(rebuilt, world_a, x)
    show_truth(direct, world_a, x)
    np.testing.assert_array_equal(rebuilt.act(x, e)[0], direct.act(x, e)[0])


@pytest.mark.parametrize("name", [n for n in NAMES if not n.startswith("vw_")])
def test_numpy_policies_decide_the_same_in_any_reward_unit(name):
    # Exploration widths are in reward standard deviations: cents or euros, 0/1 or 0/100, the
    # same decisions. (VW's learning rate is not unit-free, so VW policies are left out.)
    def trace(unit: float) -> list[np.ndarray]:
        world, policy, out = LinearWorld(8), build(name, seed=2), []
        for _ in range(4):
            x, e = world.contexts(40), world.eligible(40)
            show_truth(policy, world, x)
            a, p = policy.act(x, e)
            policy.learn(x, a, p, unit * world.rewards(x, a))
            out.append(a)
        return out

    for a, b in zip(trace(1.0), trace(100.0), strict=True):
        np.testing.assert_array_equal(a, b)
