"""Allocation under capacity and budget: no constraint is ever exceeded, the logged probability is
the one the draw used (checked against a customer-by-customer reference), prices send the scarce
channel to the customers who gain most from it."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from policies.allocation import Prices, Resources, allocate, explore_distribution
from policies.dual_prices import expected_usage, find_prices
from policies.errors import PolicyConfigError, PolicyInputError


@st.composite
def campaigns(draw, max_n: int = 40):
    """A random batch: scores, rules' eligibility, channels with small or no capacity, costs, a
    budget that may bind, a holdout, an order, prices."""
    n = draw(st.integers(1, max_n))
    n_channels = draw(st.integers(1, 3))
    per_channel = draw(st.integers(1, 3))
    with_nc = draw(st.booleans())
    channel = np.repeat(np.arange(n_channels), per_channel)
    if with_nc:
        channel = np.append(channel, -1)
    k = channel.size
    capacity = np.array([draw(st.sampled_from([0.0, 1.0, 2.0, 2.5, 5.0, math.inf]))
                         for _ in range(n_channels)])
    cost = draw(arrays(np.float64, k, elements=st.sampled_from([0.0, 0.1, 0.25, 1.0, 3.0])))
    if with_nc:
        cost[-1] = 0.0
    budget = draw(st.sampled_from([0.0, 0.3, 1.0, 2.5, 10.0, math.inf]))
    scores = draw(arrays(np.float64, (n, k), elements=st.floats(-5, 5)))
    eligible = draw(arrays(np.bool_, (n, k)))
    if with_nc:
        eligible[:, -1] = True  # the rules never remove no contact
    held = draw(arrays(np.bool_, n))
    held_action = draw(arrays(np.int64, n, elements=st.integers(-1, k - 1)))
    order = np.random.default_rng(draw(st.integers(0, 2**16))).permutation(n)
    prices = Prices(draw(arrays(np.float64, n_channels, elements=st.sampled_from(
        [0.0, 0.5, 2.0]))), draw(st.sampled_from([0.0, 0.7])))
    resources = Resources(channel, capacity, cost, budget)
    return {"scores": scores, "eligible": eligible, "resources": resources, "prices": prices,
            "epsilon": draw(st.sampled_from([0.0, 0.05, 0.3, 1.0])), "order": order,
            "held": held, "held_action": held_action,
            "no_contact": k - 1 if with_nc else None, "seed": draw(st.integers(0, 2**32 - 1))}


def _run(c: dict):
    return allocate(c["scores"], c["eligible"], c["resources"], c["prices"],
                    epsilon=c["epsilon"], rng=np.random.default_rng(c["seed"]), order=c["order"],
                    held=c["held"], held_action=c["held_action"], no_contact=c["no_contact"])


@settings(max_examples=300, deadline=None)
@given(campaigns())
def test_no_capacity_and_no_budget_is_ever_exceeded(c):
    out = _run(c)
    res = c["resources"]
    chosen = out.actions[out.actions >= 0]
    sends = np.bincount(res.action_channel[chosen][res.action_channel[chosen] >= 0],
                        minlength=res.n_channels)
    assert (sends <= res.capacity).all(), (sends, res.capacity)
    assert math.fsum(res.costs[chosen]) <= res.budget
    assert out.channel_used.tolist() == sends.tolist()
    # every action was allowed by the rules and was in the customer's feasible set
    assert c["eligible"][np.flatnonzero(out.actions >= 0), chosen].all()
    assert out.feasible[np.flatnonzero(out.actions >= 0), chosen].all()
    assert not (out.feasible & ~c["eligible"]).any()


def _reference(c: dict, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The textbook process, customer by customer: at each turn the feasible set is what the
    rules allow and the resources left permit; replayed on the realised actions, it gives each
    customer's feasible set and the probability of their realised action."""
    res = c["resources"]
    room, left = res.capacity.copy(), res.budget
    margin = 1e-9 * max(1.0, res.budget) if math.isfinite(res.budget) else 0.0
    priced = c["scores"] - c["prices"].action_prices(res)
    n, k = c["scores"].shape
    feasible, probs = np.zeros((n, k), bool), np.ones(n)
    for i in c["order"]:
        ch = res.action_channel
        open_now = np.array([(ch[a] < 0 or room[ch[a]] >= 1) and res.costs[a] <= left - margin
                             for a in range(k)])
        f = c["eligible"][i] & open_now
        if c["held"][i]:
            a = c["held_action"][i]
            if not (a >= 0 and f[a]):
                a = c["no_contact"] if c["no_contact"] is not None else -1
            assert actions[i] == (a if a >= 0 and f[a] else -1)
            f = np.zeros(k, bool)
            if actions[i] >= 0:
                f[actions[i]] = True
        else:
            p = explore_distribution(priced[i][None, :], f[None, :], c["epsilon"])[0]
            if f.any():
                assert actions[i] >= 0 and p[actions[i]] > 0
                probs[i] = p[actions[i]]
            else:
                assert actions[i] == -1
        feasible[i] = f
        a = actions[i]
        if a >= 0:
            if ch[a] >= 0:
                room[ch[a]] -= 1
            left -= res.costs[a]
    return feasible, probs


@settings(max_examples=300, deadline=None)
@given(campaigns())
def test_logged_probabilities_are_those_of_the_customer_by_customer_draw(c):
    out = _run(c)
    feasible, probs = _reference(c, out.actions)
    np.testing.assert_array_equal(out.feasible, feasible)
    np.testing.assert_allclose(out.probabilities, probs, rtol=1e-12)


def test_the_joint_draw_follows_the_sequential_process():
    """Three customers, one slot on the scarce channel: the frequency of every joint outcome
    over 20,000 draws matches its exact probability under the customer-by-customer process."""
    res = Resources(np.array([0, 1, -1]), np.array([1.0, math.inf]))
    scores = np.array([[2.0, 1.0, 0.0], [1.5, 1.8, 0.0], [3.0, 0.5, 0.0]])
    eligible = np.ones((3, 3), bool)
    eps, runs = 0.4, 20_000
    rng = np.random.default_rng(7)
    counts: dict[tuple, int] = {}
    for _ in range(runs):
        a = allocate(scores, eligible, res, epsilon=eps, rng=rng).actions
        counts[tuple(a.tolist())] = counts.get(tuple(a.tolist()), 0) + 1
    exact: dict[tuple, float] = {}
    for outcome in itertools.product(range(3), repeat=3):
        room, p = 1.0, 1.0
        for i, a in enumerate(outcome):
            f = np.array([room >= 1, True, True])
            dist = explore_distribution(scores[i][None, :], f[None, :], eps)[0]
            p *= dist[a]
            room -= a == 0
        if p > 0:
            exact[outcome] = p
    assert set(counts) <= set(exact)
    for outcome, p in exact.items():
        seen = counts.get(outcome, 0) / runs
        assert abs(seen - p) <= 5 * math.sqrt(p * (1 - p) / runs) + 1e-4, (outcome, seen, p)


def test_prices_give_the_scarce_channel_to_the_largest_gains_whatever_the_order():
    rng = np.random.default_rng(3)
    n = 200
    gain = rng.permutation(n).astype(float)  # distinct gains of the scarce channel
    scores = np.column_stack([gain, np.zeros(n), np.zeros(n)])  # sms, email, no contact
    res = Resources(np.array([0, 1, -1]), np.array([20.0, math.inf]))
    eligible = np.ones((n, 3), bool)
    prices = find_prices(scores, eligible, res, epsilon=0.0)
    priced = allocate(scores, eligible, res, prices, epsilon=0.0, rng=rng,
                      order=rng.permutation(n))
    fcfs = allocate(scores, eligible, res, epsilon=0.0, rng=rng, order=np.arange(n))
    top = set(np.argsort(-gain)[:20].tolist())
    assert set(np.flatnonzero(priced.actions == 0).tolist()) == top
    assert set(np.flatnonzero(fcfs.actions == 0).tolist()) == set(range(20))  # first come
    value = lambda out: scores[np.arange(n), out.actions].sum()  # noqa: E731
    assert value(priced) > value(fcfs)


def test_budget_price_binds_only_when_the_budget_does():
    rng = np.random.default_rng(0)
    n = 500
    scores = np.column_stack([rng.normal(2.0, 1.0, n), rng.normal(1.0, 1.0, n), np.zeros(n)])
    res = Resources(np.array([0, 1, -1]), np.array([math.inf, math.inf]),
                    np.array([1.0, 0.2, 0.0]), budget=150.0)
    eligible = np.ones((n, 3), bool)
    prices = find_prices(scores, eligible, res, epsilon=0.05)
    assert prices.budget > 0 and (prices.channel == 0).all()
    _sends, spend = expected_usage(scores, eligible, res, prices, 0.05)
    assert spend == pytest.approx(150.0, rel=0.02)
    loose = Resources(res.action_channel, res.capacity, res.action_cost, budget=1e6)
    assert find_prices(scores, eligible, loose, epsilon=0.05).budget == 0.0
    out = allocate(scores, eligible, res, prices, epsilon=0.05, rng=rng)
    assert out.spent <= 150.0


def test_prices_meet_capacities_in_expectation_with_exploration_and_a_holdout():
    rng = np.random.default_rng(1)
    n, k = 2_000, 7
    channel = np.array([0, 0, 1, 1, 2, 2, -1])
    scores = rng.normal(0.5, 1.0, (n, k)) + np.array([1.0, 1.2, 0.8, 0.6, 0.1, 0.2, 0.0])
    eligible = rng.random((n, k)) < 0.8
    eligible[:, -1] = True
    res = Resources(channel, np.array([100.0, 300.0, math.inf]))
    held = rng.random(n) < 0.05
    held_action = np.where(held, 2, -1)  # the holdout's control action uses channel 1
    prices = find_prices(scores, eligible, res, epsilon=0.1, held=held, held_action=held_action)
    sends, _ = expected_usage(scores[~held], eligible[~held], res, prices, 0.1,
                              held_use=res.usage(held_action[held]))
    assert (sends[:2] <= res.capacity[:2] * 1.01).all() and (sends[:2] >= res.capacity[:2] * 0.9
                                                              ).all()
    assert prices.channel[2] == 0.0
    out = allocate(scores, eligible, res, prices, epsilon=0.1, rng=rng, held=held,
                   held_action=held_action, no_contact=k - 1)
    assert (out.channel_used <= res.capacity).all()
    assert (out.actions[held] == np.where(out.feasible[held, 2], 2, k - 1)).all()
    assert out.feasible[held, 2].sum() >= 0.7 * held.sum()  # the control was mostly played


def test_a_customer_with_nothing_feasible_gets_no_action_with_probability_one():
    res = Resources(np.array([0, 0]), np.array([1.0]))
    out = allocate(np.zeros((3, 2)), np.ones((3, 2), bool), res, epsilon=0.1,
                   rng=np.random.default_rng(0))
    assert sorted(out.actions.tolist()) == [-1, -1, out.actions.max()]
    assert out.probabilities[out.actions == -1].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("kwargs, match", [
    ({"action_channel": [0, 2], "capacity": [1.0]}, "action_channel: expected K >= 1 indices"),
    ({"action_channel": [0], "capacity": [-1.0]}, "capacity: expected numbers >= 0"),
    ({"action_channel": [0], "capacity": [float("nan")]}, "capacity: expected numbers >= 0"),
    ({"action_channel": [0], "capacity": [1.0], "action_cost": [-1.0]}, "action_cost: expected 1"),
    ({"action_channel": [0], "capacity": [1.0], "budget": -2.0}, "budget: expected"),
    ({"action_channel": [[0]], "capacity": [1.0]}, "action_channel: expected a 1-d array"),
])
def test_bad_resources_are_refused_naming_the_field(kwargs, match):
    with pytest.raises(PolicyConfigError, match=match):
        Resources(**kwargs)


def test_bad_batches_are_refused_naming_the_argument():
    res = Resources(np.array([0, -1]), np.array([1.0]))
    rng = np.random.default_rng(0)
    ok = np.ones((2, 2), bool)
    with pytest.raises(PolicyInputError, match=r"scores: expected shape \(n, 2\)"):
        allocate(np.zeros((2, 3)), np.ones((2, 3), bool), res, epsilon=0.1, rng=rng)
    with pytest.raises(PolicyInputError, match="eligible: expected a bool array"):
        allocate(np.zeros((2, 2)), np.ones((2, 2)), res, epsilon=0.1, rng=rng)
    with pytest.raises(PolicyInputError, match="scores: expected finite"):
        allocate(np.array([[np.nan, 0.0], [0.0, 0.0]]), ok, res, epsilon=0.1, rng=rng)
    with pytest.raises(PolicyInputError, match="order: expected a permutation"):
        allocate(np.zeros((2, 2)), ok, res, epsilon=0.1, rng=rng, order=np.array([0, 0]))
    with pytest.raises(PolicyInputError, match="epsilon: expected"):
        allocate(np.zeros((2, 2)), ok, res, epsilon=1.5, rng=rng)
    with pytest.raises(PolicyConfigError, match=r"prices\.channel: expected 1 prices"):
        allocate(np.zeros((2, 2)), ok, res, Prices(np.zeros(2)), epsilon=0.1, rng=rng)
    with pytest.raises(PolicyConfigError, match=r"prices\.channel: expected finite"):
        Prices(np.array([-1.0]))
