"""The drift monitor: context, reward and lift drift over one stream of decisions and rewards.

It holds no log and no clock of its own: :class:`~engine.drift.log_follower.LogFollower` feeds it
the log's new rows in order, in batches, and writes the :class:`DriftEvent` s it returns. Every
figure is a function of the rows in log order (blocks and windows are counted in rows), so
replaying the same log gives the same state and the same events, whatever the batches.

Reward streams: ``holdout`` (free of the policy's own changes), ``treatment``, and the treatment
split as ``reward_streams`` says: ``treatment/channel=<channel>`` per channel and
``treatment/message=<message>`` per message (``no_contact`` for decisions that sent nothing): a
change of the response often hits some offers and not others (tastes that turn away from a
theme), which the pooled stream dilutes.
A treatment stream is watched for drops only, against a reference mean that forgets (about
``reward_memory_blocks`` blocks): a learner that learns raises its own reward rate, slowly, and
that is neither drift nor a reason to look away (a detector reset at every rise would be blind
while it warms up again). The holdout is watched both ways; any change of it is an alert.
Corrections (a second reward summed into a decision) are not taken: each decision counts once.

Response streams (``response = true``, the default): each message's treatment rewards against a
model of the context and channel fitted on a reference window (refreshed), in two-sided CUSUMs
(:class:`~engine.drift.response_drift.ResponseDrift`; by default on how often the message is
answered, the count test): a change of how customers answer a message, which the rates above
miss when some messages gain what others lose and the policy moves who gets what. Its alerts
are ``reward`` events on ``response/message=<message>``.

Example:
    >>> import numpy as np
    >>> from engine.drift.options import DriftOptions
    >>> mon = DriftMonitor(DriftOptions(reference_size=1000, window=1000, block=500))
    >>> rng = np.random.default_rng(0)
    >>> ctx = [{"segment": s} for s in rng.choice(["a", "b"], 2000, p=[0.9, 0.1])]
    >>> ctx += [{"segment": s} for s in rng.choice(["a", "b"], 1000, p=[0.5, 0.5])]
    >>> [(e.kind, e.subject, e.level) for e in mon.add_decisions(ctx, np.arange(3000.0))]
    [('context', 'segment', 'alert')]
    >>> mon.stats()["drift_feature_level"]
    {'segment': 2}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np

from engine.drift.events import DriftEvent, EventKind, EventLevel
from engine.drift.feature_drift import LEVELS, ContextDrift, FeatureChange
from engine.drift.lift_trend import LiftTrend
from engine.drift.options import DriftOptions
from engine.drift.response_drift import ResponseDrift
from engine.drift.reward_drift import RewardChange, RewardStream

__all__ = ["DriftMonitor"]

_STATE_LEVEL = {"warming up": 0, "constant": 0, "watching": 1, "rise detected": 2,
                "drop detected": 2}
MAX_STREAMS = 64  # channels are the catalog's: a handful


class DriftMonitor:
    """Context drift per feature, reward drift per stream, the lift's trend.

    Args:
        options: the ``[engine.drift]`` settings.
    """

    def __init__(self, options: DriftOptions) -> None:
        o = self.options = options
        self.context = ContextDrift(reference_size=o.reference_size, window=o.window,
                                    block=o.block, bins=o.bins, max_categories=o.max_categories,
                                    max_features=o.max_features, psi_warn=o.psi_warn,
                                    psi_alert=o.psi_alert, warmup=o.warmup, ignore=o.ignore)
        self.streams: dict[str, RewardStream] = {}
        self.lift = LiftTrend(window=o.lift_window, windows=o.lift_windows)
        self.response = ResponseDrift(
            reference=o.response_reference, shift=o.response_shift,
            threshold=o.response_threshold, ridge=o.response_ridge,
            max_columns=o.max_features, confirm=o.response_confirm,
            min_positive=o.response_min_positive, counts=o.response_counts,
            refresh=o.response_refresh, bins=o.response_bins) if o.response else None
        self.decisions = 0
        self.rewards = 0
        self.counts: dict[str, int] = {}  # "kind/level" -> events

    # -- taking rows -----------------------------------------------------------------------------
    def add_decisions(self, contexts: Sequence[Mapping[str, Any]], times: np.ndarray
                      ) -> list[DriftEvent]:
        """Take decisions in log order: their contexts and decision times (shape (n,))."""
        self.decisions += len(contexts)
        return self._count([self._context_event(c) for c in self.context.add(contexts, times)])

    def add_rewards(self, values: np.ndarray, times: np.ndarray, holdout: np.ndarray,
                    channels: Sequence[str | None], messages: Sequence[str | None] | None = None,
                    contexts: Sequence[Mapping[str, Any] | None] | None = None) -> list[DriftEvent]:
        """Take first rewards (and defaults) in log order, shape (n,) each: the value, its
        arrival time, whether the decision was held out, its channel and message (None:
        no contact), and (for the response streams) its decision's context."""
        v = np.asarray(values, dtype=np.float64)
        t = np.asarray(times, dtype=np.float64)
        h = np.asarray(holdout, dtype=bool)
        first = self.rewards  # this batch's first reward, counted from the start of the log
        self.rewards += v.size
        events = []
        groups: dict[str, np.ndarray] = {"holdout": h, "treatment": ~h}
        for split, names in (("channel", channels), ("message", messages)):
            if split not in self.options.reward_streams or names is None or not v.size:
                continue
            col = np.array(["no_contact" if x is None else x for x in names], dtype=object)
            for name in np.unique(col[~h]).tolist():
                groups[f"treatment/{split}={name}"] = ~h & (col == name)
        for name, mask in groups.items():
            if not mask.any():
                continue
            stream = self._stream(name)
            if stream is not None:
                events += [self._reward_event(c) for c in stream.add(v[mask], t[mask])]
        if self.response is not None and contexts is not None and messages is not None:
            # the first ``response_warmup`` rewards are skipped
            treated = np.flatnonzero(~h & (first + np.arange(v.size)
                                           >= self.options.response_warmup))
            if treated.size:
                # only held-out rows go without a context, and none of them is treated
                picked = cast(list[Mapping[str, Any]], [contexts[i] for i in treated.tolist()])
                events += [self._reward_event(c) for c in self.response.add(
                    picked, [messages[i] for i in treated.tolist()], v[treated], t[treated],
                    [channels[i] for i in treated.tolist()])]
        previous = self.lift.direction
        for trend in self.lift.add(v, h, t):
            if "falling" in (trend["direction"], previous):  # a fall, and its end, are worth a row
                events.append(self._lift_event(trend))
            previous = trend["direction"]
        return self._count(events)

    def _stream(self, name: str) -> RewardStream | None:
        stream = self.streams.get(name)
        if stream is None and len(self.streams) < MAX_STREAMS:
            o = self.options
            stream = self.streams[name] = RewardStream(
                name, block=o.reward_block, warmup_blocks=o.reward_warmup_blocks,
                shift=o.reward_shift, threshold=o.reward_threshold,
                mode="both" if name == "holdout" else "drop", memory=o.reward_memory_blocks)
        return stream

    def _count(self, events: list[DriftEvent]) -> list[DriftEvent]:
        for e in events:
            key = f"{e.kind}/{e.level}"
            self.counts[key] = self.counts.get(key, 0) + 1
        return events

    # -- events ----------------------------------------------------------------------------------
    def _context_event(self, c: FeatureChange) -> DriftEvent:
        o = self.options
        level = {"ok": EventLevel.INFO, "warn": EventLevel.WARN, "alert": EventLevel.ALERT}[c.level]
        threshold = o.psi_alert if c.level == "alert" else o.psi_warn
        moves = ", ".join(f"{b} {100 * r:.0f}% -> {100 * q:.0f}%" for b, r, q in c.top)
        if c.level == "ok":
            message = f"{c.feature} back to normal: PSI {c.psi:.3f} < {o.psi_warn:g}"
        else:
            message = f"{c.feature} moved: PSI {c.psi:.3f} >= {threshold:g} ({moves})"
        return DriftEvent(EventKind.CONTEXT, c.feature, level, c.at, c.psi, threshold,
                          c.change_at, c.position, message,
                          {"previous": c.previous, "top": [list(x) for x in c.top]})

    def _reward_event(self, c: RewardChange) -> DriftEvent:
        rise_only_info = c.stream.startswith("treatment") and c.direction == "rise"
        level = EventLevel.INFO if rise_only_info else EventLevel.ALERT
        if not c.confirmed:  # a response stream's first crossing: worth a look, not an answer
            level = EventLevel.WARN
        why = " (a learner that learns raises it: not an alert)" if rise_only_info else ""
        moved = "rose" if c.direction == "rise" else "dropped"
        if c.stream.startswith("response/"):
            unconfirmed = "" if c.confirmed else " (not yet confirmed: an alert if it does again)"
            message = (f"{c.stream}: the answer to the message {moved} for the same customers"
                       f"{unconfirmed}: {c.before:.4g} per decision in the reference, "
                       f"{c.after:.4g} since the change (the model's prediction plus the mean "
                       f"residual)")
        else:
            message = (f"{c.stream} reward rate {moved}{why}: {c.before:.4g} per decision "
                       f"before the change, {c.after:.4g} since")
        return DriftEvent(EventKind.REWARD, c.stream, level, c.at, c.statistic, 1.0, c.change_at,
                          c.position, message,
                          {"direction": c.direction, "before": c.before, "after": c.after})

    def _lift_event(self, t: dict[str, Any]) -> DriftEvent:
        direction = t["direction"]
        if direction == "falling":
            level, msg = EventLevel.WARN, "the lift over the holdout is falling"
        else:
            level, msg = EventLevel.INFO, f"the lift over the holdout is no longer falling " \
                                          f"({direction})"
        slope, lo, hi = t["slope"], t["slope_lo"], t["slope_hi"]
        figure = "" if slope is None else (f": {slope:+.4g} per window of {self.lift.window} "
                                           f"rewards (95% CI {lo:+.4g} to {hi:+.4g})")
        return DriftEvent(EventKind.LIFT, "lift", level, t["at"], slope, 0.0, None,
                          t["position"], msg + figure,
                          {"lift": t["lift"], "slope_lo": lo, "slope_hi": hi})

    # -- reading ---------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Flat figures for ``Engine.stats()`` and ``/metrics``."""
        ctx, lift = self.context, self.lift.trend()
        active = sum(lv == "alert" for lv in ctx.level.values()) + sum(
            s.state.endswith("detected") for s in self.streams.values())
        return {
            "drift_decisions_seen": self.decisions, "drift_rewards_seen": self.rewards,
            "drift_psi": dict(ctx.psi),
            "drift_feature_level": {k: LEVELS.index(v) for k, v in ctx.level.items()},
            "drift_reward_statistic": {k: s.statistic() for k, s in self.streams.items()},
            "drift_reward_level": {k: _STATE_LEVEL[s.state] for k, s in self.streams.items()},
            "drift_reward_rate": {k: s.history[-1][1] for k, s in self.streams.items()
                                  if s.history},
            "drift_events": dict(self.counts), "drift_active_alerts": active,
            "drift_lift": lift["lift"], "drift_lift_slope": lift["slope"],
            "drift_lift_falling": int(lift["direction"] == "falling"),
            "drift_response_statistic": {} if self.response is None
            else self.response.statistics(),
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything the dashboard and ``offerbandit drift`` show, JSON-ready."""
        ctx = self.context
        shares = ctx.reference_shares()
        features: list[dict[str, Any]] = [
            {"name": f.name, "kind": f.kind, "psi": ctx.psi.get(f.name),
             "level": ctx.level.get(f.name, "ok"), "since": ctx.since.get(f.name),
             "chi2_p": ctx.chi2_p.get(f.name), **shares.get(f.name, {})} for f in ctx.features]
        known = {f["name"] for f in features}
        features += [{"name": k, "kind": None, "psi": ctx.psi.get(k), "level": lv,
                      "since": ctx.since.get(k), "chi2_p": ctx.chi2_p.get(k)}
                     for k, lv in ctx.level.items() if k not in known]  # while re-anchoring
        features.sort(key=lambda f: -float(f["psi"] or 0.0))
        streams = [{"name": k, "state": s.state, "blocks": s.blocks, "alarms": s.alarms,
                    "statistic": s.statistic(),
                    "reference_mean": None if math.isnan(s.mu) else s.mu,
                    "last_mean": s.history[-1][1] if s.history else None,
                    "last_change": None if s.last_change is None else vars(s.last_change),
                    "series": [{"t": t, "mean": m} for t, m in s.history]}
                   for k, s in sorted(self.streams.items())]
        o = self.options
        return {"decisions_seen": self.decisions, "rewards_seen": self.rewards,
                "context": {"phase": ctx.phase, "reference_span": ctx.reference_span,
                            "anchors": ctx.anchors, "window": o.window,
                            "reference_size": o.reference_size, "psi_warn": o.psi_warn,
                            "psi_alert": o.psi_alert, "features": features,
                            "history": [{"t": t, "psi": v} for t, v in ctx.history]},
                "reward": {"block": o.reward_block, "shift": o.reward_shift,
                           "threshold": o.reward_threshold, "streams": streams},
                "lift": {**self.lift.trend(), "window": o.lift_window},
                "response": None if self.response is None else self.response.snapshot()}

    # -- saving ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The whole state, JSON-ready."""
        return {"context": self.context.to_dict(),
                "streams": {k: s.to_dict() for k, s in self.streams.items()},
                "lift": self.lift.to_dict(), "decisions": self.decisions,
                "rewards": self.rewards, "counts": self.counts,
                "response": None if self.response is None else self.response.to_dict()}

    def load(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`to_dict` saved (made with the same options)."""
        self.context.load(state["context"])
        for name, s in state["streams"].items():
            stream = self._stream(name)
            assert stream is not None
            stream.load(s)
        self.lift.load(state["lift"])
        if self.response is not None:
            self.response.load(state["response"])
        self.decisions, self.rewards = int(state["decisions"]), int(state["rewards"])
        self.counts = dict(state["counts"])
