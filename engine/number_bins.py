"""Numbers of the context cut into quantile bins learned from the first contexts.

A model linear in a raw number cannot say "over 60" or "between 3 and 7 days"; a category per
bin lets each action learn its own response to each range. The edges are the quantiles of the
first ``warmup`` values seen of each number (so they fit the data, whatever its unit); until
then no bin is given. Edges and the values collected so far are in the checkpoint, so a
restarted engine bins exactly as before.

Example:
    >>> bins = NumberBins(warmup=4, n_bins=2)
    >>> for age in (20, 30, 40, 50):
    ...     bins.observe({"age": age, "segment": "vip"})
    >>> bins.features({"age": 45, "segment": "vip"})
    {'age': 'q1'}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.quantile_bins import quantile_edges

__all__ = ["NumberBins"]


class NumberBins:
    """Quantile bins per context number (see the module docstring).

    Args:
        warmup: values of a number collected before its edges are fixed.
        n_bins: bins per number (fewer when values repeat).
    """

    def __init__(self, warmup: int = 1000, n_bins: int = 5) -> None:
        self.warmup, self.n_bins = warmup, n_bins
        self.edges: dict[str, list[float]] = {}
        self._values: dict[str, list[float]] = {}

    def observe(self, context: Mapping[str, Any]) -> None:
        """Collect the context's numbers (bools excluded) until their edges are fixed."""
        for key, v in context.items():
            if key in self.edges or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            vals = self._values.setdefault(key, [])
            vals.append(float(v))
            if len(vals) >= self.warmup:
                self.edges[key] = quantile_edges(np.asarray(vals), self.n_bins).tolist()
                del self._values[key]

    def features(self, context: Mapping[str, Any]) -> dict[str, str]:
        """``{key: "q<i>"}`` for each number whose edges are fixed (``i`` = its bin)."""
        out = {}
        for key, edges in self.edges.items():
            v = context.get(key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                continue
            out[key] = f"q{int(np.searchsorted(edges, v, side='right'))}"
        return out

    def to_state(self) -> dict[str, Any]:
        """Edges and the values still being collected (JSON-ready)."""
        return {"warmup": self.warmup, "n_bins": self.n_bins, "edges": self.edges,
                "values": self._values}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> NumberBins:
        """The bins :meth:`to_state` wrote."""
        out = cls(int(state["warmup"]), int(state["n_bins"]))
        out.edges = {k: [float(e) for e in v] for k, v in state["edges"].items()}
        out._values = {k: [float(e) for e in v] for k, v in state["values"].items()}
        return out
