"""Checkpoints of the learner: the VW model (weights and exploration state) plus a sidecar that
says what it was built with and how far into the reward log it has learned.

Layout in ``state_dir``: ``model-<seq>.vw`` files and ``checkpoint.json`` naming the current one.
A new checkpoint writes its model file, then replaces ``checkpoint.json`` atomically (temp file,
fsync, rename), then removes older model files: a crash at any moment leaves a sidecar that
points at a complete model. The sidecar's ``learned_seq`` is the last reward sequence number the
model holds; a restart replays the log's rewards after it, so nothing is learned twice.

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
from dataclasses import asdict, dataclass
from pathlib import Path

from engine.catalog import Catalog
from engine.errors import CheckpointError
from engine.features import FEATURES_VERSION, action_feature_sets
from policies.vw_config import VWConfig
from policies.vw_learner import VWLearner

__all__ = ["SIDECAR", "CheckpointInfo", "CheckpointStore", "load_learner"]

SIDECAR = "checkpoint.json"
FORMAT = 1


@dataclass(frozen=True)
class CheckpointInfo:
    """The sidecar of one checkpoint.

    Attributes:
        model_file: the model's file name in ``state_dir``.
        learned_seq: the last reward sequence number learned into the model.
        learner_config: :meth:`VWConfig.fingerprint` of the learner.
        catalog_version: :attr:`Catalog.version` of the catalog.
        features: the feature layout's fingerprint (namespaces and interactions).
        created_at: epoch seconds.
        format: sidecar format version.
    """

    model_file: str
    learned_seq: int
    learner_config: str
    catalog_version: str
    features: str
    created_at: float
    format: int = FORMAT


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
        if not (self.dir / info.model_file).is_file():
            raise CheckpointError(f"{SIDECAR}: model_file {info.model_file!r} is missing from "
                                  f"{str(self.dir)!r}")
        return info

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

    def model_path(self, info: CheckpointInfo) -> Path:
        """The model file of a checkpoint."""
        return self.dir / info.model_file

    def write(self, learner: VWLearner, learned_seq: int, learner_config: str,
              catalog_version: str, features: str) -> CheckpointInfo:
        """Save ``learner`` and make it the current checkpoint (crash-safe, see module doc).

        Raises:
            CheckpointError: it could not be written (a full disk, an I/O error); the previous
                checkpoint stays current and nothing half-written is left behind.
        """
        name = f"model-{int(learned_seq)}.vw"
        tmp = self.dir / (SIDECAR + ".tmp")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            learner.save(self.dir / name)
            info = CheckpointInfo(name, int(learned_seq), learner_config, catalog_version,
                                  features, time.time())
            with open(tmp, "w") as f:
                json.dump(asdict(info), f, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.dir / SIDECAR)
        except (OSError, RuntimeError) as exc:  # VW's own save raises RuntimeError
            self._remove_partial(name, tmp)
            raise CheckpointError(f"checkpoint: cannot write model {name!r}: {exc}") from exc
        _fsync_dir(self.dir)
        for old in self.dir.glob("model-*.vw"):
            if old.name != name:
                old.unlink(missing_ok=True)
        return info

    def _remove_partial(self, name: str, tmp: Path) -> None:
        current = self.dir / SIDECAR
        try:
            keep = json.loads(current.read_text()).get("model_file") if current.exists() else None
        except (OSError, ValueError):
            keep = None
        for path in (tmp, self.dir / (name + ".tmp"), self.dir / name):
            if path.name != keep:
                with contextlib.suppress(OSError):  # best effort: a full disk, a folder
                    path.unlink(missing_ok=True)


def load_learner(state_dir: str | os.PathLike, catalog: Catalog, config: VWConfig, *,
                 seed: int = 0, required: bool = False) -> tuple[VWLearner, int]:
    """The learner of the latest checkpoint in ``state_dir``, ready to predict, and its
    ``learned_seq``. The one way a saved engine model is opened (the engine on start, off-policy
    evaluation of a saved model); nothing in ``state_dir`` is written.

    Args:
        state_dir: the engine's state folder.
        catalog: the catalog the checkpoint must have been made with (its actions are set).
        config: the learner configuration it must have been made with.
        seed: VW's seed for a fresh learner (a saved model keeps its own).
        required: raise when there is no checkpoint (else a fresh learner and 0).

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
    store = CheckpointStore(state_dir)
    info = store.latest()
    if info is None:
        if required:
            raise CheckpointError(f"state_dir: expected a checkpoint ({SIDECAR}) in "
                                  f"{str(state_dir)!r}, found none")
        learner, seq = VWLearner(config, seed=seed), 0
    else:
        store.check(info, config.fingerprint(), catalog.version, FEATURES_VERSION)
        learner = VWLearner(config, seed=seed, model_path=store.model_path(info))
        seq = info.learned_seq
    try:
        learner.set_actions(action_feature_sets(catalog))
    except BaseException:
        learner.close()
        raise
    return learner, seq


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
