"""The messages that went out: ``offerbandit campaign activate --sent sent.parquet``.

A campaign's decisions are written inactive; the ones whose message was really sent are
activated from this file, and only those are ever learned from (their reward window starts at
the send). Columns: ``decision_id`` (string, required: the campaign's decisions file has it, so
its rows for the sent customers will do) and ``sent_at`` (optional: epoch seconds or a
timestamp; missing or null: ``default_at``). Other columns are ignored.

The whole file is checked first (types, values, every id known to the log): on any problem a
:class:`CampaignError` names the column and row, and nothing is activated. Then it is activated
batch by batch, one transaction each; activating an active decision changes nothing, so a run
that stopped half-way is simply run again.

Example:
    >>> import os, tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> from engine.store import DecisionLog, DecisionRecord
    >>> d = tempfile.mkdtemp()
    >>> pq.write_table(pa.table({"decision_id": ["d1"]}), os.path.join(d, "sent.parquet"))
    >>> with DecisionLog(d) as log:
    ...     log.write_decision(DecisionRecord("d1", "c1", 0.0, 0, 1.0, False, "{}", "{}", (0,),
    ...                                       None, False, "v"))
    ...     activate_sent(log, os.path.join(d, "sent.parquet"), default_at=60.0)
    ...     log.get_decision("d1").activated_at
    1
    60.0
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyarrow.types as pat

from engine.decision_store import DecisionStore
from engine.errors import CampaignError

__all__ = ["activate_sent"]

_BATCH = 10_000


def _open(path: str | os.PathLike) -> pq.ParquetFile:
    try:
        f = pq.ParquetFile(Path(path))
    except (OSError, pa.ArrowException) as exc:
        raise CampaignError(f"sent: cannot read {str(path)!r} as Parquet: {exc}") from None
    schema = f.schema_arrow
    if "decision_id" not in schema.names:
        raise CampaignError(f"sent: expected a column 'decision_id', got "
                            f"{', '.join(schema.names)[:200]}")
    t = schema.field("decision_id").type
    if not (pat.is_string(t) or pat.is_large_string(t)):
        raise CampaignError(f"sent.decision_id: expected strings, got {t}")
    if "sent_at" in schema.names:
        t = schema.field("sent_at").type
        if not (pat.is_integer(t) or pat.is_floating(t) or pat.is_timestamp(t)):
            raise CampaignError(f"sent.sent_at: expected epoch seconds or timestamps, got {t}")
    return f


def _pairs(f: pq.ParquetFile, default_at: float) -> Iterator[tuple[int, list[str], np.ndarray]]:
    """``(first row, ids, sent times)`` per batch, every value checked."""
    has_time = "sent_at" in f.schema_arrow.names
    offset = 0
    for batch in f.iter_batches(batch_size=_BATCH, columns=["decision_id", "sent_at"]
                                if has_time else ["decision_id"]):
        ids = batch.column("decision_id")
        if ids.null_count:
            row = offset + int(np.flatnonzero(pc.is_null(ids).to_numpy(zero_copy_only=False))[0])
            raise CampaignError(f"sent.decision_id: row {row}: expected a decision id, got null")
        at = np.full(batch.num_rows, float(default_at))
        if has_time:
            col = batch.column("sent_at")
            if pat.is_timestamp(col.type):
                col = pc.divide(pc.cast(pc.cast(col, pa.timestamp("us", "UTC")), pa.int64()),
                                1e6)
            values = col.to_numpy(zero_copy_only=False).astype(float)
            given = ~pc.is_null(col).to_numpy(zero_copy_only=False)
            bad = given & ~np.isfinite(values)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise CampaignError(f"sent.sent_at: row {offset + row}: expected a finite time, "
                                    f"got {values[row]}")
            at = np.where(given, values, at)
        yield offset, ids.to_pylist(), at
        offset += batch.num_rows


def activate_sent(log: DecisionStore, path: str | os.PathLike, *, default_at: float) -> int:
    """Activate the decisions named in a sent file; return how many became active.

    Args:
        log: the decision log (either backend).
        path: the sent Parquet file (see the module docstring).
        default_at: the send time of rows without ``sent_at``, epoch seconds.

    Raises:
        CampaignError: an unreadable file, a bad column or value, or ids the log does not
            have (nothing is activated then).
    """
    f = _open(path)
    for offset, ids, _ in _pairs(f, default_at):
        missing = log.missing_decisions(ids)
        if missing:
            row = offset + ids.index(missing[0])
            raise CampaignError(f"sent.decision_id: row {row}: {missing[0]!r} is not in the "
                                f"log ({len(missing)} unknown id(s) in rows {offset}-"
                                f"{offset + len(ids) - 1}); nothing was activated")
    activated = 0
    for _, ids, at in _pairs(f, default_at):
        activated += log.activate_many(list(zip(ids, at.tolist(), strict=True)))
    return activated
