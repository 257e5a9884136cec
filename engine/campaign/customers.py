"""The customers table of a campaign: one row per customer, checked whole before anything is
decided, then read batch by batch as contexts.

Columns (Parquet): ``customer_id`` (string, required, unique, 1 to 256 characters); every other
column is a context key, exactly as ``choose`` takes it (``docs/campaigns.md``):

- numbers (integers, floats: finite), booleans, strings (at most 256 characters), lists of
  strings (at most 64 items) become features; a null means the key is absent for that customer;
- ``consent`` (a struct of channel -> bool), ``consent_<channel>`` (bool or 0/1), ``segment``,
  ``tenure_days``, ``timezone`` / ``tz`` (an IANA name) steer the contact rules as in ``choose``.

The whole file is checked first (:func:`check_customers`), column by column with pyarrow's
vectorised functions, one row group at a time (memory stays one row group deep): a bad value is
refused with a :class:`CampaignError` naming the column and the row, before the campaign
writes anything.

Example:
    >>> import os, tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> path = os.path.join(tempfile.mkdtemp(), "customers.parquet")
    >>> pq.write_table(pa.table({"customer_id": ["a", "b"], "age": [34, None],
    ...                          "consent_email": [True, False]}), path)
    >>> table = check_customers(path, ["email"])
    >>> table.n_rows, table.context_columns
    (2, ('age', 'consent_email'))
    >>> contexts_of(pq.read_table(path))
    (['a', 'b'], [{'age': 34, 'consent_email': True}, {'consent_email': False}])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyarrow.types as pat

from engine.errors import CampaignError, ContextError
from engine.features import MAX_CONTEXT_KEYS, MAX_KEY_LENGTH, MAX_LIST_LENGTH, MAX_STRING_LENGTH
from engine.ids import check_id
from engine.send_time import zone

__all__ = ["ID_COLUMN", "CustomersTable", "check_customers", "contexts_of"]

ID_COLUMN = "customer_id"
# What engine.ids refuses in an id of the right length, as one RE2 pattern (valid UTF-8 has no
# surrogates): control characters, line separators, a "." or ".." path segment.
_ID_REFUSED = r"[\x00-\x1f\x{7f}-\x{9f}\x{2028}\x{2029}]|(?:^|/)\.{1,2}(?:/|$)"
_MAX_ID_LENGTH = 256
_STRING_KEYS = ("segment", "timezone", "tz")
_NUMBER_KEYS = ("tenure_days",)


@dataclass(frozen=True)
class CustomersTable:
    """A checked customers file.

    Attributes:
        path: the Parquet file.
        n_rows: how many customers.
        context_columns: the context keys (every column but ``customer_id``).
    """

    path: Path
    n_rows: int
    context_columns: tuple[str, ...]


def _is_string(t: pa.DataType) -> bool:
    if pat.is_dictionary(t):
        return _is_string(t.value_type)
    return pat.is_string(t) or pat.is_large_string(t)


def _is_number(t: pa.DataType) -> bool:
    return pat.is_integer(t) or pat.is_floating(t)


def _column_type_error(name: str, t: pa.DataType, channels: Sequence[str]) -> str | None:
    """Why a column's type cannot be a context key (None when it can)."""
    if len(name) > MAX_KEY_LENGTH or not name:
        return f"expected a name of 1 to {MAX_KEY_LENGTH} characters"
    if pat.is_null(t):
        return None
    if name == "consent":
        if not pat.is_struct(t):
            return "expected a struct of channel -> bool"
        for f in t:
            if f.name not in channels:
                return (f"field {f.name!r}: expected a channel of the catalog "
                        f"({', '.join(channels)})")
            if not (pat.is_boolean(f.type) or pat.is_integer(f.type)):
                return f"field {f.name!r}: expected bool or 0/1, got {f.type}"
        return None
    if name in _STRING_KEYS and not _is_string(t):
        return f"expected strings, got {t}"
    if name in _NUMBER_KEYS and not _is_number(t):
        return f"expected numbers, got {t}"
    if name.startswith("consent_") and not (pat.is_boolean(t) or _is_number(t)):
        return f"expected bool or 0/1, got {t}"
    ok = (pat.is_boolean(t) or _is_number(t) or _is_string(t)
          or ((pat.is_list(t) or pat.is_large_list(t)) and _is_string(t.value_type)))
    return None if ok else (f"expected numbers, bools, strings or lists of strings, got {t}")


def _open(path: str | os.PathLike, channels: Sequence[str]
          ) -> tuple[pq.ParquetFile, tuple[str, ...]]:
    p = Path(path)
    try:
        f = pq.ParquetFile(p)
    except (OSError, pa.ArrowException) as exc:
        raise CampaignError(f"customers: cannot read {str(p)!r} as Parquet: {exc}") from None
    schema = f.schema_arrow
    if ID_COLUMN not in schema.names:
        raise CampaignError(f"customers: expected a column {ID_COLUMN!r}, got "
                            f"{', '.join(schema.names)[:200]}")
    if not _is_string(schema.field(ID_COLUMN).type):
        raise CampaignError(f"customers.{ID_COLUMN}: expected strings, got "
                            f"{schema.field(ID_COLUMN).type}")
    names = tuple(n for n in schema.names if n != ID_COLUMN)
    if len(names) > MAX_CONTEXT_KEYS:
        raise CampaignError(f"customers: expected at most {MAX_CONTEXT_KEYS} context columns, "
                            f"got {len(names)}")
    if len(set(schema.names)) != len(schema.names):
        raise CampaignError("customers: expected unique column names")
    for name in names:
        why = _column_type_error(name, schema.field(name).type, channels)
        if why is not None:
            raise CampaignError(f"customers.{name}: {why}")
    return f, names


def _first(mask: pa.Array | pa.ChunkedArray) -> int | None:
    """Index of the first true value (nulls are false), or None."""
    idx = pc.index(pc.fill_null(mask, False), True).as_py()
    return None if idx is None or idx < 0 else int(idx)


def _check_column(name: str, col: pa.Array, offset: int, channels: Sequence[str],
                  zones: set[str]) -> None:
    t = col.type
    if pat.is_dictionary(t):
        col = col.dictionary_decode()
        t = col.type

    def fail(mask: pa.Array, what: str) -> None:
        i = _first(mask)
        if i is not None:
            raise CampaignError(f"customers.{name}: row {offset + i}: expected {what}, got "
                                f"{col[i].as_py()!r:.80}")

    if pat.is_floating(t):
        fail(pc.invert(pc.is_finite(col)), "a finite number")
    if name.startswith("consent_") and _is_number(t):
        fail(pc.invert(pc.is_in(col, pa.array([0, 1], type=t))), "true/false or 0/1")
    if _is_string(t):
        fail(pc.greater(pc.utf8_length(col), MAX_STRING_LENGTH),
             f"a string of at most {MAX_STRING_LENGTH} characters")
        if name in ("timezone", "tz"):
            for value in pc.unique(col.drop_null()).to_pylist():
                if value not in zones:
                    try:
                        zone(value)
                    except ContextError:
                        fail(pc.equal(col, value), "an IANA timezone name like 'Europe/Paris'")
                    zones.add(value)
    if pat.is_list(t) or pat.is_large_list(t):
        fail(pc.greater(pc.list_value_length(col), MAX_LIST_LENGTH),
             f"a list of at most {MAX_LIST_LENGTH} strings")
        items = pc.list_flatten(col)
        if items.null_count or (len(items) and pc.max(pc.utf8_length(items)).as_py()
                                > MAX_STRING_LENGTH):
            bad = pc.or_kleene(pc.is_null(items),
                               pc.greater(pc.utf8_length(items), MAX_STRING_LENGTH))
            parents = pc.list_parent_indices(col)
            row = parents[_first(bad) or 0].as_py()
            raise CampaignError(f"customers.{name}: row {offset + row}: expected strings of at "
                                f"most {MAX_STRING_LENGTH} characters, got "
                                f"{col[row].as_py()!r:.80}")
    if pat.is_struct(t):  # consent: its integer fields must be 0/1
        for f in t:
            if pat.is_integer(f.type):
                field = pc.struct_field(col, f.name)
                fail(pc.invert(pc.is_in(field, pa.array([0, 1], type=f.type))),
                     f"consent.{f.name} true/false or 0/1")


def check_customers(path: str | os.PathLike, channels: Sequence[str]) -> CustomersTable:
    """Check the whole customers file: schema, then every value, one row group at a time.

    Args:
        path: the Parquet file.
        channels: the catalog's channel names (``consent`` may only name these).

    Returns:
        The :class:`CustomersTable`.

    Raises:
        CampaignError: unreadable file, a missing or mistyped column, a bad value (column and
            row named), an empty table.
    """
    f, names = _open(path, channels)
    n = f.metadata.num_rows
    if n == 0:
        raise CampaignError(f"customers: expected at least one row in {str(path)!r}, got none")
    zones: set[str] = set()
    offset = 0
    for batch in f.iter_batches(batch_size=65536):
        ids = batch.column(ID_COLUMN)
        length = pc.utf8_length(ids)
        i = _first(pc.or_kleene(pc.is_null(ids), pc.or_kleene(
            pc.equal(length, 0), pc.greater(length, _MAX_ID_LENGTH))))
        if i is not None:
            raise CampaignError(f"customers.{ID_COLUMN}: row {offset + i}: expected a string of "
                                f"1 to {_MAX_ID_LENGTH} characters, got {ids[i].as_py()!r:.80}")
        i = _first(pc.match_substring_regex(ids, _ID_REFUSED))
        if i is not None:  # the engine's one id rule words the error
            check_id(f"customers.{ID_COLUMN}: row {offset + i}", ids[i].as_py(), CampaignError)
        for name in names:
            _check_column(name, batch.column(name), offset, channels, zones)
        offset += batch.num_rows
    return CustomersTable(Path(path), n, names)


def _clean(value: dict[str, Any]) -> dict[str, Any]:
    """A struct's value (consent) without its null fields (channels the row says nothing of)."""
    return {k: v for k, v in value.items() if v is not None}


def contexts_of(batch: pa.Table | pa.RecordBatch) -> tuple[list[str], list[dict[str, Any]]]:
    """The customer ids and contexts of a batch of rows (nulls left out, as absent keys)."""
    ids = batch.column(ID_COLUMN).to_pylist()
    rest = batch.drop_columns([ID_COLUMN]) if isinstance(batch, pa.Table) else \
        pa.Table.from_batches([batch]).drop_columns([ID_COLUMN])
    contexts = [{k: _clean(v) if type(v) is dict else v for k, v in row.items() if v is not None}
                for row in rest.to_pylist()]
    return ids, contexts
