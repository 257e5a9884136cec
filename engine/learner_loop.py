"""The fleet's one learner: follows the shared log, learns each reward once, publishes snapshots.

Choose replicas (``engine.replica``) write decisions and rewards to one log; this loop reads the
rewards in sequence order (``DecisionStore.rewards_since``: a reader never sees a number before
a smaller one commits, so following by number misses nothing), learns each exactly once, writes
the default reward of decisions whose window passed (the one writer of those: the follow loop
then learns them in order like any other), and publishes a model snapshot after
``publish_every`` rewards or ``publish_every_s`` seconds, whichever comes first, when it learned
something new.

The published snapshots are the learner's checkpoints: a learner that starts (or restarts after
a crash, on any machine) loads the latest one and replays the log after its ``learned_seq``, so
the published lineage holds every reward exactly once. One learner per log: a second one waits
for the first's lock (``DecisionStore.try_lock_learner``; the server frees it when the holder's
connection ends, so a killed learner's successor takes over).

The learner runs one candidate learner (``[engine] candidates``), a Vowpal Wabbit one or the
closed-form ridge learner: the latest snapshot's, or the first configured; it does not switch
between candidates as an embedded engine does (``docs/scale.md``). Its snapshots name it and
carry its configuration, so replicas serve exactly that learner.

Example:
    >>> import tempfile
    >>> from engine.catalog import Catalog
    >>> from engine.replica import ReplicaEngine
    >>> cat = Catalog.from_names(["m"], ["email"], ["now"])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     url = f"sqlite:///{d}"
    ...     with LearnerLoop(cat, url, publish_every=1) as learner, ReplicaEngine(
    ...             catalog=cat, store=url, refresh_s=None) as replica:
    ...         dec = replica.choose("c1", {"consent": {"email": True}})
    ...         _ = replica.reward(dec.decision_id, 1.0)
    ...         learned, swapped = learner.step(), replica.refresh()
    ...         learned, learner.published_version, swapped, replica.stats()["learned_seq"]
    (1, 1, True, 1)
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Self

from engine.catalog import Catalog
from engine.checkpoint import CheckpointStore, built_config
from engine.clock import Clock
from engine.contact_rules import RulesConfig
from engine.decision_store import DecisionStore
from engine.drift.options import DriftOptions
from engine.engine import Engine
from engine.errors import (
    CheckpointError,
    ConfigError,
    StoreError,
)
from engine.features import FEATURES_VERSION
from engine.options import EngineOptions
from engine.reward_scale import scale_of_log
from engine.snapshots import ModelSnapshot, learner_from
from engine.store_url import open_store
from policies.number_check import check_number

__all__ = ["LearnerLoop", "LearnerStatus"]

_log = logging.getLogger("offerbandit.learner")
_NEVER = 10**15  # the engine's own checkpoints are off: published snapshots are the checkpoints


@dataclass(frozen=True)
class LearnerStatus:
    """Where the learner stands.

    Attributes:
        learned_seq: the last reward sequence number learned.
        last_seq: the log's last sequence number (``last_seq - learned_seq`` is the lag).
        published_version: the latest snapshot this learner published (0: none yet).
        published_seq: the ``learned_seq`` of that snapshot.
        learned: rewards learned since start (replay included).
        replayed_on_start: rewards replayed from the log after the snapshot it started from.
        defaults_written: default rewards written for expired decisions.
    """

    learned_seq: int
    last_seq: int
    published_version: int
    published_seq: int
    learned: int
    replayed_on_start: int
    defaults_written: int


class LearnerLoop:
    """The one learner of a shared log.

    Args:
        catalog: the catalog (its ``[rules]`` do not matter here: the learner decides nothing).
        store: the shared log's URL.
        seed: the learner's seed (when no snapshot exists yet).
        publish_every: publish after this many rewards learned...
        publish_every_s: ...or this many seconds after the last publish, if anything is new.
        settle_every_s: how often to write the default reward of expired decisions.
        batch: rewards read per step.
        lock_wait_s: how long to wait for another learner's lock before giving up.
        clock: the learner's clock (default the system's): expired decisions are settled on it.
        **options: engine options (``learner``, ``reward_window``, ``default_reward``...): the
            same as the replicas'.

    Raises:
        StoreError: another learner holds the log's lock past ``lock_wait_s``.
        CheckpointError: the latest snapshot was made with another catalog or learner config.
    """

    def __init__(self, catalog: Catalog, store: str, *, seed: int = 0,
                 publish_every: int = 1000, publish_every_s: float = 5.0,
                 settle_every_s: float = 60.0, batch: int = 1000, lock_wait_s: float = 30.0,
                 rules: RulesConfig | Mapping[str, Any] | None = None,
                 clock: Clock | None = None, **options: Any) -> None:
        for name, value in (("publish_every", publish_every), ("batch", batch)):
            check_number(name, value, low=1, integer=True, error=ConfigError)
        for name, seconds in (("publish_every_s", publish_every_s),
                              ("settle_every_s", settle_every_s), ("lock_wait_s", lock_wait_s)):
            check_number(name, seconds, low=0, error=ConfigError)
        self.publish_every, self.publish_every_s = int(publish_every), float(publish_every_s)
        self.settle_every_s, self.batch = float(settle_every_s), int(batch)
        options = {k: v for k, v in options.items() if k not in ("checkpoint_every", "store")}
        wanted = EngineOptions.from_dict(options).for_catalog(catalog)
        if wanted.number_bins:  # a snapshot carries no bin edges (yet): replicas could not bin
            raise ConfigError(f"number_bins: expected 0 in the fleet (its snapshots carry no "
                              f"bin edges), got {wanted.number_bins}")
        log = open_store(store)
        self._tmp = tempfile.TemporaryDirectory(prefix="offerbandit-learner-")
        try:
            self._take_lock(log, lock_wait_s)
            snap = log.latest_snapshot()
            # The fleet's learner runs the serving candidate only (the snapshot's, or the first
            # configured): the online choice between candidates is the embedded engine's.
            names = [c.name for c in wanted.candidate_specs]
            if snap is not None and snap.learner_name not in names:
                raise CheckpointError(f"snapshot {snap.version} learner_name: expected one of "
                                      f"{', '.join(names)}, got {snap.learner_name!r}; run the "
                                      f"learner with the candidates it was trained with")
            spec = wanted.candidate(snap.learner_name if snap else names[0])
            # a VW or a ridge candidate, as its table ("exploration" names the ridge learner)
            options = {**options, "candidates": [{"name": spec.name, **asdict(spec.config),
                                                  "exploration": spec.config.exploration}]}
            drift = options.get("drift")
            if drift is not None:  # no drift challengers either (docs/drift.md): one learner
                table = drift.to_dict() if isinstance(drift, DriftOptions) else dict(drift)
                options["drift"] = {**table, "recover": False}
            opts = EngineOptions.from_dict(options)
            self._seed_checkpoint(log, snap, catalog, opts, seed)
            self.engine = Engine(catalog=catalog, rules=rules, state_dir=self._tmp.name,
                                 seed=seed, store=log, clock=clock,
                                 **{**options, "checkpoint_every": _NEVER})
        except BaseException:
            log.close()
            self._tmp.cleanup()
            raise
        self.log = self.engine.log
        stats = self.engine.stats()
        self._replayed = int(stats["replayed_on_start"])
        self._learned = self._replayed
        start = (snap.version, snap.learned_seq) if snap is not None else (0, 0)
        self._published_version, self._published_seq = start
        self._pending = int(stats["learned_seq"]) - start[1]  # replayed, not yet published
        self._last_publish = self._last_settle = time.monotonic()
        self._defaults = 0

    @classmethod
    def from_catalog(cls, path: str, store: str, **kwargs: Any) -> LearnerLoop:
        """A learner from a TOML catalog; keywords override its ``[engine]`` table."""
        from engine.config import load_config

        catalog, rules, settings = load_config(path)
        settings.pop("store", None)
        return cls(catalog, store, rules=rules, **{**settings, **kwargs})

    @staticmethod
    def _take_lock(log: DecisionStore, wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        while not log.try_lock_learner():
            if time.monotonic() >= deadline:
                raise StoreError(f"store: another learner holds the lock of {log.url}; one "
                                 f"learner per log (waited {wait_s:g} s)")
            time.sleep(0.2)

    def _seed_checkpoint(self, log: DecisionStore, snap: ModelSnapshot | None,
                         catalog: Catalog, options: EngineOptions, seed: int) -> None:
        """Write the latest snapshot as the engine's checkpoint (nothing when there is none),
        with the learner's cursor and its reward scale as they stood at the snapshot."""
        if snap is None:
            return
        spec = options.candidate_specs[0]
        config = built_config(spec.config, catalog, options.prune_features)
        if snap.learner_config != config.fingerprint():
            raise CheckpointError(f"snapshot {snap.version} learner_config: expected "
                                  f"{config.fingerprint()!r}, got {snap.learner_config!r}; run "
                                  f"the learner with the configuration it was trained with")
        state = {"selection": {"cursors": {spec.name: snap.learned_seq},
                               "since": {spec.name: snap.learned_seq},
                               "scales": {spec.name: scale_of_log(
                                   log, catalog, snap.learned_seq,
                                   options.reward_unit(spec.name)).to_state()}}}
        with learner_from(snap, catalog, seed=seed) as learner:
            CheckpointStore(self._tmp.name).write({spec.name: learner}, spec.name,
                                                  snap.learned_seq, options.fingerprint(),
                                                  catalog.version, FEATURES_VERSION, state)

    # -- the loop -------------------------------------------------------------------------------
    @property
    def published_version(self) -> int:
        """The latest snapshot version this learner published (0: none yet)."""
        return self._published_version

    def step(self) -> int:
        """Learn up to ``batch`` new rewards, publish and settle when due; return how many
        rewards were learned."""
        n = self.engine.learn_from_log(self.batch)
        self._learned += n
        self._pending += n
        now = time.monotonic()
        if self._pending and (self._pending >= self.publish_every
                              or now - self._last_publish >= self.publish_every_s):
            self.publish()
        if now - self._last_settle >= self.settle_every_s:
            self.settle()
        return n

    def publish(self) -> int:
        """Publish the model as it stands; return the snapshot's version."""
        snap = self.engine.model_snapshot()
        self._published_version = self.log.publish_snapshot(snap)
        self._published_seq = snap.learned_seq
        self._pending = 0
        self._last_publish = time.monotonic()
        _log.info("published snapshot %d (learned_seq %d)", self._published_version,
                  snap.learned_seq)
        return self._published_version

    def settle(self) -> int:
        """Write the default reward of every decision whose window passed unrewarded by the
        learner's clock (learned later, in sequence order, by :meth:`step`); return how many."""
        t = self.engine.clock()
        n = 0
        while True:
            due, written = self.engine.window.write_defaults(self.log, t, 500)
            n += len(written)
            if due < 500:
                break
        self._defaults += n
        self._last_settle = time.monotonic()
        return n

    def run(self, stop: threading.Event, idle_s: float = 0.2) -> None:
        """Step until ``stop`` is set, sleeping ``idle_s`` when nothing was new; on the way out,
        learn what the log holds by then and publish it."""
        while not stop.is_set():
            if self.step() == 0:
                stop.wait(idle_s)
        while True:
            n = self.engine.learn_from_log(self.batch)
            self._learned += n
            self._pending += n
            if n < self.batch:
                break
        if self._pending:
            self.publish()

    def status(self) -> LearnerStatus:
        """Where the learner stands (see :class:`LearnerStatus`)."""
        return LearnerStatus(self.engine.learned_seq, self.log.last_seq(),
                             self._published_version, self._published_seq, self._learned,
                             self._replayed, self._defaults)

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Release the learner, the log and its lock; safe to call twice."""
        try:
            self.engine.close()
        finally:
            self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

