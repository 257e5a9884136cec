"""Export the decision log as Parquet: one row per decision, joined with its summed rewards.

This is the input of off-policy evaluation. The export is ONE Parquet file (a one-file dataset:
``pyarrow.parquet.read_table``, ``pyarrow.dataset.dataset`` and ``pandas.read_parquet`` all read
it), written atomically by :func:`engine.parquet_file.write_parquet`, so a reader never sees a
half-written file. Rows come in the order they were logged. The schema is
:data:`SCHEMA`, documented column by column in ``docs/catalog.md``.

Example:
    >>> import tempfile, pyarrow.parquet as pq
    >>> from engine.store import DecisionLog, DecisionRecord
    >>> with tempfile.TemporaryDirectory() as d, DecisionLog(d) as log:
    ...     log.write_decision(DecisionRecord("d1", "c1", 10.0, 0, 0.5, False, "{}", "{}",
    ...                                       (0, 1), 10.0, True, "v1", "m", "email", "now"))
    ...     _ = log.write_reward("d1", 1.0, at=20.0)
    ...     export_parquet(log, f"{d}/log.parquet")
    ...     pq.read_table(f"{d}/log.parquet").to_pylist()[0]["action_name"]
    1
    'm/email/now'
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from engine.decision_store import DecisionStore
from engine.parquet_file import write_parquet

__all__ = ["SCHEMA", "export_parquet"]

SCHEMA = pa.schema([
    pa.field("decision_id", pa.string(), nullable=False),
    pa.field("customer_id", pa.string(), nullable=False),
    pa.field("created_at", pa.float64(), nullable=False),
    pa.field("action_index", pa.int64(), nullable=False),
    pa.field("action_name", pa.string(), nullable=False),
    pa.field("message", pa.string()),
    pa.field("channel", pa.string()),
    pa.field("timing", pa.string()),
    pa.field("probability", pa.float64(), nullable=False),
    pa.field("holdout", pa.bool_(), nullable=False),
    pa.field("eligible", pa.list_(pa.int64()), nullable=False),
    pa.field("n_eligible", pa.int64(), nullable=False),
    pa.field("context", pa.string(), nullable=False),
    pa.field("features", pa.string(), nullable=False),
    pa.field("reward", pa.float64()),
    pa.field("reward_kind", pa.string()),
    pa.field("catalog_version", pa.string(), nullable=False),
    pa.field("send_at", pa.float64()),
    pa.field("active", pa.bool_(), nullable=False),
    pa.field("activated_at", pa.float64()),
    pa.field("model_version", pa.int64()),
])


def _columns(rows: list[tuple]) -> dict[str, Sequence[Any]]:
    (did, cid, created, action, prob, holdout, ctx, feats, elig, send, active, version,
     message, channel, timing, activated, model, reward, kinds) = zip(*rows, strict=True)
    eligible = [json.loads(e) for e in elig]
    return {
        "decision_id": did, "customer_id": cid, "created_at": created, "action_index": action,
        "action_name": ["no_contact" if m is None else f"{m}/{c}/{t}"
                        for m, c, t in zip(message, channel, timing, strict=True)],
        "message": message, "channel": channel, "timing": timing, "probability": prob,
        "holdout": [bool(h) for h in holdout], "eligible": eligible,
        "n_eligible": [len(e) for e in eligible], "context": ctx, "features": feats,
        "reward": reward, "reward_kind": kinds, "catalog_version": version, "send_at": send,
        "active": [bool(a) for a in active], "activated_at": activated, "model_version": model,
    }


def export_parquet(log: DecisionStore, path: str | os.PathLike[str], since: float | None = None
                   ) -> int:
    """Write the decisions made at or after ``since`` (epoch s; None = all) to one Parquet file.

    Args:
        log: the decision log (either backend).
        path: the file to write (parent folders are created; an existing file is replaced).
        since: keep decisions with ``created_at >= since``.

    Returns:
        The number of rows written (a file with the schema and no rows when 0).
    """
    return write_parquet(path, SCHEMA, (pa.Table.from_pydict(_columns(rows), schema=SCHEMA)
                                        for rows in log.iter_export_rows(since)))
