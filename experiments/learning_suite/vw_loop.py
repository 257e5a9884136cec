"""A plain Vowpal Wabbit loop as a contestant: what a user who knows VW writes without the
Engine, and the reference the Engine is measured against.

Every decision parses the whole multi-line example (text from ``policies.vw_format``, the one
VW formatter; each action's line is formatted once, as any loop over a fixed catalog would),
predicts, samples from VW's distribution with its own generator, and learns the
reward when it matures from a freshly parsed labelled example. Context in namespace ``U`` (the
same dict the Engine gets, less the rule-only keys), each action in namespace ``A`` (its name
and attributes); the arguments (exploration, ``-q UA``...) are given whole. With
``features="engine"`` the loop reads the Engine's own namespaces instead: the context in ``c``
and each action's ``m n t a`` sets of the world's catalog as the Engine builds them
(:func:`engine.features.action_feature_sets`), so that the arguments cross them as the
Engine's candidates do (``--interactions cm``...).

Example:
    >>> from experiments.worlds import make_world
    >>> w = make_world("iris", seed=0)
    >>> with VWLoop(w, ["--cb_explore_adf", "--squarecb", "-q", "UA"], seed=0) as vw:
    ...     b = w.observe()
    ...     a, p = vw.act(b)
    ...     vw.learn(w.play(a))
    ...     bool(((p > 0) & (p <= 1)).all())
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from experiments.errors import SpecError
from experiments.worlds.world import Batch, Matured, World

__all__ = ["FEATURES", "VWLoop"]

#: The feature sets a loop can read: the suite's own, or the Engine's.
FEATURES = ("suite", "engine")


def _action_sets(world: World, features: str) -> list[dict[str, dict[str, Any]]]:
    if features == "suite":
        return [{"A": feats} for feats in world.action_feature_dicts()]
    from engine.features import action_feature_sets

    setup = world.engine_setup()
    return action_feature_sets(setup.catalog, bool(setup.options.get("prune_features", False)))


class VWLoop:
    """VW ``--cb_explore_adf`` (or any ADF exploration) fed text, one decision at a time.

    Args:
        world: the world (contexts as dicts, action features).
        args: VW arguments (``--cb_explore_adf`` and the rest); ``--quiet`` and the seed are
            added.
        seed: VW's ``--random_seed`` and the sampling generator's seed.
        features: ``"suite"`` (namespaces ``U`` and ``A``) or ``"engine"`` (the Engine's).
    """

    def __init__(self, world: World, args: Sequence[str], seed: int = 0,
                 features: str = "suite") -> None:
        from vowpalwabbit import Workspace

        from policies.vw_format import action_line

        if features not in FEATURES:
            raise SpecError(f"features: expected one of {', '.join(FEATURES)}, got {features!r}")
        self.world = world
        self.args = [*args, "--quiet", "--random_seed", str(seed)]
        self._vw = Workspace(arg_list=self.args)
        self._shared_ns = "U" if features == "suite" else "c"
        self._lines = [action_line(sets) for sets in _action_sets(world, features)]
        self._rng = np.random.default_rng([seed, 31])
        self._memory: dict[int, tuple[str, np.ndarray, int, float]] = {}

    def act(self, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        """Predict and sample for each row; returns actions (n,) and probabilities (n,)."""
        from engine.features import context_namespace
        from policies.vw_format import shared_line

        ctxs = self.world.engine_contexts(batch)
        n = len(ctxs)
        actions, probs = np.empty(n, dtype=np.int64), np.empty(n)
        u = self._rng.random(n)
        for i, ctx in enumerate(ctxs):
            shared = shared_line({self._shared_ns: context_namespace(ctx)})
            idx = np.flatnonzero(batch.eligible[i])
            p = np.asarray(self._vw.predict([shared, *(self._lines[j] for j in idx)]),
                           dtype=np.float64)
            p = p / p.sum()  # float32 sums (and regcb's ties) are not exactly 1
            j = min(int(np.searchsorted(np.cumsum(p), u[i], side="right")), p.size - 1)
            actions[i], probs[i] = idx[j], p[j]
            self._memory[int(batch.refs[i])] = (shared, idx, j, float(p[j]))
        return actions, probs

    def learn(self, matured: Matured) -> None:
        """Learn each matured reward from a labelled multi-line example."""
        from policies.vw_format import cb_label, cost_of

        for ref, value in zip(matured.refs.tolist(), matured.rewards.tolist(), strict=True):
            shared, idx, j, p = self._memory.pop(ref)
            lines = [shared, *(self._lines[k] for k in idx)]
            lines[1 + j] = f"{cb_label(cost_of(value), p)} {lines[1 + j]}"
            self._vw.learn(lines)

    def close(self) -> None:
        """Release VW (safe to call twice)."""
        if self._vw is not None:
            self._vw.finish()
            self._vw = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
