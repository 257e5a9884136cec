"""Read the engine's Parquet export (decisions joined with their rewards) as logged decisions.

Columns read (others are ignored):

============== ================ =========================================================
column         type             use
============== ================ =========================================================
action_index   int              the logged action (index into the catalog)     required
probability    float            the logger's probability of that action        required
reward         float, nullable  summed reward (incl. default rewards)          required
eligible       list<int>        actions the rules allowed (default: all)       optional
context        string (JSON)    the context (``context_json`` also accepted)   optional
created_at     float            decision time; rows are sorted by it           optional
active         bool             inactive decisions are skipped                 optional
holdout        bool             holdout (control) rows are skipped             optional
features       string (JSON)    the learner's shared features (engine target)  optional
============== ================ =========================================================

Rows with no reward yet (null) are skipped and counted. K and the action names come from the
schema metadata key ``action_names`` (a JSON list) when the file has it; else K is ``n_actions``
(give the catalog's size) or the largest index seen (eligible lists included), and each action
that appears in the log is named from the export's ``action_name`` column. Rows with
``action_index`` -1 (the engine had no action to take) are skipped and counted.

Example:
    >>> import os, tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> from ope.readers.parquet_log import read_parquet_log
    >>> t = pa.table({"action_index": [0, 1], "probability": [0.5, 0.5], "reward": [1.0, None],
    ...               "context": ['{"age": 30}', '{"age": 40}']})
    >>> path = os.path.join(tempfile.mkdtemp(), "log.parquet"); pq.write_table(t, path)
    >>> log = read_parquet_log(path, n_actions=2)
    >>> log.n, log.context_names, log.skipped
    (1, ('age',), (('no reward yet', 1),))
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ope.errors import LogFormatError
from ope.readers.context_columns import context_matrix
from ope.readers.logged_decisions import LoggedDecisions

__all__ = ["REQUIRED_COLUMNS", "read_parquet_log"]

REQUIRED_COLUMNS = ("action_index", "probability", "reward")
_OPTIONAL = ("eligible", "context", "context_json", "created_at", "active", "holdout",
             "action_name", "features")


def _action_names(metadata: dict | None, n_actions: int | None, largest: int,
                  seen: dict[int, str]) -> tuple[str, ...]:
    raw = (metadata or {}).get(b"action_names")
    if raw is not None:
        names = json.loads(raw)
        if not isinstance(names, list) or not names:
            raise LogFormatError("schema metadata action_names must be a non-empty JSON list")
        if n_actions is not None and int(n_actions) != len(names):
            # the export knows its catalog: a K that contradicts it would misread every row
            raise LogFormatError(f"n_actions (--n-actions): expected {len(names)}, the number of "
                                 f"action names in the export's metadata, or none; got "
                                 f"{n_actions}")
        return tuple(str(n) for n in names)
    k = largest + 1 if n_actions is None else int(n_actions)
    return tuple(seen.get(i, str(i)) for i in range(k))


def _seen_names(table) -> dict[int, str]:
    """``{action_index: action_name}`` from the export's ``action_name`` column, if any."""
    if "action_name" not in table.column_names:
        return {}
    pairs = table.select(["action_index", "action_name"]).group_by(
        ["action_index", "action_name"]).aggregate([])
    return dict(zip(pairs.column("action_index").to_pylist(),
                    pairs.column("action_name").to_pylist(), strict=True))


def _keep_mask(table, n: int) -> tuple[np.ndarray, dict[str, int]]:
    keep = np.ones(n, dtype=bool)
    skipped: dict[str, int] = {}
    for column, reason, drop_when in (("reward", "no reward yet", None),
                                      ("active", "inactive", False),
                                      ("holdout", "holdout (control group)", True)):
        if column not in table.column_names:
            continue
        col = table.column(column)
        if drop_when is None:
            drop = pc.is_null(col, nan_is_null=True).to_numpy(zero_copy_only=False)
        else:
            flag = pc.fill_null(col.cast("bool"), not drop_when).to_numpy(zero_copy_only=False)
            drop = flag == drop_when
        drop &= keep
        if drop.any():
            skipped[reason] = int(drop.sum())
        keep &= ~drop
    # The engine logs action_index -1 when it had no action at all to take: nothing to evaluate.
    none = (table.column("action_index").to_numpy(zero_copy_only=False) < 0) & keep
    if none.any():
        skipped["no action (index -1)"] = int(none.sum())
    return keep & ~none, skipped


def read_parquet_log(path: str | Path, n_actions: int | None = None) -> LoggedDecisions:
    """Logged decisions from a Parquet file or dataset folder written by the engine's export."""
    path = Path(path)
    if not path.exists():
        raise LogFormatError(f"Parquet log {str(path)!r} does not exist")
    try:
        schema = pq.read_schema(path) if path.is_file() else None
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise LogFormatError(f"cannot read {str(path)!r} as Parquet: {exc}") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise LogFormatError(
            f"{path.name}: missing column(s) {', '.join(missing)}; the engine's export has "
            f"{', '.join(REQUIRED_COLUMNS)} (found {', '.join(table.column_names)})"
        )
    table = table.select([c for c in (*REQUIRED_COLUMNS, *_OPTIONAL) if c in table.column_names])
    if "created_at" in table.column_names:
        table = table.sort_by("created_at")
    keep, skipped = _keep_mask(table, table.num_rows)
    table = table.filter(keep)
    if table.num_rows == 0:
        raise LogFormatError(f"{path.name}: no rewarded decisions to evaluate (skipped {skipped})")
    actions = table.column("action_index").to_numpy(zero_copy_only=False).astype(np.int64)
    eligible_lists = (table.column("eligible").to_pylist()
                      if "eligible" in table.column_names else None)
    largest = int(actions.max())
    if eligible_lists is not None:
        largest = max(largest, max((max(e) for e in eligible_lists if e), default=0))
    metadata = (schema or table.schema).metadata
    names = _action_names(metadata, n_actions, largest, _seen_names(table))
    k = len(names)
    if largest >= k or actions.min() < 0:
        raise LogFormatError(
            f"{path.name}: action indices must be in [0, {k}), got up to {largest}")
    n = table.num_rows
    if eligible_lists is None:
        eligible = np.ones((n, k), dtype=bool)
    else:
        eligible = np.zeros((n, k), dtype=bool)
        rows = np.repeat(np.arange(n), [len(e or ()) for e in eligible_lists])
        eligible[rows, np.concatenate([np.asarray(e or (), dtype=np.int64)
                                       for e in eligible_lists])] = True
        eligible[np.arange(n), actions] = True  # the logged action was necessarily allowed
    ctx_col = next((c for c in ("context", "context_json") if c in table.column_names), None)
    context_names: tuple[str, ...]
    if ctx_col is None:
        contexts, context_names = np.zeros((n, 0)), ()
    else:
        try:
            parsed = [json.loads(s) if s else {} for s in table.column(ctx_col).to_pylist()]
        except json.JSONDecodeError as exc:
            raise LogFormatError(f"{path.name}: column {ctx_col} holds invalid JSON: {exc}") \
                from exc
        contexts, context_names = context_matrix(parsed)
    return LoggedDecisions(
        contexts=contexts, context_names=context_names, actions=actions,
        propensities=table.column("probability").to_numpy(zero_copy_only=False).astype(float),
        rewards=table.column("reward").to_numpy(zero_copy_only=False).astype(float),
        eligible=eligible, action_names=names, skipped=tuple(sorted(skipped.items())),
        learner_features=(tuple(table.column("features").to_pylist())
                          if "features" in table.column_names else None),
    )
