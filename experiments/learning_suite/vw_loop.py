"""A plain Vowpal Wabbit loop as a contestant: what a user who knows VW writes without the
Engine, and the reference the Engine is measured against.

Every decision parses the whole multi-line example (text from ``policies.vw_format``, the one
VW formatter; each action's line is formatted once, as any loop over a fixed catalog would),
predicts, samples from VW's distribution with its own generator, and learns the
reward when it matures from a freshly parsed labelled example. Context in namespace ``U`` (the
same dict the Engine gets, less the rule-only keys), each action in namespace ``A`` (its name
and attributes); the arguments (exploration, ``-q UA``...) are given whole.

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
from typing import Self

import numpy as np

from experiments.worlds.world import Batch, Matured, World

__all__ = ["VWLoop"]


class VWLoop:
    """VW ``--cb_explore_adf`` (or any ADF exploration) fed text, one decision at a time.

    Args:
        world: the world (contexts as dicts, action features).
        args: VW arguments (``--cb_explore_adf`` and the rest); ``--quiet`` and the seed are
            added.
        seed: VW's ``--random_seed`` and the sampling generator's seed.
    """

    def __init__(self, world: World, args: Sequence[str], seed: int = 0) -> None:
        from vowpalwabbit import Workspace

        self.world = world
        self.args = [*args, "--quiet", "--random_seed", str(seed)]
        self._vw = Workspace(arg_list=self.args)
        from policies.vw_format import action_line

        self._lines = [action_line({"A": feats}) for feats in world.action_feature_dicts()]
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
            shared = shared_line({"U": context_namespace(ctx)})
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
