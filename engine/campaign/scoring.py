"""Scoring a batch of customers, as a campaign worker does: the same checks, contact rules and
features as ``choose``, then every action's estimated reward by batch prediction.

A worker receives a :class:`ScoringSetup` (plain data: the catalog file's text, the log's store
URL, the model snapshot, the decision time) and builds a :class:`CustomerScorer` once;
each batch of customer rows then goes through:

1. ``check_context`` (the one context check of ``choose``);
2. the contact history and stored profile of every customer of the batch (a few queries per
   batch, on a read-only connection to the log, SQLite or PostgreSQL); each history's count of
   contacts goes back with the batch, so the driver can see, under the customers' lock,
   whether another process contacted one of them meanwhile (:func:`history_keys`);
3. :meth:`ContactRules.apply_batch` (the rules of ``choose``, for the whole batch; the channels'
   capacity is left to the allocation, which shares it out by price);
4. the learner's shared features (``engine.features``, as ``choose`` builds them) and every
   action's score by batch prediction (``engine.candidate_learners.batch_scorer``: VW's
   weights, :class:`policies.vw_batch_scorer.VWBatchScorer`, or the ridge learner's, one
   matrix product, :class:`policies.ridge_batch_scorer.RidgeBatchScorer`) with the snapshot's
   own learner configuration, as a choose replica serves it
   (``engine.snapshots.learner_from``), times the learner's reward scale;
5. holdout membership (the one holdout hash).

A customer whose row or stored profile the rules refuse is not decided: the batch carries the
error for that row (the driver writes no decision for it and reports it).

Example:
    >>> import tempfile, pyarrow as pa
    >>> from engine.store import DecisionLog
    >>> from importlib.resources import files
    >>> catalog = files("engine") / "catalogs" / "example.toml"
    >>> with tempfile.TemporaryDirectory() as d:
    ...     DecisionLog(d).close()  # the campaign's driver creates the log; workers read it
    ...     setup = ScoringSetup(catalog.read_text(), "example.toml", f"sqlite:///{d}", None,
    ...                          1.7e9)
    ...     with CustomerScorer(setup) as scorer:
    ...         out = scorer(pa.table({"customer_id": ["c1"], "consent_email": [True]}))
    >>> out["allowed"].shape == out["scores"].shape, out["error"].tolist()
    (True, [''])
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pyarrow as pa

from engine.campaign.customers import contexts_of
from engine.candidate_learners import (
    CandidateConfig,
    CandidateLearner,
    batch_scorer,
    new_learner,
)
from engine.catalog import Catalog
from engine.checkpoint import built_config
from engine.config import config_from_document
from engine.contact_rules import BatchRuleOutcome, ContactRules
from engine.errors import ContextError
from engine.features import (
    action_feature_sets,
    check_context,
    context_namespace,
    history_namespace,
    shared_features,
)
from engine.holdout import holdout_mask
from engine.options import EngineOptions
from engine.snapshots import ModelSnapshot, learner_from
from engine.store import ContactHistory
from engine.store_url import open_store

__all__ = ["CustomerScorer", "ScoringSetup", "fresh_config", "history_keys"]


def history_keys(histories: Sequence[ContactHistory]) -> np.ndarray:
    """(n,) int64: each history's contacts in its 30-day window. Every rule of ``choose`` (caps
    per day and week, days since the last contact on a channel) reads contacts in that window,
    and a contact another process logs there meanwhile adds one: the driver compares these
    counts with the ones it reads under the customers' lock.

    Example:
        >>> history_keys([ContactHistory(), ContactHistory(contacts_30d=2)]).tolist()
        [0, 2]
    """
    return np.fromiter((h.contacts_30d for h in histories), dtype=np.int64,
                       count=len(histories))


def fresh_config(catalog: Catalog, options: EngineOptions) -> CandidateConfig:
    """The serving candidate's configuration as the engine builds a fresh one (a VW learner's
    interactions as the catalog prunes them, with ``prune_features``; a ridge learner's as
    configured).

    Example:
        >>> cat = Catalog.from_names(["a", "b"], ["web"], ["now"], no_contact=False)
        >>> vw_first = EngineOptions(prune_features=True, candidates=["squarecb"])
        >>> fresh_config(cat, vw_first).interactions
        ('cm', 'hm')
    """
    specs = options.for_catalog(catalog).candidate_specs
    return built_config(specs[0].config, catalog, options.prune_features)


@dataclass(frozen=True)
class ScoringSetup:
    """What a worker needs, as plain data (sent once to each worker).

    Attributes:
        catalog_text: the catalog file's content (TOML: actions, ``[rules]``, ``[engine]``).
        catalog_name: the file's name, for error messages.
        store_url: the log (``sqlite:///<absolute folder>`` or ``postgresql://...``): read,
            never written, by workers.
        model: the model snapshot (the latest published one, or the latest checkpoint's
            model), None for a fresh model of the catalog's learner configuration.
        at: the campaign's decision time, epoch seconds.
        reward_scale: the learner's predictions times this are on the business scale (the
            engine's ``reward_scale``: the model learned ``reward / scale``).
    """

    catalog_text: str
    catalog_name: str
    store_url: str
    model: ModelSnapshot | None
    at: float
    reward_scale: float = 1.0


class CustomerScorer:
    """Scores batches of customer rows (see the module docstring). Close it when done.

    Args:
        setup: the :class:`ScoringSetup`.
    """

    def __init__(self, setup: ScoringSetup) -> None:
        self.setup = setup
        catalog, rules, settings = config_from_document(tomllib.loads(setup.catalog_text),
                                                        setup.catalog_name)
        self.catalog = catalog
        self.options = EngineOptions.from_dict(settings).for_catalog(catalog)
        self.rules = ContactRules(catalog, rules)
        self._channels = tuple(c.name for c in catalog.channels)
        self._learner = self._open_learner(setup.model)
        try:
            self._scorer = batch_scorer(self._learner)
            self._log = open_store(setup.store_url, read_only=True)
        except BaseException:
            self._learner.close()
            raise

    def _open_learner(self, model: ModelSnapshot | None) -> CandidateLearner:
        if model is not None:
            return learner_from(model, self.catalog)
        learner = new_learner(fresh_config(self.catalog, self.options), seed=0)
        try:
            learner.set_actions(action_feature_sets(self.catalog, self.options.prune_features))
        except BaseException:
            learner.close()
            raise
        return learner

    def __call__(self, batch: pa.Table | pa.RecordBatch) -> dict[str, np.ndarray]:
        """Score one batch of customer rows.

        Returns:
            Columns: ``customer_id``, ``context`` and ``features`` (JSON, as the log keeps
            them) (n,) objects; ``allowed`` (n, K) bool (the rules; all False for a row in
            error); ``scores`` (n, K) float64; ``holdout`` (n,) bool; ``send_at`` (n, T)
            float64; ``reason`` and ``error`` (n,) strings ('' when none); ``history_key``
            (n,) int64, the contacts the rules saw (:func:`history_keys`).
        """
        ids, raw = contexts_of(batch)
        n = len(ids)
        errors = [""] * n
        contexts: list[dict[str, Any]] = []
        for i, ctx in enumerate(raw):
            try:
                checked = check_context(ctx, self._channels)
            except ContextError as exc:
                errors[i], checked = str(exc), {}
            contexts.append(checked)
        at = self.setup.at
        histories = self._log.histories(ids, at, self._channels)
        profiles = self._log.profiles(ids)
        outcome = self._rules(contexts, histories, profiles, errors)
        shared = [shared_features(context_namespace(c), history_namespace(h, self._channels))
                  for c, h in zip(contexts, histories, strict=True)]
        allowed = outcome.allowed.copy()
        bad = np.array([bool(e) for e in errors], dtype=bool)
        allowed[bad] = False
        opts = self.options
        return {
            "customer_id": np.array(ids, dtype=object),
            "context": np.array([json.dumps(c) for c in contexts], dtype=object),
            "features": np.array([json.dumps(s) for s in shared], dtype=object),
            "allowed": allowed,
            "scores": self._scorer.scores(shared) * self.setup.reward_scale,
            "holdout": holdout_mask(ids, opts.holdout_fraction, opts.holdout_salt),
            "send_at": outcome.send_at,
            "reason": np.array([r or "" for r in outcome.reasons], dtype=object),
            "error": np.array(errors, dtype=object),
            "history_key": history_keys(histories),
        }

    def _rules(self, contexts: list[dict[str, Any]], histories: Sequence[ContactHistory],
               profiles: Sequence[dict[str, Any] | None], errors: list[str]
               ) -> BatchRuleOutcome:
        """The rules for the batch; when a row (its stored profile) is refused, row by row, the
        refused rows marked in ``errors`` and given nothing."""
        at = self.setup.at
        try:
            return self.rules.apply_batch(contexts, histories, at, {}, profiles)
        except ContextError:
            pass
        rows = []
        for i in range(len(contexts)):
            try:
                rows.append(self.rules.apply_batch([contexts[i]], [histories[i]], at, {},
                                                   [profiles[i]]))
            except ContextError as exc:
                errors[i] = errors[i] or str(exc).removeprefix("row 0: ")
                rows.append(self.rules.apply_batch([{}], [None], at, {}, [None]))
        return BatchRuleOutcome(np.concatenate([r.allowed for r in rows]),
                                np.concatenate([r.removed_by for r in rows]),
                                tuple(r.reasons[0] for r in rows),
                                np.concatenate([r.send_at for r in rows]))

    def close(self) -> None:
        """Release the learner and the log; safe to call twice."""
        self._learner.close()
        self._log.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
