"""The whole Engine as a simulator policy: same actions, every matured total rewarded."""

from __future__ import annotations

import numpy as np

from experiments.cell import run_cell
from experiments.engine_policy import EnginePolicy, engine_catalog
from experiments.spec import CellSpec, PolicyEntry
from simulator import CustomerBatchEnv


def test_the_engine_catalog_is_the_simulators_in_the_same_order():
    env = CustomerBatchEnv("baseline", batch_size=10)
    cat = engine_catalog(env)
    sim = env.catalog
    names = [tuple(a.name.split("/")) for a in cat.actions]
    assert len(names) == sim.n_actions and cat.no_contact_index == sim.no_contact_action
    for k in range(sim.n_contact_actions):
        m, c, t = names[k]
        assert (m, c, t) == (sim.messages[sim.message_of[k]], sim.channels[sim.channel_of[k]],
                             sim.timings[sim.timing_of[k]])
    assert {c.name: c.cost for c in cat.channels}["sms"] == 0.015


def test_every_decision_is_logged_and_every_matured_total_rewarded(tmp_path):
    env = CustomerBatchEnv("small", batch_size=50, seed=1)
    obs, info = env.reset(seed=1)
    with EnginePolicy(env, state_dir=tmp_path, seed=1) as pol:
        for step in range(4):
            refs = np.arange(step * 50, (step + 1) * 50)
            a, p = pol.act_customers(obs, info["eligible"], info["customer_ids"],
                                     info["clock_hours"], refs)
            assert info["eligible"][np.arange(50), a].all() and ((p > 0) & (p <= 1)).all()
            obs, _, _, _, info = env.step(a)
            pol.learn_refs(info["matured_refs"], info["matured_rewards"], info["clock_hours"])
        refs, totals = env.flush()
        pol.learn_refs(refs, totals, info["clock_hours"])
        stats = pol.engine.stats()
    assert stats["decisions"] == stats["rewards"] == 200


def test_an_engine_cell_learns_and_serves_the_capacity_world():
    cell = CellSpec("capacity", PolicyEntry("engine"), seed=0, horizon=1000, batch_size=250,
                    window=500, holdout_fraction=0.05)
    rows = run_cell(cell)
    assert sum(r["n_treated"] for r in rows) > 900
    assert all(r["regret"] >= 0 for r in rows)
    # the simulator's open channels reach the engine as consent: nothing it picks is refused
    assert sum(r["overrides"] for r in rows) == 0
    assert sum(r["ch_sms"] for r in rows) > 0
