"""Turn JSON-like contexts (dicts) into a numeric (n, d) matrix with named columns.

Numbers (and booleans) become one column each; a string ``v`` under key ``k`` becomes a one-hot
column ``"k=v"`` (the ``segment=vip`` convention the policies' segment rules read); a list of
strings becomes one column per item; nested dicts are flattened with ``"outer.inner"`` keys. Keys
starting with ``_`` are skipped (VW's and Personalizer's convention for non-features). Missing
values are 0. Columns are sorted by name so the same data always gives the same matrix.

Example:
    >>> from ope.readers.context_columns import context_matrix
    >>> x, names = context_matrix([{"age": 34, "segment": "vip"}, {"age": 20, "tags": ["new"]}])
    >>> names
    ('age', 'segment=vip', 'tags=new')
    >>> x.tolist()
    [[34.0, 1.0, 0.0], [20.0, 0.0, 1.0]]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ope.errors import LogFormatError

__all__ = ["context_matrix", "flatten_context"]


def flatten_context(context: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """One context as ``{column name: value}``."""
    out: dict[str, float] = {}
    for key, value in context.items():
        if str(key).startswith("_"):
            continue
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            out[name] = float(value)
        elif isinstance(value, int | float):
            if not math.isfinite(value):
                raise LogFormatError(f"context value {name!r} must be finite, got {value}")
            out[name] = float(value)
        elif isinstance(value, str):
            out[f"{name}={value}"] = 1.0
        elif isinstance(value, Mapping):
            out.update(flatten_context(value, f"{name}."))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    out.update(flatten_context(item, f"{name}."))
                else:
                    out[f"{name}={item}"] = 1.0
        elif value is not None:
            raise LogFormatError(
                f"context value {name!r} must be a number, string, list or object, "
                f"got {type(value).__name__}"
            )
    return out


def context_matrix(contexts: Iterable[Mapping[str, Any]],
                   names: tuple[str, ...] | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """(n, d) float matrix and the d column names (sorted, or ``names`` when given)."""
    flat = [flatten_context(c) for c in contexts]
    if names is None:
        names = tuple(sorted({k for row in flat for k in row}))
    index = {k: j for j, k in enumerate(names)}
    x = np.zeros((len(flat), len(names)))
    for i, row in enumerate(flat):  # parsing is per record anyway; the estimators stay batched
        for k, v in row.items():
            j = index.get(k)
            if j is not None:
                x[i, j] = v
    return x, names
