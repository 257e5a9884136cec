"""A policy's value estimated progressively on a live log, one logged decision at a time.

For each logged decision the caller gives the logged action, its logged propensity, the reward
and the target policy's distribution over the actions, taken *before* the target learns that
decision (progressive validation: every row is out of sample for the target). The value is
estimated two ways, with intervals: IPS, and DR whose reward model is each action's running mean
reward over the rows before (it never sees the row it predicts, so DR stays unbiased whenever the
propensities are right; the means only cut variance).

Rows are buffered and folded into :class:`~ope.estimators.accumulator.Accumulator` s in blocks,
so a row costs a few array writes. Blocks of ``block_rows`` rows are kept apart (and merged when
there are more than ``max_blocks``), so a value can also be read over the recent rows only
(:meth:`ProgressiveValue.results` with ``since``): two targets are compared on the same rows even
if one of them joined late. The whole state is plain numbers (:meth:`to_state`), checkpointed as
JSON; the rows a later reward may still correct (:meth:`correct`) come apart, as arrays
(:meth:`kept_rows`, :meth:`restore_kept_rows`).

Example:
    >>> import numpy as np
    >>> v = ProgressiveValue(n_actions=2)
    >>> for i in range(200):
    ...     a = i % 2                     # a uniform logger; action 1 pays 1, action 0 pays 0
    ...     v.add(i + 1, a, 0.5, float(a), np.array([0.0, 1.0]))
    >>> r = v.results()
    >>> round(r["ips"].value, 2), round(r["dr"].value, 2), r["dr"].n
    (1.0, 1.0, 200)
    >>> ProgressiveValue.from_state(v.to_state()).results()["ips"].value == r["ips"].value
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ope.errors import OPEInputError
from ope.estimators.accumulator import Accumulator
from ope.estimators.dr import DoublyRobust
from ope.estimators.dr_cv import ControlVariateDR
from ope.estimators.input_checks import LoggedBatch
from ope.estimators.ips import IPS
from ope.estimators.moments import Moments
from ope.estimators.protocol import Estimator
from ope.estimators.result import OPEResult

__all__ = ["CORRECTABLE_ROWS", "PROGRESSIVE_ESTIMATORS", "ProgressiveValue"]

#: Rows whose reward :meth:`ProgressiveValue.correct` can still replace (seven numbers each).
CORRECTABLE_ROWS = 65536

_ESTIMATORS: dict[str, Estimator] = {"ips": IPS(), "dr": DoublyRobust(),
                                     "dr_cv": ControlVariateDR()}
#: The estimates a :class:`ProgressiveValue` keeps, by name: what the engine's switch rule may
#: read (``SelectionSettings.estimator``) and what ``stats()`` shows per candidate.
PROGRESSIVE_ESTIMATORS: tuple[str, ...] = tuple(_ESTIMATORS)


class _Block:
    """The accumulators of the rows from ``start_seq`` on (until the next block)."""

    def __init__(self, start_seq: int, n_actions: int) -> None:
        self.start_seq = start_seq
        self.accs = {k: Accumulator(e, n_actions) for k, e in _ESTIMATORS.items()}

    @property
    def n(self) -> int:
        m = self.accs["ips"].moments
        return 0 if m is None else m.n


class ProgressiveValue:
    """IPS and DR of one target policy over a live log (see the module docstring).

    Args:
        n_actions: K, the catalog's actions (distributions are over all K, zero where not
            eligible).
        block_rows: rows per block (the granularity of ``since``).
        max_blocks: blocks kept apart; older ones are merged into the first.
        buffer_rows: rows buffered before they are folded in (a read folds them too).
    """

    def __init__(self, n_actions: int, block_rows: int = 1000, max_blocks: int = 64,
                 buffer_rows: int = 64, correctable_rows: int = CORRECTABLE_ROWS) -> None:
        if n_actions < 1:
            raise OPEInputError(f"n_actions: expected an integer >= 1, got {n_actions!r}")
        self.n_actions, self.block_rows, self.max_blocks = n_actions, block_rows, max_blocks
        self._blocks: list[_Block] = []
        self._sum = np.zeros(n_actions)  # the reward model: per-action sums and counts
        self._count = np.zeros(n_actions)
        k, b = n_actions, buffer_rows
        self._seq = np.zeros(b, dtype=np.int64)
        self._a = np.zeros(b, dtype=np.int64)
        self._p = np.ones(b)
        self._r = np.zeros(b)
        self._t = np.zeros((b, k))
        self._q = np.zeros((b, k))
        self._n = 0
        self._kept = _KeptRows(correctable_rows)

    @property
    def n(self) -> int:
        """Rows added so far."""
        return sum(b.n for b in self._blocks) + self._n

    def add(self, seq: int, action: int, propensity: float, reward: float,
            target: np.ndarray) -> None:
        """One logged decision: its sequence number (increasing), the logged action, its logged
        propensity in (0, 1], the reward, and the target's (K,) distribution before learning it.
        """
        if not 0.0 < propensity <= 1.0:
            raise OPEInputError(f"propensity: expected a number in (0, 1], got {propensity!r}")
        i = self._n
        self._seq[i], self._a[i], self._p[i], self._r[i] = seq, action, propensity, reward
        self._t[i] = target
        self._q[i] = self._sum / np.maximum(self._count, 1.0)
        self._sum[action] += reward
        self._count[action] += 1.0
        self._n += 1
        if self._n == self._seq.size:
            self._fold()

    def correct(self, seq: int, reward: float) -> bool:
        """Give the decision added as row ``seq`` the reward ``reward`` in place of the one it
        was added with (a conversion that came after the engine's provisional 0): the row's
        terms are recomputed with the target and reward model it was scored on, so the
        decision still counts once, scored before the target learned it. False, changing
        nothing, when the row is no longer kept (the rows still buffered are, and the last
        ``correctable_rows`` folded in; not those scored before a restart: the caller then
        adds the correction as a row of its own).

        Example:
            >>> v = ProgressiveValue(n_actions=2)
            >>> v.add(1, 1, 0.5, 0.0, np.array([0.0, 1.0]))
            >>> v.add(2, 1, 0.5, 1.0, np.array([0.0, 1.0]))
            >>> v.correct(1, 1.0), v.n, v.results()["ips"].value
            (True, 2, 2.0)
        """
        buffered = np.flatnonzero(self._seq[:self._n] == seq)
        if buffered.size:  # not folded in yet: its reward is still to be read, and kept
            i = buffered[0]
            self._sum[self._a[i]] += reward - self._r[i]
            self._r[i] = reward
            return True
        kept = self._kept
        slot = kept.slot(seq)
        if slot is None:
            return False
        rows = kept.rows(slot, reward)
        block = next(b for b in reversed(self._blocks) if b.start_seq <= seq)
        for acc in block.accs.values():
            if acc.moments is not None:
                acc.replace_row(rows)
        self._sum[kept.action[slot]] += reward - kept.reward[slot]
        kept.reward[slot] = reward
        return True

    def _fold(self) -> None:
        n, self._n = self._n, 0
        a_all = self._a[:n]
        w_all = self._t[np.arange(n), a_all] / self._p[:n]  # the rows' weights, once for both
        self._keep(n, w_all)
        start = 0
        while start < n:
            block = self._block_for(int(self._seq[start]))
            # rows until this block is full
            room = self.block_rows - block.n
            stop = min(n, start + max(room, 1))
            rows = slice(start, stop)
            a, t = self._a[rows], self._t[rows]
            batch = LoggedBatch(self._r[rows].copy(), a.copy(), self._p[rows].copy(), t.copy(),
                                self._q[rows].copy(), w_all[rows])
            mass = t.sum(axis=0)
            for acc in block.accs.values():
                acc.add_validated(batch, mass)
            start = stop

    def _keep(self, n: int, w: np.ndarray) -> None:
        """Keep the first ``n`` buffered rows' terms for :meth:`correct` (``w`` their weights),
        as the estimators compute them from the batch."""
        a, t, q = self._a[:n], self._t[:n], self._q[:n]
        terms = np.column_stack([self._p[:n], w, np.einsum("ij,ij->i", t, q),
                                 q[np.arange(n), a]])
        self._kept.put_many(self._seq[:n], a, terms, self._r[:n])

    def _block_for(self, seq: int) -> _Block:
        if not self._blocks or self._blocks[-1].n >= self.block_rows:
            self._blocks.append(_Block(seq, self.n_actions))
            if len(self._blocks) > self.max_blocks:
                first, second = self._blocks[0], self._blocks.pop(1)
                for k in first.accs:
                    first.accs[k] = first.accs[k] + second.accs[k]
        return self._blocks[-1]

    def results(self, since: int = 0, alpha: float = 0.05) -> dict[str, OPEResult] | None:
        """``{"ips": ..., "dr": ...}`` over the rows of the blocks that start at or after
        ``since`` (every row with the default); None before any such row."""
        if self._n:
            self._fold()
        blocks = [b for b in self._blocks if b.start_seq >= since and b.n]
        if not blocks:
            return None
        out = {}
        for k in _ESTIMATORS:
            acc = blocks[0].accs[k]
            for b in blocks[1:]:
                acc = acc + b.accs[k]
            if acc.moments is not None:  # None: blocks from a state before ``k`` was kept
                out[k] = acc.get(alpha)
        return out

    # -- state ---------------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        """Every number of the estimate, JSON-ready (buffered rows are folded first)."""
        if self._n:
            self._fold()
        return {"n_actions": self.n_actions, "block_rows": self.block_rows,
                "max_blocks": self.max_blocks, "correctable_rows": self._kept.size,
                "sum": self._sum.tolist(),
                "count": self._count.tolist(),
                "blocks": [{"start_seq": b.start_seq,
                            **{k: _acc_state(a) for k, a in b.accs.items()}}
                           for b in self._blocks]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ProgressiveValue:
        """The estimate :meth:`to_state` wrote."""
        v = cls(int(state["n_actions"]), int(state["block_rows"]), int(state["max_blocks"]),
                correctable_rows=int(state.get("correctable_rows", CORRECTABLE_ROWS)))
        v._sum = np.asarray(state["sum"], dtype=np.float64)
        v._count = np.asarray(state["count"], dtype=np.float64)
        for b in state["blocks"]:
            block = _Block(int(b["start_seq"]), v.n_actions)
            for k in block.accs:
                if k in b:  # a state written before an estimator joined: empty until new rows
                    _load_acc(block.accs[k], b[k])
            v._blocks.append(block)
        return v

    def kept_rows(self) -> dict[str, np.ndarray]:
        """The rows :meth:`correct` can still replace, oldest first, as arrays (``seq``,
        ``action``, ``terms``, ``reward``): what a checkpoint saves beside :meth:`to_state`,
        so that a conversion after a restart still replaces its row (buffered rows are folded
        first)."""
        if self._n:
            self._fold()
        return self._kept.to_arrays()

    def restore_kept_rows(self, arrays: dict[str, np.ndarray]) -> None:
        """Keep the rows :meth:`kept_rows` gave (the estimate's own, restored by
        :meth:`from_state` at the same checkpoint), before any row is added.

        Raises:
            OPEInputError: the arrays are not rows as :meth:`kept_rows` writes them.
        """
        if self.n_kept:  # counts the buffered rows too
            raise OPEInputError("kept rows: expected an estimate with no row added since "
                                "its state was restored")
        self._kept.put_many(*_checked_rows(arrays))

    @property
    def n_kept(self) -> int:
        """Rows :meth:`correct` can replace: those kept as they were folded in, and the ones
        still buffered."""
        return self._kept.n + self._n


class _KeptRows:
    """The last ``size`` rows' terms, in the order added (sequence numbers increasing), so that
    a later reward can replace a row's (:meth:`ProgressiveValue.correct`): per row its logged
    action and propensity, weight ``w``, the reward model's value of the target ``direct`` and
    of the logged action ``q``, and its reward, written as the rows are folded in (the terms
    as the estimators computed them, in one vectorised write). Seven numbers a row; the arrays
    grow to ``size`` rows as rows come (56 bytes a row: 3.7 MB at 65,536). Not in
    :meth:`ProgressiveValue.to_state` (JSON): a caller that checkpoints saves
    :meth:`ProgressiveValue.kept_rows` as arrays beside it (the engine does, since stop 49)."""

    def __init__(self, size: int) -> None:
        self.size = max(int(size), 1)
        n = min(self.size, 1024)
        self.seq = np.full(n, -1, dtype=np.int64)
        self.action = np.zeros(n, dtype=np.int64)
        self.terms = np.zeros((n, 4))  # propensity, w, direct, q
        self.reward = np.zeros(n)
        self._head = 0  # the next slot written: the oldest row once every slot is used

    def put_many(self, seq: np.ndarray, action: np.ndarray, terms: np.ndarray,
                 reward: np.ndarray) -> None:
        """Keep rows (sequence numbers increasing, after every row kept), ``terms`` (n, 4):
        propensity, w, direct, q; the oldest go once every slot is used."""
        start, n = 0, len(seq)
        while start < n:
            i = self._head
            if i == self.seq.size:  # every slot used: grow while below ``size``, else wrap
                if i < self.size:
                    self._grow(min(2 * i, self.size))
                else:
                    i = 0
            stop = start + min(n - start, self.seq.size - i)
            into, src = slice(i, i + stop - start), slice(start, stop)
            self.seq[into], self.action[into] = seq[src], action[src]
            self.terms[into], self.reward[into] = terms[src], reward[src]
            self._head, start = into.stop, stop

    @property
    def n(self) -> int:
        """Rows kept (slots never written hold seq -1)."""
        return int(np.count_nonzero(self.seq >= 0))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The kept rows, oldest first (copies)."""
        order = np.r_[self._head:self.seq.size, 0:self._head]
        order = order[self.seq[order] >= 0]
        return {"seq": self.seq[order], "action": self.action[order],
                "terms": self.terms[order], "reward": self.reward[order]}

    def _grow(self, n: int) -> None:
        extra = n - self.seq.size
        self.seq = np.concatenate([self.seq, np.full(extra, -1, dtype=np.int64)])
        self.action = np.concatenate([self.action, np.zeros(extra, dtype=np.int64)])
        self.terms = np.concatenate([self.terms, np.zeros((extra, 4))])
        self.reward = np.concatenate([self.reward, np.zeros(extra)])

    def slot(self, seq: int) -> int | None:
        """Where row ``seq`` is kept, or None. The slots from the head on and those before it
        are each in the order added."""
        h = self._head  # at the arrays' end until they wrap: then one segment only
        for lo, hi in ((h, self.seq.size), (0, h)):
            i = lo + int(np.searchsorted(self.seq[lo:hi], seq))
            if i < hi and self.seq[i] == seq:
                return i
        return None

    def rows(self, i: int, reward: float) -> LoggedBatch:
        """Slot ``i``'s row twice, with its reward and with ``reward``. The estimators read a
        row's weight, reward, ``direct`` and ``q`` only, so two action columns carry them: the
        logged action's and one that makes up the rest of ``direct``."""
        p, w, direct, q = self.terms[i]
        return LoggedBatch(np.array([self.reward[i], reward]), np.zeros(2, dtype=np.int64),
                           np.full(2, p), np.ones((2, 2)), np.tile([q, direct - q], (2, 1)),
                           np.full(2, w))


def _checked_rows(arrays: dict[str, np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``seq``, ``action``, ``terms``, ``reward`` of saved kept rows, checked."""
    try:
        seq = np.asarray(arrays["seq"], dtype=np.int64)
        action = np.asarray(arrays["action"], dtype=np.int64)
        terms = np.asarray(arrays["terms"], dtype=np.float64)
        reward = np.asarray(arrays["reward"], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise OPEInputError(f"kept rows: expected arrays seq, action, terms and reward: "
                            f"{exc!r}") from exc
    n = seq.shape[0] if seq.ndim == 1 else -1
    if (n < 0 or action.shape != (n,) or terms.shape != (n, 4) or reward.shape != (n,)
            or np.any(np.diff(seq) <= 0)):
        raise OPEInputError(f"kept rows: expected n rows in increasing seq, (n, 4) terms; got "
                            f"seq {seq.shape}, action {action.shape}, terms {terms.shape}, "
                            f"reward {reward.shape}")
    return seq, action, terms, reward


def _acc_state(acc: Accumulator) -> dict[str, Any]:
    m = acc.moments
    return {"n": 0 if m is None else m.n,
            "mean": [] if m is None else m.mean.tolist(),
            "comoment": [] if m is None else m.comoment.tolist(),
            "sum_w": acc.sum_w, "sum_w2": acc.sum_w2, "max_w": acc.max_w,
            "seen": np.flatnonzero(acc.seen).tolist(), "target_mass": acc.target_mass.tolist()}


def _load_acc(acc: Accumulator, s: dict[str, Any]) -> None:
    if s["n"]:
        acc.moments = Moments(int(s["n"]), np.asarray(s["mean"], dtype=np.float64),
                              np.asarray(s["comoment"], dtype=np.float64))
    acc.sum_w, acc.sum_w2, acc.max_w = float(s["sum_w"]), float(s["sum_w2"]), float(s["max_w"])
    acc.seen[np.asarray(s["seen"], dtype=np.int64)] = True
    acc.target_mass = np.asarray(s["target_mass"], dtype=np.float64)
