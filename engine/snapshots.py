"""Model snapshots: what the fleet's one learner publishes and its choose replicas serve from.

A snapshot is a candidate learner's saved model (a Vowpal Wabbit model: weights and
exploration state; or the closed-form ridge learner's exact state: ``A^-1``, ``b``, ``theta``
and the rewards learned) with everything a replica needs to serve it without any configuration
of its own: the learner configuration it was trained with (its fingerprint says which kind of
learner: a ridge one carries ``"kind": "ridge"``, a VW one no kind, as every snapshot before
the ridge learner; so a learner holding several candidate configurations publishes whichever
serves, and the replicas follow), the catalog and feature layout it expects (a replica refuses
another), and how far into the reward log it has learned (``learned_seq``). The store keeps the
latest few (``DecisionStore.publish_snapshot``) and numbers them with an increasing
``version``; every decision a replica makes logs the version that made it.

Example:
    >>> from engine.catalog import Catalog
    >>> from policies.ridge_learner import RidgeConfig
    >>> cat = Catalog.from_names(["m"], ["email"], ["now"])
    >>> with new_learner(VWConfig()) as learner:
    ...     snap = snapshot_of(learner, cat, VWConfig(), learned_seq=0)
    >>> with learner_from(snap, cat) as served:
    ...     snap.learner_name, served.n_actions, len(snap.model) > 0
    ('default', 2, True)
    >>> with new_learner(RidgeConfig(dim=16)) as ridge:
    ...     ridge.set_actions(action_feature_sets(cat))
    ...     snap = snapshot_of(ridge, cat, ridge.config, learned_seq=0, learner_name="ridge")
    >>> with learner_from(snap, cat) as served:
    ...     type(served).__name__, served.config.dim, served.n_actions
    ('RidgeLearner', 16, 2)
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from engine.candidate_learners import CandidateConfig, CandidateLearner, new_learner
from engine.catalog import Catalog
from engine.errors import CheckpointError
from engine.features import FEATURES_VERSION, action_feature_sets
from policies.joint_ridge_learner import JointRidgeConfig
from policies.ridge_learner import RidgeConfig
from policies.vw_config import VWConfig

__all__ = ["DEFAULT_LEARNER_NAME", "ModelSnapshot", "config_of", "learner_from", "snapshot_of"]

DEFAULT_LEARNER_NAME = "default"
_PRUNED = "+pruned"  # the features_version suffix of a learner built on pruned action features


@dataclass(frozen=True)
class ModelSnapshot:
    """One published model.

    Attributes:
        version: the store's number for it (increasing; 0 before it is published).
        learned_seq: the last reward sequence number learned into the model.
        learner_name: which learner configuration serves (``"default"`` for an engine with one;
            a learner holding several candidates names the one it publishes).
        learner_config: that configuration's ``fingerprint()`` (JSON of every field;
            ``"kind": "ridge"`` for the ridge learner): a replica builds the learner from it
            (:func:`config_of`).
        catalog_version: :attr:`Catalog.version` of the catalog it was trained on.
        features_version: ``engine.features.FEATURES_VERSION`` it was trained with, followed
            by ``+pruned`` when its action features were pruned (``prune_features``).
        model: the learner's saved model file's bytes (VW's model, or the ridge learner's
            ``.npz``).
        created_at: when the learner took it, epoch seconds.
        published_at: when the store took it, epoch seconds (0 before).
    """

    version: int
    learned_seq: int
    learner_name: str
    learner_config: str
    catalog_version: str
    features_version: str
    model: bytes
    created_at: float
    published_at: float = 0.0

    @classmethod
    def from_row(cls, row: tuple) -> ModelSnapshot:
        """A snapshot from a store row (the columns in field order)."""
        (version, seq, name, config, catalog, features, model, created, published) = row
        return cls(int(version), int(seq), name, config, catalog, features, bytes(model),
                   float(created), float(published))

    def check(self, catalog: Catalog) -> None:
        """Refuse a snapshot trained for another catalog or feature layout.

        Raises:
            CheckpointError: names what differs, the snapshot's value and ours.
        """
        for name, theirs, ours in (("catalog_version", self.catalog_version, catalog.version),
                                   ("features_version", self.features_version.removesuffix(
                                       _PRUNED), FEATURES_VERSION)):
            if theirs != ours:
                raise CheckpointError(f"snapshot {self.version} {name}: expected {ours!r}, got "
                                      f"{theirs!r}; run the learner with this catalog (or this "
                                      f"one with the learner's)")


def config_of(fingerprint: str) -> CandidateConfig:
    """The learner configuration whose ``fingerprint()`` this is: a :class:`RidgeConfig` for
    ``"kind": "ridge"``, a :class:`JointRidgeConfig` for ``"joint"``, else (every snapshot
    before the ridge learner, too) a :class:`VWConfig`.

    Example:
        >>> config_of(VWConfig(epsilon=0.1).fingerprint()).epsilon
        0.1
        >>> config_of(RidgeConfig(dim=64).fingerprint())  # doctest: +NORMALIZE_WHITESPACE
        RidgeConfig(dim=64, l2=1.0, gamma_scale=10.0, gamma_exponent=0.5, forget=1.0, ucb=0.0,
                    slots='hashed', number_scale='spread')
    """
    fields = json.loads(fingerprint)
    kind = fields.pop("kind", None)
    if kind == "ridge":
        return RidgeConfig(**fields)
    if kind == "joint":
        return JointRidgeConfig(**fields)
    fields["interactions"] = tuple(fields.get("interactions", ()))
    return VWConfig(**fields)


def snapshot_of(learner: CandidateLearner, catalog: Catalog, config: CandidateConfig, *,
                learned_seq: int, learner_name: str = DEFAULT_LEARNER_NAME,
                pruned: bool = False) -> ModelSnapshot:
    """Take a snapshot of ``learner`` (trained with ``config`` on ``catalog``, its action
    features pruned or not: ``prune_features``), unpublished: a VW learner or the ridge
    learner, whose saved file it carries byte for byte."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "model.vw"
        learner.save(path)
        model = path.read_bytes()
    return ModelSnapshot(0, int(learned_seq), learner_name, config.fingerprint(),
                         catalog.version, FEATURES_VERSION + (_PRUNED if pruned else ""), model,
                         time.time())


def learner_from(snapshot: ModelSnapshot, catalog: Catalog, *, seed: int = 0
                 ) -> CandidateLearner:
    """The learner of a snapshot (the kind its configuration names), its actions set from
    ``catalog``, ready to predict.

    Raises:
        CheckpointError: the snapshot was made for another catalog or feature layout.
    """
    snapshot.check(catalog)
    fd, name = tempfile.mkstemp(suffix=".vw")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(snapshot.model)
        learner = new_learner(config_of(snapshot.learner_config), seed=seed, model_path=name)
    finally:
        os.unlink(name)
    try:
        learner.set_actions(action_feature_sets(
            catalog, prune=snapshot.features_version.endswith(_PRUNED)))
    except BaseException:
        learner.close()
        raise
    return learner

