"""The :class:`Engine`: choose and reward in production, on Vowpal Wabbit, losing nothing.

``choose`` runs the contact rules, builds the features, asks the learner for a distribution over
the eligible actions, samples one, writes the decision to the log, and only then returns it.
``reward`` checks the decision, writes the reward (getting its sequence number) and learns it,
in sequence order under one lock. Several candidate learners learn the same log; one serves, and
``engine/learner_selection.py`` changes which on evidence. The log is the truth: a restart loads
the last checkpoint and replays the rewards logged after it, so nothing is lost and nothing is
learned twice (see ``docs/engine.md``).

The engine reads the time from its clock (the system's; a simulation passes a
:class:`~engine.clock.ManualClock`) and settles expired decisions on it alone; a caller's ``now``
must lie close to it (``max_clock_skew`` ahead, ``max_clock_lag`` behind).

Example:
    >>> import tempfile
    >>> from engine.clock import ManualClock
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with Engine(messages=["welcome10", "winback20"], channels=["email", "sms"],
    ...                 timings=["now"], state_dir=d, seed=0, clock=ManualClock(1.7e9)) as eng:
    ...         d1 = eng.choose("customer-42", {"age": 34, "consent": {"email": True}},
    ...                         now=1.7e9)
    ...         ack = eng.reward(d1.decision_id, 1.0, now=1.7e9 + 60)
    ...         d1.channel in ("email", None), ack.seq, eng.stats()["learned_seq"]
    (True, 1, 1)
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import numpy as np

from engine.candidate_learners import CandidateLearner
from engine.catalog import Catalog
from engine.checkpoint import CheckpointStore, fresh_learner, load_models, options_for_state
from engine.clock import Clock, not_after
from engine.config import load_config
from engine.contact_rules import ContactRules, RulesConfig
from engine.day_forecast import forecast_rows
from engine.decision import Decision, Explanation, RewardAck
from engine.decision_store import DecisionStore
from engine.drift.events import DriftEvent
from engine.drift.forgetting import FasterForgetting, ForgetSettings
from engine.drift.log_follower import LogFollower
from engine.drift.recovery import Recovery, RecoverySettings
from engine.drift.seq_clock import SeqClock
from engine.errors import (
    CapacityReachedError,
    ConfigError,
    ContextError,
    EngineError,
    ExpiredDecisionError,
    InactiveDecisionError,
    RewardError,
    StoreError,
    UnknownDecisionError,
)
from engine.features import (
    FEATURES_VERSION,
    check_context,
    context_namespace,
    history_namespace,
    shared_features,
)
from engine.guard import Guard, NoGuard
from engine.holdout import in_holdout
from engine.ids import check_id
from engine.learner_selection import LearnerSelection, LoggedRow, Switch, rows_taught
from engine.live_prices import LivePrices
from engine.live_scores import LiveScores
from engine.number_bins import NumberBins
from engine.options import EngineOptions
from engine.reward_window import RewardWindow
from engine.served_memory import Served, ServedMemory
from engine.snapshots import ModelSnapshot, snapshot_of
from engine.store import DecisionRecord
from engine.store_url import open_store
from ope.estimators.progressive import PROGRESSIVE_ESTIMATORS
from policies.allocation import explore_distribution
from policies.number_check import check_number
from policies.sampling import sample_actions

__all__ = ["FEATURES_VERSION", "Engine"]

_log = logging.getLogger("offerbandit.engine")
_DAY = 86400.0
_EXPIRE_EVERY = 16  # settle expired decisions on every 16th call: bounded, amortised cost
_CHECKPOINT_RETRY_S = (1.0, 300.0)  # a failed checkpoint is retried after 1 s, 2 s... 5 min
# stats()'s per-candidate maps (candidate_dr_cv_low...): every estimate the selection keeps
_CANDIDATE_STATS = (*(f"{k}{end}" for k in PROGRESSIVE_ESTIMATORS
                       for end in ("", "_low", "_high")), "n", "on_trial",
                    "share")


class Engine:
    """Decides per customer which message to send, on which channel and when; learns from what
    happens next.

    Args:
        messages: message names (or ``Message`` objects), when no ``catalog`` is given.
        channels: channel names (or ``Channel`` objects).
        timings: timing slot names (``now``, ``morning``, ``evening``... or rules such as
            ``"in 2h"``); default ``["now"]``.
        state_dir: the folder holding the checkpoints, and the log (SQLite) unless the
            ``store`` option names another.
        seed: seeds the learner and the sampling.
        catalog: a ready :class:`Catalog` instead of the three lists.
        rules: a :class:`RulesConfig` or a ``[rules]``-style dict (default: ``RulesConfig()``:
            consent required, 1 contact a day, 3 a week, quiet hours 21-8).
        no_contact: whether *no contact* is an action (with the lists).
        clock: the engine's time in epoch seconds (default ``time.time``); a simulation passes
            its own (:class:`engine.clock.ManualClock`). Settling expired decisions reads only
            this clock; a caller's ``now`` must lie within ``max_clock_skew`` after it and
            ``max_clock_lag`` before it.
        **options: :class:`EngineOptions` fields (``reward_window``, ``reward_mode``,
            ``reward_range``, ``holdout_fraction``, ``exploration``, ``learner``...).

    Raises:
        ConfigError: a bad catalog, rule or option (the message names it).
        CheckpointError: ``state_dir`` holds a checkpoint of another catalog or config.
    """

    #: whether a confirmed drift change may start a challenger here (a replica learns nothing)
    answers_drift = True

    def __init__(self, messages: Sequence[Any] | None = None, channels: Sequence[Any] | None = None,
                 timings: Sequence[Any] | None = None, *, state_dir: str | os.PathLike,
                 seed: int = 0, catalog: Catalog | None = None,
                 rules: RulesConfig | Mapping[str, Any] | None = None, no_contact: bool = True,
                 clock: Clock | None = None, **options: Any) -> None:
        if catalog is None:
            if messages is None or channels is None:
                raise ConfigError("messages and channels: expected lists of names (or pass "
                                  "catalog=...), got None")
            catalog = Catalog.from_names(messages, channels, timings or ["now"], no_contact)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"seed: expected an integer, got {seed!r}")
        self.catalog = catalog
        # the default candidates depend on the catalog (and on what state_dir was made with)
        self.options = options_for_state(EngineOptions.from_dict(options), catalog, state_dir)
        if clock is not None and not callable(clock):
            raise ConfigError(f"clock: expected a callable returning epoch seconds, got "
                              f"{clock!r:.80}")
        self.clock: Clock = clock or time.time
        self._bounds = self.options.clock_bounds
        if rules is None or isinstance(rules, RulesConfig):
            rules_config = rules or RulesConfig()
        else:
            rules_config = RulesConfig.from_dict(rules, catalog)
        self.rules = ContactRules(catalog, rules_config)
        self.window = RewardWindow(self.options.reward_window_s, self.options.default_reward,
                                   self.options.provisional_after_s)
        self.seed = seed
        self.state_dir = Path(state_dir)
        self._channels = tuple(c.name for c in catalog.channels)
        self._names = tuple(a.name for a in catalog.actions)
        self._control = self._control_action()
        self._guard = Guard() if self.options.thread_safe else NoGuard()
        self._closed = True
        self._daily_capacity = {c.name: c.daily_capacity for c in catalog.channels}
        # The published snapshot that decides (replicas: engine.replica); None when learning here
        self.model_version: int | None = None
        store = self.options.store
        self.log = store if isinstance(store, DecisionStore) else open_store(
            store, self.state_dir, synchronous=self.options.synchronous)
        self._checkpoints = CheckpointStore(self.state_dir)
        n_logged = self.log.counts()["decisions"]
        # Seeded by the log's size too: a restarted engine must not replay the same draws.
        self._rng = np.random.default_rng([seed, n_logged])
        self._calls = 0
        self._explored = 0
        self._sampled = 0
        self._replayed = 0
        self._skipped = 0
        self._relearned: dict[str, int] = {}  # times each candidate learned the log again
        self._served = ServedMemory(self.options.served_memory)
        # what a first reward's decision was drawn from, by the reward's seq, while the
        # candidates that do not serve have yet to meet it (follow_every != 1): a challenger
        # on trial is scored on its part when the follower reaches the row
        self._unfollowed = ServedMemory(self.options.served_memory)
        # first rewards whose serving candidate was scored on the distribution it decided with
        # (held), and those it was asked for again (not held: late, a restart, a switch since)
        self._served_counts = {"held": 0, "asked": 0}
        self._since_checkpoint = 0
        self._checkpoint_failures = 0
        self._checkpoint_retry_at = 0.0  # time.monotonic() before which no retry is made
        self._checkpoint_backoff = _CHECKPOINT_RETRY_S[0]
        self._settle_failures = 0
        self._drift_failures = 0
        self._version = catalog.version  # a content hash: computed once, not per call
        self._fingerprints = (self.options.fingerprint(), self._version, FEATURES_VERSION)
        self._capacity_day = -1.0
        self._capacity: dict[str, int] = {}
        self._prices, self._live_scores = self._live_pricing()
        drift = self.options.drift_options
        self.drift: LogFollower | None = None  # the drift monitor, following the log
        self._drift_every = drift.follow_every
        self._learned_seq = 0
        self._recovery_state: Mapping[str, Any] | None = None  # what _restore finds saved
        self.recovery: Recovery | None = None  # from the end of the restore on
        self._forgetting_state: Mapping[str, Any] | None = None  # what _restore finds saved
        self.forgetting: FasterForgetting | None = None  # from the end of the restore on
        try:
            self._selection, self._bins = self._restore()
            if drift.enabled:  # docs/drift.md
                self.drift = LogFollower(self.log, self.state_dir, drift)
            self.recovery = Recovery(  # challengers on a confirmed change (docs/drift.md)
                self._selection, RecoverySettings(drift.recover and self.answers_drift,
                                                  drift.recover_cooldown, drift.recover_batch),
                self._fresh_learner, self._rows_after,
                SeqClock() if self.drift is None else self.drift.seq_clock,
                state=self._recovery_state)
            self.forgetting = FasterForgetting(  # forget_on_change (docs/drift.md)
                self._selection, ForgetSettings(drift.forget_on_change and self.answers_drift,
                                                drift.forget_factor, drift.forget_updates),
                state=self._forgetting_state)
            if self.drift is not None:
                self.drift.listeners.append(self._answer_drift)
                self.drift.catch_up()
        except BaseException:
            self.log.close()
            raise
        self._closed = False

    @classmethod
    def from_catalog(cls, path: str | os.PathLike, *, state_dir: str | os.PathLike,
                     seed: int = 0, **options: Any) -> Engine:
        """An engine from a TOML catalog (messages, channels, timings, ``[rules]``, ``[engine]``).

        Keyword options override the file's ``[engine]`` table.
        """
        catalog, rules, settings = load_config(path)
        return cls(catalog=catalog, rules=rules, state_dir=state_dir, seed=seed,
                   **{**settings, **options})

    # -- setup ---------------------------------------------------------------------------------
    def _control_action(self) -> int:
        name = self.options.holdout_action
        if name is None:
            nc = self.catalog.no_contact_index
            return -1 if nc is None else nc
        if name not in self._names:
            raise ConfigError(f"holdout_action: expected an action name such as "
                              f"{self._names[0]!r}, got {name!r}")
        return self._names.index(name)

    def _live_pricing(self) -> tuple[LivePrices | None, LiveScores | None]:
        """Priced live choose's state when ``[engine.prices]`` enables it and a channel has a
        daily capacity (else nothing: choose is first come, first served)."""
        settings = self.options.price_settings
        caps = [self._daily_capacity[c] for c in self._channels]
        if not settings.enabled or all(c is None for c in caps):
            return None, None
        capacity = np.array([np.inf if c is None else float(c) for c in caps])
        return (LivePrices(np.asarray(self.catalog.action_channel), capacity,
                           settings.refresh_every), LiveScores(settings.rescore_every))

    def _restore(self) -> tuple[LearnerSelection, NumberBins | None]:
        """Every candidate from the last checkpoint (or fresh), then the log's rewards after the
        oldest candidate's cursor, so every candidate is level with the log."""
        saved = load_models(self.state_dir, self.catalog, self.options, seed=self.seed)
        state = saved.state
        try:
            self._selection = saved.selection()
        except BaseException:
            saved.close()
            raise
        self._learned_seq = saved.learned_seq
        self._bins = self._restore_bins(state.get("bins"))
        # a drift challenger still catching up meets the log through its own replay, later
        self._recovery_state = state.get("drift_recovery")
        self._forgetting_state = state.get("drift_forgetting")
        for rseq, rec, _, _ in self.log.rewards_since(self._selection.oldest_cursor):
            self._learn_logged(rec, rseq, replay=True)
            self._replayed += 1
        return self._selection, self._bins

    def _restore_bins(self, saved: Mapping[str, Any] | None) -> NumberBins | None:
        if not self.options.number_bins:
            return None
        bins = NumberBins(self.options.bins_warmup, self.options.number_bins)
        if saved is not None:  # fixed edges stay exactly as they were (even after a forget)
            bins.edges = NumberBins.from_state(saved).edges
        # the numbers still collecting: the log's first contexts are what collected them
        for ctx in self.log.first_contexts(self.options.bins_warmup):
            bins.observe(context_namespace(ctx))
        return bins

    # -- choose --------------------------------------------------------------------------------
    def choose(self, customer_id: str, context: Mapping[str, Any], *,
               now: datetime | float | None = None, activate: bool = True) -> Decision:
        """Decide for one customer; the decision is in the log when this returns.

        Args:
            customer_id: the customer.
            context: numbers, categories (strings), lists of strings; ``consent``
                (channel -> bool), ``consent_<channel>``, ``segment``, ``tenure_days`` and
                ``timezone`` also steer the rules. Limits: see ``engine.features``.
            now: decision time (aware datetime or epoch seconds); default: the engine's clock.
                At most ``max_clock_skew`` after the clock, less than ``max_clock_lag`` before.
            activate: False defers activation (:meth:`activate` once the message went out);
                an inactive decision is never learned from.

        Returns:
            The :class:`Decision`. A customer whom the rules leave nothing but no contact gets a
            no-contact decision whose ``reason`` says why (never an error).

        Raises:
            ContextError: malformed customer id, context or time (the message names the field);
                :class:`~engine.errors.ClockError` for a ``now`` outside the clock's bounds.
            StoreError: the log failed; nothing was decided.
        """
        cid = check_id("customer_id", customer_id)
        ctx = check_context(context, self._channels)
        t = self._caller_time(now)
        if not isinstance(activate, bool):
            raise ContextError(f"activate: expected true or false, got {activate!r}")
        with self._guard:
            self._check_open()
            self._settle_some()
            return self._decide_atomically(cid, ctx, t, activate)

    def choose_batch(self, items: Iterable[Any]) -> list[Decision]:
        """Decide for many customers, in order, in one transaction: all are decided and logged,
        or none is. Every item is checked before any is decided.

        Args:
            items: ``(customer_id, context)`` or ``(customer_id, context, now)`` tuples, or
                dicts with those keys.

        Raises:
            ContextError: a malformed item (its position is named); nothing was decided.
            StoreError: the log failed; nothing was decided.
        """
        checked = []
        for i, item in enumerate(items):
            if isinstance(item, Mapping):
                item = (item.get("customer_id"), item.get("context"), item.get("now"))
            if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
                raise ContextError(f"items[{i}]: expected (customer_id, context[, now]), got "
                                   f"{item!r:.80}")
            try:
                cid = check_id("customer_id", item[0])
                ctx = check_context(item[1], self._channels)
                t = self._caller_time(item[2] if len(item) == 3 else None)
            except ContextError as exc:
                raise type(exc)(f"items[{i}].{exc}") from None
            checked.append((cid, ctx, t))
        with self._guard:
            self._check_open()
            self._settle_some()  # before the batch: what it learns cannot be rolled back
            counters = (self._sampled, self._explored)
            try:
                # Every customer locked at once, in one order: two batches cannot deadlock.
                with self.log.transaction([cid for cid, _, _ in checked]):
                    return [self._decide_atomically(cid, ctx, t, True) for cid, ctx, t in checked]
            except BaseException:
                # Nothing was logged: forget what the decisions counted in memory too.
                self._sampled, self._explored = counters
                self._capacity_day = -1.0  # recount today's sends from the log
                raise

    def _decide_atomically(self, cid: str, ctx: dict[str, Any], t: float,
                           activate: bool) -> Decision:
        """One customer's read-decide-write as one store transaction, the customer locked in
        every process sharing the log (two replicas never both pass a cap that allows one).

        A channel whose daily capacity another process used up since this engine counted is
        refused by the store; it is then marked full here and the decision made again (at most
        once per channel).
        """
        for _ in range(len(self._channels) + 1):
            try:
                with self.log.transaction((cid,)):
                    return self._decide(cid, ctx, t, activate)
            except CapacityReachedError as full:
                self._capacity_today(t)[full.channel] = full.capacity
        raise StoreError(f"customer_id: {cid!r}: the channels' capacities kept changing while "
                         f"deciding; try again")

    def _decide(self, cid: str, ctx: dict[str, Any], t: float, activate: bool) -> Decision:
        log = self.log
        history = log.history(cid, t, self._channels)
        outcome = self.rules.apply(ctx, history, t, self._capacity_today(t), log.profile(cid))
        eligible = np.flatnonzero(outcome.allowed)
        context_ns = context_namespace(ctx)
        bins = self._bins
        shared = shared_features(context_ns, history_namespace(history, self._channels),
                                 None if bins is None else bins.features(context_ns))
        if bins is not None:
            bins.observe(context_ns)
        holdout = in_holdout(cid, self.options.holdout_fraction, self.options.holdout_salt)
        probs: np.ndarray | None = None
        # the serving candidate, its distribution and each challenger's on trial: the parts of
        # the distribution the action is drawn from, held until the reward
        served: tuple[str, np.ndarray, dict[str, np.ndarray]] | None = None
        prices: dict[str, float] = {}
        reason = outcome.reason
        if holdout:
            ctrl, nc = self._control, self.catalog.no_contact_index
            action = ctrl if ctrl >= 0 and outcome.allowed[ctrl] else (-1 if nc is None else nc)
            prob, reason = 1.0, "holdout: the control action"
        elif eligible.size == 0:
            action, prob = -1, 1.0
            reason = reason or "no action is eligible and the catalog has no no-contact action"
        elif eligible.size == 1:
            action, prob = int(eligible[0]), 1.0
        else:
            if self._prices is None:
                probs, parts = self._selection.served_parts(shared, eligible)
                serving = self._selection.serving
                served = (serving, parts.pop(serving), parts)
            else:
                probs, prices = self._priced_probabilities(shared, eligible, t)
            j = int(sample_actions(probs[None, :], self._rng)[0])
            action, prob = int(eligible[j]), float(probs[j])
            self._sampled += 1
            self._explored += int(j != int(np.argmax(probs)))
        triple = self.catalog.actions[action].triple if action >= 0 else None
        message: str | None = None  # None for no contact (or no action at all)
        channel: str | None = None
        timing: str | None = None
        send_at: datetime | None = None
        if triple is not None:
            m, c, tm = triple
            message, channel, timing = m.name, c.name, tm.name
            send_at = outcome.send_at[self.catalog.action_timing[action]]
        rec = DecisionRecord(
            decision_id=uuid.uuid4().hex, customer_id=cid, created_at=t, action_index=action,
            probability=prob, holdout=holdout, context_json=json.dumps(ctx),
            features_json=json.dumps(shared), eligible=tuple(eligible.tolist()),
            send_at=send_at.timestamp() if send_at else None, active=activate,
            catalog_version=self._version,
            message=message, channel=channel, timing=timing, model_version=self.model_version)
        log.write_decision(rec, capacity=self._daily_capacity.get(channel) if channel else None)
        if served is not None:  # written: its reward may come
            self._served.put(rec.decision_id, *served)
        if channel is not None:  # a contact; pending (deferred) sends count too: ContactHistory
            self._count_send(channel, t)
        return Decision(rec.decision_id, cid, rec.message, rec.channel, rec.timing, send_at,
                        prob, holdout, action, reason, activate, t,
                        _explain=self._explainer(shared, eligible, probs, action, outcome.removed,
                                                 reason, prices))

    def _priced_probabilities(self, shared: dict, eligible: np.ndarray, t: float
                              ) -> tuple[np.ndarray, dict[str, float]]:
        """The campaign's distribution over the eligible actions at today's channel prices:
        ``1 - epsilon`` on the best ``score - price`` (ties share it), ``epsilon`` uniform
        (docs/campaigns.md, *The live path*). Returns it and the prices of the channels with a
        capacity."""
        live, scorer = self._prices, self._live_scores
        assert live is not None and scorer is not None  # called only with prices on
        sel = self._selection
        if live.due(t):
            self._refresh_prices(t)
        scores = scorer.scores(sel.learner, sel.serving_scale, self._learned_seq, [shared])[0]
        priced = scores[eligible] - live.action_prices[eligible]
        probs = explore_distribution(priced[None, :], np.ones((1, eligible.size), bool),
                                     self._price_epsilon())[0]
        live.count()
        return probs, {c: float(live.channel[i]) for i, c in enumerate(self._channels)
                       if self._daily_capacity[c] is not None}

    def _price_epsilon(self) -> float:
        eps = self.options.price_settings.epsilon
        if eps is None:
            eps = getattr(self._selection.learner.config, "epsilon", 0.05)
        return float(eps)

    def _refresh_prices(self, t: float) -> None:
        """Fit today's prices at ``t`` (the forecast is read from the log once a day)."""
        live, scorer = self._prices, self._live_scores
        assert live is not None and scorer is not None
        settings = self.options.price_settings
        day = t - t % _DAY
        if live.rows is None or live.rows_day != day:
            live.rows = forecast_rows(self.log, self.rules, self.catalog, day,
                                      days=settings.forecast_days,
                                      sample_size=settings.sample_size, seed=self.seed)
            live.rows_day = day
        rows = live.rows
        sel = self._selection
        scores = scorer.forecast_scores(sel.learner, sel.serving_scale, self._learned_seq, rows)
        today = self._capacity_today(t)
        used = np.array([float(today.get(c, 0)) for c in self._channels])
        live.refresh(t, rows, scores, used, epsilon=self._price_epsilon())

    def _capacity_today(self, t: float) -> dict[str, int]:
        # Sends per channel today, kept in memory: counting them in SQL on every choose scans
        # the whole day. Read from the log once per UTC day (and after forget), then counted.
        day = t - t % _DAY
        if day != self._capacity_day:
            self._capacity = dict(self.log.capacity_used(day))
            self._capacity_day = day
        return self._capacity

    def _count_send(self, channel: str, t: float) -> None:
        if t - t % _DAY == self._capacity_day:
            self._capacity[channel] = self._capacity.get(channel, 0) + 1

    def _explainer(self, shared: dict, eligible: np.ndarray, probs: np.ndarray | None,
                   action: int, removed: Mapping[str, Sequence[int]], reason: str | None,
                   prices: Mapping[str, float]):
        top = self.options.explain_top
        learner_name = self._selection.serving  # who decided, even if it no longer serves later

        def explain() -> Explanation:
            names = {rule: tuple(self._names[i] for i in idx) for rule, idx in removed.items()}
            tops: tuple[tuple[str, float], ...]
            chosen = self._names[action] if action >= 0 else None
            if probs is None:
                tops = ((chosen, 1.0),) if chosen is not None else ()
                return Explanation(tops, (), names, None, reason, action=chosen,
                                   probability=1.0 if chosen is not None else None)
            order = np.argsort(-probs, kind="stable")[:top]
            j = int(np.flatnonzero(eligible == action)[0])
            if j not in order:  # the chosen action is always shown, in its place by probability
                order = np.append(order[:-1], j)
                order = order[np.argsort(-probs[order], kind="stable")]
            tops = tuple((self._names[int(eligible[i])], float(probs[i])) for i in order)
            with self._guard:
                self._check_open()
                sel = self._selection
                learner = sel.learners.get(learner_name, sel.learner)
                scale = sel.scale_of(learner_name)
                score, feats = learner.explain(shared, action, top)
                scores = tuple(scale * learner.explain(shared, int(eligible[i]), 0)[0]
                               for i in order)
            return Explanation(tops, tuple((f, scale * c) for f, c in feats), names,
                               scale * score, reason, scores, action=chosen,
                               probability=float(probs[j]),
                               exploring=bool(probs[j] < probs.max()), learner=learner_name,
                               prices=dict(prices))

        return explain

    # -- reward --------------------------------------------------------------------------------
    def reward(self, decision_id: str, value: float, *,
               now: datetime | float | None = None) -> RewardAck:
        """Report a decision's outcome; it is written and learned when this returns.

        Args:
            decision_id: from :meth:`choose`.
            value: the reward, a number within ``reward_range`` (more is better).
            now: arrival time (aware datetime or epoch seconds); default: the engine's clock;
                bounded as in :meth:`choose`.

        Returns:
            A :class:`RewardAck` (sequence number, kind, total, delay). Once the reward is
            written it is acknowledged: a checkpoint or housekeeping failure after it is
            logged and counted (``stats()``), never raised.

        Raises:
            RewardError: value not a number within ``reward_range`` (or, summed, the total).
            StoreError: the log failed; nothing was written.
            UnknownDecisionError: no such decision (or it was forgotten).
            InactiveDecisionError: the decision's activation was deferred and not done.
            ExpiredDecisionError: the reward window has passed.
            DuplicateRewardError: a second reward with ``reward_mode="refuse"``.
        """
        did = check_id("decision_id", decision_id, UnknownDecisionError)
        low, high = self.options.reward_range
        value = check_number("value", value, low=low, high=high, error=RewardError)
        t = self._caller_time(now)
        with self._guard:
            self._check_open()
            rec = self.log.get_decision(did)
            activated_at = rec.activated_at  # set exactly when the decision is active
            if not rec.active or activated_at is None:
                raise InactiveDecisionError(f"decision_id: {did!r} was never activated; call "
                                            f"activate({did!r}) once its message went out")
            arrival = max(t, self.clock())  # an early `now` cannot reopen a closed window
            if not self.window.is_open(rec, arrival):
                raise ExpiredDecisionError(
                    f"decision_id: {did!r}: its reward window of {self.window.window_s:g} s "
                    f"closed at {activated_at + self.window.window_s:.0f}, the reward came "
                    f"at {arrival:.0f}")
            if self.options.reward_mode == "refuse":
                # the client's one reward; over a provisional default it takes its place (a
                # correction by the difference), and the store says which row it corrects
                seq, before, first = self.log.write_client_reward(did, value, t)
                kind, total = "reward" if before is None else "correction", value
            else:
                prior = self.log.rewards_of(did)
                kind = "correction" if prior else "reward"
                before = sum(r[1] for r in prior) if prior else None
                first = prior[0][0] if prior else None
                total = value + (before or 0.0)
                check_number("value", total, low=low, high=high, error=RewardError)
                seq = self.log.write_reward(did, value, t, kind)
            learned = self._learn_logged(rec, seq, total, at=t,
                                         previous=None if kind == "reward" else before,
                                         first=first)
            self._settle_some()
        return RewardAck(did, seq, kind, total, t - activated_at, learned)

    def activate(self, decision_id: str, *, now: datetime | float | None = None) -> None:
        """Activate a deferred decision: its message went out; its reward window starts now.

        Raises:
            UnknownDecisionError: no such decision.
            ClockError: ``now`` outside the clock's bounds (see :meth:`choose`).
        """
        did = check_id("decision_id", decision_id, UnknownDecisionError)
        t = self._caller_time(now)
        with self._guard:
            self._check_open()
            rec = self.log.get_decision(did)
            self.log.activate(did, t)
            if not rec.active and rec.channel is not None:
                self._capacity_day = -1.0  # recount: the send counts on its decision day

    def expire_rewards(self, now: datetime | float | None = None) -> int:
        """Learn the default reward of every active decision whose window passed unrewarded
        (with ``provisional_after``: unrewarded that long after activation).

        Each is written (kind ``"default"``) and learned once. Returns how many this engine
        wrote: a decision that another engine on the same log settled first, or that got its
        reward or was erased in between, is passed over.

        Args:
            now: settle as of this time, never later than the engine's clock (default: the
                clock): whose window passed is the server's business, not a caller's.

        Raises:
            ClockError: ``now`` is later than the engine's clock.
            StoreError: the log failed (counted in ``stats()["settle_failures"]``); what was
                settled before stays settled.
        """
        server_now = self.clock()
        t = server_now if now is None else not_after(now, server_now)
        n = 0
        with self._guard:
            self._check_open()
            try:
                while True:
                    due, written = self._settle(t, 500)
                    n += written
                    if due < 500:
                        return n
            except Exception:
                self._settle_failures += 1
                raise

    def _settle_some(self) -> None:
        """Settle a few expired decisions on the engine's clock (every 16th call).

        Housekeeping that rides on a caller's request never fails it: an error is logged and
        counted, and the next call (or the service's settler) tries again.
        """
        self._calls += 1
        if self.drift is not None and self._calls % self._drift_every == 0:
            self._follow_drift()
        if self._calls % _EXPIRE_EVERY:
            return
        try:
            self._settle(self.clock(), self.options.expire_batch)
        except Exception:
            self._settle_failures += 1
            _log.exception("settling expired decisions failed; retried on a later call")

    def _follow_drift(self) -> None:
        """Let the drift monitor read the log's new rows (every ``drift.follow_every`` calls).

        Housekeeping too: a failure is logged and counted (``stats()["drift_failures"]``), and
        the next read starts where this one stopped.
        """
        assert self.drift is not None
        try:
            self.drift.follow(4 * self._drift_every)  # reads faster than rows come: catches up
            at = self.clock()
            actions = [] if self.recovery is None else self.recovery.step(self._learned_seq, at)
            if self.forgetting is not None:
                actions += self.forgetting.step(self._learned_seq, at)
            if actions:
                self.log.write_drift_events(e.to_row() for e in actions)
        except Exception:
            self._drift_failures += 1
            _log.exception("the drift monitor could not read the log; retried on a later call")

    def _answer_drift(self, events: list[DriftEvent]) -> list[DriftEvent]:
        """The drift monitor's listener: a confirmed change gets a challenger, and the serving
        learner may forget faster (docs/drift.md)."""
        seq = self._learned_seq
        return ([] if self.recovery is None else self.recovery.on_events(events, seq)) + (
            [] if self.forgetting is None else self.forgetting.on_events(events, seq))

    def _fresh_learner(self, candidate: str) -> CandidateLearner:
        """A fresh learner with configured candidate ``candidate``'s configuration."""
        return fresh_learner(self.catalog, self.options, candidate, seed=self.seed)

    def _rows_after(self, seq: int, limit: int) -> Iterator[LoggedRow]:
        """At most ``limit`` logged rewards after ``seq`` as the candidates meet them (a drift
        challenger's catch-up)."""
        for rseq, rec, _, _ in itertools.islice(self.log.rewards_since(seq, batch=limit), limit):
            yield self._row(rec, rseq)

    def _settle(self, t: float, limit: int) -> tuple[int, int]:
        """Write and learn the default of up to ``limit`` decisions due at ``t``; return how
        many were due and how many of them this engine wrote."""
        due, written = self.window.write_defaults(self.log, t, limit)
        for rec, seq in written:
            self._learn_logged(rec, seq, self.window.default_reward, at=t)
        return due, len(written)

    # -- learning ------------------------------------------------------------------------------
    def _row(self, rec: DecisionRecord, seq: int, total: float | None = None,
             previous: float | None = None, served: Served | None = None,
             first: int | None = None) -> LoggedRow:
        """A logged reward as the candidates meet it. ``total`` is the decision's reward up to
        and including ``seq``, ``previous`` its total before (None: ``seq`` is its first
        reward); both read from the log when ``total`` is not given. ``served``: the serving
        candidate and the distribution it decided with, and each challenger's on trial, for a
        first reward. ``first``: for a correction, the seq of the decision's first reward where
        the caller read it. Holdout decisions (control, for lift) and decisions of another
        catalog are logged but not learned."""
        if not (not rec.holdout and rec.action_index >= 0 and rec.active
                and rec.catalog_version == self._version):
            return LoggedRow(seq, None)
        # A live first reward reads the log for nothing; a correction reads the decision's
        # rows for the seq of its first (the row its estimates are corrected on) where the
        # caller did not (both reward modes do on the live path), and with corrections learned
        # at the total for how many taught.
        counted = self._selection.settings.correction == "total"
        taught = 0
        if total is None or (previous is not None and (counted or first is None)):
            logged = [(s, v) for s, v, _, _ in self.log.rewards_of(rec.decision_id) if s <= seq]
            earlier = [v for s, v in logged if s < seq]
            taught = rows_taught(earlier) if counted else 0
            if total is None:
                previous = sum(earlier) if earlier else None
                total = sum(v for _, v in logged)
            first = logged[0][0] if earlier else None
        first = None if previous is None else first
        held = None if previous is not None else served
        return LoggedRow(seq, json.loads(rec.features_json), rec.eligible, rec.action_index,
                         rec.probability, total, rec.created_at, previous,
                         None if held is None else held.probabilities,
                         None if held is None else held.candidate, taught, first,
                         None if held is None else held.trial)

    def _learn_logged(self, rec: DecisionRecord, seq: int, total: float | None = None, *,
                      at: float | None = None, replay: bool = False,
                      previous: float | None = None, first: int | None = None) -> bool:
        """Learn one logged reward (live, or replayed after a restart) and advance learned_seq.

        The serving candidate learns it now; the others now too (``follow_every=1``), or when
        the engine follows the log (every ``follow_every`` rewards, or :meth:`follow`).
        """
        row = self._row(rec, seq, total, previous, self._served.take(rec.decision_id), first)
        sel = self._selection
        if row.teaches and row.previous is None:
            self._served_counts["held" if row.served_by == sel.serving else "asked"] += 1
        every = self.options.follow_every
        if every == 1 or replay:
            sel.process_all(row)
        else:
            sel.process(sel.serving, row)
            if row.trial and row.served is not None and row.served_by is not None:
                self._unfollowed.put(str(seq), row.served_by, row.served, row.trial)
            if every and seq % every == 0:
                self._follow(seq)
        if sel.relearn_due:
            self._relearn()
        if row.shared is None:
            self._skipped += 1
        self._learned_seq = max(self._learned_seq, seq)
        self._record_switch(sel.check(seq, self.clock() if at is None else at))
        self._since_checkpoint += 1
        if (self._since_checkpoint >= self.options.checkpoint_every
                and time.monotonic() >= self._checkpoint_retry_at):
            self._checkpoint_quietly()
        return row.teaches

    def follow(self, limit: int | None = None) -> int:
        """Let every candidate catch up with the log (what ``follow_every`` does by itself),
        then run the switch rule; return how many logged rewards were met.

        With ``follow_every=0`` nothing but this (or a restart) teaches the candidates that do
        not serve: call it from a thread or a process that follows the log (the HTTP service
        does, between requests: ``engine.http.create_app``). ``limit`` meets at most that many
        rewards per call, so that a caller can follow in slices and answer requests between
        them; :attr:`follow_lag` says how many are left.

        Example:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as d:
            ...     with Engine(messages=["a", "b"], channels=["email"], state_dir=d,
            ...                 follow_every=0, holdout_fraction=0.0) as eng:
            ...         for i in range(5):
            ...             dec = eng.choose(f"c{i}", {"consent": {"email": True}})
            ...             _ = eng.reward(dec.decision_id, 1.0)
            ...         lag, met, left = eng.follow_lag, eng.follow(limit=2), eng.follow_lag
            >>> lag, met, left
            (5, 2, 3)
        """
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit < 1):
            raise ConfigError(f"limit: expected a whole number of rewards of at least 1 or "
                              f"None, got {limit!r}")
        with self._guard:
            self._check_open()
            n = self._follow(self._learned_seq, limit)
            self._record_switch(self._selection.check(self._learned_seq, self.clock()))
            return n

    @property
    def follow_lag(self) -> int:
        """How many reward sequence numbers the furthest-behind candidate has still to meet (0
        when every candidate is level with what the engine learned; held challengers aside)."""
        with self._guard:
            return max(0, self._learned_seq - self._selection.oldest_cursor)

    def _follow(self, upto: int, limit: int | None = None) -> int:
        sel = self._selection
        lagging = sel.lagging(upto)
        if not lagging:
            return 0
        n = 0
        for rseq, rec, _, _ in self.log.rewards_since(min(sel.cursors[c] for c in lagging),
                                                      batch=min(limit or 1000, 1000)):
            if rseq > upto or (limit is not None and n >= limit):
                break
            row = self._row(rec, rseq, served=self._unfollowed.take(str(rseq)))
            for name in lagging:
                sel.process(name, row)
            n += 1
        if sel.relearn_due:
            self._relearn()
        return n

    def _relearn(self) -> None:
        """Every Vowpal Wabbit candidate whose reward scale moved too far since it learned its
        rows learns them again, fresh, at the scale now (``LearnerSelection.relearn``)."""
        sel = self._selection
        for name in sel.relearn_due:
            base = name if self.recovery is None else self.recovery.base_of(name)
            fresh = self._fresh_learner(base)
            rows = (self._row(rec, rseq) for rseq, rec, _, _ in self.log.rewards_since(
                sel.since[name], batch=1000))
            n = sel.relearn(name, fresh, rows)
            self._relearned[name] = self._relearned.get(name, 0) + 1
            _log.info("candidate %s learned %d logged rewards again at reward scale %.6g",
                     name, n, sel.scales[name].value)

    def _record_switch(self, switch: Switch | None) -> None:
        if switch is not None:  # a replay meets the same switch again: the log keeps the first
            self.log.write_switch(switch.seq, switch.at, switch.from_learner, switch.to_learner,
                                  switch.evidence)

    def _checkpoint_quietly(self) -> None:
        """A periodic checkpoint: the reward before it is committed and must be acknowledged,
        so a failure is logged, counted and retried later (with backoff), never raised. The
        log still holds every reward: a restart replays what the last checkpoint lacks."""
        try:
            self._write_checkpoint()
        except EngineError as exc:
            self._checkpoint_failures += 1
            self._checkpoint_retry_at = time.monotonic() + self._checkpoint_backoff
            _log.warning("checkpoint failed (%s); retried in %.0f s", exc,
                         self._checkpoint_backoff)
            self._checkpoint_backoff = min(2 * self._checkpoint_backoff, _CHECKPOINT_RETRY_S[1])
        else:
            self._checkpoint_backoff = _CHECKPOINT_RETRY_S[0]

    @property
    def learned_seq(self) -> int:
        """The last reward sequence number the model has learned (0: none)."""
        return self._learned_seq

    def learn_from_log(self, limit: int = 1000) -> int:
        """Learn, in sequence order, up to ``limit`` rewards that other processes logged after
        ``learned_seq`` (choose replicas write them; the fleet's one learner calls this, see
        ``engine.learner_loop``). Returns how many were read.
        """
        with self._guard:
            self._check_open()
            n = 0
            for rseq, rec, value, kind in self.log.rewards_since(self._learned_seq,
                                                                 batch=limit):
                # A first reward's total is its value; a correction's is summed from the log.
                self._learn_logged(rec, rseq, None if kind == "correction" else value)
                n += 1
                if n >= limit:
                    break
            return n

    def model_snapshot(self) -> ModelSnapshot:
        """A snapshot of the serving model and how far it has learned, for replicas to serve
        (``engine.snapshots``; unpublished until ``log.publish_snapshot``)."""
        with self._guard:
            self._check_open()
            sel = self._selection
            # the configuration the serving learner was built with (its interactions as this
            # catalog pruned them), so a replica rebuilds exactly this learner
            return snapshot_of(sel.learner, self.catalog, sel.learner.config,
                               learned_seq=self._learned_seq, learner_name=sel.serving,
                               pruned=self.options.prune_features)

    def checkpoint(self) -> None:
        """Write a checkpoint now (also done every ``checkpoint_every`` rewards and on close).

        Raises:
            CheckpointError: it could not be written (the previous one stays current).
        """
        with self._guard:
            self._check_open()
            self._write_checkpoint()

    def _write_checkpoint(self) -> None:
        sel = self._selection
        state: dict[str, Any] = {"selection": sel.state(),
                                 # a checkpoint during the restore's replay keeps what it found
                                 "drift_recovery": self._recovery_state if self.recovery is None
                                 else self.recovery.to_dict(),
                                 "drift_forgetting": self._forgetting_state
                                 if self.forgetting is None else self.forgetting.to_dict()}
        if self._bins is not None:
            state["bins"] = self._bins.to_state()
        self._checkpoints.write(sel.learners, sel.serving, self._learned_seq, *self._fingerprints,
                                state=state, rows=sel.kept_rows())
        self._since_checkpoint = 0
        if self.drift is not None:
            self.drift.save()

    # -- customers, export, stats --------------------------------------------------------------
    def forget(self, customer_id: str) -> int:
        """Erase a customer's decisions, rewards and profile; return how many rows went.

        What the model already learned stays in its weights (aggregated over customers, no row
        of anyone's data).
        """
        cid = check_id("customer_id", customer_id)
        with self._guard:
            self._check_open()
            self._capacity_day = -1.0  # recount today's sends without this customer's
            return self.log.forget(cid)

    def set_profile(self, customer_id: str, profile: dict[str, Any]) -> None:
        """Store a customer's profile (consent, segment, timezone, tenure_days) for the rules."""
        cid = check_id("customer_id", customer_id)
        with self._guard:
            self._check_open()
            self.log.set_profile(cid, profile)

    def export_parquet(self, path: str | os.PathLike, since: float | None = None) -> int:
        """Write decisions joined with their rewards as Parquet; return the row count.

        The schema is documented in ``docs/catalog.md`` (the input of off-policy evaluation).
        """
        from engine.parquet_export import export_parquet  # pyarrow only when exporting

        self._check_open()
        return export_parquet(self.log, path, since=since)

    def stats(self) -> dict[str, Any]:
        """Counts for ``/metrics`` and the dashboard (log rows, learning, exploration, lock)."""
        with self._guard:
            self._check_open()
            out: dict[str, Any] = dict(self.log.counts())
            sel = self._selection
            summary = sel.summary()
            out.update(
                learned_seq=self._learned_seq, replayed_on_start=self._replayed,
                follow_lag=max(0, self._learned_seq - sel.oldest_cursor),
                rewards_not_learned=self._skipped, relearned=dict(self._relearned),
                served_held=self._served_counts["held"],
                served_asked=self._served_counts["asked"],
                exploration=sel.learner.config.exploration,
                serving_learner=sel.serving, candidates=summary,
                selection_estimator=sel.settings.estimator,
                trial_share=sel.trial_share,
                **{f"candidate_{k}": {n: v[k] for n, v in summary.items() if v[k] is not None}
                   for k in _CANDIDATE_STATS},
                exploration_rate=(self._explored / self._sampled) if self._sampled else 0.0,
                checkpoint_failures=self._checkpoint_failures,
                settle_failures=self._settle_failures,
                n_actions=self.catalog.n_actions, catalog_version=self._version,
                guard_acquisitions=self._guard.acquisitions,
                guard_contended=self._guard.contended)
            if self.drift is not None:
                out.update(self.drift.stats(), drift_failures=self._drift_failures,
                           **({} if self.recovery is None else self.recovery.stats()),
                           **({} if self.forgetting is None else self.forgetting.stats()))
        return out

    # -- lifecycle -----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("this Engine is closed")

    def _caller_time(self, now: datetime | float | None) -> float:
        """A caller's time: the engine's clock when None, else checked against it."""
        server_now = self.clock()
        return server_now if now is None else self._bounds.check(now, server_now)

    def time_window(self) -> tuple[float, float]:
        """``(low, high)``: a caller's ``now`` must be above ``low`` and at most ``high`` (the
        engine's clock minus ``max_clock_lag``, plus ``max_clock_skew``), as of this call."""
        return self._bounds.window(self.clock())

    def close(self) -> None:
        """Checkpoint, then release the learner and the log. Safe to call twice.

        The learner and the log are released even when the checkpoint fails (the log holds
        every reward: the next start replays them); the :class:`CheckpointError` is then
        raised.
        """
        with self._guard:
            if self._closed:
                return
            try:
                if self._since_checkpoint or self._checkpoints.latest() is None:
                    self._write_checkpoint()
                elif self.drift is not None:
                    self.drift.save()
            finally:
                self._closed = True
                self._selection.close()
                self.log.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
