"""The bridge from the simulator's world to what policies and the engine see.

``problem_from_catalog`` turns a simulator env (its catalog and context columns) into a
:class:`policies.Problem`; ``context_dicts`` turns observation rows back into the plain dicts
the engine's ``choose`` takes (one-hot groups ``col=value`` become ``{"col": "value"}``).

Example:
    >>> from simulator import CustomerBatchEnv
    >>> env = CustomerBatchEnv("small", batch_size=4, seed=0)
    >>> p = problem_from_catalog(env)
    >>> p.n_actions, p.no_contact_action, p.segment_columns().size
    (201, 200, 4)
    >>> obs, info = env.reset(seed=0)
    >>> ctx = context_dicts(env.context_names, obs[:1])[0]
    >>> ctx["segment"], ctx["consent_sms"], ctx["consent_push"]  # one-hots back to categories
    ('active', True, False)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from policies import Problem

__all__ = ["context_dicts", "problem_from_catalog"]


def problem_from_catalog(env: Any) -> Problem:
    """The :class:`Problem` of a simulator env (``CustomerBatchEnv`` or ``CustomerEnv``).

    Args:
        env: anything with ``catalog`` and ``context_names`` (gymnasium wrappers are unwrapped).

    Returns:
        The problem: context names, action names and features, the no-contact action, and the
        scenario name in ``metadata``.
    """
    inner = getattr(env, "unwrapped", env)
    cat = inner.catalog
    scenario = getattr(getattr(inner, "world", inner), "scenario", None)
    return Problem(
        context_names=tuple(inner.context_names),
        action_names=cat.action_names,
        action_features=np.array(cat.action_features),
        action_feature_names=cat.action_feature_names,
        no_contact_action=cat.no_contact_action,
        segment_column="segment",
        metadata={"scenario": getattr(scenario, "name", None),
                  "channel_of": np.array(cat.channel_of),
                  "channel_cost": np.array(cat.channel_cost)},
    )


def context_dicts(context_names: tuple[str, ...], rows: np.ndarray) -> list[dict[str, Any]]:
    """Observation rows as engine contexts.

    Args:
        context_names: (d,) column names; ``col=value`` columns form one-hot groups.
        rows: (n, d) observations.

    Returns:
        n dicts: one-hot groups as ``{col: value}`` (None if no column is set), ``consent_*``
        columns as bools, every other column as a float.
    """
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    groups: dict[str, list[tuple[int, str]]] = {}
    plain: list[tuple[int, str]] = []
    for j, name in enumerate(context_names):
        if "=" in name:
            col, value = name.split("=", 1)
            groups.setdefault(col, []).append((j, value))
        else:
            plain.append((j, name))
    picked = {}
    for col, members in groups.items():
        idx = np.array([j for j, _ in members])
        values = np.array([v for _, v in members] + [None], dtype=object)
        block = rows[:, idx]
        pos = np.where(block.max(axis=1) > 0.5, block.argmax(axis=1), len(members))
        picked[col] = values[pos]
    out = []
    for i in range(rows.shape[0]):
        ctx: dict[str, Any] = {col: vals[i] for col, vals in picked.items()}
        for j, name in plain:
            ctx[name] = bool(rows[i, j] > 0.5) if name.startswith("consent_") else float(
                rows[i, j])
        out.append(ctx)
    return out
