"""Recovering from a confirmed change: a challenger learner, trained on the log since the change
point, joins the candidates of the engine's online learner selection
(``engine/learner_selection.py``) and serves only when its off-policy estimate beats the serving
learner's there (the selection's own rule: its DR lower bound above the serving one's upper
bound, on the rows since the change, confirmed several checks in a row).

What counts as confirmed: an ``alert``-level drift event (a feature at PSI >= ``psi_alert``, a
treatment stream's drop, a holdout change). One challenger per change: alerts within
``recover_cooldown`` rewards of the last challenger's start belong to the same change. A
challenger starts from a fresh learner with the serving candidate's configuration; it meets the
log's rewards after the change point (the last reward logged before the change began), in
slices of ``recover_batch`` rows per read of the log, so the engine never stalls on a replay;
during that catch-up it is *held* (``LearnerSelection.held``: the engine's own learning passes it
by, the switch rule does not yet consider it). Rewards of decisions made before the change are
passed over, during the catch-up and after it (``add_candidate``'s ``decided_from``: a late
conversion of an old decision says how the old world answered). Once level with the log it
learns every new reward with the others.

The challengers' models are the selection's (checkpointed with every candidate); this module
keeps who they are (:meth:`Recovery.to_dict`, in the checkpoint's state), so a restart reopens
each one (:func:`challenger_models`) where it stood, caught up or not. An alert met again (the
monitor re-reading the log after a restart) starts nothing twice.

Every action is a ``recovery`` drift event (``action`` level): a challenger started, caught up,
took over (with the estimates that justified it).

Example:
    >>> RecoverySettings(cooldown=20_000).cooldown
    20000
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from engine.drift.events import DriftEvent, EventKind, EventLevel
from engine.drift.seq_clock import SeqClock

__all__ = ["CandidatePool", "Challenger", "Recovery", "RecoverySettings", "saved_challengers"]


class CandidatePool(Protocol):
    """What the recovery needs of the learner selection (``LearnerSelection``)."""

    serving: str
    cursors: dict[str, int]
    held: set[str]

    def add_candidate(self, name: str, learner: Any, since: int,
                      decided_from: float | None = None) -> None: ...
    def process(self, name: str, row: Any) -> None: ...
    def estimates(self, name: str, since: int = 0) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class RecoverySettings:
    """How the engine answers a confirmed change (the ``recover*`` fields of
    ``[engine.drift]``).

    Attributes:
        enabled: start a challenger on a confirmed change.
        cooldown: rewards after a challenger's start during which further alerts are taken as
            the same change.
        batch: log rows a challenger meets per read of the log while it catches up.
    """

    enabled: bool = True
    cooldown: int = 20_000
    batch: int = 500


@dataclass
class Challenger:
    """One drift challenger.

    Attributes:
        name: its candidate name (``drift1``, ``drift2``...).
        base: the candidate whose configuration it has (the one serving when it started).
        since: the last reward sequence number before the change; it learns what came after.
        change_at: where the change began (epoch s).
        started_seq: the engine's last reward when it started.
        trigger: the key of the drift event that started it.
        caught_up: whether it has met every row up to the engine's.
        served: whether it has served.
    """

    name: str
    base: str
    since: int
    change_at: float
    started_seq: int
    trigger: str
    caught_up: bool = False
    served: bool = False


def saved_challengers(state: Mapping[str, Any] | None) -> list[Challenger]:
    """The challengers of a saved :meth:`Recovery.to_dict` (none for None): what a restart
    must reopen beside the configured candidates."""
    return [Challenger(**c) for c in (state or {}).get("challengers", [])]


class Recovery:
    """Answers confirmed changes with challengers (see the module docstring).

    Args:
        pool: the learner selection (the candidates).
        settings: how to answer.
        new_learner: ``new_learner(base)``: a fresh learner with candidate ``base``'s
            configuration, actions set.
        rows: ``rows(after_seq, limit)``: at most ``limit`` of the log's rewards after
            ``after_seq``, as the candidates meet them (``LoggedRow``).
        seq_clock: the follower's marks of when each reward was logged.
        state: what :meth:`to_dict` returned (a checkpoint), or None.
    """

    def __init__(self, pool: CandidatePool, settings: RecoverySettings,
                 new_learner: Callable[[str], Any],
                 rows: Callable[[int, int], Iterable[Any]],
                 seq_clock: SeqClock, state: Mapping[str, Any] | None = None) -> None:
        self.pool, self.settings = pool, settings
        self.new_learner, self.rows, self.seq_clock = new_learner, rows, seq_clock
        self.challengers = saved_challengers(state)
        self.serving = str((state or {}).get("serving", pool.serving))
        pool.held.update(c.name for c in self.challengers if not c.caught_up)

    def base_of(self, name: str) -> str:
        """The configured candidate whose configuration ``name`` has (itself if configured)."""
        return next((c.base for c in self.challengers if c.name == name), name)

    # -- answering alerts ------------------------------------------------------------------------
    def on_events(self, events: list[DriftEvent], learned_seq: int) -> list[DriftEvent]:
        """Start a challenger for the first confirmed change among ``events`` (a listener of
        the log follower); return the actions taken."""
        confirmed = [e for e in events if e.level == EventLevel.ALERT]
        if not (self.settings.enabled and confirmed):
            return []
        started = {c.trigger for c in self.challengers}
        if started & {e.key for e in confirmed}:
            return []  # met again on a re-read of the log: answered already
        last = self.challengers[-1] if self.challengers else None
        if last is not None and learned_seq - last.started_seq < self.settings.cooldown:
            return []  # the same change, seen by another detector
        trigger = min(confirmed, key=lambda e: e.change_at if e.change_at is not None else e.at)
        change_at = trigger.change_at if trigger.change_at is not None else trigger.at
        since = min(self.seq_clock.seq_before(change_at), learned_seq)
        name, base = f"drift{len(self.challengers) + 1}", self.pool.serving
        self.pool.add_candidate(name, self.new_learner(self.base_of(base)), since,
                                decided_from=change_at)
        self.pool.held.add(name)
        self.challengers.append(Challenger(name, self.base_of(base), since, change_at,
                                           learned_seq, trigger.key))
        return [DriftEvent(
            EventKind.RECOVERY, name, EventLevel.ACTION, trigger.at, None, None, change_at,
            trigger.position, f"challenger {name} started after '{trigger.message}': a fresh "
            f"learner trained on the log since the change (rewards after #{since}); it serves "
            f"only if its off-policy estimate beats {base}'s on those rewards",
            {"trigger": trigger.key, "since_seq": since, "serving": base})]

    # -- catching up, and watching the switch ----------------------------------------------------
    def step(self, learned_seq: int, at: float) -> list[DriftEvent]:
        """Let each held challenger meet up to ``batch`` more rows of the log (up to
        ``learned_seq``); report a challenger level with the log, and one that took over."""
        actions: list[DriftEvent] = []
        for c in self.challengers:
            if not c.caught_up:
                actions += self._catch_up(c, learned_seq, at)
        if self.pool.serving != self.serving:
            actions += self._switched(learned_seq, at)
        return actions

    def _catch_up(self, c: Challenger, learned_seq: int, at: float) -> list[DriftEvent]:
        for row in self.rows(self.pool.cursors[c.name], self.settings.batch):
            if row.seq > learned_seq:
                break
            self.pool.process(c.name, row)
        if self.pool.cursors[c.name] < learned_seq:
            return []
        c.caught_up = True
        self.pool.held.discard(c.name)
        return [DriftEvent(
            EventKind.RECOVERY, c.name, EventLevel.ACTION, at, None, None, c.change_at,
            learned_seq, f"challenger {c.name} has met the {learned_seq - c.since:,} rewards "
            f"logged since the change; it now learns with the others", {"since_seq": c.since})]

    def _switched(self, learned_seq: int, at: float) -> list[DriftEvent]:
        before, now = self.serving, self.pool.serving
        self.serving = now
        challenger = next((c for c in self.challengers if c.name == now), None)
        if challenger is None:
            return []  # a switch among the configured candidates: the selection logs it
        challenger.served = True
        mine = self.pool.estimates(now, challenger.since) or {}
        theirs = self.pool.estimates(before, challenger.since) or {}
        figures = {k: {n: _interval(e.get(k)) for n, e in ((now, mine), (before, theirs))}
                   for k in ("dr", "ips")}
        dr = figures["dr"]
        return [DriftEvent(
            EventKind.RECOVERY, now, EventLevel.ACTION, at, None, None, challenger.change_at,
            learned_seq, f"challenger {now} took over from {before}: DR since the change "
            f"{_words(dr[now])} against {_words(dr[before])}",
            {"from": before, "estimates": figures, "since_seq": challenger.since})]

    # -- saying and saving ------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """For ``Engine.stats()``: the challengers started, caught up and served."""
        return {"drift_challengers": len(self.challengers),
                "drift_challengers_catching_up": sum(not c.caught_up for c in self.challengers),
                "drift_challengers_served": sum(c.served for c in self.challengers)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (the challengers' models are the selection's to save)."""
        return {"challengers": [asdict(c) for c in self.challengers], "serving": self.serving}


def _interval(result: Any) -> dict[str, float] | None:
    if result is None:
        return None
    lo, hi = result.ci
    return {"value": float(result.value), "lo": float(lo), "hi": float(hi), "n": int(result.n)}


def _words(figure: dict[str, float] | None) -> str:
    if figure is None or not math.isfinite(figure["value"]):
        return "unknown"
    return (f"{figure['value']:.4g} (95% CI {figure['lo']:.4g} to {figure['hi']:.4g}, "
            f"{figure['n']:,} rewards)")
