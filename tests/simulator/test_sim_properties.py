"""Properties that hold for any scenario, seed, batch size and policy."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import CustomerBatchEnv, load_scenario, scenario_names
from simulator.calibration import uniform_random_actions


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=st.sampled_from(scenario_names()), batch=st.integers(1, 300),
       seed=st.integers(0, 2**31), steps=st.integers(1, 12), greedy=st.booleans())
def test_world_invariants(scenario, batch, seed, steps, greedy):
    sc = load_scenario(scenario, n_customers=400)
    env = CustomerBatchEnv(sc, batch_size=batch, seed=seed)
    rng = np.random.default_rng(seed)
    obs, info = env.reset()
    refs, matured = [], []
    for _ in range(steps):
        el = info["eligible"]
        assert el[:, env.catalog.no_contact_action].all()
        assert np.all(np.abs(obs) <= 1.0) and np.isfinite(obs).all()
        truth = env.expected_rewards()
        assert np.isfinite(truth).all()
        a = np.where(el, truth, -np.inf).argmax(axis=1) if greedy else uniform_random_actions(
            el, rng)
        obs, reward, terminated, truncated, info = env.step(a)
        assert not terminated and not truncated
        assert len(set(info["customer_ids"].tolist())) == batch  # no one twice in a batch
        assert (reward <= 0).all()  # what is known at once is a cost
        assert not (info["opened"] & ~info["delivered"]).any()
        assert not (info["clicked"] & ~info["opened"]).any()
        assert not (info["converted"] & ~info["clicked"]).any()
        refs.extend(info["refs"].tolist())
        matured.extend(info["matured_refs"].tolist())
    matured.extend(env.flush()[0].tolist())
    assert sorted(matured) == refs == list(range(steps * batch))
