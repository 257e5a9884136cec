"""A simulator scenario as a world of the suite: the same customers, eligibility, delayed totals
and exact expected rewards as an experiment cell (``experiments.cell``), behind the suite's
:class:`~experiments.worlds.world.World` protocol.

The Engine serves it as in the experiments (``experiments.engine_policy``): the simulator's
catalog in the same action order, rules = what the simulator enforces (consent and channel
capacity, given as ``consent_<channel>`` flags), the simulator's clock. A pick the simulator
cannot serve is played as no contact.

A scenario whose tastes change (``drift_at_hour`` above 0: ``drift``) has the change moved to
the middle of the horizon: at the scenario's own hour 504 (about 30,000 decisions) it would fall
after the suite's horizons (6,000 and 10,000 decisions), and the world would be ``baseline``'s
to the digit. In the middle, the tail the suite scores comes after it, as in the ``shift``
world: a learner must unlearn.

``hidden`` context columns are kept from every learner (the world still runs on them): the
``fatigue`` scenario without ``contact_pressure``, the simulator's record of each customer's
recent contacts, is a world where the only memory of past contacts a learner has is its own
(the engine's contact history).

Example:
    >>> import numpy as np
    >>> w = SimulatorWorld("small", horizon=200, batch_size=100, seed=0)
    >>> b = w.observe()
    >>> b.expected.shape, w.engine_setup().catalog.n_actions
    ((100, 201), 201)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from experiments.errors import SpecError
from experiments.worlds.world import Batch, EngineSetup, Matured, World

__all__ = ["SimulatorWorld"]


def _changing_midway(scenario: Any, horizon: int) -> Any:
    """``scenario`` with its taste change (if it has one) at the middle of ``horizon``
    decisions, in the scenario's hours."""
    if not scenario.drift_at_hour:
        return scenario
    return replace(scenario, drift_at_hour=horizon / 2 / scenario.decisions_per_hour)


class SimulatorWorld(World):
    """A simulator scenario (``baseline``, ``capacity``...), ``horizon`` decisions.

    Args:
        scenario: a scenario name of ``simulator/scenarios``.
        horizon: decisions (a multiple of ``batch_size``).
        batch_size: customers per simulator step.
        seed: seeds the world.
        hidden: context columns no learner sees.
        name: the world's name (default: the scenario's).
        draws: the simulator's ``draws`` (:data:`simulator.batch_env.DRAWS`): ``"common"``
            gives every learner of a seed the same customers and dice until its actions change
            their state.
    """

    tail_fraction = 0.25

    def __init__(self, scenario: str, horizon: int, batch_size: int, seed: int,
                 hidden: tuple[str, ...] = (), name: str | None = None,
                 draws: str = "sequence") -> None:
        from experiments.engine_policy import T0
        from experiments.sim_problem import problem_from_catalog
        from simulator import CustomerBatchEnv, load_scenario

        if horizon < 1 or horizon % batch_size:
            raise SpecError(f"horizon: expected a positive multiple of batch_size={batch_size}, "
                            f"got {horizon}")
        self.name, self.horizon, self.batch_size = name or scenario, horizon, batch_size
        self._env = CustomerBatchEnv(_changing_midway(load_scenario(scenario), horizon),
                                     batch_size=batch_size, seed=seed,
                                     draws=draws)  # type: ignore[arg-type]
        names = self._env.context_names
        if unknown := sorted(set(hidden) - set(names)):
            raise SpecError(f"hidden: expected context columns of {scenario!r}, got {unknown}")
        self._shown = np.array([i for i, n in enumerate(names) if n not in hidden])
        full = problem_from_catalog(self._env)
        self.problem = replace(full, context_names=tuple(names[i] for i in self._shown))
        self._t0 = T0
        self._obs, self._info = self._env.reset(seed=seed)
        self._start = self._now(self._info["clock_hours"])
        self._t = 0
        self._channel_of = np.asarray(self._env.catalog.channel_of)
        self._channels = tuple(self._env.catalog.channels)

    @property
    def done(self) -> bool:
        return self._t >= self.horizon

    def start_time(self) -> float:
        return self._start

    def _now(self, clock_hours: float) -> float:
        return self._t0 + clock_hours * 3600.0

    def observe(self) -> Batch:
        info = self._info
        refs = np.arange(self._t, self._t + self.batch_size)
        ids = np.asarray(info["customer_ids"]).astype(str)
        return Batch(refs, self._obs[:, self._shown], info["eligible"],
                     self._env.expected_rewards(), ids, self._now(info["clock_hours"]))

    def play(self, actions: np.ndarray) -> Matured:
        played = self.served(actions, self._info["eligible"])
        self._obs, _, _, _, self._info = self._env.step(played)
        self._t += self.batch_size
        info = self._info
        return Matured(info["matured_refs"], info["matured_rewards"],
                       self._now(info["clock_hours"]))

    def served(self, actions: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """The actions the simulator plays: an ineligible pick becomes no contact."""
        nc = self._env.catalog.no_contact_action
        rows = np.arange(actions.size)
        return np.where(eligible[rows, actions], actions, nc) if nc is not None else actions

    @property
    def channels(self) -> tuple[str, ...]:
        """The scenario's channel names, in the order of :meth:`room_left`."""
        return tuple(self._channels)

    def channel_of(self, actions: np.ndarray) -> np.ndarray:
        """Each action's channel index into :attr:`channels` (-1 for no contact)."""
        return self._channel_of[np.asarray(actions)]

    def room_left(self) -> np.ndarray:
        """(C,) sends each channel has left today before the next batch is played (``inf``
        for a channel without a daily cap): where a learner's own sends leave the capped
        channels for the rest of the day."""
        return np.asarray(self._env.capacity_left(), dtype=float)

    def flush(self) -> Matured:
        refs, totals = self._env.flush()
        return Matured(refs, totals, self._now(self._info["clock_hours"]))

    def engine_setup(self) -> EngineSetup:
        from engine.contact_rules import RulesConfig
        from experiments.engine_policy import engine_catalog

        env = self._env
        window_h = env.scenario.conversion_window_hours + 2 * env.hours_per_step + 24.0
        return EngineSetup(engine_catalog(env),
                           RulesConfig(max_per_day=None, max_per_week=None, quiet_hours=None),
                           {"reward_window": f"{window_h:g}h"})

    def engine_contexts(self, batch: Batch) -> list[dict[str, Any]]:
        from experiments.sim_problem import context_dicts

        ctxs = context_dicts(self.problem.context_names, batch.contexts)
        open_ = np.stack([batch.eligible[:, self._channel_of == j].any(axis=1)
                          for j in range(len(self._channels))], axis=1)
        keys = [f"consent_{c}" for c in self._channels]
        for ctx, row in zip(ctxs, open_.tolist(), strict=True):
            ctx.update(zip(keys, row, strict=True))
        return ctxs
