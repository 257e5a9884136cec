"""Which log: one small factory from a store URL (``--store``, ``[engine] store``).

- none: the SQLite log in the engine's ``state_dir`` (the embedded default);
- ``sqlite:///state/`` (a folder, relative) or ``sqlite:////srv/log/decisions.sqlite3``
  (absolute): an SQLite log there;
- ``postgresql://user@host:5432/db`` (or ``postgres://``, any libpq URL): a log shared by every
  process given the same URL (``engine.postgres_store``; psycopg loads only then).

Example:
    >>> store_kind("sqlite:///state/"), store_kind("postgresql://db/log"), store_kind(None)
    ('sqlite', 'postgresql', 'sqlite')
    >>> sqlite_path("sqlite:///state/"), sqlite_path("sqlite:////srv/log.db")
    ('state/', '/srv/log.db')
    >>> store_kind("mysql://db")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    engine.errors.ConfigError: store: expected sqlite:///<folder or file> or
        postgresql://<user>@<host>/<database>, got 'mysql://db'
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.decision_store import DecisionStore
from engine.errors import ConfigError

__all__ = ["open_store", "sqlite_path", "store_kind"]

_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://")


def store_kind(url: str | None) -> str:
    """``"sqlite"`` or ``"postgresql"``.

    Raises:
        ConfigError: neither scheme (the message shows both forms).
    """
    if url is None or (isinstance(url, str) and url.startswith(_SQLITE)):
        return "sqlite"
    if isinstance(url, str) and url.startswith(_POSTGRES):
        return "postgresql"
    raise ConfigError(f"store: expected sqlite:///<folder or file> or "
                      f"postgresql://<user>@<host>/<database>, got {url!r:.120}")


def sqlite_path(url: str) -> str:
    """The folder or file of an ``sqlite:///`` URL (a fourth slash makes it absolute)."""
    path = url[len(_SQLITE):]
    if not path:
        raise ConfigError(f"store: expected a folder or file after {_SQLITE}, got {url!r}")
    return path


def open_store(url: str | None, state_dir: str | os.PathLike | None = None, *,
               synchronous: str = "NORMAL", read_only: bool = False) -> DecisionStore:
    """Open the log a URL names (``state_dir``'s SQLite log when ``url`` is None).

    Args:
        url: a store URL (module doc) or None.
        state_dir: the engine's state folder, used when ``url`` is None.
        synchronous: SQLite's durability setting (PostgreSQL's is the server's).
        read_only: open an existing log to read only (another process writes it).

    Raises:
        ConfigError: an unknown scheme, or neither a URL nor a state folder.
        StoreError: the log cannot be opened.
    """
    kind = store_kind(url)
    if kind == "postgresql":
        from engine.postgres_store import PostgresLog

        assert url is not None
        return PostgresLog(url, read_only=read_only)
    from engine.store import DecisionLog

    if url is not None:
        return DecisionLog(Path(sqlite_path(url)), synchronous=synchronous,
                           read_only=read_only)
    if state_dir is None:
        raise ConfigError("store: expected a store URL or a state_dir, got neither")
    return DecisionLog(Path(state_dir), synchronous=synchronous, read_only=read_only)
