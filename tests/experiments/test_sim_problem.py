"""The bridge from the simulator to policies and the engine."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from experiments.sim_problem import context_dicts, problem_from_catalog
from policies import Problem
from simulator import ENV_ID, CustomerBatchEnv


def test_problem_matches_the_catalog_and_context():
    env = CustomerBatchEnv("baseline", batch_size=10, seed=0)
    p = problem_from_catalog(env)
    assert isinstance(p, Problem)
    assert p.context_names == env.context_names
    assert p.action_names == env.catalog.action_names
    np.testing.assert_array_equal(p.action_features, env.catalog.action_features)
    assert p.no_contact_action == env.catalog.no_contact_action
    names = [p.context_names[i] for i in p.segment_columns()]
    assert names == ["segment=new", "segment=active", "segment=lapsed", "segment=vip"]
    assert p.metadata["scenario"] == "baseline"


def test_problem_from_a_gymnasium_env():
    env = gym.make(ENV_ID, scenario="small")
    p = problem_from_catalog(env)
    assert p.n_actions == env.action_space.n and p.context_dim == env.observation_space.shape[0]


def test_context_dicts_round_trip_one_hots_and_consent():
    env = CustomerBatchEnv("small", batch_size=50, seed=0)
    obs, _ = env.reset(seed=0)
    rows = context_dicts(env.context_names, obs)
    assert len(rows) == 50
    seg = [env.context_names.index(f"segment={s}") for s in ("new", "active", "lapsed", "vip")]
    for ctx, row in zip(rows, obs, strict=True):
        assert f"segment={ctx['segment']}" in env.context_names
        assert row[env.context_names.index(f"segment={ctx['segment']}")] == 1
        assert row[seg].sum() == 1
        assert ctx["consent_email"] == bool(row[env.context_names.index("consent_email")])
        assert ctx["recency"] == row[env.context_names.index("recency")]
    assert context_dicts(("a=x", "a=y", "b"), np.array([[0.0, 0.0, 2.0]])) == [
        {"a": None, "b": 2.0}]
