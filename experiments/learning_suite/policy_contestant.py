"""A learner of the policies room (LinUCB, LinTS, segment rules, best fixed...) as a contestant:
batch ``act`` on the world's context array, batch ``learn`` of what matured.

The A/B-test baselines' test sizes default to the policies room's (tuned for 50,000 decisions);
here ``"auto"`` sizes them to the world: a fifth of the horizon for the whole test (best fixed),
shared among the segments plus the rows with none (segment rules).

Example:
    >>> from experiments.worlds import make_world
    >>> w = make_world("iris", seed=0)
    >>> pol = PolicyContestant(w, "linucb", seed=0)
    >>> b = w.observe()
    >>> a, p = pol.act(b)
    >>> pol.learn(w.play(a))
    >>> a.shape, bool(((p > 0) & (p <= 1)).all())
    ((10,), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments.worlds.world import Batch, Matured, World

__all__ = ["PolicyContestant"]

_AB_TESTS = ("best_fixed", "segment_rules")


def _sized(name: str, params: dict[str, Any], world: World) -> dict[str, Any]:
    out = dict(params)
    if name in _AB_TESTS and out.get("explore_decisions", "auto") == "auto":
        groups = 1 if name == "best_fixed" else world.problem.segment_columns().size + 1
        out["explore_decisions"] = max(50, world.horizon // 5 // groups)
        out.setdefault("min_count", 2)
    return out


class PolicyContestant:
    """A registered policy (``policies.registry``) over the world's :class:`~policies.Problem`.

    Args:
        world: the world.
        name: a registry name (``linucb``, ``lints``, ``segment_rules``...).
        seed: the policy's seed.
        **params: the policy's parameters (``explore_decisions="auto"`` for the A/B tests).
    """

    def __init__(self, world: World, name: str, seed: int = 0, **params: Any) -> None:
        from policies.registry import make_policy

        self.policy = make_policy(name, world.problem, seed, **_sized(name, params, world))
        h, d = world.horizon, world.problem.context_dim
        self._x = np.zeros((h, d))
        self._a = np.zeros(h, dtype=np.int64)
        self._p = np.ones(h)

    def act(self, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        """The policy's batch ``act``; the rows are kept for learning."""
        a, p = self.policy.act(batch.contexts, batch.eligible)
        self._x[batch.refs], self._a[batch.refs], self._p[batch.refs] = batch.contexts, a, p
        return a, p

    def learn(self, matured: Matured) -> None:
        """The policy's batch ``learn`` on the matured rows."""
        if matured.refs.size:
            r = matured.refs
            self.policy.learn(self._x[r], self._a[r], self._p[r], matured.rewards)

    def close(self) -> None:
        """Release the policy's resources (VW-backed policies hold a workspace)."""
        close = getattr(self.policy, "close", None)
        if close is not None:
            close()
