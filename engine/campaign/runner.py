"""A campaign from the customers file to the log: ``offerbandit campaign score``.

1. The catalog and the customers file are checked whole (nothing is written on bad input).
2. The current model is read once and broadcast to the workers, as a choose replica reads it:
   the latest snapshot the fleet's learner published in the store (served with the learner
   configuration it names), or the state folder's latest checkpoint when that has learned
   further (an embedded engine publishes none); refused if made for another catalog or
   feature layout (a checkpoint: or another learner configuration).
3. When the campaign has a binding resource (a channel capacity, its budget), a uniform random
   sample of about ``sample_size`` customers is scored first (in this process) and the dual
   prices are fitted to the sample's share of the room (:func:`policies.dual_prices.find_prices`).
4. Every customer is scored (batch by batch, on Ray, ``workers`` actors) and allocated at those
   prices (:class:`CampaignWriter`): one log transaction per batch, every decision inactive,
   the batch's customers locked and their sends counted against the channels' daily capacity
   as ``choose`` counts them (on PostgreSQL too, with other processes deciding meanwhile).
5. ``--out`` gets one row per customer (``OUTPUT_SCHEMA``), its schema metadata the campaign's
   settings and prices, and the model snapshot is copied beside it (``<out>.vw``) so the
   campaign can be valued later with the very model that scored it.

``workers=0`` scores in this process, without Ray (tests and the per-core benchmark).

The log is the state folder's SQLite log, or any store URL (``store``: ``sqlite:///...``,
``postgresql://...``); the workers open it read-only.

Example:
    >>> sidecar_model("out/decisions.parquet").name
    'decisions.vw'
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from engine.campaign.allocation_writer import OUTPUT_SCHEMA, CampaignTotals, CampaignWriter
from engine.campaign.customers import CustomersTable, check_customers
from engine.campaign.plan import CampaignPlan, campaign_resources
from engine.campaign.scoring import CustomerScorer, ScoringSetup, fresh_config
from engine.catalog import Catalog
from engine.checkpoint import CheckpointStore, load_models
from engine.config import load_config
from engine.decision_store import DecisionStore, day_start
from engine.errors import CampaignError, ConfigError, StoreError
from engine.features import FEATURES_VERSION
from engine.options import EngineOptions
from engine.parquet_file import write_parquet
from engine.reward_scale import RewardScale, scale_of_log
from engine.snapshots import ModelSnapshot, snapshot_of
from engine.store_url import open_store, sqlite_path, store_kind
from policies.allocation import Prices, Resources
from policies.dual_prices import find_prices

__all__ = ["CampaignSummary", "ServingModel", "campaign_metadata", "control_action",
           "current_model", "score_campaign", "sidecar_model", "worker_store_url"]

METADATA_KEY = b"offerbandit.campaign"


@dataclass(frozen=True)
class CampaignSummary:
    """What ``campaign score`` did.

    Attributes:
        totals: the counts (:class:`CampaignTotals`).
        prices: channel -> price per send, and ``"budget"`` -> price per unit of money.
        room: channel -> sends the campaign could make (``inf``: no cap); ``"budget"``.
        learned_seq: the model snapshot's last learned reward (0: a fresh model).
        model_source: where the model came from (``snapshot <version>``, ``checkpoint``,
            ``fresh``).
        sampled: customers scored to set the prices (0 when nothing binds).
        out: the decisions file.
    """

    totals: CampaignTotals
    prices: dict[str, float]
    room: dict[str, float]
    learned_seq: int
    sampled: int
    out: Path
    model_source: str = "fresh"


def sidecar_model(out: str | os.PathLike) -> Path:
    """Where the campaign's model snapshot is copied, beside its decisions file."""
    return Path(out).with_suffix(".vw")


def control_action(catalog: Catalog, options: EngineOptions) -> int:
    """The holdout's action: ``holdout_action`` by name, else no contact (-1: none), as the
    engine's ``choose`` plays it.

    Raises:
        ConfigError: an unknown action name.
    """
    name = options.holdout_action
    if name is None:
        nc = catalog.no_contact_index
        return -1 if nc is None else nc
    names = [a.name for a in catalog.actions]
    if name not in names:
        raise ConfigError(f"holdout_action: expected an action name such as {names[0]!r}, got "
                          f"{name!r}")
    return names.index(name)


@dataclass(frozen=True)
class ServingModel:
    """The model a campaign scores with.

    Attributes:
        snapshot: the serving learner's model and configuration (None: a fresh model).
        reward_scale: what the learner's predictions are multiplied by to be on the business
            scale (``engine/reward_scale.py``; 1 when the engine does not scale rewards).
    """

    snapshot: ModelSnapshot | None
    reward_scale: float = 1.0


def current_model(log: DecisionStore, state_dir: Path | None, catalog: Catalog,
                  options: EngineOptions) -> ServingModel:
    """The model to score with, as it serves: the store's latest published snapshot (its reward
    scale read from the log up to it, as the fleet's learner reads it), or the state folder's
    latest checkpoint when it has learned further (its serving candidate, built as the engine
    builds it, and the scale the checkpoint kept); neither: a fresh model.

    Raises:
        CheckpointError: the one chosen was made for another catalog or feature layout (a
            checkpoint: or other candidates).
    """
    published = log.latest_snapshot()
    if state_dir is not None:
        info = CheckpointStore(state_dir).latest()
        if info is not None and (published is None or info.learned_seq > published.learned_seq):
            return _checkpointed(state_dir, catalog, options)
    if published is None:
        return ServingModel(None)
    published.check(catalog)
    scale = (scale_of_log(log, catalog, published.learned_seq,
                          options.reward_unit(published.learner_name))
             if options.scales_rewards(published.learner_name) else None)
    return ServingModel(published, 1.0 if scale is None else scale.value)


def _checkpointed(state_dir: Path, catalog: Catalog, options: EngineOptions) -> ServingModel:
    saved = load_models(state_dir, catalog, options, required=True)
    try:
        learner = saved.learners[saved.serving]
        # the configuration the serving learner was built with (its interactions as this
        # catalog pruned them), as Engine.model_snapshot takes it
        snap = snapshot_of(learner, catalog, learner.config, learned_seq=saved.learned_seq,
                           learner_name=saved.serving, pruned=options.prune_features)
    finally:
        saved.close()
    scales = saved.state.get("selection", {}).get("scales", {})
    scale = (RewardScale.from_state(scales[saved.serving], options.reward_unit(saved.serving))
             if options.scales_rewards(saved.serving) and saved.serving in scales
             else RewardScale())
    return ServingModel(snap, scale.value)


def _source(model: ServingModel) -> str:
    if model.snapshot is None:
        return "fresh"
    return f"snapshot {model.snapshot.version}" if model.snapshot.version else "checkpoint"


def worker_store_url(store: str | None, state_dir: Path | None) -> str:
    """The log's URL as a worker in another process (another folder) opens it: absolute.

    Example:
        >>> worker_store_url("postgresql://db/log", None)
        'postgresql://db/log'
        >>> worker_store_url(None, Path("/srv/state"))
        'sqlite:////srv/state'
    """
    if store is not None and store_kind(store) == "postgresql":
        return store
    path = Path(sqlite_path(store)) if store is not None else state_dir
    if path is None:
        raise CampaignError("store: expected a store URL or a state folder, got neither")
    return f"sqlite:///{path.resolve()}"


def _local_batches(table: CustomersTable, setup: ScoringSetup, batch_size: int,
                   fraction: float | None, seed: int) -> Iterator[dict[str, np.ndarray]]:
    rng = np.random.default_rng([seed, 3])
    with CustomerScorer(setup) as scorer:
        for batch in pq.ParquetFile(table.path).iter_batches(batch_size=batch_size):
            if fraction is not None and fraction < 1.0:
                batch = batch.filter(pa.array(rng.random(batch.num_rows) < fraction))
                if batch.num_rows == 0:
                    continue
            yield scorer(batch)


def _held_actions(batch: dict[str, np.ndarray], control: int, no_contact: int | None
                  ) -> np.ndarray:
    n = len(batch["customer_id"])
    ok = batch["allowed"][:, control] if control >= 0 else np.zeros(n, dtype=bool)
    fallback = -1 if no_contact is None else no_contact
    return np.where(ok, control, fallback)


def _binds(resources: Resources) -> bool:
    return bool(np.isfinite(resources.capacity).any() or math.isfinite(resources.budget))


def campaign_metadata(plan: CampaignPlan, prices: Prices, resources: Resources,
                      catalog: Catalog, model: ServingModel, options: EngineOptions) -> dict:
    """What the decisions file's schema metadata records (read back by ``campaign estimate``)."""
    names = [c.name for c in catalog.channels]
    return {"plan": {**asdict(plan), "capacity": dict(plan.capacity)},
            "prices": {**dict(zip(names, prices.channel.tolist(), strict=True)),
                       "budget": prices.budget},
            "room": {**dict(zip(names, resources.capacity.tolist(), strict=True)),
                     "budget": resources.budget},
            "catalog_version": catalog.version,
            "learned_seq": 0 if model.snapshot is None else model.snapshot.learned_seq,
            "model_source": _source(model),
            "learner_name": (options.candidate_specs[0].name if model.snapshot is None
                             else model.snapshot.learner_name),
            "learner_config": fresh_config(catalog, options).fingerprint()
            if model.snapshot is None else model.snapshot.learner_config,
            "pruned": (options.prune_features if model.snapshot is None
                       else model.snapshot.features_version != FEATURES_VERSION),
            "reward_scale": model.reward_scale,
            "action_names": [a.name for a in catalog.actions],
            "features_version": FEATURES_VERSION}


def score_campaign(customers: str | os.PathLike, catalog_path: str | os.PathLike,
                   state_dir: str | os.PathLike | None, out: str | os.PathLike,
                   plan: CampaignPlan, *, store: str | None = None, workers: int = 1,
                   address: str | None = None, progress: bool = True) -> CampaignSummary:
    """Score a campaign (see the module docstring) and return its summary.

    Args:
        customers: the customers Parquet file (``docs/campaigns.md``).
        catalog_path: the catalog TOML.
        state_dir: the engine's state folder (its log unless ``store`` names one; its
            checkpoints), or None with ``store``.
        out: the decisions Parquet file to write.
        plan: the campaign's settings.
        store: a store URL (``sqlite:///...``, ``postgresql://...``): the log to read and
            write, shared with the processes deciding meanwhile.
        workers: scoring actors on Ray (0: in this process, no Ray).
        address: a Ray cluster address (None: a local Ray).
        progress: show a progress bar over customers.

    Raises:
        CampaignError: bad input (nothing written) or a customer twice in the file (the
            batches before it stay in the log, inactive: never learned from).
        CatalogError, CheckpointError: the catalog, or a snapshot made with another one.
        ConfigError: neither a store nor a state folder, or an unknown store URL.
    """
    from tqdm import tqdm

    if not isinstance(workers, int) or workers < 0:
        raise CampaignError(f"workers: expected an integer >= 0, got {workers!r}")
    catalog, _, settings = load_config(catalog_path)
    options = EngineOptions.from_dict(settings).for_catalog(catalog)
    if options.number_bins:  # as a choose replica: snapshots carry no bin edges
        raise CampaignError(f"number_bins: expected 0 for a campaign (its workers do not bin "
                            f"context numbers), got {options.number_bins}")
    table = check_customers(customers, [c.name for c in catalog.channels])
    state = None if state_dir is None else Path(state_dir)
    url = worker_store_url(store, state)
    control = control_action(catalog, options)
    with open_store(store, state, synchronous=options.synchronous) as log:
        model = current_model(log, state, catalog, options)
        setup = ScoringSetup(Path(catalog_path).read_text(encoding="utf-8"),
                             Path(catalog_path).name, url, model.snapshot, plan.at,
                             model.reward_scale)
        resources = campaign_resources(catalog, plan, log.capacity_used(day_start(plan.at)))
        prices, sampled = Prices.zero(resources), 0
        if _binds(resources):
            prices, sampled = _fit_prices(setup, table, resources, plan, control,
                                          catalog.no_contact_index)
        with _BatchSource(table, setup, plan, workers, address) as stream:
            version = None if model.snapshot is None else model.snapshot.version or None
            writer = CampaignWriter(catalog, log, resources, prices, epsilon=plan.epsilon,
                                    seed=plan.seed, at=plan.at, control=control,
                                    model_version=version)
            meta = campaign_metadata(plan, prices, resources, catalog, model, options)
            schema = OUTPUT_SCHEMA.with_metadata({METADATA_KEY: json.dumps(meta)})
            bar = tqdm(total=table.n_rows, unit="customer", desc="campaign",
                       disable=not progress, file=sys.stderr)
            try:
                write_parquet(out, schema, _written(stream(), writer, bar, schema))
            except StoreError as exc:
                raise CampaignError(f"customers: {exc}; the {writer.totals.decided} decisions "
                                    f"written before stay inactive (never learned from)"
                                    ) from None
            finally:
                bar.close()
    if model.snapshot is not None:
        sidecar_model(out).write_bytes(model.snapshot.model)
    names = [c.name for c in catalog.channels]
    return CampaignSummary(writer.totals, meta["prices"],
                           {**dict(zip(names, resources.capacity.tolist(), strict=True)),
                            "budget": resources.budget}, meta["learned_seq"], sampled, Path(out),
                           meta["model_source"])


def _written(batches: Iterator[dict[str, np.ndarray]], writer: CampaignWriter, bar,
             schema: pa.Schema) -> Iterator[pa.Table]:
    for batch in batches:
        table = writer.write(batch)
        bar.update(table.num_rows)
        yield table.replace_schema_metadata(schema.metadata)


class _BatchSource:
    """Where scored batches come from: Ray (workers > 0) or this process; a context manager
    holding the Ray session, called for the stream of every customer's scored batch."""

    def __init__(self, table: CustomersTable, setup: ScoringSetup, plan: CampaignPlan,
                 workers: int, address: str | None) -> None:
        self.table, self.setup, self.plan = table, setup, plan
        self.workers, self.address = workers, address
        self._stack = ExitStack()

    def __enter__(self) -> _BatchSource:
        if self.workers > 0:
            from engine.campaign.ray_stream import ray_session

            self._stack.enter_context(ray_session(self.address, self.workers))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def __call__(self) -> Iterator[dict[str, np.ndarray]]:
        plan = self.plan
        if self.workers == 0:
            return _local_batches(self.table, self.setup, plan.batch_size, None, plan.seed)
        from engine.campaign.ray_stream import scored_batches

        return scored_batches(self.table.path, self.setup, batch_size=plan.batch_size,
                              workers=self.workers)


def _fit_prices(setup: ScoringSetup, table: CustomersTable, resources: Resources,
                plan: CampaignPlan, control: int, no_contact: int | None) -> tuple[Prices, int]:
    """Prices fitted on a uniform random sample of the customers (the room scaled to it).

    The sample is scored in this process: a few thousand customers cost less than starting
    Ray's workers a second time."""
    fraction = min(1.0, plan.sample_size / table.n_rows)
    parts = [b for b in _local_batches(table, setup, plan.batch_size, fraction, plan.seed)
             if len(b["customer_id"])]
    if not parts:
        return Prices.zero(resources), 0
    ok = np.concatenate([b["error"] == "" for b in parts])
    scores = np.concatenate([b["scores"] for b in parts])[ok]
    allowed = np.concatenate([b["allowed"] for b in parts])[ok]
    held = np.concatenate([b["holdout"] for b in parts])[ok]
    held_action = np.concatenate([_held_actions(b, control, no_contact) for b in parts])[ok]
    m = int(ok.sum())
    if m == 0:
        return Prices.zero(resources), 0
    return find_prices(scores, allowed, resources.scaled(m / table.n_rows),
                       epsilon=plan.epsilon, held=held, held_action=held_action), m
