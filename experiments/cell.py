"""One cell of the grid: a policy meets a simulated world for ``horizon`` decisions.

Everything is built here, inside the worker, from a :class:`CellSpec` (names, params, seeds):
the simulator env, the policy, and the control group. Each step the policy acts for the treated
customers of the batch (the holdout gets no contact); matured totals are learned as the
simulator reports them (by ref), the rest at the end (``flush``). Regret is exact: the oracle's
expected reward minus the chosen action's expected reward, both from ``expected_rewards()``.

One flat record per window of ``window`` decisions; sums, never means, so windows, seeds and
cells add up. Columns (treated = not in the holdout):

- ``scenario, policy`` (label), ``policy_name, seed, window`` (index), ``step`` (decisions made
  by the end of the window), ``n, n_treated, n_holdout``;
- ``reward_treated, reward_sq_treated, reward_holdout, reward_sq_holdout``: realized totals and
  their squares (for per-decision variances);
- ``expected_treated, oracle_treated, random_treated``: expected reward of the chosen action,
  of the best eligible action, of uniform random over the eligible ones; ``regret`` (oracle -
  chosen, treated rows), ``cumulative_regret``;
- ``contacts, no_contact, ch_<channel>, tm_<timing>``: the action mix of treated rows;
- ``opened, clicked, converted, unsubscribed, churned``: outcomes of treated rows;
- ``overrides``: decisions the simulator replaced by no contact (the engine adapter only);
- ``in_test``: treated decisions made while the policy's A/B test was still running
  (:class:`~policies.base.RunsABTest` policies, the A/B-test baselines; 0 for every other
  policy), so the report can say whether a test ever finished.

Example:
    >>> from dataclasses import replace
    >>> from experiments.spec import CellSpec, PolicyEntry
    >>> cell = CellSpec("small", PolicyEntry("random"), seed=0, horizon=400, batch_size=100,
    ...                 window=200, holdout_fraction=0.1)
    >>> rows = run_cell(cell)
    >>> len(rows), rows[-1]["step"], rows[0]["n_treated"] + rows[0]["n_holdout"]
    (2, 400, 200)
    >>> all(r["regret"] > 0 for r in rows)  # uniform random: far from the best action
    True
    >>> [r["regret"] for r in run_cell(replace(cell, policy=PolicyEntry("oracle")))]
    [0.0, 0.0]
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from typing import Any

import numpy as np

from experiments.control_group import ControlGroup
from experiments.errors import SpecError
from experiments.spec import ENGINE_POLICY, CellSpec
from policies.base import ActsByCustomer, RunsABTest, SeesTruth

__all__ = ["run_cell"]

_OUTCOMES = ("opened", "clicked", "converted", "unsubscribed", "churned")


def _build_policy(cell: CellSpec, env: Any, stack: ExitStack) -> Any:
    from experiments.sim_problem import problem_from_catalog

    entry = cell.policy
    if entry.name == ENGINE_POLICY:
        from experiments.engine_policy import EnginePolicy

        state_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="offerbandit-cell-"))
        return stack.enter_context(EnginePolicy(env, state_dir=state_dir, seed=cell.seed,
                                                **entry.params))
    from policies.registry import make_policy

    return make_policy(entry.name, problem_from_catalog(env), cell.seed, **entry.params)


class _Trace:
    """Per-decision arrays of the whole cell (refs index them: the simulator numbers decisions
    0, 1, 2... from reset)."""

    def __init__(self, horizon: int, d: int) -> None:
        self.contexts = np.zeros((horizon, d))
        self.actions = np.zeros(horizon, dtype=np.int64)
        self.probs = np.ones(horizon)
        self.holdout = np.zeros(horizon, dtype=bool)
        self.expected = np.zeros(horizon)
        self.oracle = np.zeros(horizon)
        self.random = np.zeros(horizon)
        self.realized = np.full(horizon, np.nan)
        self.overridden = np.zeros(horizon, dtype=bool)
        self.in_test = np.zeros(horizon, dtype=bool)
        self.outcomes = {k: np.zeros(horizon, dtype=bool) for k in _OUTCOMES}


def run_cell(cell: CellSpec) -> list[dict[str, Any]]:
    """Run one cell and return its per-window records (see the module docstring).

    Raises:
        SpecError: a holdout on a scenario without a no-contact action.
        Any error of the simulator or the policy (a bad parameter value, say) as it is.
    """
    from simulator import CustomerBatchEnv, load_scenario

    env = CustomerBatchEnv(load_scenario(cell.scenario), batch_size=cell.batch_size,
                           seed=cell.seed)
    nc = env.catalog.no_contact_action
    if cell.holdout_fraction > 0 and nc is None:
        raise SpecError(f"holdout_fraction: scenario {cell.scenario!r} has no no-contact action, "
                        f"so a holdout of {cell.holdout_fraction} cannot be served; use 0")
    with ExitStack() as stack:
        policy = _build_policy(cell, env, stack)
        trace = _loop(cell, env, policy)
    return _records(cell, env, trace)


def _loop(cell: CellSpec, env: Any, policy: Any) -> _Trace:
    batch = cell.batch_size
    trace = _Trace(cell.horizon, len(env.context_names))
    by_ref = isinstance(policy, ActsByCustomer)
    tests = isinstance(policy, RunsABTest)
    nc = env.catalog.no_contact_action
    control = ControlGroup(cell.holdout_fraction)
    obs, info = env.reset(seed=cell.seed)
    for step in range(cell.horizon // batch):
        refs = np.arange(step * batch, (step + 1) * batch)
        el, ids = info["eligible"], info["customer_ids"]
        expected = env.expected_rewards()
        hold = control.mask(ids)
        treat = ~hold
        actions = np.full(batch, -1 if nc is None else nc, dtype=np.int64)
        probs = np.ones(batch)
        if treat.any():
            if isinstance(policy, SeesTruth):
                policy.see_expected(expected[treat])
            if tests:  # the state the decision is made in, before act
                trace.in_test[refs[treat]] = policy.in_test(obs[treat])
            if by_ref:
                a, p = policy.act_customers(obs[treat], el[treat], ids[treat],
                                            info["clock_hours"], refs[treat])
            else:
                a, p = policy.act(obs[treat], el[treat])
            actions[treat], probs[treat] = a, p
        rows = np.arange(batch)
        # an ineligible pick (only the engine's rules can differ from the world's) is no contact
        played = actions if nc is None else np.where(el[rows, actions], actions, nc)
        masked = np.where(el, expected, -np.inf)
        trace.contexts[refs], trace.actions[refs], trace.probs[refs] = obs, played, probs
        trace.holdout[refs], trace.overridden[refs] = hold, played != actions
        trace.expected[refs] = expected[rows, played]
        trace.oracle[refs] = masked.max(axis=1)
        trace.random[refs] = np.where(el, expected, 0.0).sum(axis=1) / el.sum(axis=1)
        obs, _, _, _, info = env.step(played)
        for k in _OUTCOMES:
            trace.outcomes[k][refs] = info[k]
        _learn(policy, by_ref, trace, info["matured_refs"], info["matured_rewards"],
               info["clock_hours"])
    refs, totals = env.flush()
    _learn(policy, by_ref, trace, refs, totals, info["clock_hours"])
    return trace


def _learn(policy: Any, by_ref: bool, trace: _Trace, refs: np.ndarray, totals: np.ndarray,
           clock_hours: float) -> None:
    """Record matured totals; hand the treated ones to the policy (by ref for the engine)."""
    if len(refs) == 0:
        return
    trace.realized[refs] = totals
    keep = ~trace.holdout[refs]
    refs, totals = refs[keep], totals[keep]
    if len(refs) == 0:
        return
    if by_ref:
        policy.learn_refs(refs, totals, clock_hours)
    else:
        policy.learn(trace.contexts[refs], trace.actions[refs], trace.probs[refs], totals)


def _records(cell: CellSpec, env: Any, t: _Trace) -> list[dict[str, Any]]:
    """Window sums of the per-decision trace."""
    w = cell.window
    n_win = cell.horizon // w
    cat = env.catalog

    def win(values: np.ndarray) -> np.ndarray:
        return values.reshape(n_win, w).sum(axis=1)

    treat = ~t.holdout
    realized = np.nan_to_num(t.realized)
    nc = cat.no_contact_action
    contact = treat & (t.actions != nc) if nc is not None else treat.copy()
    columns: dict[str, np.ndarray] = {
        "n": np.full(n_win, w), "n_treated": win(treat), "n_holdout": win(t.holdout),
        "reward_treated": win(realized * treat), "reward_sq_treated": win(realized ** 2 * treat),
        "reward_holdout": win(realized * t.holdout),
        "reward_sq_holdout": win(realized ** 2 * t.holdout),
        "expected_treated": win(t.expected * treat), "oracle_treated": win(t.oracle * treat),
        "random_treated": win(t.random * treat),
        "contacts": win(contact), "no_contact": win(treat & ~contact),
        "overrides": win(t.overridden), "in_test": win(t.in_test & treat),
    }
    columns["regret"] = columns["oracle_treated"] - columns["expected_treated"]
    columns["cumulative_regret"] = np.cumsum(columns["regret"])
    chan = np.where(contact, cat.channel_of[t.actions], -1)
    for j, ch in enumerate(cat.channels):
        columns[f"ch_{ch}"] = win(chan == j)
    timing = np.where(contact, cat.timing_of[t.actions], -1)
    for j, tm in enumerate(cat.timings):
        columns[f"tm_{tm}"] = win(timing == j)
    for k in _OUTCOMES:
        columns[k] = win(t.outcomes[k] & treat)
    head = {"scenario": env.scenario.name, "policy": cell.policy.label,
            "policy_name": cell.policy.name, "seed": cell.seed}
    return [{**head, "window": i, "step": (i + 1) * w,
             **{k: v[i].item() for k, v in columns.items()}} for i in range(n_win)]
