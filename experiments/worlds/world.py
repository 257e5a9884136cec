"""What every world of the learning suite offers: batches of customers, exact expected rewards,
rewards that come back (maybe late), and what the Engine needs to serve the same world.

A world is stepped a batch at a time. :meth:`World.observe` presents the batch (contexts as an
(n, d) array for the numpy learners and as dicts for the Engine and the VW loops, eligible
actions, the expected reward of every action); :meth:`World.play` takes one action per row and
returns the rewards that matured by then. Expected rewards are known exactly, so a learner's
capture ``(chosen - random) / (oracle - random)`` is measured without sampling noise from the
scoring itself.

:class:`TabularWorld` is the base of every world that is not the simulator: a subclass draws a
batch (contexts, eligibility, expected rewards and the realised reward of *every* action, so
two learners meeting the same decision meet the same luck: common random numbers, which is what
makes seeds pair) and may delay rewards.

Example:
    >>> import numpy as np
    >>> from experiments.worlds.per_action_linear import PerActionLinear
    >>> w = PerActionLinear(horizon=20, batch_size=10, seed=0)
    >>> b = w.observe()
    >>> b.contexts.shape, b.expected.shape, b.refs.tolist()[:3]
    ((10, 8), (10, 10), [0, 1, 2])
    >>> m = w.play(np.zeros(10, dtype=np.int64))
    >>> m.refs.tolist() == list(range(10)), w.done
    (True, False)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.errors import SpecError
from policies import Problem

__all__ = ["T0", "Batch", "EngineSetup", "Matured", "TabularWorld", "World", "engine_rules_open"]

#: Epoch seconds of decision 0 in every tabular world: 2023-11-15 09:00 UTC (daytime, so the
#: engine's default quiet hours never bind where a world keeps them).
T0 = 1_700_038_800.0


@dataclass(frozen=True)
class Batch:
    """One batch of decisions.

    Attributes:
        refs: (n,) int64 decision numbers, from 0 in the order decisions are made.
        contexts: (n, d) float64 contexts (one-hot groups named ``col=value``).
        eligible: (n, K) bool, True where an action may be played.
        expected: (n, K) float64 expected reward of every action.
        customer_ids: (n,) customer ids (str).
        now: epoch seconds of the batch's decisions.
    """

    refs: np.ndarray
    contexts: np.ndarray
    eligible: np.ndarray
    expected: np.ndarray
    customer_ids: np.ndarray
    now: float


@dataclass(frozen=True)
class Matured:
    """Rewards that came back: (m,) refs and (m,) rewards, at epoch seconds ``now``."""

    refs: np.ndarray
    rewards: np.ndarray
    now: float


@dataclass(frozen=True)
class EngineSetup:
    """What the Engine needs to serve a world: a catalog whose action ``i`` is the world's
    action ``i``, its contact rules, and options that belong to the world (reward window...)."""

    catalog: Any
    rules: Any
    options: dict[str, Any] = field(default_factory=dict)


def engine_rules_open() -> Any:
    """Contact rules that never bind: no consent needed, no caps, no quiet hours (a world whose
    actions are not messages, such as a classification turned bandit)."""
    from engine.contact_rules import RulesConfig

    return RulesConfig(max_per_day=None, max_per_week=None, quiet_hours=None,
                       consent_required=False)


class World(ABC):
    """A world of the learning suite (see the module docstring).

    Attributes:
        name: the world's name in the suite.
        horizon: decisions in one run.
        batch_size: decisions per batch (learners act on a batch, then learn what matured).
        tail_fraction: the share of the horizon, at its end, that the suite scores.
        problem: the :class:`policies.Problem` the numpy learners see.
    """

    name: str
    horizon: int
    batch_size: int
    tail_fraction: float
    problem: Problem

    @property
    @abstractmethod
    def done(self) -> bool:
        """True once ``horizon`` decisions were played."""

    @abstractmethod
    def observe(self) -> Batch:
        """The next batch of decisions (call :meth:`play` before the next ``observe``)."""

    @abstractmethod
    def play(self, actions: np.ndarray) -> Matured:
        """Play one action per row of the last batch; return the rewards matured by now."""

    @abstractmethod
    def flush(self) -> Matured:
        """Every reward still pending (the end of the run)."""

    @abstractmethod
    def start_time(self) -> float:
        """Epoch seconds of the first decision (an engine serving the world starts its clock
        there)."""

    @abstractmethod
    def engine_setup(self) -> EngineSetup:
        """The Engine's catalog, rules and world-given options."""

    @abstractmethod
    def engine_contexts(self, batch: Batch) -> list[dict[str, Any]]:
        """The batch's contexts as the dicts ``Engine.choose`` takes (rule keys included)."""

    def served(self, actions: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """The actions the world plays for these picks (the simulator turns a pick it cannot
        serve into no contact; other worlds play the picks as they are)."""
        return actions

    def action_feature_dicts(self) -> list[dict[str, Any]]:
        """Each action's features for a plain VW loop: its name (``id``) and its non-zero
        attributes, less the columns that only restate the identity (one-hot ``is_<action>``)."""
        p = self.problem
        shared = (p.action_features != 0).sum(axis=0) > 1
        out = []
        for name, row in zip(p.action_names, p.action_features, strict=True):
            feats: dict[str, Any] = {"id": name}
            feats.update({f: float(v) for f, v, keep in zip(p.action_feature_names, row, shared,
                                                            strict=True) if keep and v != 0})
            out.append(feats)
        return out

    def close(self) -> None:  # noqa: B027 - a hook: most worlds hold nothing
        """Release what the world holds."""


class TabularWorld(World):
    """A world drawn batch by batch from numpy (every world of the suite but the simulator's).

    Subclasses set the class attributes and implement :meth:`_draw`; they may override
    :meth:`_delays` (decisions until a reward comes back; default 0: before the next batch).

    Args:
        horizon: decisions in one run.
        batch_size: decisions per batch.
        seed: seeds every draw of the world (contexts, rewards, delays).
    """

    name = "tabular"
    tail_fraction = 0.25
    seconds_per_decision = 60.0

    def __init__(self, horizon: int, batch_size: int, seed: int) -> None:
        if horizon < 1 or batch_size < 1 or horizon % batch_size:
            raise SpecError(f"horizon: expected a positive multiple of batch_size={batch_size}, "
                            f"got {horizon}")
        self.horizon, self.batch_size, self.seed = horizon, batch_size, seed
        self.rng = np.random.default_rng([seed, 7919])
        self.problem = self._problem()
        self._t = 0
        self._batch: tuple[Batch, np.ndarray] | None = None
        self._due: list[np.ndarray] = []
        self._refs: list[np.ndarray] = []
        self._rewards: list[np.ndarray] = []

    # -- what a subclass provides ----------------------------------------------------------------
    @abstractmethod
    def _problem(self) -> Problem:
        """The context columns and the actions (called once, after ``self.rng`` exists)."""

    @abstractmethod
    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Draw a batch: contexts (n, d), eligible (n, K) bool, expected (n, K) and the realised
        reward of every action (n, K)."""

    def _delays(self, refs: np.ndarray) -> np.ndarray:
        """(n,) decisions until each reward matures (0: before the next batch)."""
        return np.zeros(refs.size, dtype=np.int64)

    # -- the World protocol --------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._t >= self.horizon

    def observe(self) -> Batch:
        if self.done:
            raise SpecError(f"{self.name}: the run is over after {self.horizon} decisions")
        refs = np.arange(self._t, self._t + self.batch_size)
        x, eligible, expected, realised = self._draw(refs)
        ids = np.char.add(f"{self.name}-", refs.astype(str))
        batch = Batch(refs, x, eligible, expected, ids, self.clock(refs[0]))
        self._batch = (batch, realised)
        return batch

    def start_time(self) -> float:
        return self.clock(0)

    def clock(self, ref: int) -> float:
        """Epoch seconds of decision ``ref``."""
        return T0 + float(ref) * self.seconds_per_decision

    def play(self, actions: np.ndarray) -> Matured:
        if self._batch is None:
            raise SpecError(f"{self.name}: play() before observe()")
        batch, realised = self._batch
        self._batch = None
        actions = np.asarray(actions, dtype=np.int64)
        rows = np.arange(batch.refs.size)
        if not batch.eligible[rows, actions].all():
            bad = int(np.flatnonzero(~batch.eligible[rows, actions])[0])
            raise SpecError(f"{self.name}: action {int(actions[bad])} is not eligible for "
                            f"decision {int(batch.refs[bad])}")
        self._due.append(batch.refs + self._delays(batch.refs))
        self._refs.append(batch.refs)
        self._rewards.append(realised[rows, actions])
        self._t += self.batch_size
        return self._pop(self._t - 1)

    def flush(self) -> Matured:
        return self._pop(np.iinfo(np.int64).max)

    def _pop(self, upto: int) -> Matured:
        if not self._due:
            return Matured(np.zeros(0, np.int64), np.zeros(0), self.clock(self._t))
        due, refs, rewards = (np.concatenate(v) for v in (self._due, self._refs, self._rewards))
        now = due <= upto
        self._due, self._refs, self._rewards = [due[~now]], [refs[~now]], [rewards[~now]]
        order = np.argsort(due[now], kind="stable")
        return Matured(refs[now][order], rewards[now][order], self.clock(min(upto, self._t)))

    # -- the Engine ----------------------------------------------------------------------------
    def engine_setup(self) -> EngineSetup:
        """One message per action, one channel, timing ``now``, no no-contact action, rules that
        never bind: the cbify protocol of a classification turned bandit."""
        from engine.catalog import Catalog

        catalog = Catalog.from_names(list(self.problem.action_names), ["web"], ["now"],
                                     no_contact=False)
        return EngineSetup(catalog, engine_rules_open(), self.engine_options())

    def engine_options(self) -> dict[str, Any]:
        """A reward window no reward of this world can miss: the whole run and a day."""
        return {"reward_window": (self.horizon + 1) * self.seconds_per_decision + 86_400.0}

    def engine_contexts(self, batch: Batch) -> list[dict[str, Any]]:
        from experiments.sim_problem import context_dicts

        return context_dicts(self.problem.context_names, batch.contexts)
