"""The live engine on the simulator's campaign days: each day's customers go through
``Engine.choose`` one by one in the order a stream would have met them, with priced live choose
(``[engine.prices]``) or first come, first served.

Each simulated day the world presents its whole day of customers (``CustomerBatchEnv(...,
mode="campaign")``); they are decided in ``info["arrival_order"]``, spread evenly over the UTC
day (the engine's capacity day is the simulator's), with the simulator's consent as their
``consent_<channel>`` flags (capacity is the engine's own business: its catalog carries the
scenario's daily caps). Each decision's value is exact: the world's expected reward of the action
chosen (``env.expected_rewards()``), per 1,000 customers. The world then steps with the engine's
actions (``ineligible="raise"``: a send beyond a cap would raise), and at the day's end every
decision is rewarded with its expected reward (noise-free and on time, so both arms learn alike
and the comparison is about the allocation). Sends beyond a day's cap are counted too. The
drift monitor is off (it does not decide; it only costs time here).

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     days = live_days("capacity", seed=0, days=1, priced=False, state_dir=d,
    ...                      n_customers=700)
    >>> days[0]["violations"], days[0]["customers"] > 0
    (0, True)
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from experiments.engine_policy import T0, engine_catalog
from experiments.sim_problem import context_dicts
from simulator import CustomerBatchEnv, load_scenario

__all__ = ["live_days"]

_DAY = 86400.0


def live_days(scenario: str, *, seed: int, days: int, priced: bool,
              state_dir: str | os.PathLike, n_customers: int | None = None,
              prices: dict[str, Any] | None = None, **options: Any) -> list[dict]:
    """Run ``days`` days of the engine; one record per day.

    Args:
        scenario: a scenario name or path (``capacity`` has the caps).
        seed: the world's and the engine's seed.
        days: how many days.
        priced: priced live choose (``[engine.prices] enabled = true``) or first come.
        state_dir: an empty folder for the engine.
        n_customers: override the scenario's population.
        prices: more ``[engine.prices]`` settings for the priced arm.
        **options: more engine options (``exploration="epsilon"``: both arms serve the one
            epsilon-greedy learner, so that they differ by the prices alone).

    Returns:
        Records with ``day``, ``customers``, ``value`` (exact expected reward per 1,000
        customers), ``sends`` and ``capacity`` (per channel), ``violations`` and ``prices`` (the
        last decision's, priced arm).
    """
    from engine import Engine
    from engine.clock import ManualClock
    from engine.contact_rules import RulesConfig

    sc = load_scenario(scenario, **({} if n_customers is None else
                                    {"n_customers": n_customers}))
    env = CustomerBatchEnv(sc, mode="campaign", seed=seed)
    obs, info = env.reset(seed=seed)
    clock = ManualClock(T0)
    if priced:
        options = {**options, "prices": {"enabled": True, **(prices or {})}}
    channel_of = np.asarray(env.catalog.channel_of)
    consent_keys = [f"consent_{c}" for c in env.catalog.channels]
    out = []
    with Engine(catalog=engine_catalog(env), state_dir=state_dir, seed=seed, clock=clock,
                rules=RulesConfig(max_per_day=None, max_per_week=None, quiet_hours=None),
                reward_window="3d", checkpoint_every=10**9, drift={"enabled": False},
                **options) as eng:
        for day in range(days):
            truth = env.expected_rewards()
            n = env.batch_size
            start = T0 + _DAY * np.floor(info["clock_hours"] / 24.0)
            ctxs = context_dicts(tuple(env.context_names), obs)
            open_ = np.stack([info["eligible"][:, channel_of == j].any(axis=1)
                              for j in range(len(consent_keys))], axis=1)
            actions = np.empty(n, dtype=np.int64)
            decided = []
            last = None
            for rank, i in enumerate(info["arrival_order"].tolist()):
                clock.set(start + (rank + 0.5) * (_DAY - 120.0) / n)
                ctxs[i].update(zip(consent_keys, open_[i].tolist(), strict=True))
                last = eng.choose(f"{int(info['customer_ids'][i])}-{day}", ctxs[i])
                actions[i] = last.action_index
                decided.append((last.decision_id, float(truth[i, last.action_index])))
            sends = np.bincount(channel_of[actions][channel_of[actions] >= 0],
                                minlength=len(consent_keys))
            caps = info["capacity_left"]
            out.append({"day": day, "customers": n,
                        "value": float(truth[np.arange(n), actions].sum()) * 1000 / n,
                        "sends": sends.tolist(), "capacity": caps.tolist(),
                        "violations": int((sends > caps).sum()),
                        "prices": last.explain().prices if last is not None else {}})
            clock.set(start + _DAY - 60.0)
            for decision_id, value in decided:
                eng.reward(decision_id, value)
            obs, _, _, _, info = env.step(actions)
    return out
