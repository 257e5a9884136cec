"""A log written by a ``policies/`` policy acting in the simulator, with the truth attached.

The logger acts on ``simulator.CustomerBatchEnv`` batch by batch and learns from each decision's
total reward when it matures (late rewards included), as it would in production; every decision
is logged with the probability the logger gave it at that moment. Each row also keeps the
world's expected reward of every action, so any target's true value on the logged rows is known.

Example:
    >>> from experiments.ope.simulator_log import simulate_log
    >>> log = simulate_log("small", logger="random", n=200, seed=0, batch_size=100)
    >>> log.n, log.n_actions, log.expected_rewards.shape
    (200, 201, (200, 201))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ope.errors import OPEInputError
from ope.readers.logged_decisions import LoggedDecisions

__all__ = ["simulate_log"]


def simulate_log(scenario: str, logger: str, n: int, seed: int = 0, batch_size: int = 500,
                 logger_params: Mapping[str, Any] | None = None) -> LoggedDecisions:
    """About ``n`` decisions (whole batches) of policy ``logger`` in ``scenario``.

    Args:
        scenario: a simulator scenario name or path. logger: a ``policies`` registry name.
        n: decisions to log (rounded up to whole batches, fewer if the episode ends).
        seed: seeds the world and the logger. batch_size: customers per step.
        logger_params: the logger's parameters.

    Returns:
        :class:`LoggedDecisions` with ``expected_rewards`` and the catalog's action features.

    Raises:
        OPEInputError: the logger cannot be built or the scenario is unknown.
    """
    from experiments.sim_problem import problem_from_catalog
    from policies import make_policy
    from policies.errors import PolicyError
    from simulator import CustomerBatchEnv
    from simulator.errors import SimulatorError

    if n < 1:
        raise OPEInputError(f"n must be >= 1, got {n}")
    try:
        env = CustomerBatchEnv(scenario, batch_size=batch_size, seed=seed)
        problem = problem_from_catalog(env)
        policy = make_policy(logger, problem, seed, **dict(logger_params or {}))
    except (PolicyError, SimulatorError) as exc:
        raise OPEInputError(f"simulated log ({scenario!r}, logger {logger!r}): {exc}") from exc
    obs, info = env.reset(seed=seed)
    steps = -(-n // batch_size)
    rows = steps * batch_size
    k = problem.n_actions
    # Preallocated: the logger learns from any earlier row as its reward matures.
    x = np.zeros((rows, obs.shape[1]))
    a = np.zeros(rows, dtype=np.int64)
    p = np.zeros(rows)
    eligible = np.zeros((rows, k), dtype=bool)
    truth = np.zeros((rows, k))
    totals = np.zeros(rows)
    m = 0
    for _ in range(steps):
        block = slice(m, m + batch_size)
        eligible[block] = info["eligible"]
        a[block], p[block] = policy.act(obs, info["eligible"])
        x[block] = obs
        env.expected_rewards(out=truth[block])
        obs, _, _, truncated, info = env.step(a[block])
        m += batch_size
        refs = info["matured_refs"]  # refs are 0, 1, ... in decision order within the episode
        totals[refs] = info["matured_rewards"]
        if refs.size:
            policy.learn(x[refs], a[refs], p[refs], info["matured_rewards"])
        if truncated:
            break
    refs, late = env.flush()
    totals[refs[refs < m]] = late[refs < m]
    return LoggedDecisions(
        contexts=x[:m], context_names=problem.context_names, actions=a[:m], propensities=p[:m],
        rewards=totals[:m], eligible=eligible[:m], action_names=problem.action_names,
        action_features=problem.action_features,
        action_feature_names=problem.action_feature_names, expected_rewards=truth[:m],
    )
