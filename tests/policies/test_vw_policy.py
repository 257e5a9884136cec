"""What is particular to the VW policy: namespaces, resources, the explorations differ."""

from __future__ import annotations

import numpy as np
import pytest
from linear_world import LinearWorld, make_problem

from policies import PolicyConfigError, PolicyInputError, VWPolicy


def test_context_and_action_attributes_reach_vw_in_their_namespaces():
    world = LinearWorld(0)
    with VWPolicy(make_problem(), seed=0, exploration="epsilon", interactions=()) as policy:
        x = world.contexts(200)
        a = world.rng.integers(0, 6, 200)
        policy.learn(x, a, np.full(200, 1 / 6), world.rewards(x, a))
        # Context columns live in namespace c, action attributes in a, and nowhere else.
        assert policy._learner.weight("a", "f0") != 0.0
        assert policy._learner.weight("c", "tenure") != 0.0
        assert policy._learner.weight("c", "f0") == 0.0
        assert policy._learner.weight("a", "tenure") == 0.0


def test_explorations_give_different_distributions():
    world = LinearWorld(1)
    x, e = world.contexts(100), world.eligible(100)
    a = world.rng.integers(0, 6, 100)
    r = world.rewards(x, a)
    dists = {}
    for exploration in ("epsilon", "squarecb", "bag"):
        with VWPolicy(make_problem(), seed=3, exploration=exploration) as policy:
            policy.learn(x, a, np.full(100, 1 / 6), r)
            dists[exploration] = policy.action_probabilities(x[:10], e[:10])
    assert not np.allclose(dists["epsilon"], dists["squarecb"])
    assert not np.allclose(dists["epsilon"], dists["bag"])


def test_close_is_safe_twice_and_a_closed_policy_says_so():
    policy = VWPolicy(make_problem(), seed=0)
    policy.close()
    policy.close()
    with pytest.raises(PolicyInputError, match="this VWLearner is closed"):
        policy.act(np.zeros((1, 4)), np.ones((1, 6), dtype=bool))


def test_unknown_exploration_is_refused():
    with pytest.raises(PolicyConfigError, match="vw: exploration must be one of"):
        VWPolicy(make_problem(), seed=0, exploration="cover")


def test_action_ids_add_an_identity_namespace():
    world = LinearWorld(2)
    x = world.contexts(100)
    a = world.rng.integers(0, 6, 100)
    with VWPolicy(make_problem(), seed=0, action_ids=True, interactions=("ca", "ci")) as policy:
        policy.learn(x, a, np.full(100, 1 / 6), world.rewards(x, a))
        assert policy._learner.weight("i", "id=action3") != 0.0
    with VWPolicy(make_problem(), seed=0) as policy:
        policy.learn(x, a, np.full(100, 1 / 6), world.rewards(x, a))
        assert policy._learner.weight("i", "id=action3") == 0.0


def test_probability_floor_caps_the_weight_of_rare_decisions():
    world = LinearWorld(4)
    x, e = world.contexts(60), world.eligible(60)
    a = world.rng.integers(0, 6, 60)
    r, tiny = world.rewards(x, a), np.full(60, 1e-4)  # importance weight 10,000 unfloored
    dists = []
    for floor in (0.0, 0.05, 1.0):
        with VWPolicy(make_problem(), seed=0, exploration="epsilon",
                      probability_floor=floor) as policy:
            policy.learn(x, a, tiny, r)
            dists.append(policy.action_probabilities(x[:20], e[:20]))
            with VWPolicy(make_problem(), seed=0, exploration="epsilon",
                          probability_floor=floor) as twin:  # the floor itself, logged as is
                twin.learn(x, a, np.full(60, max(floor, 1e-4)), r)
                np.testing.assert_allclose(twin.action_probabilities(x[:20], e[:20]), dists[-1])
    assert not np.allclose(dists[0], dists[1])
