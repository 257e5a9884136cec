"""A choose replica: an :class:`~engine.Engine` that serves the latest published model snapshot
and learns nothing itself.

Replicas share one log (``store``, PostgreSQL across machines) with the fleet's one learner
(``engine.learner_loop``). A replica runs the same rules, features and sampling as the embedded
engine and writes every decision and reward to the shared log before answering (caps and
capacities are atomic across replicas: see ``engine.decision_store``); the learner follows the
rewards in sequence order and publishes snapshots. A background thread checks for a newer
snapshot every ``refresh_s`` seconds and swaps it in under the engine's guard: a decision is made
wholly by one model, whose version it logs (``DecisionRecord.model_version``). When the learner
is down, replicas keep serving the last snapshot. Expired decisions are settled by the learner,
not here (one writer of default rewards).

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with ReplicaEngine(messages=["m"], channels=["email"], store=f"sqlite:///{d}",
    ...                        refresh_s=None) as replica:
    ...         dec = replica.choose("c1", {"consent": {"email": True}})
    ...         ack = replica.reward(dec.decision_id, 1.0)
    ...         replica.log.get_decision(dec.decision_id).model_version, ack.learned
    (0, False)
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import threading
import time
from typing import Any

import numpy as np

from engine.candidate_learners import CandidateLearner
from engine.checkpoint import load_learner
from engine.config import load_config
from engine.engine import Engine
from engine.errors import CheckpointError, ConfigError, EngineError
from engine.learner_selection import LearnerSelection
from engine.number_bins import NumberBins
from engine.served_memory import ServedMemory
from engine.snapshots import ModelSnapshot, learner_from
from engine.store import DecisionRecord

__all__ = ["DEFAULT_REFRESH_S", "ReplicaEngine"]

DEFAULT_REFRESH_S = 2.0
_log = logging.getLogger("offerbandit.replica")


class ReplicaEngine(Engine):
    """An engine that predicts from published snapshots and writes to a shared log.

    Args:
        *args: as :class:`Engine` (messages, channels, timings, or ``catalog=``).
        store: the shared log's URL (or an open store), required.
        state_dir: unused by a replica (nothing is written locally); default a temp folder.
        refresh_s: seconds between checks for a newer snapshot; None starts no thread (call
            :meth:`refresh` yourself).
        **kwargs: the rest of :class:`Engine`'s keywords and options.

    Raises:
        ConfigError: no ``store``.
        CheckpointError: the latest snapshot was trained for another catalog.
    """

    answers_drift = False  # it serves the snapshots of the fleet's learner, learns nothing

    def __init__(self, *args: Any, store: Any = None, state_dir: str | os.PathLike | None = None,
                 refresh_s: float | None = DEFAULT_REFRESH_S, **kwargs: Any) -> None:
        if store is None:
            raise ConfigError("store: expected the shared log's URL (a replica writes there and "
                              "reads the learner's snapshots), got None")
        if refresh_s is not None and not refresh_s > 0:
            raise ConfigError(f"refresh_s: expected a positive number of seconds, got "
                              f"{refresh_s!r}")
        self._tmp = tempfile.TemporaryDirectory(prefix="offerbandit-replica-")
        self._snapshot_published = 0.0
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        try:
            super().__init__(*args, state_dir=state_dir or self._tmp.name, store=store, **kwargs)
        except BaseException:
            self._tmp.cleanup()
            raise
        if self.options.trial_configured:  # the default's own trial is not worth a warning
            _log.warning("selection.trial_share = %g has no effect on a replica: it serves the "
                         "fleet learner's published candidate alone (no challenger on trial)",
                         self.options.selection_settings.trial_share)
        # Replicas started alike must not draw alike: each gets a sampling stream of its own.
        self._rng = np.random.default_rng([self.seed, secrets.randbits(64)])
        self._served = ServedMemory(0)  # the learner meets the rewards, in another process
        if refresh_s is not None:
            self._follower = threading.Thread(target=self._follow_snapshots, args=(refresh_s,),
                                              name="offerbandit-snapshots", daemon=True)
            self._follower.start()

    @classmethod
    def from_catalog(cls, path: str | os.PathLike, *, state_dir: str | os.PathLike | None = None,
                     seed: int = 0, **options: Any) -> ReplicaEngine:
        """A replica from a TOML catalog; keyword options (``store=...``, ``refresh_s=...``)
        override the file's ``[engine]`` table."""
        catalog, rules, settings = load_config(path)
        return cls(catalog=catalog, rules=rules, state_dir=state_dir, seed=seed,
                   **{**settings, **options})

    # -- the model: snapshots in, nothing learned here ------------------------------------------
    def _restore(self) -> tuple[LearnerSelection, NumberBins | None]:
        if self.options.number_bins:  # a snapshot carries no bin edges (yet)
            raise ConfigError(f"number_bins: expected 0 on a replica (the fleet does not carry "
                              f"bin edges in its snapshots), got {self.options.number_bins}")
        snap = self.log.latest_snapshot()
        if snap is None:  # no learner has published yet: an untrained model, version 0
            learner, _ = load_learner(self._tmp.name, self.catalog, self.options,
                                      seed=self.seed)
            self.model_version = 0
            return self._serving(self.options.candidate_specs[0].name, learner), None
        learner = learner_from(snap, self.catalog, seed=self.seed)
        self._adopted(snap)
        self._learned_seq = snap.learned_seq
        return self._serving(snap.learner_name, learner), None

    def _serving(self, name: str, learner: CandidateLearner) -> LearnerSelection:
        """The published learner alone (a replica serves it; the learner chooses which)."""
        return LearnerSelection({name: learner}, name, self.options.selection_settings,
                                self.catalog.n_actions)

    def _adopted(self, snap: ModelSnapshot) -> None:
        self.model_version = snap.version
        self._snapshot_published = snap.published_at

    def refresh(self) -> bool:
        """Swap in the latest snapshot if it is newer than the one serving; True if swapped.

        The new model is loaded outside the guard and swapped under it, so choose never waits
        for a load and never sees half a model.

        Raises:
            StoreError: the log cannot be read.
            CheckpointError: the new snapshot was trained for another catalog (the current
                model keeps serving).
        """
        if self.log.latest_snapshot_version() <= (self.model_version or 0):
            return False
        snap = self.log.latest_snapshot()
        if snap is None or snap.version <= (self.model_version or 0):
            return False
        learner = learner_from(snap, self.catalog, seed=self.seed)
        with self._guard:
            if self._closed:
                learner.close()
                return False
            old, self._selection = self._selection, self._serving(snap.learner_name, learner)
            self._learned_seq = snap.learned_seq
            self._adopted(snap)
        old.close()
        return True

    def _follow_snapshots(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            try:
                self.refresh()
            except (EngineError, CheckpointError) as exc:  # keep serving the current model
                _log.warning("snapshot refresh failed, serving version %s: %s",
                             self.model_version, exc)

    def _learn_logged(self, rec: DecisionRecord, seq: int, total: float | None = None, *,
                      at: float | None = None, replay: bool = False,
                      previous: float | None = None, first: int | None = None) -> bool:
        return False  # the learner follows the log and learns it

    def follow(self, limit: int | None = None) -> int:
        return 0  # the learner's candidates follow the log; a replica only serves

    @property
    def follow_lag(self) -> int:
        return 0  # nothing for a replica to follow (the service's follower stays idle)

    def _settle(self, t: float, limit: int) -> tuple[int, int]:
        return 0, 0  # the learner writes default rewards: one writer, no race between replicas

    def _write_checkpoint(self) -> None:
        return None  # the learner's snapshots are the checkpoints

    # -- surface --------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """:meth:`Engine.stats` plus the serving snapshot: ``model_version`` and its age."""
        out = super().stats()
        out.update(role="replica", model_version=self.model_version or 0,
                   model_age_s=(time.time() - self._snapshot_published
                                if self._snapshot_published else None))
        return out

    def close(self) -> None:
        """Stop following snapshots, then close as :meth:`Engine.close`; safe to call twice."""
        self._stop.set()
        if self._follower is not None and self._follower is not threading.current_thread():
            self._follower.join(timeout=30)
        try:
            super().close()
        finally:
            self._tmp.cleanup()
