"""Context drift: per feature, the population stability index of a recent window of decisions
against a reference window.

The reference is the first ``reference_size`` decisions after ``warmup`` (or after the last
re-anchoring). From it each feature gets its kind and its bins: a number gets the reference's
quantile bins (``bins`` of them, fewer for a discrete number), a string or a bool its
``max_categories`` most frequent values plus ``other``; every feature has a ``missing`` bin too.
Keys holding lists or mappings (``consent``) are not watched, nor those in ``ignore``.

Decisions are then counted per bin in blocks of ``block`` decisions (one ``np.bincount`` per
block for every feature at once); the recent window is the last ``window // block`` blocks, and
each completed block re-evaluates PSI over the full window (and a chi-square test for
categories). A feature's level is ``ok``, ``warn`` (PSI >= ``psi_warn``) or ``alert``
(PSI >= ``psi_alert``); a change of level is reported once, as a :class:`FeatureChange`. When a
feature reaches ``alert`` the reference is re-anchored: the next ``reference_size`` decisions
become the new normal, so each shift is reported once and the next one is measured from it.

Example:
    >>> rng = np.random.default_rng(0)
    >>> drift = ContextDrift(reference_size=2000, window=2000, block=500)
    >>> def batch(n, vip_share):
    ...     return [{"age": float(a), "segment": "vip" if v else "regular"} for a, v in
    ...             zip(rng.normal(40, 10, n), rng.random(n) < vip_share)]
    >>> quiet = drift.add(batch(4000, 0.1), np.arange(4000.0))
    >>> moved = drift.add(batch(2000, 0.5), np.arange(4000.0, 6000.0))
    >>> quiet, [(c.feature, c.level) for c in moved]
    ([], [('segment', 'alert')])
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.drift.psi import bin_numbers, chi_square, psi, quantile_edges

__all__ = ["LEVELS", "ContextDrift", "FeatureBins", "FeatureChange", "build_bins"]

LEVELS = ("ok", "warn", "alert")
HISTORY = 300  # evaluations kept for the dashboard's chart
MISSING = "(missing)"
OTHER = "(other)"


@dataclass(frozen=True)
class FeatureChange:
    """A feature whose level changed at an evaluation.

    Attributes:
        feature: the context key.
        level: the new level (``ok``, ``warn``, ``alert``).
        previous: the level before.
        psi: the PSI that set it.
        at: decision time (epoch s) of the last decision of the window.
        change_at: decision time of the first decision of the first block whose own PSI reached
            ``psi_warn``: where the shift is estimated to begin (None for a return to ``ok``).
        position: decisions counted since the monitor started (a replay finds the same).
        top: the bins that moved most, ``[(bin label, reference share, recent share), ...]``.
    """

    feature: str
    level: str
    previous: str
    psi: float
    at: float
    change_at: float | None
    position: int
    top: tuple[tuple[str, float, float], ...]


@dataclass
class FeatureBins:
    """One watched feature: how its values are binned, and the reference's counts.

    Attributes:
        name: the context key.
        kind: ``number`` or ``category``.
        edges: inner bin edges (numbers).
        categories: the values with a bin of their own (categories), as found in contexts.
        reference: counts per bin in the reference window; the last bin is ``missing`` (and for
            a category the one before it is ``other``).
        offset: where the feature's bins start in the concatenated count vector.
    """

    name: str
    kind: str
    edges: np.ndarray
    categories: list[Any]
    reference: np.ndarray
    offset: int = 0

    @property
    def size(self) -> int:
        """Bins, the ``missing`` bin included."""
        return len(self.reference)

    def labels(self) -> list[str]:
        """A readable name per bin (``< 3.5``, ``[3.5, 7)``, ``>= 7``, a category, ...)."""
        if self.kind == "category":
            return [_label(c) for c in self.categories] + [OTHER, MISSING]
        e = [f"{x:.4g}" for x in self.edges]
        if not e:
            return ["all", MISSING]
        inner = [f"[{a}, {b})" for a, b in itertools.pairwise(e)]
        return [f"< {e[0]}", *inner, f">= {e[-1]}", MISSING]

    def bin(self, contexts: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Bin index (within this feature) of each context's value, shape (n,)."""
        return self.bin_values([c.get(self.name) for c in contexts])

    def bin_values(self, col: list[Any]) -> np.ndarray:
        """Bin index of each value of one column (None = missing), shape (n,)."""
        if self.kind == "number":
            return bin_numbers(_numbers(col), self.edges)
        other = len(self.categories)
        index: dict[Any, int] = {v: i for i, v in enumerate(self.categories)}
        index[None] = other + 1  # missing
        try:
            return np.array([index.get(v, other) for v in col], dtype=np.intp)
        except TypeError:  # an unhashable value (a list): it is no category of ours
            return np.array([index.get(v, other) if _hashable(v) or v is None else other
                             for v in col], dtype=np.intp)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"name": self.name, "kind": self.kind, "edges": self.edges.tolist(),
                "categories": self.categories, "reference": self.reference.tolist()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeatureBins:
        """From :meth:`to_dict`."""
        return cls(d["name"], d["kind"], np.asarray(d["edges"], dtype=np.float64),
                   list(d["categories"]), np.asarray(d["reference"], dtype=np.int64))


def _label(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _hashable(value: Any) -> bool:
    return isinstance(value, str | bool | int | float)


def _numbers(col: list[Any]) -> np.ndarray:
    """Floats, NaN where a value is missing or not a number."""
    try:
        return np.array(col, dtype=np.float64)  # None becomes NaN
    except (TypeError, ValueError):
        return np.array([v if isinstance(v, int | float) and not isinstance(v, bool) else math.nan
                         for v in col], dtype=np.float64)


def _kinds(contexts: Sequence[Mapping[str, Any]], ignore: Iterable[str], limit: int
           ) -> list[tuple[str, str]]:
    """``(key, kind)`` of the keys worth watching, the most frequent first, at most ``limit``
    (kinds and frequencies read on a systematic sample of at most 1,000 contexts)."""
    numbers: dict[str, int] = {}
    labels: dict[str, int] = {}
    for c in contexts[:: max(1, len(contexts) // 1000)]:
        for k, v in c.items():
            if isinstance(v, bool | str):
                labels[k] = labels.get(k, 0) + 1
            elif isinstance(v, int | float):
                numbers[k] = numbers.get(k, 0) + 1
    skip = set(ignore)
    seen = {k: max(numbers.get(k, 0), labels.get(k, 0)) for k in {*numbers, *labels} - skip}
    keys = sorted(seen, key=lambda k: (-seen[k], k))[:limit]
    return [(k, "number" if numbers.get(k, 0) >= labels.get(k, 0) else "category") for k in keys]


def build_bins(contexts: Sequence[Mapping[str, Any]], *, bins: int, max_categories: int,
               max_features: int, ignore: Iterable[str] = ()) -> list[FeatureBins]:
    """The watched features and their bins, learned from the reference contexts."""
    out: list[FeatureBins] = []
    offset = 0
    for key, kind in _kinds(contexts, ignore, max_features):
        col = [c.get(key) for c in contexts]
        if kind == "number":
            f = FeatureBins(key, kind, quantile_edges(_numbers(col), bins), [], np.empty(0))
        else:
            counts: dict[Any, int] = {}
            for v in col:
                if isinstance(v, bool | str):
                    counts[v] = counts.get(v, 0) + 1
            top = sorted(counts, key=lambda v: (-counts[v], _label(v)))[:max_categories]
            f = FeatureBins(key, kind, np.empty(0), top, np.empty(0))
        size = len(f.edges) + 2 if kind == "number" else len(f.categories) + 2
        f.reference = np.bincount(f.bin_values(col), minlength=size).astype(np.int64)
        f.offset = offset
        offset += size
        out.append(f)
    return out


class ContextDrift:
    """Context drift of every watched feature (see the module docstring).

    Args:
        reference_size: decisions in the reference window.
        window: decisions in the recent window (a whole number of blocks).
        block: decisions per block; PSI is re-evaluated at the end of each.
        bins: quantile bins per number.
        max_categories: categories with their own bin per string feature.
        max_features: features watched at most (the most frequent keys).
        psi_warn, psi_alert: the PSI thresholds of ``warn`` and ``alert``.
        warmup: decisions skipped before the first reference (a world that starts empty).
        ignore: context keys not watched.
    """

    def __init__(self, *, reference_size: int = 5000, window: int = 5000, block: int = 500,
                 bins: int = 10, max_categories: int = 20, max_features: int = 64,
                 psi_warn: float = 0.1, psi_alert: float = 0.25, warmup: int = 0,
                 ignore: Sequence[str] = ()) -> None:
        self.reference_size, self.window, self.block = reference_size, window, block
        self.bins, self.max_categories, self.max_features = bins, max_categories, max_features
        self.psi_warn, self.psi_alert, self.warmup = psi_warn, psi_alert, warmup
        self.ignore = tuple(ignore)
        self.seen = 0  # decisions taken, in all
        self.anchors = 0  # references built
        self.reference_rows: list[Mapping[str, Any]] = []
        self.reference_span: tuple[float, float] | None = None
        self.features: list[FeatureBins] = []
        self.total_bins = 0
        self.current = np.zeros(0, dtype=np.int64)  # counts of the block being filled
        self.current_n = 0
        self.current_first = math.nan
        self.blocks: deque[tuple[np.ndarray, float, float]] = deque()  # (counts, first, last)
        self.psi: dict[str, float] = {}
        self.level: dict[str, str] = {}
        self.since: dict[str, float] = {}  # time each feature entered its level
        self.chi2_p: dict[str, float] = {}
        self.history: list[tuple[float, dict[str, float]]] = []

    @property
    def phase(self) -> str:
        """``warming up``, ``building the reference`` or ``watching``."""
        if self.features:
            return "watching"
        return "warming up" if self.seen < self.warmup else "building the reference"

    def add(self, contexts: Sequence[Mapping[str, Any]], times: np.ndarray) -> list[FeatureChange]:
        """Take decisions' contexts (in log order) with their decision times; return the level
        changes that the blocks they complete bring."""
        t = np.asarray(times, dtype=np.float64)
        changes: list[FeatureChange] = []
        i = 0
        while i < len(contexts):
            if not self.features:
                i = self._collect(contexts, t, i)
                continue
            take = min(self.block - self.current_n, len(contexts) - i)
            self._count(contexts[i:i + take], t[i])
            i += take
            self.seen += take
            if self.current_n == self.block:
                changes += self._close_block(float(t[i - 1]))
        return changes

    def _collect(self, contexts: Sequence[Mapping[str, Any]], t: np.ndarray, i: int) -> int:
        """Skip the warm-up and gather the reference; build the bins once it is full."""
        if self.seen < self.warmup:
            take = min(self.warmup - self.seen, len(contexts) - i)
            self.seen += take
            return i + take
        take = min(self.reference_size - len(self.reference_rows), len(contexts) - i)
        if not self.reference_rows:
            self.reference_span = (float(t[i]), float(t[i]))
        self.reference_rows.extend(contexts[i:i + take])
        self.seen += take
        assert self.reference_span is not None
        self.reference_span = (self.reference_span[0], float(t[i + take - 1]))
        if len(self.reference_rows) >= self.reference_size:
            self.features = build_bins(self.reference_rows, bins=self.bins,
                                       max_categories=self.max_categories,
                                       max_features=self.max_features, ignore=self.ignore)
            self.reference_rows = []
            self.anchors += 1
            self.total_bins = sum(f.size for f in self.features)
            self.current = np.zeros(self.total_bins, dtype=np.int64)
            self.current_n = 0
            self.blocks.clear()
        return i + take

    def _count(self, contexts: Sequence[Mapping[str, Any]], first: float) -> None:
        if self.current_n == 0:
            self.current_first = first
        idx = np.concatenate([f.bin(contexts) + f.offset for f in self.features])
        self.current += np.bincount(idx, minlength=self.total_bins)
        self.current_n += len(contexts)

    def _close_block(self, last: float) -> list[FeatureChange]:
        self.blocks.append((self.current, self.current_first, last))
        self.current = np.zeros(self.total_bins, dtype=np.int64)
        self.current_n = 0
        if len(self.blocks) > self.window // self.block:
            self.blocks.popleft()
        if len(self.blocks) < self.window // self.block:
            return []
        return self._evaluate(last)

    def _evaluate(self, at: float) -> list[FeatureChange]:
        recent = np.sum([b[0] for b in self.blocks], axis=0)
        changes: list[FeatureChange] = []
        values: dict[str, float] = {}
        for f in self.features:
            cur = recent[f.offset:f.offset + f.size]
            value = psi(f.reference, cur)
            values[f.name] = value
            if f.kind == "category":
                self.chi2_p[f.name] = chi_square(f.reference, cur)[2]
            level = "alert" if value >= self.psi_alert else "warn" if value >= self.psi_warn \
                else "ok"
            before = self.level.get(f.name, "ok")
            if level != before:
                self.since[f.name] = at
                changes.append(FeatureChange(f.name, level, before, value, at,
                                             self._onset(f) if level != "ok" else None,
                                             self.seen, _top_moves(f, cur)))
            self.level[f.name] = level
        self.psi = values
        self.history.append((at, values))
        del self.history[:-HISTORY]
        if any(c.level == "alert" for c in changes):
            self._reanchor()
        return changes

    def _onset(self, f: FeatureBins) -> float:
        """First decision time of the first block of the window whose own PSI reaches warn."""
        for counts, first, _ in self.blocks:
            if psi(f.reference, counts[f.offset:f.offset + f.size]) >= self.psi_warn:
                return first
        return self.blocks[0][1]

    def _reanchor(self) -> None:
        """The next ``reference_size`` decisions become the reference (levels stay as they are
        until the new reference is full, then are measured from it)."""
        self.features = []
        self.blocks.clear()
        self.reference_rows = []
        self.warmup = 0

    def reference_shares(self) -> dict[str, dict[str, list]]:
        """Per feature: bin labels, reference shares and recent-window shares (for the page)."""
        if not self.features or not self.blocks:
            return {}
        recent = np.sum([b[0] for b in self.blocks], axis=0)
        out = {}
        for f in self.features:
            cur = recent[f.offset:f.offset + f.size]
            out[f.name] = {"bins": f.labels(),
                           "reference": (f.reference / max(f.reference.sum(), 1)).tolist(),
                           "recent": (cur / max(cur.sum(), 1)).tolist()}
        return out

    # -- saving ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The state, JSON-ready (the reference rows while it is being built are kept as they
        came: contexts are JSON already; the log follower does not save in that phase)."""
        return {"seen": self.seen, "anchors": self.anchors, "warmup": self.warmup,
                "reference_rows": list(self.reference_rows),
                "reference_span": self.reference_span,
                "features": [f.to_dict() for f in self.features],
                "current": self.current.tolist(), "current_n": self.current_n,
                "current_first": self.current_first,
                "blocks": [(b.tolist(), f, last) for b, f, last in self.blocks],
                "psi": self.psi, "level": self.level, "since": self.since,
                "chi2_p": self.chi2_p, "history": self.history}

    def load(self, s: Mapping[str, Any]) -> None:
        """Restore what :meth:`to_dict` saved."""
        self.seen, self.anchors, self.warmup = int(s["seen"]), int(s["anchors"]), int(s["warmup"])
        self.reference_rows = list(s["reference_rows"])
        span = s["reference_span"]
        self.reference_span = None if span is None else (float(span[0]), float(span[1]))
        self.features = [FeatureBins.from_dict(f) for f in s["features"]]
        offset = 0
        for f in self.features:
            f.offset = offset
            offset += f.size
        self.total_bins = offset
        self.current = np.asarray(s["current"], dtype=np.int64)
        self.current_n, self.current_first = int(s["current_n"]), float(s["current_first"])
        self.blocks = deque((np.asarray(b, dtype=np.int64), float(f), float(last))
                            for b, f, last in s["blocks"])
        self.psi, self.level, self.since = dict(s["psi"]), dict(s["level"]), dict(s["since"])
        self.chi2_p = dict(s["chi2_p"])
        self.history = [(float(t), dict(v)) for t, v in s["history"]]


def _top_moves(f: FeatureBins, recent: np.ndarray, n: int = 3) -> tuple[tuple[str, float, float],
                                                                         ...]:
    ref = f.reference / max(f.reference.sum(), 1)
    cur = recent / max(recent.sum(), 1)
    order = np.argsort(-np.abs(cur - ref), kind="stable")[:n]
    labels = f.labels()
    return tuple((labels[i], round(float(ref[i]), 4), round(float(cur[i]), 4)) for i in order)
