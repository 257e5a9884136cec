"""Checkpoints of the learners: one VW model per candidate learner (weights and exploration
state) plus a sidecar that says what they were built with, which one serves, and how far into
the reward log each has learned.

Layout in ``state_dir``: ``model-<seq>-<candidate>.vw`` files and ``checkpoint.json`` naming the
current ones. A new checkpoint writes its model files, then replaces ``checkpoint.json``
atomically (temp file, fsync, rename), then removes older model files: a crash at any moment
leaves a sidecar that points at complete models. The sidecar's ``learned_seq`` is the last
reward sequence number the serving model holds (each candidate's own is in ``state``); a
restart replays the log's rewards after them, so nothing is learned twice.

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     store = CheckpointStore(d)
    ...     store.latest() is None
    True
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from engine.candidate_learners import CandidateConfig, CandidateLearner, new_learner
from engine.candidates import DEFAULT_CANDIDATES, EARLIER_DEFAULTS
from engine.catalog import Catalog
from engine.drift.recovery import saved_challengers
from engine.errors import CheckpointError
from engine.features import FEATURES_VERSION, action_feature_sets, catalog_interactions
from engine.learner_selection import LearnerSelection
from engine.options import EngineOptions
from ope.errors import OPEInputError
from policies.vw_config import VWConfig

__all__ = ["SIDECAR", "CheckpointInfo", "CheckpointStore", "SavedModels", "fresh_learner",
           "load_learner", "load_models"]

SIDECAR = "checkpoint.json"
FORMAT = 2


@dataclass(frozen=True)
class CheckpointInfo:
    """The sidecar of one checkpoint.

    Attributes:
        model_file: the serving model's file name in ``state_dir``.
        learned_seq: the last reward sequence number learned into the serving model.
        learner_config: :meth:`EngineOptions.fingerprint` of the learners.
        catalog_version: :attr:`Catalog.version` of the catalog.
        features: the feature layout's fingerprint (namespaces and interactions).
        created_at: epoch seconds.
        format: sidecar format version.
        models: candidate name -> its model's file name.
        serving: the serving candidate's name.
        state: what the engine keeps beside the models (each candidate's cursor and estimates,
            the reward scale, the bins), JSON.
        rows_file: the file of the estimates' rows that a later reward may still correct
            (``rows-<seq>.npz``, NumPy arrays; None in a checkpoint written before stop 49, or
            with no such rows).
    """

    model_file: str
    learned_seq: int
    learner_config: str
    catalog_version: str
    features: str
    created_at: float
    format: int = FORMAT
    models: dict[str, str] = field(default_factory=dict)
    serving: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    rows_file: str | None = None


class CheckpointStore:
    """Reads and writes checkpoints in ``state_dir``."""

    def __init__(self, state_dir: str | os.PathLike) -> None:
        self.dir = Path(state_dir)

    def latest(self) -> CheckpointInfo | None:
        """The current checkpoint's sidecar, or None when there is none.

        Raises:
            CheckpointError: the sidecar or its model file is unreadable or missing.
        """
        path = self.dir / SIDECAR
        if not path.exists():
            return None
        try:
            info = CheckpointInfo(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise CheckpointError(f"{SIDECAR}: expected a checkpoint sidecar, cannot read "
                                  f"{str(path)!r}: {exc}") from exc
        for name in {info.model_file, *info.models.values(), *_named(info.rows_file)}:
            if not (self.dir / name).is_file():
                kind = "rows file" if name == info.rows_file else "model file"
                raise CheckpointError(f"{SIDECAR}: {kind} {name!r} is missing from "
                                      f"{str(self.dir)!r}")
        return info

    def rows(self, info: CheckpointInfo) -> dict[str, np.ndarray]:
        """The arrays of a checkpoint's rows file (empty when it has none).

        Raises:
            CheckpointError: the file cannot be read as NumPy arrays.
        """
        if info.rows_file is None:
            return {}
        path = self.dir / info.rows_file
        try:
            with np.load(path, allow_pickle=False) as saved:
                return {k: saved[k] for k in saved.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise CheckpointError(f"{SIDECAR}: rows file {info.rows_file!r}: expected NumPy "
                                  f"arrays, cannot read {str(path)!r}: {exc}") from exc

    def check(self, info: CheckpointInfo, learner_config: str, catalog_version: str,
              features: str) -> None:
        """Refuse a checkpoint built with another catalog, learner config or feature layout.

        Raises:
            CheckpointError: names what differs, the checkpoint's value and ours.
        """
        for name, theirs, ours in (("catalog_version", info.catalog_version, catalog_version),
                                   ("learner_config", info.learner_config, learner_config),
                                   ("features", info.features, features),
                                   ("format", info.format, FORMAT)):
            if theirs != ours:
                raise CheckpointError(
                    f"checkpoint {name}: expected {ours!r}, got {theirs!r} in "
                    f"{str(self.dir / SIDECAR)!r}; use the catalog and config it was made with, "
                    f"or a new state_dir"
                )

    def model_path(self, info: CheckpointInfo, candidate: str | None = None) -> Path:
        """The model file of a checkpoint's candidate (default: the serving one)."""
        if candidate is None:
            return self.dir / info.model_file
        return self.dir / info.models[candidate]

    def write(self, learners: Mapping[str, CandidateLearner], serving: str, learned_seq: int,
              learner_config: str, catalog_version: str, features: str,
              state: Mapping[str, Any] | None = None,
              rows: Mapping[str, np.ndarray] | None = None) -> CheckpointInfo:
        """Save every candidate's learner (and ``rows``, the estimates' correctable rows, as
        one ``.npz``) and make them the current checkpoint (crash-safe, see the module
        docstring).

        Raises:
            CheckpointError: it could not be written (a full disk, an I/O error); the previous
                checkpoint stays current and nothing half-written is left behind.
        """
        files = {name: f"model-{int(learned_seq)}-{name}.vw" for name in learners}
        rows_file = f"rows-{int(learned_seq)}.npz" if rows else None
        written = [*files.values(), *_named(rows_file)]
        tmp = self.dir / (SIDECAR + ".tmp")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            for name, learner in learners.items():
                learner.save(self.dir / files[name])
            if rows_file is not None:
                _save_rows(self.dir / rows_file, rows or {})
            info = CheckpointInfo(files[serving], int(learned_seq), learner_config,
                                  catalog_version, features, time.time(), FORMAT, files, serving,
                                  dict(state or {}), rows_file)
            with open(tmp, "w") as f:
                # shallow, and in one string: asdict deep-copies the whole state, and
                # json.dump encodes in Python where dumps uses the C encoder (together most
                # of a checkpoint's time at 66,000 rewards: benchmarks/bench_checkpoint_rows.py)
                f.write(json.dumps({k.name: getattr(info, k.name) for k in fields(info)},
                                   sort_keys=True))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.dir / SIDECAR)
        except (OSError, RuntimeError) as exc:  # VW's own save raises RuntimeError
            self._remove_partial(written, tmp)
            raise CheckpointError(f"checkpoint: cannot write models {sorted(written)}: "
                                  f"{exc}") from exc
        _fsync_dir(self.dir)
        keep = set(written)
        for old in [*self.dir.glob("model-*.vw"), *self.dir.glob("rows-*.npz")]:
            if old.name not in keep:
                old.unlink(missing_ok=True)
        return info

    def _remove_partial(self, names: list[str], tmp: Path) -> None:
        current = self.dir / SIDECAR
        keep: set[str] = set()  # the current checkpoint's files stay
        try:
            if current.exists():
                saved = json.loads(current.read_text())
                keep = {saved.get("model_file"), *saved.get("models", {}).values(),
                        saved.get("rows_file")}
        except (OSError, ValueError):
            keep = set()
        paths = [tmp, *(self.dir / (n + ".tmp") for n in names), *(self.dir / n for n in names)]
        for path in paths:
            if path.name not in keep:
                with contextlib.suppress(OSError):  # best effort: a full disk, a folder
                    path.unlink(missing_ok=True)


@dataclass
class SavedModels:
    """Every candidate's learner as checkpointed (or fresh), and what the sidecar kept.

    Attributes:
        learners: candidate name -> its learner, actions set, ready to predict.
        serving: the serving candidate's name.
        learned_seq: the last reward the serving model holds.
        state: the sidecar's ``state`` (empty for fresh learners).
        options: the engine options they were opened with, as :func:`options_for_state`
            resolves them for the folder (an earlier default's candidates where it was made
            under one).
        n_actions: the catalog's actions, K.
        rows: the estimates' correctable rows, as the checkpoint's rows file holds them
            (:meth:`LearnerSelection.kept_rows`; empty when it has none).
    """

    learners: dict[str, CandidateLearner]
    serving: str
    learned_seq: int
    state: dict[str, Any]
    options: EngineOptions
    n_actions: int
    rows: dict[str, np.ndarray] = field(default_factory=dict)

    def close(self) -> None:
        """Release every learner."""
        for learner in self.learners.values():
            learner.close()

    def selection(self) -> LearnerSelection:
        """The candidates as the engine decides with them: :attr:`learners` under the saved
        switch state (the serving one, the challengers on trial and their share), a drift
        challenger still catching up held out of it. The learners become the selection's:
        close them with it (or with :meth:`close`)."""
        options = self.options
        selection = LearnerSelection(
            self.learners, self.serving, options.selection_settings, self.n_actions,
            options.reward_scale, self.state.get("selection"),
            unscaled=options.unscaled_candidates, units=options.reward_units)
        selection.held.update(c.name for c in saved_challengers(self.state.get("drift_recovery"))
                              if not c.caught_up)
        try:
            selection.restore_kept_rows(self.rows)
        except OPEInputError as exc:
            raise CheckpointError(f"{SIDECAR}: rows file: {exc}") from exc
        return selection


def load_models(state_dir: str | os.PathLike, catalog: Catalog,
                options: EngineOptions | VWConfig, *, seed: int = 0,
                required: bool = False) -> SavedModels:
    """Every candidate learner of the latest checkpoint in ``state_dir`` (fresh ones when there
    is none), actions set. The one way saved engine models are opened; nothing is written.

    Args:
        state_dir: the engine's state folder.
        catalog: the catalog the checkpoint must have been made with (its actions are set).
        options: the engine options (their candidates) it must have been made with; a bare
            :class:`VWConfig` stands for one candidate with that learner.
        seed: VW's seed for fresh learners (a saved model keeps its own).
        required: raise when there is no checkpoint (else fresh learners).

    Raises:
        CheckpointError: no checkpoint while ``required``, or one made with another catalog,
            candidates, learner configs or feature layout.
    """
    if isinstance(options, VWConfig):
        options = EngineOptions(learner=options)
    options = options_for_state(options, catalog, state_dir)
    specs = options.candidate_specs
    store = CheckpointStore(state_dir)
    info = store.latest()
    if info is None and required:
        raise CheckpointError(f"state_dir: expected a checkpoint ({SIDECAR}) in "
                              f"{str(state_dir)!r}, found none")
    if info is not None:
        store.check(info, options.fingerprint(), catalog.version, FEATURES_VERSION)
    out = SavedModels({}, specs[0].name if info is None else info.serving,
                      0 if info is None else info.learned_seq,
                      {} if info is None else dict(info.state), options, catalog.n_actions,
                      {} if info is None else store.rows(info))
    # drift challengers (engine/drift/recovery.py) join at run time: each reopens beside the
    # configured candidates, with the configuration of the candidate it was made from
    added = {c.name: c.base for c in saved_challengers(out.state.get("drift_recovery"))}
    try:
        for name, base in [(s.name, s.name) for s in specs] + list(added.items()):
            path = None if info is None else store.model_path(info, name)
            out.learners[name] = fresh_learner(catalog, options, base, seed=seed,
                                               model_path=path)
    except BaseException:
        out.close()
        raise
    return out


def options_for_state(options: EngineOptions, catalog: Catalog,
                      state_dir: str | os.PathLike) -> EngineOptions:
    """``options`` for ``catalog`` (:meth:`EngineOptions.for_catalog`), except that a state
    folder whose checkpoint was made under an earlier default
    (:data:`engine.candidates.DEFAULT_CANDIDATES`, or one of
    :data:`engine.candidates.EARLIER_DEFAULTS`) keeps it: an engine upgraded past a default
    resumes its models instead of refusing them. Candidates given explicitly are never
    changed. Nothing is written.

    Example:
        >>> import tempfile
        >>> cat = Catalog.from_names(["a", "b"], ["email", "sms"], ["now"])
        >>> with tempfile.TemporaryDirectory() as d:  # no checkpoint: the catalog's default
        ...     [c.name for c in options_for_state(EngineOptions(), cat, d).candidate_specs]
        ['joint', 'regcb']
    """
    resolved = options.for_catalog(catalog)
    if not options.defaulted:
        return resolved
    info = CheckpointStore(state_dir).latest()
    if info is None or info.learner_config == resolved.fingerprint():
        return resolved
    for earlier in (DEFAULT_CANDIDATES, *EARLIER_DEFAULTS):
        pinned = replace(options, candidates=list(earlier))
        if info.learner_config == pinned.fingerprint():
            return pinned
    return resolved  # CheckpointStore.check refuses it, naming both configurations


def built_config(config: CandidateConfig, catalog: Catalog, prune: bool) -> CandidateConfig:
    """The configuration a learner is built with: with ``prune`` (``prune_features``), a VW
    learner's interactions as the catalog prunes them (terms it makes useless left out); a ridge
    learner's, or any without ``prune``, as configured. The engine, the fleet's learner and
    campaign scoring all build from this, so their models agree.

    Example:
        >>> cat = Catalog.from_names(["a", "b"], ["web"], ["now"], no_contact=False)
        >>> squarecb = EngineOptions().candidate("squarecb").config  # a VW candidate
        >>> built_config(squarecb, cat, prune=True).interactions
        ('cm', 'hm')
    """
    if not prune or not isinstance(config, VWConfig):
        return config
    return replace(config, interactions=catalog_interactions(catalog, config.interactions))


def fresh_learner(catalog: Catalog, options: EngineOptions, candidate: str, *, seed: int = 0,
                  model_path: str | os.PathLike | None = None) -> CandidateLearner:
    """A learner with configured candidate ``candidate``'s configuration, actions set: fresh,
    or resumed from ``model_path``.

    Raises:
        ConfigError: no such candidate.
    """
    prune = options.prune_features
    options = options.for_catalog(catalog)
    config = built_config(options.candidate(candidate).config, catalog, prune)
    learner = new_learner(config, seed=seed, model_path=model_path)
    try:
        learner.set_actions(action_feature_sets(catalog, prune))
    except BaseException:
        learner.close()
        raise
    return learner


def load_learner(state_dir: str | os.PathLike, catalog: Catalog,
                 options: EngineOptions | VWConfig, *, seed: int = 0,
                 required: bool = False) -> tuple[CandidateLearner, int]:
    """The serving learner of the latest checkpoint in ``state_dir``, ready to predict, and its
    ``learned_seq`` (what a choose replica or off-policy evaluation of a saved model opens);
    nothing in ``state_dir`` is written. See :func:`load_models` for the arguments.

    Raises:
        CheckpointError: no checkpoint while ``required``, or one made with another catalog,
            learner config or feature layout.

    Example:
        >>> import tempfile
        >>> from engine.catalog import Catalog
        >>> cat = Catalog.from_names(["m"], ["email"], ["now"])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     learner, seq = load_learner(d, cat, VWConfig())
        ...     learner.n_actions, seq
        (2, 0)
    """
    models = load_models(state_dir, catalog, options, seed=seed, required=required)
    serving = models.learners.pop(models.serving)
    models.close()
    return serving, models.learned_seq


def _save_rows(path: Path, rows: Mapping[str, np.ndarray]) -> None:
    """Write ``rows`` as one ``.npz`` at ``path`` whole or not at all (a temp file, fsync,
    rename), as the learners save their models: a checkpoint at the same seq rewrites it."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        # numpy's stubs type **kwds as its own flags; the keys are array names
        np.savez(f, **dict(rows))  # type: ignore[arg-type]
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _named(name: str | None) -> list[str]:
    return [] if name is None else [name]


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory entry is; best effort where unsupported.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
