"""The batch world: shapes, determinism, late rewards exactly once, exact expected rewards,
bad input, and the scenario events (capacity, cold start, drift, churn, fatigue)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulator import (
    ActionNotEligibleError,
    ActionOutOfRangeError,
    CapacityExceededError,
    CustomerBatchEnv,
    EpisodeEndedError,
    EpisodeNotStartedError,
    ScenarioError,
    load_scenario,
)
from simulator.calibration import uniform_random_actions
from simulator.response import chosen_probabilities, expected_rewards_into


def _run(env, steps, policy_seed=1):
    """Step a uniform-random policy; return the list of (actions, reward, info) per step."""
    rng = np.random.default_rng(policy_seed)
    _, info = env.reset(seed=0)
    out = []
    for _ in range(steps):
        a = uniform_random_actions(info["eligible"], rng)
        _, reward, _, _, info = env.step(a)
        out.append((a, reward, info))
    return out


def test_reset_and_step_shapes():
    env = CustomerBatchEnv("small", batch_size=64, seed=0)
    obs, info = env.reset(seed=0)
    k, d = env.catalog.n_actions, len(env.context_names)
    assert obs.shape == (64, d) and obs.dtype == np.float64
    assert obs.min() >= -1.0 and obs.max() <= 1.0
    assert info["eligible"].shape == (64, k) and info["eligible"].dtype == bool
    assert info["eligible"][:, env.catalog.no_contact_action].all()
    assert info["customer_ids"].dtype == np.int64 and len(set(info["customer_ids"])) == 64
    assert len(set(env.context_names)) == d
    for name in ("segment=vip", "consent_email", "consent_sms", "contact_pressure",
                 "region=west", "device=ios", "recency"):
        assert name in env.context_names
    a = np.full(64, env.catalog.no_contact_action)
    obs, reward, terminated, truncated, info = env.step(a)
    assert reward.shape == (64,) and (reward == 0).all()
    assert terminated is False and truncated is False
    assert (info["refs"] == np.arange(64)).all() and info["step"] == 1
    # no contact is final at once: every decision of this step matured in this step
    assert sorted(info["matured_refs"]) == list(range(64))
    assert (info["matured_rewards"] == 0).all()
    for key in ("delivered", "opened", "clicked", "converted", "unsubscribed", "churned"):
        assert info[key].shape == (64,) and not info[key].any()


def test_same_seed_same_trajectory_and_other_seed_differs():
    runs = [_run(CustomerBatchEnv("small", batch_size=100, seed=7), 15) for _ in range(2)]
    for (a1, r1, i1), (a2, r2, i2) in zip(*runs, strict=True):
        assert (a1 == a2).all() and (r1 == r2).all()
        for key in ("matured_refs", "matured_rewards", "customer_ids", "converted", "eligible"):
            assert np.array_equal(i1[key], i2[key])
    env = CustomerBatchEnv("small", batch_size=100)
    o1, _ = env.reset(seed=1)
    o2, _ = env.reset(seed=2)
    assert not np.array_equal(o1, o2)


def test_every_decision_matures_exactly_once():
    env = CustomerBatchEnv("baseline", batch_size=500, seed=0)
    steps = _run(env, 40)
    refs = np.concatenate([i["matured_refs"] for _, _, i in steps] + [env.flush()[0]])
    assert np.array_equal(np.sort(refs), np.arange(40 * 500))
    assert len(env.flush()[0]) == 0  # flushed once


def test_matured_totals_are_immediate_plus_late_and_late_ones_come_later():
    env = CustomerBatchEnv("baseline", batch_size=500, seed=0)
    steps = _run(env, 40)
    totals = {}
    for _, _, info in steps:
        totals.update(zip(info["matured_refs"].tolist(), info["matured_rewards"].tolist(),
                          strict=True))
    totals.update(zip(*(x.tolist() for x in env.flush()), strict=True))
    assert env.scenario.conversion_window_hours > 2 * env.hours_per_step
    late = charged = 0
    scale = env.scenario.reward.channel_cost
    for a, reward, info in steps:
        conv = info["converted"]
        got = np.array([totals[r] for r in info["refs"]])
        assert (got[~conv] == reward[~conv]).all()       # no conversion: total = immediate
        assert (got[conv] > reward[conv]).all()          # conversion: revenue on top
        contacted = a != env.catalog.no_contact_action
        # known at once: the chosen channel's cost, exactly (the baseline charges no penalties;
        # in-app costs 0.0, so "every contact is negative" would not hold, and "<= 0" would pass
        # a world that forgot to charge)
        cost = env.catalog.channel_cost[env.catalog.channel_of[a]] * scale
        np.testing.assert_array_equal(reward, np.where(contacted, -cost, 0.0))
        charged += int((reward < 0).sum())
        late += conv.sum()
        same_step = set(info["matured_refs"].tolist()) & set(info["refs"].tolist())
        # a non-converting contact waits for the window (several steps here) to pass
        assert not (same_step & set(info["refs"][contacted & ~conv].tolist()))
    assert late > 20
    assert charged > 1000  # most random contacts go out on a paid channel


def test_expected_rewards_are_exactly_the_funnel_expectation():
    env = CustomerBatchEnv(load_scenario("baseline", reward={
        "open_value": 0.01, "click_value": 0.1, "unsubscribe_penalty": 2.0,
        "churn_penalty": 5.0, "use_margin": True}), batch_size=300, seed=0)
    _run(env, 5)  # build up some contact pressure
    R = env.expected_rewards()
    cat, rw = env.catalog, env.scenario.reward
    rng = np.random.default_rng(3)
    a = rng.integers(0, cat.n_actions - 1, size=300)
    m, c, t = cat.message_of[a], cat.channel_of[a], cat.timing_of[a]
    p = chosen_probabilities(env._physics, env._pop, env._batch_state(), m, c, t)
    opened = p["deliver"] * p["open"]
    want = (-cat.channel_cost[c] + opened * (rw.open_value + p["click"] * (
        rw.click_value + p["convert"] * p["value"]))
        - p["deliver"] * (rw.unsubscribe_penalty * p["unsubscribe"]
                          + rw.churn_penalty * p["churn"]))
    np.testing.assert_allclose(R[np.arange(300), a], want, rtol=1e-10, atol=1e-12)
    assert (R[:, cat.no_contact_action] == 0).all()


def test_expected_rewards_float32_and_out_buffer():
    env = CustomerBatchEnv("baseline", batch_size=200, seed=0)
    env.reset(seed=0)
    r64 = env.expected_rewards()
    buf = np.empty((200, env.catalog.n_actions), dtype=np.float32)
    r32 = env.expected_rewards(out=buf)
    assert r32 is buf
    np.testing.assert_allclose(r32, r64, rtol=1e-4, atol=1e-5)
    with pytest.raises(ScenarioError, match=r"out must be a float32/float64 array of shape"):
        env.expected_rewards(out=np.empty((3, 3)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_expected_rewards_the_same_on_any_number_of_threads(dtype):
    # 20,000 customers: two blocks of 10,000 on two or more threads, one block on one
    env = CustomerBatchEnv(load_scenario("baseline", n_customers=20_000), batch_size=20_000,
                           seed=0)
    env.reset(seed=0)
    one = env.expected_rewards(dtype=dtype, threads=1).copy()
    for threads in (2, 3, 8):
        assert np.array_equal(env.expected_rewards(dtype=dtype, threads=threads), one)
    assert np.array_equal(env.expected_rewards(dtype=dtype), one)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_expected_rewards_refuses_a_bad_thread_count(bad):
    env = CustomerBatchEnv("small", batch_size=10, seed=0)
    env.reset(seed=0)
    with pytest.raises(ScenarioError, match="threads must be a positive integer"):
        env.expected_rewards(threads=bad)


def test_realized_rewards_average_to_the_expected_ones():
    env = CustomerBatchEnv("baseline", batch_size=1000, seed=0)
    rng = np.random.default_rng(5)
    _, info = env.reset(seed=0)
    expected, realized = {}, {}
    for _ in range(60):
        R = env.expected_rewards()
        a = uniform_random_actions(info["eligible"], rng)
        _, _, _, _, info2 = env.step(a)
        expected.update(zip(info2["refs"].tolist(), R[np.arange(1000), a].tolist(), strict=True))
        realized.update(zip(info2["matured_refs"].tolist(), info2["matured_rewards"].tolist(),
                            strict=True))
        info = info2
    realized.update(zip(*(x.tolist() for x in env.flush()), strict=True))
    refs = sorted(expected)
    e = np.array([expected[r] for r in refs])
    x = np.array([realized[r] for r in refs])
    se = x.std() / np.sqrt(len(x))
    assert abs(x.mean() - e.mean()) < 4 * se, (x.mean(), e.mean(), se)


def test_oracle_beats_random_by_a_wide_margin():
    env = CustomerBatchEnv("baseline", batch_size=2000, seed=0)
    _, info = env.reset(seed=0)
    R = env.expected_rewards()
    el = info["eligible"]
    oracle = np.where(el, R, -np.inf).max(axis=1).mean()
    random = (np.where(el, R, 0).sum(axis=1) / el.sum(axis=1)).mean()
    assert oracle > 3 * random > 0


@pytest.mark.parametrize("make_actions, err, match", [
    (lambda n, k: np.zeros(n - 1, dtype=int), ActionOutOfRangeError,
     r"actions must have shape \(20,\), got \(19,\)"),
    (lambda n, k: np.zeros(n), ActionOutOfRangeError, r"actions must be integers, got dtype float"),
    (lambda n, k: np.full(n, -1), ActionOutOfRangeError,
     r"actions\[0\] = -1 is out of range; expected an index in \[0, 201\)"),
    (lambda n, k: np.r_[np.zeros(n - 1, int), k], ActionOutOfRangeError,
     r"actions\[19\] = 201 is out of range"),
])
def test_bad_actions_are_refused_and_change_nothing(make_actions, err, match):
    env = CustomerBatchEnv("small", batch_size=20, seed=0)
    _obs, _info = env.reset(seed=0)
    with pytest.raises(err, match=match):
        env.step(make_actions(20, env.catalog.n_actions))
    twin = CustomerBatchEnv("small", batch_size=20, seed=0)
    twin.reset(seed=0)
    a = np.full(20, env.catalog.no_contact_action)
    first, second = env.step(a), twin.step(a)
    assert np.array_equal(first[0], second[0]) and first[4]["step"] == second[4]["step"] == 1


def _ineligible_pick(env, info):
    """(row, action) of a contact the customer may not receive (no consent)."""
    el = info["eligible"]
    rows, cols = np.nonzero(~el)
    return rows[0], cols[0]


def test_ineligible_action_raises_naming_why_or_becomes_no_contact():
    env = CustomerBatchEnv("baseline", batch_size=50, seed=0)
    _, info = env.reset(seed=0)
    row, action = _ineligible_pick(env, info)
    a = np.full(50, env.catalog.no_contact_action)
    a[row] = action
    with pytest.raises(ActionNotEligibleError, match=rf"actions\[{row}\] = {action} .* "
                       r"no consent on channel"):
        env.step(a)
    soft = CustomerBatchEnv("baseline", batch_size=50, seed=0, ineligible="no_contact")
    soft.reset(seed=0)
    _, reward, _, _, info = soft.step(a)
    assert reward[row] == 0 and not info["delivered"][row]


def test_calls_out_of_order():
    env = CustomerBatchEnv("small", batch_size=10, seed=0, max_steps=2)
    with pytest.raises(EpisodeNotStartedError, match=r"call reset\(\) before"):
        env.step(np.zeros(10, dtype=int))
    with pytest.raises(EpisodeNotStartedError):
        env.expected_rewards()
    env.reset()
    nc = np.full(10, env.catalog.no_contact_action)
    assert env.step(nc)[3] is False
    assert env.step(nc)[3] is True
    with pytest.raises(EpisodeEndedError, match=r"after the episode was truncated at step 2"):
        env.step(nc)
    env.reset()
    assert env.step(nc)[4]["step"] == 1


def test_horizon_truncates_in_simulated_hours():
    sc = load_scenario("small", horizon_hours=24.0)
    env = CustomerBatchEnv(sc, batch_size=100, seed=0)
    env.reset()
    steps = 0
    nc = np.full(100, env.catalog.no_contact_action)
    while not env.step(nc)[3]:
        steps += 1
    assert steps + 1 == int(np.ceil(24.0 / env.hours_per_step))


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, r"batch_size must be an int in \[1, n_customers=500\], got 0"),
    ({"batch_size": 501}, r"got 501"),
    ({"ineligible": "ignore"}, r"ineligible must be 'raise' or 'no_contact'"),
    ({"max_steps": 0}, r"max_steps must be None or an int >= 1"),
])
def test_bad_env_arguments(kwargs, match):
    with pytest.raises(ScenarioError, match=match):
        CustomerBatchEnv("small", **{"batch_size": 10, **kwargs})


def test_a_world_without_no_contact_is_refused():
    with pytest.raises(ScenarioError, match=r"allow_no_contact must be true"):
        CustomerBatchEnv(load_scenario("small", allow_no_contact=False), batch_size=10)


def test_time_per_decision_does_not_depend_on_batch_size():
    sc = load_scenario("baseline")
    a, b = CustomerBatchEnv(sc, batch_size=100), CustomerBatchEnv(sc, batch_size=1000)
    assert a.hours_per_step * 10 == pytest.approx(b.hours_per_step)
    assert b.hours_per_step == pytest.approx(1000 / sc.decisions_per_hour)


def test_capacity_caps_are_never_exceeded():
    env = CustomerBatchEnv("capacity", batch_size=200, seed=0)
    caps = {c.name: c.daily_cap for c in env.scenario.channels}
    _, info = env.reset(seed=0)
    sent: dict[tuple[int, int], int] = {}
    for _ in range(60):  # ~8 days; the oracle wants SMS far more than 60 a day
        day = int(info["clock_hours"] // 24)
        R = np.where(info["eligible"], env.expected_rewards(), -np.inf)
        a = R.argmax(axis=1)
        ch = env.catalog.channel_of[a]
        for j in np.unique(ch[ch >= 0]):
            sent[day, j] = sent.get((day, j), 0) + int((ch == j).sum())
        _, _, _, _, info = env.step(a)
    sms = env.catalog.channels.index("sms")
    per_day = [n for (d, j), n in sent.items() if j == sms]
    assert max(per_day) <= caps["sms"] and max(per_day) >= caps["sms"] // 2


def _best(env, info):
    return np.where(info["eligible"], env.expected_rewards(), -np.inf).argmax(axis=1)


def test_campaign_mode_decides_a_whole_day_with_every_consented_channel_open():
    env = CustomerBatchEnv("capacity", mode="campaign", seed=0)
    sc = env.scenario
    assert env.batch_size == np.ceil(24 * sc.decisions_per_hour)
    assert env.hours_per_step == pytest.approx(24.0, abs=0.02)
    _, info = env.reset(seed=0)
    caps = [c.daily_cap or np.inf for c in sc.channels]
    np.testing.assert_array_equal(info["capacity_left"], caps)
    assert info["budget_left"] == np.inf
    assert sorted(info["arrival_order"].tolist()) == list(range(env.batch_size))
    # no lottery: a channel is eligible exactly where the customer consented to it
    consent = env._pop.consent[env._slots]
    contact = env.catalog.channel_of >= 0
    np.testing.assert_array_equal(info["eligible"][:, contact],
                                  consent[:, env.catalog.channel_of[contact]])


def test_campaign_mode_refuses_actions_beyond_a_cap_naming_the_channel():
    env = CustomerBatchEnv("capacity", mode="campaign", seed=0)
    _, info = env.reset(seed=0)
    best = _best(env, info)  # the oracle wants SMS for hundreds of customers, 60 are allowed
    with pytest.raises(CapacityExceededError, match=r"'sms': \d+ sends, 60 left"):
        env.step(best)
    assert env._step == 0  # nothing was sent


def test_campaign_mode_cuts_in_arrival_order_and_resets_caps_each_day():
    env = CustomerBatchEnv("capacity", mode="campaign", seed=0, ineligible="no_contact")
    _, info = env.reset(seed=0)
    sms = env.catalog.channels.index("sms")
    for _ in range(3):
        best = _best(env, info)
        wants = env.catalog.channel_of[best[info["arrival_order"]]] == sms
        first = info["arrival_order"][np.flatnonzero(wants)[:60]]
        later = info["arrival_order"][np.flatnonzero(wants)[60:]]
        assert info["capacity_left"][sms] == 60  # a new day, a full cap
        _, _, _, _, out = env.step(best)
        played = out["played"]
        assert (played[first] == best[first]).all()  # the first 60 who wanted SMS got it
        assert (played[later] == env.catalog.no_contact_action).all()  # the later ones: cut
        others = np.setdiff1d(np.arange(env.batch_size), np.concatenate([first, later]))
        assert (played[others] == best[others]).all()
        info = out


def test_campaign_mode_keeps_the_daily_budget():
    env = CustomerBatchEnv("capacity", mode="campaign", seed=0, daily_budget=1.0)
    _, info = env.reset(seed=0)
    assert info["budget_left"] == 1.0
    cost = env.action_costs
    best = _best(env, info)
    assert cost[best].sum() > 1.0
    with pytest.raises(CapacityExceededError, match=r"budget: [\d.]+ spent, 1 left"):
        env.step(best)
    cheap = np.where(np.cumsum(cost[best]) <= 1.0, best, env.catalog.no_contact_action)
    cheap = np.where(np.isin(env.catalog.channel_of[cheap], [1]), env.catalog.no_contact_action,
                     cheap)  # keep SMS out: its cap would refuse the step first
    _, _, _, _, info = env.step(cheap)
    assert info["budget_left"] == 1.0  # the next day, the whole budget again


@pytest.mark.parametrize("kwargs, match", [
    ({"mode": "batch"}, r"mode must be 'stream' or 'campaign', got 'batch'"),
    ({"daily_budget": 5.0}, r"daily_budget must be None or a number >= 0 in campaign mode"),
    ({"mode": "campaign", "daily_budget": -1.0}, r"daily_budget must be None or a number >= 0"),
    ({"mode": "campaign", "batch_size": 5000}, r"at most one day of decisions \(1429\)"),
])
def test_bad_campaign_arguments(kwargs, match):
    with pytest.raises(ScenarioError, match=match):
        CustomerBatchEnv("capacity", **kwargs)


def test_cold_start_messages_appear_at_their_hour():
    env = CustomerBatchEnv(load_scenario("cold_start"), batch_size=1000, seed=0)
    cat = env.catalog
    new = [cat.messages.index("newin15"), cat.messages.index("seasonal20")]
    cols = np.isin(cat.message_of, new)
    _, info = env.reset(seed=0)
    assert not info["eligible"][:, cols].any()
    nc = np.full(1000, cat.no_contact_action)
    while info["clock_hours"] < 336:
        _, _, _, _, info = env.step(nc)
    assert info["eligible"][:, cols].any()


def test_drift_rotates_theme_tastes():
    env = CustomerBatchEnv("drift", batch_size=500, seed=0)
    env.reset(seed=0)
    b = env._batch_state()
    before, after = (np.empty((500, env.catalog.n_actions)) for _ in range(2))
    expected_rewards_into(before, env._physics, env._pop, b)
    drifted = replace(b, drifted=True)
    expected_rewards_into(after, env._physics, env._pop, drifted)
    changed = np.mean(before.argmax(axis=1) != after.argmax(axis=1))
    assert changed > 0.2
    welcome = np.isin(env.catalog.message_of, [env.catalog.messages.index("welcome10")])
    np.testing.assert_allclose(before[:, welcome], after[:, welcome])  # lifecycle themes stay


def test_a_new_mix_replaces_who_the_customers_are_not_how_they_answer():
    sc = load_scenario("mix_shift", n_customers=4000, mix_at_hour=100.0)
    env = CustomerBatchEnv(sc, batch_size=500, seed=0)
    env.reset(seed=0)
    nc = np.full(500, env.catalog.no_contact_action)
    while env._clock + env.hours_per_step < 100:
        env.step(nc)
    ids, traits = env._ids.copy(), env._pop.theme_aff.copy()
    env.step(nc)  # crosses hour 100
    kept = env._ids == ids
    assert abs((~kept).mean() - sc.mix_share) < 0.01  # half the base, at once
    np.testing.assert_array_equal(env._pop.theme_aff[kept], traits[kept])  # the rest unchanged
    names = env.context_names
    young, ios, new = (env._table[:, names.index(c)] for c in
                       ("age_band=18-24", "device=ios", "segment=new"))
    assert young[~kept].mean() == pytest.approx(sc.mix_age[0], abs=0.04)
    assert ios[~kept].mean() == pytest.approx(sc.mix_device[0], abs=0.04)
    assert new[~kept].mean() == 1.0 and young[kept].mean() < 0.2
    # the same physics: a customer's expected rewards depend on its traits only
    assert env._physics is not None and not env._batch_state().drifted


def test_contact_pressure_lowers_expected_reward_and_shows_in_context():
    env = CustomerBatchEnv("fatigue", batch_size=500, seed=0)
    env.reset(seed=0)
    b = env._batch_state()
    calm, tired = (np.empty((500, env.catalog.n_actions)) for _ in range(2))
    expected_rewards_into(calm, env._physics, env._pop, b)
    stressed = replace(b, pressure=b.pressure + 3.0)
    expected_rewards_into(tired, env._physics, env._pop, stressed)
    contact = env.catalog.channel_of >= 0
    assert (tired[:, contact] <= calm[:, contact] + 1e-12).all()
    assert tired[:, contact].mean() < 0.8 * calm[:, contact].mean()
    col = env.context_names.index("contact_pressure")
    rng = np.random.default_rng(0)
    _, info = env.reset(seed=0)
    for _ in range(40):
        obs, _, _, _, info = env.step(uniform_random_actions(info["eligible"], rng))
    assert obs[:, col].mean() > 0.05


def test_unsubscribes_remove_consent_and_churn_brings_new_customers():
    sc = load_scenario("small", channel_overrides={
        "sms": {"unsubscribe_logit": 0.0, "churn_logit": -1.0}})
    env = CustomerBatchEnv(sc, batch_size=100, seed=0)
    _, info = env.reset(seed=0)
    sms = env.catalog.channels.index("sms")
    col = env.context_names.index("consent_sms")
    first_ids = set(range(sc.n_customers))
    saw_unsub = saw_new = False
    for _ in range(30):
        el = info["eligible"]
        sms_actions = np.flatnonzero(env.catalog.channel_of == sms)
        a = np.where(el[:, sms_actions[0]], sms_actions[0], env.catalog.no_contact_action)
        ids = info["customer_ids"]
        obs, _, _, _, info = env.step(a)
        gone = info["unsubscribed"] & ~info["churned"]
        for cid in ids[gone]:
            assert not env._pop.consent[np.flatnonzero(env._ids == cid), sms].any()
            saw_unsub = True
        saw_new |= bool(set(info["customer_ids"].tolist()) - first_ids)
        assert np.array_equal(obs[:, col] == 1, info["eligible"][:, sms_actions[0]])
    assert saw_unsub and saw_new


def _customers_met(draws: str, policy_seed: int, steps: int = 30) -> list[tuple]:
    """Each step's customers and moments on ``capacity`` under a uniform-random policy."""
    env = CustomerBatchEnv("capacity", batch_size=100, seed=4, draws=draws)
    rng = np.random.default_rng(policy_seed)
    _, info = env.reset(seed=4)
    met = []
    for _ in range(steps):
        met.append((info["customer_ids"].copy(), info["clock_hours"]))
        _, _, _, _, info = env.step(uniform_random_actions(info["eligible"], rng))
    return met


def test_common_draws_give_two_policies_the_same_customers_and_sequence_draws_do_not():
    """Catches a room or a newcomer drawn from the main generator in ``"common"``: on
    ``capacity`` (60 SMS a day, 100 rows a step) which rows get the day's last SMS room takes
    as many draws as there is room left, which follows what was sent, so from then on the two
    policies would meet other customers. In ``"sequence"`` they do, within a few steps."""
    a, b = _customers_met("common", 1), _customers_met("common", 2)
    assert all(np.array_equal(x[0], y[0]) and x[1] == y[1] for x, y in zip(a, b, strict=True))
    s1, s2 = _customers_met("sequence", 1), _customers_met("sequence", 2)
    assert not all(np.array_equal(x[0], y[0]) for x, y in zip(s1, s2, strict=True))
    # the same seed, a world of its own in each mode; reproducible in both
    assert _customers_met("common", 1, steps=3)[2][0].tolist() == a[2][0].tolist()
    with pytest.raises(ScenarioError, match="draws must be one of sequence, common"):
        CustomerBatchEnv("capacity", batch_size=100, seed=4, draws="keyed")


def test_common_draws_take_the_same_main_draws_a_step_whatever_churns():
    """Catches newcomers (who replace churned customers) drawn from the main generator in
    ``"common"``: with SMS churning one customer in four, two random policies churn different
    numbers, and the main generator would stand elsewhere after the first such step."""
    sc = load_scenario("capacity", channel_overrides={"sms": {"churn_logit": -1.0}})
    envs = [CustomerBatchEnv(sc, batch_size=100, seed=4, draws="common") for _ in range(2)]
    rngs = [np.random.default_rng(s) for s in (1, 2)]
    infos = [env.reset(seed=4)[1] for env in envs]
    churned = [0, 0]
    for _ in range(10):
        for i, env in enumerate(envs):
            infos[i] = env.step(uniform_random_actions(infos[i]["eligible"], rngs[i]))[4]
            churned[i] += int(infos[i]["churned"].sum())
        assert envs[0]._rng.bit_generator.state == envs[1]._rng.bit_generator.state
    assert churned[0] != churned[1] and min(churned) > 0
