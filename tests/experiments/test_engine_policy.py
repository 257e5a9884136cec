"""The whole Engine as a simulator policy: same actions, every matured total rewarded."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from experiments.cell import run_cell
from experiments.engine_policy import EnginePolicy, engine_catalog
from experiments.errors import SpecError
from experiments.spec import CellSpec, PolicyEntry
from simulator import CustomerBatchEnv, load_scenario


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


def test_every_decision_is_logged_and_each_matured_total_rewards_its_own_decision(tmp_path):
    env = CustomerBatchEnv("small", batch_size=50, seed=1)
    obs, info = env.reset(seed=1)
    chosen, customers, totals = [], [], {}
    with EnginePolicy(env, state_dir=tmp_path / "state", seed=1) as pol:
        for step in range(4):
            refs = np.arange(step * 50, (step + 1) * 50)
            a, p = pol.act_customers(obs, info["eligible"], info["customer_ids"],
                                     info["clock_hours"], refs)
            assert info["eligible"][np.arange(50), a].all() and ((p > 0) & (p <= 1)).all()
            chosen += a.tolist()
            customers += [str(c) for c in info["customer_ids"]]
            obs, _, _, _, info = env.step(a)
            pol.learn_refs(info["matured_refs"], info["matured_rewards"], info["clock_hours"])
            totals.update(zip(info["matured_refs"].tolist(), info["matured_rewards"].tolist(),
                              strict=True))
        refs, flushed = env.flush()
        pol.learn_refs(refs, flushed, info["clock_hours"])
        totals.update(zip(refs.tolist(), flushed.tolist(), strict=True))
        stats = pol.engine.stats()
        pol_log_rows = list(pol.engine.log.rewards_since(0))
        pol.engine.export_parquet(tmp_path / "log.parquet")
    assert stats["decisions"] == 200
    # each matured total written once: as the decision's reward, or over the default the engine
    # learned for it 12 hours on (provisional_after's default since stop 47)
    kinds = [k for _, _, _, k in pol_log_rows]
    assert kinds.count("reward") + kinds.count("correction") == 200
    assert kinds.count("default") > 0  # 16.8 simulated hours a step: the default path ran
    assert stats["rewards"] == len(kinds)
    # the export lists decisions in the order they were made, which is the simulator's ref order
    rows = pq.read_table(tmp_path / "log.parquet").to_pylist()
    assert [r["customer_id"] for r in rows] == customers
    assert [r["action_index"] for r in rows] == chosen
    assert len(set(totals.values())) >= 3  # channel costs differ: a mixed-up total shows
    assert [r["reward"] for r in rows] == [totals[ref] for ref in range(200)]


def test_an_engine_cell_serves_the_capacity_world_without_a_refused_pick():
    cell = CellSpec("capacity", PolicyEntry("engine"), seed=0, horizon=1000, batch_size=250,
                    window=500, holdout_fraction=0.05)
    rows = run_cell(cell)
    holdout = sum(r["n_holdout"] for r in rows)
    assert 20 < holdout < 100 and sum(r["n_treated"] for r in rows) == 1000 - holdout
    # the simulator's open channels (consent, room left under a daily cap) reach the engine as
    # consent: nothing it picks is refused and replaced by no contact
    assert sum(r["overrides"] for r in rows) == 0
    assert sum(r["ch_sms"] for r in rows) > 0 and sum(r["ch_email"] for r in rows) > 0


def test_the_last_call_s_decisions_are_kept_in_row_order_with_their_explanations(tmp_path):
    env = CustomerBatchEnv("small", batch_size=30, seed=2)
    obs, info = env.reset(seed=2)
    with EnginePolicy(env, state_dir=tmp_path / "state", seed=2) as pol:
        for step in range(2):
            refs = np.arange(step * 30, (step + 1) * 30)
            a, p = pol.act_customers(obs, info["eligible"], info["customer_ids"],
                                     info["clock_hours"], refs)
            kept = pol.last_decisions
            assert [d.action_index for d in kept] == a.tolist()  # this call's, not the first's
            assert [d.customer_id for d in kept] == [str(c) for c in info["customer_ids"]]
            assert np.allclose([d.probability for d in kept], p)
            ex = kept[0].explain()
            assert ex.action == kept[0].action_name and ex.top_actions
            obs, _, _, _, info = env.step(a)


def test_a_message_launched_mid_run_is_never_picked_before_and_is_served_after(tmp_path):
    # cold_start's two messages launched at hour 31.92 instead of 336, so that a test reaches
    # the launch: 19 steps of 1.68 hours, whose float sum (31.919999999999998) falls a hair
    # short of it, so the simulator holds them back one step more (as 40 steps of 8.4 hours
    # do for the real launch at 336)
    launch = {"available_from_hour": 31.92}
    sc = load_scenario("cold_start", message_overrides={"newin15": launch, "seasonal20": launch})
    env = CustomerBatchEnv(sc, batch_size=100, seed=3)
    obs, info = env.reset(seed=3)
    late = [sc.messages.index(m) for m in sc.messages if m.name in ("newin15", "seasonal20")]
    before = after = 0
    with EnginePolicy(env, state_dir=tmp_path / "state", seed=3) as pol:
        for step in range(24):
            refs = np.arange(step * 100, (step + 1) * 100)
            a, _ = pol.act_customers(obs, info["eligible"], info["customer_ids"],
                                     info["clock_hours"], refs)
            # nothing the engine picks is refused by the simulator (and replaced by no contact)
            assert info["eligible"][np.arange(100), a].all(), f"step {step}"
            new = int(np.isin(env.catalog.message_of[a[a != env.catalog.no_contact_action]],
                              late).sum())
            launched = info["eligible"][:, env.catalog.message_of == late[0]].any()
            before, after = (before, after + new) if launched else (before + new, after)
            obs, _, _, _, info = env.step(a)
            pol.learn_refs(info["matured_refs"], info["matured_rewards"], info["clock_hours"])
    assert before == 0 and after > 0


def _play(pol: EnginePolicy, env: CustomerBatchEnv, steps: int = 30, batch: int = 50):
    """``steps`` simulator steps of ``batch`` customers chosen for by ``pol``, each step's
    reported totals handed to it; yields after each step the simulator's info and the hour of
    each decision so far (by ref)."""
    obs, info = env.reset(seed=2)
    decided: dict[int, float] = {}
    for step in range(steps):
        refs = np.arange(step * batch, (step + 1) * batch)
        a, _ = pol.act_customers(obs, info["eligible"], info["customer_ids"],
                                 info["clock_hours"], refs)
        decided.update(dict.fromkeys(refs.tolist(), info["clock_hours"]))
        obs, _, _, _, info = env.step(a)
        pol.learn_refs(info["matured_refs"], info["matured_rewards"], info["clock_hours"])
        yield info, decided


def test_totals_held_to_the_window_end_are_learned_no_sooner_and_none_is_lost(tmp_path):
    # a conversion's total comes from the simulator at the conversion, a zero at the window's
    # end; held, each is learned once its decision's conversion window has passed
    env = CustomerBatchEnv("small", batch_size=50, seed=2)
    window_h = env.scenario.conversion_window_hours
    with EnginePolicy(env, state_dir=tmp_path / "state", seed=2, rewards_at="window_end") as pol:
        reported = 0
        for info, decided in _play(pol, env):
            reported += len(info["matured_refs"])
            # no more learned than the decisions whose window has passed by now
            due = sum(h + window_h <= info["clock_hours"] for h in decided.values())
            learned = pol.engine.stats()["rewards"]
            assert learned <= due
        assert reported > learned  # some totals came before their window passed, and wait
        refs, flushed = env.flush()
        pol.learn_refs(refs, flushed, info["clock_hours"] + 10 * window_h)
        assert pol.engine.stats()["rewards"] == 1500  # every held total was learned


def test_an_unknown_rewards_at_is_refused_naming_it(tmp_path):
    with pytest.raises(SpecError, match=r"policies\[e\]\.params\.rewards_at: expected one of "
                                        r"due, window_end, provisional; got 'end'"):
        PolicyEntry("engine", {"rewards_at": "end"}, label="e")
    env = CustomerBatchEnv("small", batch_size=5, seed=0)
    with pytest.raises(SpecError, match="rewards_at"):
        EnginePolicy(env, state_dir=tmp_path / "s", rewards_at="end")
    assert not (tmp_path / "s").exists()  # refused before the engine made its folder


def test_provisional_reports_each_decision_at_once_and_adds_only_conversions(tmp_path):
    # every decision is rewarded 0 as it is made; a total other than 0 comes as a correction
    env = CustomerBatchEnv("small", batch_size=50, seed=2)
    with EnginePolicy(env, state_dir=tmp_path / "state", seed=2,
                      rewards_at="provisional") as pol:
        assert pol.engine.options.reward_mode == "sum"
        nonzero = 0
        for info, decided in _play(pol, env, steps=20):
            nonzero += int(np.count_nonzero(info["matured_rewards"]))
            assert pol.engine.stats()["rewards"] == len(decided) + nonzero
        assert nonzero > 0
        assert pol.engine.stats()["rewards"] == 1000 + nonzero


def test_provisional_with_a_reward_mode_that_refuses_corrections_is_refused(tmp_path):
    with pytest.raises(SpecError, match=r"policies\[e\]\.params\.reward_mode: rewards_at = "
                                        r'"provisional" .* needs "sum"; got \'refuse\''):
        PolicyEntry("engine", {"rewards_at": "provisional", "reward_mode": "refuse"}, label="e")
    env = CustomerBatchEnv("small", batch_size=5, seed=0)
    with pytest.raises(SpecError, match="reward_mode"):
        EnginePolicy(env, state_dir=tmp_path / "s", rewards_at="provisional",
                     reward_mode="refuse")
    assert not (tmp_path / "s").exists()


def test_provisional_zeros_wait_their_hours_for_a_total_that_comes_first(tmp_path):
    # with provisional_after_h, a decision whose total comes within those hours is reported
    # once; the others are reported as 0 when their hours are up, and a conversion after that
    # as a correction. At 72 hours both come by the hundreds in this run (at 60 hours, under
    # the default of stops 28-42, 2 totals came within the hours, and none under stop 43's)
    env = CustomerBatchEnv("small", batch_size=50, seed=2)
    with EnginePolicy(env, state_dir=tmp_path / "state", seed=2, rewards_at="provisional",
                      provisional_after_h=72.0) as pol:
        corrections = 0
        for info, decided in _play(pol, env):
            # every decision 72 hours old or more has been reported
            old = sum(h + 72.0 <= info["clock_hours"] for h in decided.values())
            rows = list(pol.engine.log.rewards_since(0))
            kinds = [kind for _, _, _, kind in rows]
            firsts, corrections = kinds.count("reward"), kinds.count("correction")
            assert firsts >= old
        assert corrections >= 50
        # totals that came within their 72 hours: reported once, as the first reward
        assert sum(value != 0.0 and kind == "reward" for _, _, value, kind in rows) >= 50
    with pytest.raises(SpecError, match="provisional_after_h: only with rewards_at"):
        EnginePolicy(env, state_dir=tmp_path / "x", provisional_after_h=12.0)
    with pytest.raises(SpecError, match=r"provisional_after_h: expected hours, a number >= 0"):
        PolicyEntry("engine", {"rewards_at": "provisional", "provisional_after_h": -1.0},
                    label="e")


@pytest.mark.parametrize("params", [{"rewards_at": "window_end"},
                                    {"rewards_at": "provisional", "provisional_after_h": 60.0}])
def test_held_totals_and_zeros_are_reported_the_same_in_every_run(tmp_path, params):
    # a batch's held totals (or zeros) fall due at one time; they are reported in the order
    # decided, not in the order of the decisions' random ids, so two runs learn alike
    logs = []
    for run in range(2):
        env = CustomerBatchEnv("small", batch_size=50, seed=2)
        with EnginePolicy(env, state_dir=tmp_path / str(run), seed=2, **params) as pol:
            for _ in _play(pol, env, steps=12):
                pass
            logs.append([(rec.action_index, value, kind)
                         for _, rec, value, kind in pol.engine.log.rewards_since(0)])
    assert len(logs[0]) > 300
    assert logs[0] == logs[1]


def test_the_engine_s_own_provisional_default_is_settled_each_step_and_corrected_later(tmp_path):
    # provisional_after: the adapter settles before each step, as the service's settler does,
    # so every decision 60 hours old has its default or its total; the simulator's totals
    # after that come as corrections, its zeros at the window's end teach nothing
    env = CustomerBatchEnv("small", batch_size=50, seed=2)
    with EnginePolicy(env, state_dir=tmp_path / "state", seed=2, reward_mode="sum",
                      provisional_after="60h") as pol:
        for info, decided in _play(pol, env):
            rows = list(pol.engine.log.rewards_since(0))
            kinds = [kind for _, _, _, kind in rows]
            firsts = kinds.count("reward") + kinds.count("default")
            # decided 60 hours before the last step's start (the settling time) or earlier
            step_h = env.hours_per_step
            old = sum(h + 60.0 <= info["clock_hours"] - step_h for h in decided.values())
            assert firsts >= old
        assert kinds.count("default") > 0 and kinds.count("reward") > 0
        late = [value for _, _, value, kind in rows if kind == "correction"]
        assert any(v != 0.0 for v in late)  # conversions after their default
        assert pol.engine.stats()["settle_failures"] == 0
