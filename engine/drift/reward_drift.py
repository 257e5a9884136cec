"""Reward drift: a Page-Hinkley test on the block means of one stream of rewards.

Rewards are taken in the order they are logged (late ones arrive when they arrive) and grouped
into blocks of ``block`` rewards. The first ``warmup_blocks`` blocks give the stream's mean and
per-reward standard deviation; every block mean is then standardised by them (z-scores of block
means, close to normal even when rewards are rare large conversions) and fed to
:class:`~engine.drift.page_hinkley.PageHinkley`. Its ``delta`` is half the smallest relative
change worth detecting (``shift`` of the warm-up mean, in z units) and ``threshold`` is a
log-likelihood ratio: the test's sums, times ``2 * delta``, are the log-likelihood ratio of "the
mean moved by ``2 * delta``" against "it did not" (Gaussian CUSUM), so the threshold in z units
is ``threshold / (2 * delta)``. Expressed so, the false-alarm rate hardly depends on how noisy
the rewards are (about one per ``exp(threshold) / (2 * delta**2)`` blocks, Siegmund's
approximation) and one setting fits 0/1 clicks and revenue in euros alike. After a detection
the stream warms up again on the new level.

Example:
    >>> rng = np.random.default_rng(0)
    >>> s = RewardStream("treatment", block=100, warmup_blocks=10, shift=0.3, threshold=10.0)
    >>> before, after = rng.binomial(1, 0.2, 3000), rng.binomial(1, 0.1, 5000)
    >>> changes = s.add(np.concatenate([before, after]).astype(float), np.arange(8000.0))
    >>> [(c.direction, c.change_at, c.at, round(c.before, 2)) for c in changes]
    [('drop', 2999.0, 3399.0, 0.2)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.drift.page_hinkley import PageHinkley

__all__ = ["RewardChange", "RewardStream"]

HISTORY = 300  # block means kept per stream for the dashboard's chart


@dataclass(frozen=True)
class RewardChange:
    """A detected change of a stream's mean reward.

    Attributes:
        stream: the stream's name (``holdout``, ``treatment``, ``treatment/channel=<c>``...).
        direction: ``"rise"`` or ``"drop"``.
        at: arrival time (epoch s) of the last reward of the block that completed the detection.
        change_at: arrival time of the last reward before the estimated change point.
        before: mean of the block means from the stream's last warm-up to the change point.
        after: mean of the block means from the change point to the detection.
        statistic: the Page-Hinkley statistic at detection, in threshold units (> 1).
        position: blocks the stream has completed in all (a replay finds the same position).
        confirmed: False for a response stream's first crossing still waiting for its
            confirmation (a ``warn``; ``engine/drift/response_drift.py``); True otherwise.
    """

    stream: str
    direction: str
    at: float
    change_at: float
    before: float
    after: float
    statistic: float
    position: int
    confirmed: bool = True


class RewardStream:
    """One stream of rewards watched for a change in its mean (see the module docstring).

    Args:
        name: what the stream holds.
        block: rewards per block.
        warmup_blocks: blocks that set the reference mean and spread after a start or a change.
        shift: the smallest relative change of the mean worth detecting (0.2 = 20 %).
        threshold: the detection threshold, as a log-likelihood ratio (see the module
            docstring).
        mode: which changes to detect: ``"both"``, ``"drop"`` or ``"rise"``.
        memory: blocks the detector's reference mean remembers (0: every block since the last
            warm-up).
    """

    def __init__(self, name: str, *, block: int, warmup_blocks: int, shift: float,
                 threshold: float, mode: str = "both", memory: int = 0) -> None:
        self.name, self.block, self.warmup_blocks = name, block, warmup_blocks
        self.shift, self.threshold = shift, threshold
        self.mode, self.memory = mode, memory
        self.pending = np.empty(0)
        self.blocks = 0  # completed blocks, in all
        self.history: list[tuple[float, float]] = []  # (time of last reward, block mean)
        self.alarms = 0
        self.last_change: RewardChange | None = None
        self._restart()

    def _restart(self) -> None:
        self.warm: list[tuple[float, float, float]] = []  # (mean, sum of squares, time)
        self.constant = False
        self.mu = self.sd_block = math.nan
        self.ph: PageHinkley | None = None
        self.sum_since = 0.0  # block means fed to the detector, summed
        self.mark_rise = self.mark_drop = (math.nan, 0.0, 1)  # (time, sum_since, n) there

    @property
    def state(self) -> str:
        """``warming up`` (collecting the reference), ``constant`` (no spread to standardise
        by yet), ``watching``, or ``rise detected`` / ``drop detected`` (the last block)."""
        if self.ph is None:
            return "constant" if self.constant else "warming up"
        if self.ph.detected:
            return f"{self.ph.direction} detected"
        return "watching"

    def statistic(self) -> float:
        """The larger Page-Hinkley statistic, in threshold units (0 while warming up)."""
        if self.ph is None:
            return 0.0
        return max(self.ph.statistics()) / self.ph.threshold

    def add(self, values: np.ndarray, times: np.ndarray) -> list[RewardChange]:
        """Take rewards (shape (n,)) in log order with their arrival times; return the changes
        that the blocks they complete detect."""
        v = np.concatenate([self.pending, np.asarray(values, dtype=np.float64)])
        t = np.asarray(times, dtype=np.float64)
        full = v.size // self.block
        self.pending = v[full * self.block:]
        if full == 0:
            return []
        blocks = v[: full * self.block].reshape(full, self.block)
        means = blocks.mean(axis=1)
        squares = ((blocks - means[:, None]) ** 2).sum(axis=1)
        # the last reward of each block: count back from the end of this call's times
        ends = t.size - self.pending.size - self.block * np.arange(full - 1, -1, -1) - 1
        last = t[np.clip(ends, 0, max(t.size - 1, 0))] if t.size else np.zeros(full)
        changes = []
        for m, ss, at in zip(means.tolist(), squares.tolist(), last.tolist(), strict=True):
            self.blocks += 1
            self.history.append((at, m))
            change = self._take(m, ss, at)
            if change is not None:
                changes.append(change)
        del self.history[:-HISTORY]
        return changes

    def _take(self, mean: float, squares: float, at: float) -> RewardChange | None:
        if self.ph is None:
            self.warm.append((mean, squares, at))
            if len(self.warm) >= self.warmup_blocks:
                self._start()
            return None
        if self.ph.detected:  # the block after a detection starts the new warm-up
            self._restart()
            return self._take(mean, squares, at)
        return self._feed(mean, at)

    def _start(self) -> None:
        means = np.array([w[0] for w in self.warm])
        n = self.block * means.size
        mu = float(means.mean())
        var = (sum(w[1] for w in self.warm) + self.block * float(((means - mu) ** 2).sum())) / n
        if var <= 0.0:  # nothing varies (say, a holdout that never converts): keep waiting
            del self.warm[: -self.warmup_blocks + 1 or None]
            self.constant = True
            return
        self.constant = False
        self.mu, self.sd_block = mu, math.sqrt(var / self.block)
        scale = max(abs(mu), math.sqrt(var) / 10)  # a mean of 0 has no relative change
        delta = self.shift * scale / 2 / self.sd_block
        self.ph = PageHinkley(delta=delta, threshold=self.threshold / (2 * delta),
                              min_instances=self.warmup_blocks, mode=self.mode,
                              mean_memory=self.memory)
        for m, _, at in self.warm:  # the warm-up blocks are the detector's first values
            self._feed(m, at)
        self.warm = []

    def _feed(self, mean: float, at: float) -> RewardChange | None:
        ph = self.ph
        assert ph is not None
        detected = ph.update((mean - self.mu) / self.sd_block)
        self.sum_since += mean
        # where each sum's extreme stands: the change begins after that block
        if ph.at_min_rise == ph.n:
            self.mark_rise = (at, self.sum_since, ph.n)
        if ph.at_max_drop == ph.n:
            self.mark_drop = (at, self.sum_since, ph.n)
        if not detected:
            return None
        self.alarms += 1
        change_at, total, n = self.mark_rise if ph.direction == "rise" else self.mark_drop
        after = (self.sum_since - total) / max(ph.n - n, 1)
        self.last_change = RewardChange(self.name, str(ph.direction), at, change_at, total / n,
                                        after, self.statistic(), self.blocks)
        return self.last_change

    # -- saving ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The stream's state, JSON-ready."""
        return {"pending": self.pending.tolist(), "blocks": self.blocks,
                "history": self.history, "alarms": self.alarms,
                "last_change": None if self.last_change is None else vars(self.last_change),
                "warm": self.warm, "constant": self.constant, "mu": self.mu,
                "sd_block": self.sd_block,
                "ph": None if self.ph is None else {**self.ph.to_dict(), "delta": self.ph.delta},
                "sum_since": self.sum_since, "mark_rise": self.mark_rise,
                "mark_drop": self.mark_drop}

    def load(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`to_dict` saved (with this stream's settings)."""
        self.pending = np.asarray(state["pending"], dtype=np.float64)
        self.blocks, self.alarms = int(state["blocks"]), int(state["alarms"])
        self.history = [(float(a), float(b)) for a, b in state["history"]]
        lc = state["last_change"]
        self.last_change = None if lc is None else RewardChange(**lc)
        self.warm = [tuple(w) for w in state["warm"]]
        self.constant = bool(state["constant"])
        self.mu, self.sd_block = float(state["mu"]), float(state["sd_block"])
        ph = state["ph"]
        self.ph = None if ph is None else PageHinkley.from_dict(
            ph, delta=ph["delta"], threshold=self.threshold / (2 * ph["delta"]),
            min_instances=self.warmup_blocks, mode=self.mode, mean_memory=self.memory)
        self.sum_since = float(state["sum_since"])
        self.mark_rise = tuple(state["mark_rise"])
        self.mark_drop = tuple(state["mark_drop"])
