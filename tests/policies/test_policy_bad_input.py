"""Bad input to every registered policy: a typed error naming the argument, and nothing changes."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from linear_world import LinearWorld, make_problem
from test_policy_contract import NAMES, build, show_truth, warm

from policies import PolicyConfigError, PolicyInputError, make_policy
from policies.base import SeesTruth

N, D, K = 5, 4, 6
GOOD_X = np.zeros((N, D))
GOOD_E = np.ones((N, K), dtype=bool)


def _nan_x():
    x = GOOD_X.copy()
    x[2, 1] = np.nan
    return x


def _inf_x():
    x = GOOD_X.copy()
    x[0, 0] = np.inf
    return x


def _one_empty_row():
    e = GOOD_E.copy()
    e[3] = False
    return e


DECISION_CASES = [
    ("contexts 1-d", np.zeros(D), GOOD_E, r"contexts must have shape \(n, 4\), got shape \(4,\)"),
    ("contexts wrong width", np.zeros((N, 3)), GOOD_E, r"shape \(n, 4\), got shape \(5, 3\)"),
    ("contexts NaN", _nan_x(), GOOD_E, r"contexts must be finite; rows \[2\]"),
    ("contexts inf", _inf_x(), GOOD_E, r"contexts must be finite; rows \[0\]"),
    ("contexts text", np.array([["a"] * D] * N), GOOD_E, "contexts must be numeric"),
    ("eligible ints", GOOD_X, GOOD_E.astype(int), "eligible must be a bool array, got dtype int"),
    ("eligible wrong K", GOOD_X, np.ones((N, K + 1), dtype=bool),
     r"eligible must have shape \(5, 6\), got shape \(5, 7\)"),
    ("eligible wrong n", GOOD_X, np.ones((N + 1, K), dtype=bool),
     r"eligible must have shape \(5, 6\), got shape \(6, 6\)"),
    ("row with nothing eligible", GOOD_X, _one_empty_row(),
     r"at least one True per row; rows \[3\] have none"),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("case", "contexts", "eligible", "match"), DECISION_CASES,
                         ids=[c[0] for c in DECISION_CASES])
def test_act_refuses_bad_batches(name, case, contexts, eligible, match):
    policy = build(name)
    if isinstance(policy, SeesTruth):
        policy.see_expected(np.zeros((N, K)))
    with pytest.raises(PolicyInputError, match=match):
        policy.act(contexts, eligible)
    with pytest.raises(PolicyInputError, match=match):
        policy.action_probabilities(contexts, eligible)


GOOD_A = np.arange(N) % K
GOOD_P = np.full(N, 0.5)
GOOD_R = np.ones(N)
LEARN_CASES = [
    ("action too large", GOOD_X, np.array([0, 1, 6, 2, 3]), GOOD_P, GOOD_R,
     r"actions must lie in \[0, 6\); rows \[2\] hold \[6\]"),
    ("action negative", GOOD_X, np.array([0, -1, 1, 2, 3]), GOOD_P, GOOD_R,
     r"actions must lie in \[0, 6\); rows \[1\]"),
    ("actions float", GOOD_X, GOOD_A.astype(float), GOOD_P, GOOD_R,
     "actions must be integers, got dtype float64"),
    ("actions short", GOOD_X, GOOD_A[:3], GOOD_P, GOOD_R,
     r"actions must have shape \(5,\), got shape \(3,\)"),
    ("probability zero", GOOD_X, GOOD_A, np.array([0.5, 0.0, 0.5, 0.5, 0.5]), GOOD_R,
     r"probabilities must lie in \(0, 1\]; rows \[1\] hold \[0.0\]"),
    ("probability above one", GOOD_X, GOOD_A, np.array([0.5, 0.5, 0.5, 0.5, 1.5]), GOOD_R,
     r"probabilities must lie in \(0, 1\]; rows \[4\] hold \[1.5\]"),
    ("probability NaN", GOOD_X, GOOD_A, np.array([np.nan, 0.5, 0.5, 0.5, 0.5]), GOOD_R,
     r"probabilities must lie in \(0, 1\]; rows \[0\]"),
    ("probabilities long", GOOD_X, GOOD_A, np.full(N + 1, 0.5), GOOD_R,
     r"probabilities must have shape \(5,\), got shape \(6,\)"),
    ("reward NaN", GOOD_X, GOOD_A, GOOD_P, np.array([1.0, np.nan, 1.0, 1.0, 1.0]),
     r"rewards must be finite; rows \[1\]"),
    ("reward inf", GOOD_X, GOOD_A, GOOD_P, np.array([1.0, 1.0, 1.0, -np.inf, 1.0]),
     r"rewards must be finite; rows \[3\]"),
    ("contexts NaN", _nan_x(), GOOD_A, GOOD_P, GOOD_R, r"contexts must be finite; rows \[2\]"),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("case", "contexts", "actions", "probabilities", "rewards", "match"),
                         LEARN_CASES, ids=[c[0] for c in LEARN_CASES])
def test_learn_refuses_bad_batches_and_changes_nothing(name, case, contexts, actions,
                                                       probabilities, rewards, match):
    world = LinearWorld(0)
    policy = build(name)
    warm(policy, world, rounds=1)
    x, e = world.contexts(20), world.eligible(20)
    show_truth(policy, world, x)
    before, state = policy.action_probabilities(x, e), pickle.dumps(policy)
    with pytest.raises(PolicyInputError, match=match):
        policy.learn(contexts, actions, probabilities, rewards)
    np.testing.assert_array_equal(policy.action_probabilities(x, e), before)
    # the whole state, not only today's distribution (an A/B test still exploring, or a greedy
    # choice that did not flip, would hide a partial update)
    assert pickle.dumps(policy) == state


def test_many_bad_rows_are_summarised():
    x = np.full((12, D), np.nan)
    with pytest.raises(PolicyInputError, match=r"rows \[0, 1, 2, 3, 4, \.\.\. \(12 in all\)\]"):
        build("random").act(x, np.ones((12, K), dtype=bool))


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameter_is_refused(name):
    with pytest.raises(PolicyConfigError, match=rf"{name}: unknown parameter\(s\) bogus"):
        make_policy(name, make_problem(), 0, bogus=1)


PARAM_CASES = [
    ("epsilon_greedy", {"epsilon": 1.5},
     r"epsilon_greedy: epsilon: expected a number in \[0, 1\], got 1.5"),
    ("epsilon_greedy", {"epsilon": "high"}, "epsilon: expected a number in \\[0, 1\\], got 'high'"),
    ("epsilon_greedy", {"ridge": 0.0}, r"ridge: expected a number > 0, got 0.0"),
    ("linucb", {"alpha": -1.0}, r"linucb: alpha: expected a number >= 0, got -1.0"),
    ("linucb", {"alpha": float("nan")}, "alpha: expected a number >= 0, got nan"),
    ("lints", {"n_samples": 0}, "lints: n_samples: expected an integer >= 1, got 0"),
    ("lints", {"scale": -0.1}, r"lints: scale: expected a number >= 0, got -0.1"),
    ("best_fixed", {"explore_decisions": -5},
     "explore_decisions: expected an integer >= 0, got -5"),
    ("best_fixed", {"explore_decisions": 10.5},
     "explore_decisions: expected an integer >= 0, got 10.5"),
    ("segment_rules", {"min_count": True}, "min_count: expected an integer >= 0, got True"),
    ("best_fixed", {"estimate": "median"},
     "best_fixed: estimate must be one of additive, mean; got 'median'"),
    ("vw_epsilon", {"epsilon": 2.0}, r"vw: epsilon: expected a number in \[0, 1\], got 2.0"),
    ("vw_squarecb", {"gamma_scale": -1.0},
     r"vw: gamma_scale: expected a number in \[1e-09, 1e\+09\], got -1.0"),
    ("vw_bag", {"bag_size": 1}, r"vw: bag_size must be an int in \[2, 64\], got 1"),
    ("vw_bag", {"cb_type": "xyz"}, "vw: cb_type must be one of"),
    ("vw_epsilon", {"probability_floor": 1.5},
     r"vw: probability_floor: expected a number in \[0, 1\], got 1.5"),
    ("vw_squarecb", {"exploration": "bag"}, r"unknown parameter\(s\) exploration"),
]


@pytest.mark.parametrize(("name", "params", "match"), PARAM_CASES,
                         ids=[f"{c[0]}-{next(iter(c[1]))}" for c in PARAM_CASES])
def test_bad_parameter_values_are_refused(name, params, match):
    with pytest.raises(PolicyConfigError, match=match):
        make_policy(name, make_problem(), 0, **params)


@pytest.mark.parametrize(("seed", "match"), [
    (-1, "seed must be a non-negative int or a numpy Generator, got -1"),
    ("7", "seed must be a non-negative int or a numpy Generator, got '7'"),
    (1.5, "got 1.5"),
])
def test_bad_seed_is_refused(seed, match):
    with pytest.raises(PolicyConfigError, match=match):
        make_policy("random", make_problem(), seed)


def test_unknown_policy_lists_the_available_ones():
    with pytest.raises(PolicyConfigError, match=r"unknown policy 'ucb'; available: random, "):
        make_policy("ucb", make_problem(), 0)


def test_problem_of_the_wrong_type_is_refused():
    with pytest.raises(PolicyConfigError, match=r"problem must be a policies\.Problem, got dict"):
        make_policy("linucb", {"actions": 3}, 0)


@pytest.mark.parametrize(("expected", "match"), [
    (np.zeros((N, K + 1)), r"expected must have shape \(n, 6\), got shape \(5, 7\)"),
    (np.full((N, K), np.nan), "expected must be finite"),
])
def test_oracle_refuses_bad_truth(expected, match):
    with pytest.raises(PolicyInputError, match=match):
        make_policy("oracle", make_problem(), 0).see_expected(expected)


def test_oracle_without_truth_says_what_to_call():
    oracle = make_policy("oracle", make_problem(), 0)
    with pytest.raises(PolicyInputError, match=r"call see_expected\(expected\) with this batch's "
                       r"5 rows before act; it holds expected rewards for None rows"):
        oracle.act(GOOD_X, GOOD_E)


def test_direct_construction_refuses_unknown_parameters_too():
    from policies import LinUCB

    with pytest.raises(PolicyConfigError, match=r"linucb: unknown parameter\(s\) alfa; accepted: "
                                                 r"alpha, ridge"):
        LinUCB(make_problem(), 0, alfa=1.0)
