"""Response drift: a change in how customers answer a message, with the population unchanged.

Neither a context monitor (the customers are the same) nor a rate monitor sees it reliably: when
tastes rotate some messages earn more and others less, and the policy's own moves (who gets
what) shift every per-message rate as well. So each message's rewards are compared with what
a **reward model fitted on a reference window** predicts for the customer who got it: a ridge
regression of the reward on the context, one per message (numbers and bools as they are,
strings one-hot; the columns are fixed by the first reference rows). The residual
``reward - prediction`` keeps a mean of 0 whatever the policy does with who gets what, as far as
the model is right, and moves when the answer to the message itself changes.

Each message's residuals feed a **two-sided CUSUM** against that known mean (not against a
running one: the reference is the fit), in log-likelihood-ratio units: a rise of ``delta`` adds
``(e - delta / 2) * delta / sd**2`` per reward, a drop the same with ``-delta``, where
``delta = shift * max(|mean reward of the message|, |mean reward of all|)`` and ``sd`` the
message's residual spread (shrunk toward the pooled one, so a message with few reference
rewards does not get a tiny spread). Per reward, not per block: rewards are mostly 0 with rare
large conversions, and the Gaussian CUSUM on single rewards accumulates about the Poisson
log-likelihood ratio per conversion (``log(1 + shift)``) and per non-conversion, which block
means of a few conversions would hide. A message alerts when a sum passes ``threshold``; the
change is dated to the last reward at which the detecting sum stood at 0. The model then
re-anchors: the next ``reference`` rewards fit a new one (a change is reported once, and the
next is measured from the new normal).

Everything is vectorised per batch (the CUSUM's recursion as a running minimum of cumulative
sums); the state is a few arrays per message, saved as lists.

Example:
    >>> rng = np.random.default_rng(0)
    >>> rd = ResponseDrift(reference=4000, shift=0.5, threshold=16.0)
    >>> def rows(n, lift):
    ...     x = rng.random(n)
    ...     msg = rng.choice(["a", "b"], n)
    ...     p = np.where(msg == "a", 0.2 + 0.4 * x * lift, 0.3)  # a's answer changes
    ...     return [{"x": float(v)} for v in x], msg.tolist(), rng.binomial(1, p).astype(float)
    >>> events = []
    >>> for lift in (1.0, 1.0, 1.0, 0.0, 0.0, 0.0):
    ...     ctx, msg, val = rows(2000, lift)
    ...     events += rd.add(ctx, msg, val, np.arange(len(val), dtype=float))
    >>> [(c.stream, c.direction) for c in events]
    [('response/message=a', 'drop')]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.drift.reward_drift import RewardChange

__all__ = ["ResponseDrift"]

GRID = 32  # the CUSUMs count in units of 2**-32 (exact integer sums in int64)
# each message's CUSUMs: (sign, multiple of its step): a rise and a drop of the smallest change
# worth detecting, and of 4 times it (a CUSUM tuned to a small change is slow to confirm a large
# one; 16 times raised false alarms on the simulator's heavy-tailed rewards: docs/drift.md)
SIDES = ((1.0, 1.0), (-1.0, 1.0), (1.0, 4.0), (-1.0, 4.0))
CHUNK = 500  # reference rows summed together (fixed chunks: the fit does not depend on batches)
FLOOR = 0.1  # a row's level is at least this share of its message's mean reward
MIN_REWARDS = 200  # reference rewards a message needs to be watched (at most a tenth of them)
# answers (rewards above 0) a message's reference needs for the count test to watch it: with
# none its model expects none, and any answer reads as a rise without bound; with a handful its
# rate is known to no better than about a third, and the two-sample ratio gives it no power
MIN_ANSWERS = 10
# the context key the channel a message went by is modelled under ("@" sorts it first, so the
# column limit never leaves it out)
CHANNEL = "@channel"
HISTORY = 300  # (time, CUSUM statistic) points kept per message for the dashboard
EVERY = 250  # a message's rewards between two points of its series


def _number(v: Any) -> float:
    return float(v) if isinstance(v, bool | int | float) else math.nan


class ResponseDrift:
    """Per-message residuals against a reference reward model, each in a two-sided CUSUM.

    Args:
        reference: treatment rewards (all messages together) that fit the model.
        shift: the smallest relative change of a message's mean reward worth detecting.
        threshold: the CUSUM's detection threshold, a log-likelihood ratio.
        ridge: the ridge penalty, relative to each column's sum of squares.
        max_columns: context columns in the model at most (the first seen).
        confirm: crossings of the threshold, by the same message the same way, that make an
            alert; the earlier ones are warnings (``confirmed=False``), after which that
            direction's sums start again from 0 under the same model. A crossing confirms
            only within as many of the message's rewards after the first as its reference
            held (older ones lapse).
        rises: whether a rise can make an alert at all (False: every rise is a warning).
        bins: 0 for a linear model of each number; ``b`` > 1 adds to each number's column
            steps at its ``b``-quantiles in the first reference rows (``x > edge``): a
            piecewise model, less wrong where the answer is not linear in the number.
        min_positive: rewards above 0 (conversions) a message's reference needs to be
            watched: a model fitted on a handful of conversions predicts little.
        uncertainty: 0, or ``z`` > 0: a message whose reference held ``c`` rewards above 0
            has its CUSUMs' allowance raised by ``z / sqrt(c)`` of the row's level (its
            reference mean is itself known to about ``1 / sqrt(c)``, an error that stays
            with every reward the model predicts): the soft form of ``min_positive``.
        counts: test how *often* a message's rewards are above 0 (its conversions) instead of
            their level: the model predicts each row's chance of a reward above 0, and each
            CUSUM adds the Poisson log-likelihood ratio of a rate ``r`` times the predicted
            one, ``z log r - (r - 1) p`` (``z`` 1 for a reward above 0), with ``r = 1 +
            shift`` and ``1 / (1 + shift)`` (and 4 times the shift). The size of an order
            does not enter, so one large basket cannot make a change, and the threshold is
            a true log-likelihood ratio of the counts (a CUSUM alarms about once per
            ``exp(threshold)`` rewards when the model is right).
        refresh: 0 (off), or ``n`` >= 1: keep fitting. While watching, each next
            ``reference`` rewards are gathered and fitted, and the model watching is the one
            fitted on the ``n``-th last complete reference (1: the last). The sums carry on;
            a message becomes watched, or stops being watched, by the new reference. A slow
            change of the world is then measured against a recent reference only, and a
            message the policy took up after the first fit gets watched; an abrupt change
            must show within about ``n`` references (later, the model has learned it).
    """

    def __init__(self, *, reference: int = 10_000, shift: float = 0.25,
                 threshold: float = 16.0, ridge: float = 0.01, max_columns: int = 64,
                 confirm: int = 1, rises: bool = True, bins: int = 0,
                 min_positive: int = 0, uncertainty: float = 0.0,
                 counts: bool = False, refresh: int = 0) -> None:
        self.reference, self.shift, self.threshold = reference, shift, threshold
        self.ridge, self.max_columns, self.confirm = ridge, max_columns, confirm
        self.rises, self.bins, self.min_positive = rises, bins, min_positive
        self.uncertainty, self.counts, self.refresh = uncertainty, counts, refresh
        self.steps: dict[str, list[float]] = {}  # number -> the edges of its step columns
        self.columns: dict[str, int] = {}
        self.rewards = 0  # rewards taken, in all
        self.fits = 0  # models fitted so far
        self.last_change: RewardChange | None = None
        self.alarms = 0
        self._restart()

    # -- the reference fit -----------------------------------------------------------------------
    def _restart(self) -> None:
        """Gather a new reference (at the start and after each alert)."""
        self.gathered = 0
        self.pending: list[tuple[list, np.ndarray, np.ndarray]] = []  # (contexts, msg, y)
        self.xtx: dict[str, np.ndarray] = {}
        self.xty: dict[str, np.ndarray] = {}
        self.yy: dict[str, float] = {}
        self.count: dict[str, int] = {}  # the model's reference rewards, per message
        self.positive: dict[str, int] = {}  # of them above 0
        self.g_count: dict[str, int] = {}  # the same, of the reference being gathered
        self.g_positive: dict[str, int] = {}
        self.beta: dict[str, np.ndarray] = {}
        self.sd: dict[str, float] = {}
        self.delta: dict[str, float] = {}
        self.mean: dict[str, float] = {}  # the message's mean reward in the reference
        self.sums: dict[str, list[int]] = {}  # the SIDES CUSUMs, in units of 2**-GRID
        # counts: per sum, (answers, expected answers in 2**-GRID) since it last stood at 0
        self.window: dict[str, list[list[int]]] = {}
        self.since: dict[str, list[int]] = {}  # rewards since each sum last stood at 0
        self.seen: dict[str, int] = {}  # rewards watched since the fit
        self.zero_at: dict[str, list[float]] = {}  # time each sum last stood at 0
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.queued: list[dict[str, Any]] = []  # fitted models waiting to watch (refresh > 1)
        # unconfirmed crossings: message -> direction -> [crossings, seen at the first]
        self.crossed: dict[str, dict[str, list[int]]] = {}

    @property
    def phase(self) -> str:
        """``building the reference`` or ``watching``."""
        return "watching" if self.beta else "building the reference"

    def _design(self, contexts: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The model's rows; the first call (the reference's first ``CHUNK`` rows, whatever the
        batches) fixes the columns."""
        if not self.columns:
            for c in contexts:
                for k, v in sorted(c.items()):
                    name = f"{k}={v}" if isinstance(v, str) else k
                    if isinstance(v, bool | int | float | str) and v is not None and \
                            name not in self.columns and len(self.columns) < self.max_columns:
                        self.columns[name] = len(self.columns)
            if self.bins > 1:
                self._set_steps(contexts)
        numbers = [(k, j) for k, j in self.columns.items() if "=" not in k]
        x = np.zeros((len(contexts), self._width()))
        x[:, -1] = 1.0  # the intercept
        if numbers:  # one comprehension per column: a few hundred ns per value
            cols = [j for _, j in numbers]
            try:
                x[:, cols] = np.array([[c.get(k) for k, _ in numbers] for c in contexts],
                                      dtype=np.float64)
            except (TypeError, ValueError):  # a string where a number was: value by value
                x[:, cols] = [[_number(c.get(k)) for k, _ in numbers] for c in contexts]
        for key, values in self._categories().items():
            j = np.array([values.get(v, -1) if isinstance(v := c.get(key), str) else -1
                          for c in contexts], dtype=np.int64)
            rows = np.flatnonzero(j >= 0)
            x[rows, j[rows]] = 1.0
        np.nan_to_num(x, copy=False, nan=0.0, posinf=0.0, neginf=0.0)  # missing: 0
        at = len(self.columns)
        for key, edges in self.steps.items():  # after the numbers: their columns are set
            e = np.asarray(edges)
            x[:, at:at + e.size] = x[:, [self.columns[key]]] > e[None, :]
            at += e.size
        return x

    def _width(self) -> int:
        """Columns of the design: the context's, the steps', the intercept."""
        return len(self.columns) + sum(len(e) for e in self.steps.values()) + 1

    def _set_steps(self, contexts: Sequence[Mapping[str, Any]]) -> None:
        """Each number's step edges: its inner ``bins``-quantiles in these rows, without
        repeats and without the smallest value (a step there is the intercept)."""
        q = np.linspace(0.0, 1.0, self.bins + 1)[1:-1]
        for key in self.columns:
            if "=" in key:
                continue
            v = np.array([_number(c.get(key)) for c in contexts], dtype=np.float64)
            v = v[np.isfinite(v)]
            if v.size:
                edges = np.unique(np.quantile(v, q))
                edges = edges[edges > v.min()]
                if edges.size:
                    self.steps[key] = edges.tolist()

    def _categories(self) -> dict[str, dict[str, int]]:
        """``{key: {value: column}}`` of the one-hot columns."""
        out: dict[str, dict[str, int]] = {}
        for name, j in self.columns.items():
            if "=" in name:
                key, value = name.split("=", 1)
                out.setdefault(key, {})[value] = j
        return out

    def _gather(self, contexts: list, msg: np.ndarray, y: np.ndarray) -> None:
        """Hold the rows; sum them into the normal equations in chunks of ``CHUNK`` counted
        from the reference's start (and the remainder when it is complete)."""
        self.pending.append((contexts, msg, y))
        self.gathered += y.size
        held = sum(p[2].size for p in self.pending)
        if held < CHUNK and self.gathered < self.reference:
            return
        ctx = [c for p in self.pending for c in p[0]]
        msg, y = (np.concatenate([p[i] for p in self.pending]) for i in (1, 2))
        cut = y.size if self.gathered >= self.reference else y.size // CHUNK * CHUNK
        self.pending = [(ctx[cut:], msg[cut:], y[cut:])] if cut < y.size else []
        for lo in range(0, cut, CHUNK):
            part = slice(lo, min(lo + CHUNK, cut))
            self._sum(self._design(ctx[part]), msg[part], y[part])

    def _sum(self, x: np.ndarray, msg: np.ndarray, y: np.ndarray) -> None:
        d = x.shape[1]
        positive = y > 0
        y = self._target(y)
        for m in np.unique(msg).tolist():
            rows = msg == m
            xm, ym = x[rows], y[rows]
            self.xtx[m] = self.xtx.get(m, np.zeros((d, d))) + xm.T @ xm
            self.xty[m] = self.xty.get(m, np.zeros(d)) + xm.T @ ym
            self.yy[m] = self.yy.get(m, 0.0) + float(ym @ ym)
            self.g_count[m] = self.g_count.get(m, 0) + int(rows.sum())
            self.g_positive[m] = self.g_positive.get(m, 0) + int(positive[rows].sum())

    def _target(self, y: np.ndarray) -> np.ndarray:
        """What the model predicts: the reward, or (``counts``) whether it is above 0."""
        return (y > 0).astype(np.float64) if self.counts else y

    def _fit(self) -> None:
        """Solve the gathered reference; the model watches now, or (``refresh`` > 1) after
        the references gathered behind it."""
        params = self._solve()
        self.fits += 1
        # no longer needed: the state stays small
        self.xtx, self.xty, self.yy, self.pending = {}, {}, {}, []
        self.g_count, self.g_positive = {}, {}
        if self.refresh:
            self.gathered = 0
        if not self.beta:
            self._install(params)
        else:
            self.queued.append(params)
            if len(self.queued) >= self.refresh:
                self._install(self.queued.pop(0))
        if not self.beta:  # no message had enough rewards: gather a new reference
            self._restart()

    def _solve(self) -> dict[str, Any]:
        """Each message's ridge on the gathered reference; its residual spread and the CUSUMs'
        step (messages with too few rewards left out)."""
        count, positive = self.g_count, self.g_positive
        sums = {m: float(self.xty[m][-1]) for m in count}  # the intercept's column: sum y
        total = sum(count.values())
        mean_all = sum(sums.values()) / max(total, 1)
        ssr: dict[str, float] = {}
        fitted: dict[str, np.ndarray] = {}
        for m in count:
            a = self.xtx[m]
            penalty = self.ridge * np.diag(a).copy() + 1e-9
            penalty[-1] = 1e-9  # the intercept is not shrunk
            beta = np.linalg.solve(a + np.diag(penalty), self.xty[m])
            ssr[m] = max(self.yy[m] - 2 * beta @ self.xty[m] + beta @ a @ beta, 0.0)
            fitted[m] = beta
        pooled = sum(ssr.values()) / max(total, 1)
        least = min(MIN_REWARDS, self.reference // 10)
        out: dict[str, Any] = {"beta": {}, "sd": {}, "mean": {}, "delta": {},
                               "count": count, "positive": positive}
        for m, n in count.items():
            answers = positive.get(m, 0)
            if n < least or answers < self.min_positive or (self.counts and
                                                           answers < MIN_ANSWERS):
                continue  # too few to know its answer: not watched until the next fit
            out["beta"][m] = fitted[m]
            dof = max(n - min(self._width(), n // 2), 1)
            var = (ssr[m] + least * pooled) / (dof + least)
            out["sd"][m] = math.sqrt(max(var, 1e-12))
            out["mean"][m] = sums[m] / n
            out["delta"][m] = self.shift * max(abs(sums[m] / n), abs(mean_all), 1e-12)
        return out

    def _install(self, params: Mapping[str, Any]) -> None:
        """Watch with this model; a message it still watches carries its sums on."""
        self.beta, self.sd = dict(params["beta"]), dict(params["sd"])
        self.mean, self.delta = dict(params["mean"]), dict(params["delta"])
        self.count, self.positive = dict(params["count"]), dict(params["positive"])
        for m in self.beta:
            if m not in self.sums:
                self.sums[m], self.since[m] = [0] * len(SIDES), [0] * len(SIDES)
                self.seen[m], self.zero_at[m], self.series[m] = 0, [math.nan] * len(SIDES), []
                self.window[m] = [[0, 0] for _ in SIDES]
        for state in (self.sums, self.since, self.seen, self.zero_at, self.series, self.window):
            for m in set(state) - set(self.beta):
                del state[m]

    def _slack(self, m: str) -> float:
        """The allowance message ``m``'s CUSUMs add to half their step, relative to a row's
        level: its reference mean's own error, ``uncertainty / sqrt(c)`` (0 when off)."""
        if self.uncertainty <= 0.0:
            return 0.0
        return self.uncertainty / math.sqrt(max(self.positive.get(m, 0), 1))

    # -- taking rewards --------------------------------------------------------------------------
    def add(self, contexts: Sequence[Mapping[str, Any]], messages: Sequence[str | None],
            values: np.ndarray, times: np.ndarray,
            channels: Sequence[str | None] | None = None) -> list[RewardChange]:
        """Take treatment rewards in log order (shape (n,) each): the rewarded decisions'
        contexts and messages (None: no contact), the values and their arrival times; return the
        changes they complete.

        With ``channels`` (the channel each message went by) the model has a column per
        channel too (:data:`CHANNEL`): a policy that moves a message from one channel to
        another changes how often it is answered for the same customers, and without the
        channel in the model that reads as a change of the answer."""
        if channels is not None:
            contexts = [{**c, CHANNEL: ch} if ch is not None else c
                        for c, ch in zip(contexts, channels, strict=True)]
        y = np.asarray(values, dtype=np.float64)
        t = np.asarray(times, dtype=np.float64)
        msg = np.array(["no_contact" if m is None else m for m in messages], dtype=object)
        changes: list[RewardChange] = []
        i = 0
        while i < y.size:
            if not self.beta:  # gathering: only as many rows as the reference still needs
                take = min(self.reference - self.gathered, y.size - i)
                part = slice(i, i + take)
                self._gather(list(contexts[part]), msg[part], y[part])
                if self.gathered >= self.reference:
                    self._fit()
            else:
                # with refresh, the next model takes over at the reference's last row
                end = y.size if not self.refresh else min(y.size,
                                                          i + self.reference - self.gathered)
                take = end - i
                change = self._watch(contexts[i:end], msg[i:end], y[i:end], t[i:end])
                if change is not None:
                    changes.append(change)
                    take = change.position - self.rewards  # the rows up to the detection
                    if change.confirmed:
                        self._restart()
                        self.rewards += take
                        i += take
                        continue
                if self.refresh:
                    self._gather(list(contexts[i:i + take]), msg[i:i + take], y[i:i + take])
                    if self.gathered >= self.reference:
                        self._fit()
            self.rewards += take
            i += take
        return changes

    def _watch(self, contexts: Sequence[Mapping[str, Any]], msg: np.ndarray, y: np.ndarray,
               t: np.ndarray) -> RewardChange | None:
        """Feed the residuals; the first detection (its position counts every reward taken up
        to and including the detecting one), or None."""
        x = self._design(contexts)
        kept = self._watch_state()
        first = self._feed(x, msg, y, t, y.size)
        if first is None:
            return None
        # the first detection ends the watch: the other messages went on past it, so they are
        # taken back and fed again up to it (as if the batch had ended there)
        self._load_watch_state(kept)
        j, change, m = first
        first = self._feed(x, msg, y, t, j + 1)
        assert first is not None and first[0] == j
        change = first[1]
        position = self.rewards + j + 1  # rewards up to the detection
        confirmed = self._crossing(m, change.direction, float(t[j]))
        if confirmed:
            self.alarms += 1
        self.last_change = RewardChange(change.stream, change.direction, change.at,
                                        change.change_at, change.before, float(change.after),
                                        change.statistic, position, confirmed)
        return self.last_change

    def _feed(self, x: np.ndarray, msg: np.ndarray, y: np.ndarray, t: np.ndarray, n: int
              ) -> tuple[int, RewardChange, str] | None:
        """Feed the first ``n`` rows to their messages' CUSUMs; the first detection (its row,
        the change, the message) or None."""
        first: tuple[int, RewardChange, str] | None = None
        part = msg[:n]
        for m in np.unique(part).tolist():
            if m not in self.beta:
                continue
            rows = np.flatnonzero(part == m)
            pred = (x[rows] * self.beta[m]).sum(axis=1)  # row by row: batch-proof
            found = self._cusum(m, self._target(y[rows]), pred, t[rows])
            if found is not None and (first is None or rows[found[0]] < first[0]):
                first = (int(rows[found[0]]), found[1], m)
        return first

    def _crossing(self, m: str, direction: str, at: float) -> bool:
        """Count a crossing of message ``m``'s threshold; True when it makes an alert (the
        ``confirm``-th within the window), else restart that direction's sums from 0."""
        seen = self.seen[m]
        count, since = self.crossed.setdefault(m, {}).get(direction, [0, seen])
        if count and seen - since > self.count[m]:  # the earlier crossings lapsed
            count, since = 0, seen
        count += 1
        if count >= self.confirm and (self.rises or direction == "drop"):
            self.crossed[m].pop(direction, None)
            return True
        self.crossed[m][direction] = [count, since]
        sign = 1.0 if direction == "rise" else -1.0
        for side, (s, _) in enumerate(SIDES):
            if s == sign:
                self.sums[m][side], self.since[m][side], self.zero_at[m][side] = 0, 0, at
                self.window[m][side] = [0, 0]
        return False

    def _watch_state(self) -> dict[str, Any]:
        """A copy of what :meth:`_cusum` changes."""
        return {"sums": {m: list(v) for m, v in self.sums.items()},
                "since": {m: list(v) for m, v in self.since.items()},
                "zero_at": {m: list(v) for m, v in self.zero_at.items()},
                "seen": dict(self.seen), "series": {m: list(v) for m, v in self.series.items()},
                "window": {m: [list(w) for w in v] for m, v in self.window.items()}}

    def _load_watch_state(self, kept: Mapping[str, Any]) -> None:
        self.sums, self.since, self.zero_at = kept["sums"], kept["since"], kept["zero_at"]
        self.seen, self.series, self.window = kept["seen"], kept["series"], kept["window"]

    def _cusum(self, m: str, target: np.ndarray, pred: np.ndarray, t: np.ndarray
               ) -> tuple[int, RewardChange] | None:
        """The CUSUMs of message ``m`` over what the model predicts (``target``: the rewards,
        or with ``counts`` whether each is above 0) against its predictions ``pred``; the
        first detection (its row) or None. The increments are counted on a grid of
        ``2**-GRID`` in int64, so the sums, and what they detect, do not depend on how the
        rewards were batched."""
        var, base, slack = self.sd[m] ** 2, self.delta[m] / self.shift, self._slack(m)
        limit = round(self.threshold * 2.0 ** GRID)
        sign = np.array([x[0] for x in SIDES])[:, None]
        scale = np.array([x[1] for x in SIDES])[:, None]
        # all CUSUMs at once, (sides, rows)
        if self.counts:
            # the Poisson log-likelihood ratio of a rate r times the predicted one: linear in
            # the prediction, so the raw one is used (a floor, as the level test's, would
            # raise the expected count of a rare answer, and every drop CUSUM with it)
            ratio = np.where(sign > 0, 1.0 + self.shift * scale,
                             1.0 / (1.0 + self.shift * scale))
            hits = target.astype(np.int64)
            llr = hits[None, :] * np.log(ratio) - (ratio - 1.0) * pred[None, :]
        else:
            # a relative change of the row's own prediction, and a spread that grows with it
            # (as counts' does): a policy that sends a message to those likely to answer it
            # raises their rewards' spread, which one spread for all would read as a change
            level = np.maximum(pred, FLOOR * base)
            llr = (sign * (target - pred) - (self.shift * scale / 2 + slack) * level) * (
                self.shift * scale * base / var)
        step = np.rint(llr * 2.0 ** GRID).astype(np.int64)
        w = np.asarray(self.sums[m], dtype=np.int64)[:, None] + np.cumsum(step, axis=1)
        sides = w - np.minimum(np.minimum.accumulate(w, axis=1), 0)
        over = sides > limit
        if self.counts:  # and the reference's own count must not explain it
            window = self._windows(m, sides, hits, np.rint(pred * 2.0 ** GRID).astype(np.int64))
            over &= self._two_sample(m, *window, ratio) > self.threshold
        hit = over.any(axis=1)
        at = np.where(hit, over.argmax(axis=1), target.size).tolist()
        k = min(at)
        end = min(k + 1, target.size)
        zero = sides[:, :end] == 0  # how many rewards since each sum last stood at 0
        last = np.where(zero.any(axis=1), end - 1 - zero[:, ::-1].argmax(axis=1), -1).tolist()
        if self.counts:
            self.window[m] = [[int(window[0][side, end - 1]), int(window[1][side, end - 1])]
                              for side in range(len(SIDES))]
        for side, z in enumerate(last):
            if z >= 0:
                self.since[m][side] = end - 1 - z
                self.zero_at[m][side] = float(t[z])
            else:
                self.since[m][side] += end
        self.sums[m] = sides[:, end - 1].tolist()
        seen = self.seen[m] + np.arange(1, end + 1)  # a point every EVERY rewards: batch-proof
        points = np.flatnonzero(seen % EVERY == 0)
        if points.size:
            top = sides[:, points].max(axis=0) / 2.0 ** GRID
            self.series[m] += zip(t[points].tolist(), top.tolist(), strict=True)
            del self.series[m][:-HISTORY]
        self.seen[m] += end
        if k == target.size:
            return None
        side = at.index(k)
        sign_k, scale_k = SIDES[side]
        change_at = self.zero_at[m][side]
        if math.isnan(change_at):
            change_at = float(t[0])
        statistic = self.sums[m][side] / 2.0 ** GRID
        before = self.mean[m]
        if self.counts:  # the window's answers against what the model expected of them
            hits_w, expected = self.window[m][side]
            moved = before * (hits_w / max(expected / 2.0 ** GRID, 1e-12) - 1.0)
        else:
            # the sum since the last 0 is the log-likelihood ratio of those n rewards: their
            # mean residual, back from it (up: sum (e - d/2) d / var; down: sum (-e - d/2) d /
            # var, with d the step at the message's mean level)
            weight = self.shift * scale_k * base / var
            delta = self.delta[m] * scale_k
            n = max(self.since[m][side], 1)
            moved = sign_k * (statistic / weight / n + delta / 2 + slack * base)
        change = RewardChange(f"response/message={m}", "rise" if sign_k > 0 else "drop",
                              float(t[k]),
                              change_at, before, before + moved, statistic / self.threshold, 0)
        return k, change

    def _windows(self, m: str, sides: np.ndarray, hits: np.ndarray, expected: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """For each sum and row, (answers, expected answers in units of ``2**-GRID``) over the
        rewards since that sum last stood at 0, counting those before this batch."""
        idx = np.arange(sides.shape[1])
        lz = np.maximum.accumulate(np.where(sides == 0, idx, -1), axis=1)
        out = []
        for j, values in enumerate((hits, expected)):
            c = np.cumsum(values)
            carried = np.array([w[j] for w in self.window[m]], dtype=np.int64)[:, None]
            out.append(np.where(lz >= 0, c[None, :] - c[np.maximum(lz, 0)],
                                carried + c[None, :]))
        return out[0], out[1]

    def _two_sample(self, m: str, hits: np.ndarray, expected: np.ndarray,
                    ratio: np.ndarray) -> np.ndarray:
        """The log-likelihood ratio of ``hits`` answers where the model expected
        ``expected``: a rate ``ratio`` times the reference's against the same, with the
        reference's rate itself known only from its ``c`` answers (a gamma of shape and rate
        ``c + 1/2``; the counts then follow a negative binomial). With a reference of a
        handful of answers the same window weighs far less than against a known rate."""
        # the model's answers on its reference, c, and its expected answers there, also c
        # (the intercept is not shrunk, so the fit's predictions sum to the answers)
        a = self.positive.get(m, 0) + 0.5
        e = np.maximum(expected / 2.0 ** GRID, 0.0)
        return (a + hits) * np.log((a + e) / (a + ratio * e)) + hits * np.log(ratio)

    # -- reading ---------------------------------------------------------------------------------
    def statistics(self) -> dict[str, float]:
        """Each watched message's larger CUSUM, in threshold units (1 detects)."""
        return {f"response/message={m}": max(self.sums[m]) / 2.0 ** GRID / self.threshold
                for m in self.beta}

    def snapshot(self) -> dict[str, Any]:
        """The phase, the fits, the test (``count``: each message's answers against the
        model's expected answers; ``level``: its rewards' level, ``counts`` off), and per
        watched message its reference's rewards and answers, its statistic, and the level
        test's spread and step."""
        return {"phase": self.phase, "fits": self.fits, "gathered": self.gathered,
                "reference": self.reference, "threshold": self.threshold,
                "shift": self.shift, "alarms": self.alarms,
                "test": "count" if self.counts else "level",
                "last_change": None if self.last_change is None else vars(self.last_change),
                "messages": [{"name": f"response/message={m}", "rewards": self.count[m],
                              "answers": self.positive.get(m, 0),
                              "statistic": max(self.sums[m]) / 2.0 ** GRID / self.threshold,
                              "sd": self.sd[m], "delta": self.delta[m],
                              "series": [{"t": a, "statistic": b / self.threshold}
                                         for a, b in self.series[m]]}
                             for m in sorted(self.beta)]}

    # -- saving ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The whole state, JSON-ready (the reference's sums while gathering: d x d floats per
        message)."""
        def arrays(d: dict[str, np.ndarray]) -> dict[str, list]:
            return {k: v.tolist() for k, v in d.items()}
        return {"columns": self.columns, "rewards": self.rewards, "fits": self.fits,
                "alarms": self.alarms, "gathered": self.gathered,
                # the rows not yet summed, as one batch whatever batches they came in
                "pending": [[[c for p in self.pending for c in p[0]],
                             [m for p in self.pending for m in p[1].tolist()],
                             [v for p in self.pending for v in p[2].tolist()]]]
                if self.pending else [],
                "last_change": None if self.last_change is None else vars(self.last_change),
                "xtx": arrays(self.xtx), "xty": arrays(self.xty), "yy": self.yy,
                "count": self.count, "positive": self.positive,
                "g_count": self.g_count, "g_positive": self.g_positive,
                "beta": arrays(self.beta), "sd": self.sd,
                "delta": self.delta, "mean": self.mean, "sums": self.sums,
                "since": self.since, "seen": self.seen, "zero_at": self.zero_at,
                "window": self.window,
                "series": self.series, "crossed": self.crossed, "steps": self.steps,
                "queued": [{k: arrays(v) if k == "beta" else v for k, v in q.items()}
                           for q in self.queued]}

    def load(self, s: Mapping[str, Any]) -> None:
        """Restore what :meth:`to_dict` saved."""
        def arrays(d: Mapping[str, list]) -> dict[str, np.ndarray]:
            return {k: np.asarray(v, dtype=np.float64) for k, v in d.items()}
        self.columns = {k: int(v) for k, v in s["columns"].items()}
        self.rewards, self.fits = int(s["rewards"]), int(s["fits"])
        self.alarms, self.gathered = int(s["alarms"]), int(s["gathered"])
        self.pending = [(list(c), np.array(m, dtype=object), np.asarray(y, dtype=np.float64))
                        for c, m, y in s["pending"]]
        lc = s["last_change"]
        self.last_change = None if lc is None else RewardChange(**lc)
        self.xtx, self.xty = arrays(s["xtx"]), arrays(s["xty"])
        self.yy = {k: float(v) for k, v in s["yy"].items()}
        self.count = {k: int(v) for k, v in s["count"].items()}
        self.positive = {k: int(v) for k, v in s.get("positive", {}).items()}
        # a state saved before the two were apart held the gathered counts in count
        gathering = not s["beta"]
        self.g_count = {k: int(v) for k, v in s.get(
            "g_count", self.count if gathering else {}).items()}
        self.g_positive = {k: int(v) for k, v in s.get(
            "g_positive", self.positive if gathering else {}).items()}
        self.beta = arrays(s["beta"])
        self.sd = {k: float(v) for k, v in s["sd"].items()}
        self.delta = {k: float(v) for k, v in s["delta"].items()}
        self.mean = {k: float(v) for k, v in s["mean"].items()}
        self.sums = {k: [int(a) for a in v] for k, v in s["sums"].items()}
        self.since = {k: [int(a) for a in v] for k, v in s["since"].items()}
        self.seen = {k: int(v) for k, v in s["seen"].items()}
        self.window = {k: [[int(a) for a in w] for w in v]
                       for k, v in s.get("window", {m: [[0, 0] for _ in SIDES]
                                                    for m in self.sums}).items()}
        self.zero_at = {k: [float(a) for a in v] for k, v in s["zero_at"].items()}
        self.series = {k: [(float(a), float(b)) for a, b in v] for k, v in s["series"].items()}
        self.steps = {k: [float(a) for a in v] for k, v in s.get("steps", {}).items()}
        self.crossed = {k: {d: [int(a) for a in c] for d, c in v.items()}
                        for k, v in s.get("crossed", {}).items()}
        self.queued = [{"beta": arrays(q["beta"]),
                        **{k: {m: float(x) for m, x in q[k].items()}
                           for k in ("sd", "mean", "delta")},
                        **{k: {m: int(x) for m, x in q[k].items()}
                           for k in ("count", "positive")}} for q in s.get("queued", [])]
