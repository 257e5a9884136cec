"""The Engine as a contestant of the learning suite, through its public surface only.

Each row of a batch is one ``Engine.choose`` (rules, features, SQLite log, learner), in a fresh
state folder; each matured reward is one ``Engine.reward``. The world supplies the catalog (its
action ``i`` is the engine's action ``i``), the rules and the contexts as dicts.

Example:
    >>> import tempfile
    >>> from experiments.worlds import make_world
    >>> w = make_world("iris", seed=0)
    >>> with tempfile.TemporaryDirectory() as d, EngineContestant(w, d, seed=0) as eng:
    ...     b = w.observe()
    ...     a, p = eng.act(b)
    ...     eng.learn(w.play(a))
    ...     eng.engine.stats()["rewards"]
    10
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from experiments.errors import SpecError
from experiments.worlds.world import Batch, Matured, World

__all__ = ["EngineContestant", "variants_base"]


def variants_base(catalog: Any) -> tuple[Any, ...]:
    """The candidates the suite's variants of the default change (``ridge_fields``...): the
    engine's default for ``catalog`` as it was at stops 28-42, the joint ridge serving first
    where the actions share attributes (:data:`engine.candidates.JOINT_RIDGE_SQUARECB`),
    so that every label keeps meaning what it measured after the default moved (stop 43:
    RegCB-opt beside the joint ridge, on trial)."""
    from engine.candidates import DEFAULT_CANDIDATES, JOINT_RIDGE_SQUARECB, default_candidates
    from engine.features import action_feature_sets

    own = default_candidates(action_feature_sets(catalog))
    return own if own == DEFAULT_CANDIDATES else JOINT_RIDGE_SQUARECB


def _default_with(catalog: Any, ridge: dict[str, Any], joint: dict[str, Any],
                  extra: Sequence[Any] = (), first: Sequence[Any] = ()) -> list[Any]:
    """The candidates ``first`` (the first of them serves first), then :func:`variants_base`
    for ``catalog``, ``ridge`` set on each ridge or joint ridge one and ``joint`` on each
    joint ridge one (a built-in name becomes its table), then the candidates ``extra``."""
    from engine.candidates import BUILT_IN

    out: list[Any] = []
    for c in variants_base(catalog):
        table = {"name": c, **BUILT_IN[c]} if isinstance(c, str) else dict(c)
        kind = table["exploration"]
        out.append(c if kind not in ("ridge", "joint")
                   else {**table, **ridge, **(joint if kind == "joint" else {})})
    return [*first, *out, *extra]


class EngineContestant:
    """A running :class:`~engine.Engine` serving one world.

    Args:
        world: the world (its :meth:`~experiments.worlds.world.World.engine_setup`).
        state_dir: an empty folder for the engine's log and checkpoints.
        seed: the engine's seed.
        **options: :class:`~engine.options.EngineOptions` fields (``exploration``,
            ``learner``...), over the world's own (reward window...); and
            ``ridge_fields``, fields set on each ridge candidate (ridge or joint) of the
            engine's default for the world's catalog as it was at stops 28-42
            (:func:`variants_base`; the default with one setting changed, whichever default
            the catalog gets); ``earlier_default``, that default unchanged (the engine's own
            before stop 43, no trial); ``joint_fields``, the same
            on its joint ridge candidate only; ``extra_candidates``, candidates added after
            that default's own; ``first_candidates``, candidates put before them (the first
            serves first); ``rewards_at``, ``"due"`` (each reward as the world reports
            it) or ``"provisional"`` (0 at each decision, a reward other than 0 added as a
            correction when reported; the engine's ``reward_mode`` then ``"sum"``) and
            ``provisional_after_h``, as :class:`experiments.engine_policy.EnginePolicy`'s.
    """

    def __init__(self, world: World, state_dir: str | os.PathLike, seed: int = 0,
                 **options: Any) -> None:
        from engine import Engine
        from engine.clock import ManualClock
        from experiments.engine_policy import provisional_zeros

        setup = world.engine_setup()
        rewards_at = options.pop("rewards_at", "due")
        if rewards_at not in ("due", "provisional"):
            raise SpecError(f"rewards_at: expected one of due, provisional; got {rewards_at!r}")
        self._zeros = provisional_zeros(rewards_at, options.pop("provisional_after_h", 0.0),
                                        options)
        if options.pop("earlier_default", False):
            options["candidates"] = list(variants_base(setup.catalog))
        if {"ridge_fields", "joint_fields", "extra_candidates",
                "first_candidates"} & options.keys():
            options["candidates"] = _default_with(setup.catalog,
                                                  options.pop("ridge_fields", {}),
                                                  options.pop("joint_fields", {}),
                                                  options.pop("extra_candidates", ()),
                                                  options.pop("first_candidates", ()))
        self.world = world
        # the engine runs on the world's time: it settles on its own clock, never a caller's
        self._clock = ManualClock(world.start_time())
        self.engine = Engine(catalog=setup.catalog, rules=setup.rules, state_dir=state_dir,
                             seed=seed, clock=self._clock,
                             **{"checkpoint_every": 10**9, **setup.options, **options})
        self._window = float(self.engine.options.reward_window)
        self._ids = np.empty(world.horizon, dtype=object)
        self._at = np.zeros(world.horizon)

    def act(self, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        """``Engine.choose`` for each row; returns actions (n,) and their probabilities (n,)."""
        ctxs = self.world.engine_contexts(batch)
        n = len(ctxs)
        actions, probs = np.empty(n, dtype=np.int64), np.empty(n)
        choose = self.engine.choose
        self._clock.set(batch.now)
        self._report_zeros(batch.now)
        self._settle()
        for i, (cid, ctx) in enumerate(zip(batch.customer_ids.tolist(), ctxs, strict=True)):
            d = choose(cid, ctx, now=batch.now)
            actions[i], probs[i] = d.action_index, d.probability
            self._ids[batch.refs[i]] = d.decision_id
            if self._zeros is not None and self._zeros.decided(d.decision_id, batch.now):
                self.engine.reward(d.decision_id, 0.0, now=batch.now)
        self._at[batch.refs] = batch.now
        return actions, probs

    def learn(self, matured: Matured) -> None:
        """``Engine.reward`` for each matured decision, at the world's clock (inside the
        window: a world's clock may jump past it between batches)."""
        reward = self.engine.reward
        for ref, value in zip(matured.refs.tolist(), matured.rewards.tolist(), strict=True):
            if self._zeros is not None and not self._zeros.report(self._ids[ref], value):
                continue  # its 0 was reported already
            at = self._at[ref]
            arrival = min(max(matured.now, at), at + self._window - 1.0)
            self._clock.set(arrival)
            reward(self._ids[ref], value, now=arrival)
        self._report_zeros(matured.now)

    def _settle(self) -> None:
        """With ``provisional_after``, learn the default of each decision due by the world's
        clock, as the HTTP service's settler does (every minute) between requests."""
        if self.engine.options.provisional_after is not None:
            self.engine.expire_rewards()

    def _report_zeros(self, now: float) -> None:
        if self._zeros is not None:
            self._zeros.report_due(self.engine, self._clock, now)

    def close(self) -> None:
        """Close the engine (safe to call twice)."""
        self.engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
