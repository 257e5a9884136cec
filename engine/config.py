"""A catalog file in full: its actions, its ``[rules]`` and its ``[engine]`` options.

The catalog module reads the actions only; this module puts the three sections together, so that
neither the catalog nor the rules nor the options need to know of each other.

Example:
    >>> from importlib.resources import files
    >>> cat, rules, settings = load_config(files("engine") / "catalogs" / "example.toml")
    >>> len(cat.messages), rules.max_per_day, settings["reward_window"]
    (4, 1, '7d')
"""

from __future__ import annotations

import os
from typing import Any

from engine.catalog import Catalog, catalog_from_document, read_toml
from engine.contact_rules import RulesConfig
from engine.errors import CatalogError, ConfigError
from engine.options import EngineOptions

__all__ = ["config_from_document", "load_config"]


def load_config(path: str | os.PathLike[str]) -> tuple[Catalog, RulesConfig, dict[str, Any]]:
    """Load a TOML catalog with its ``[rules]`` and ``[engine]`` sections.

    Args:
        path: the TOML file.

    Returns:
        ``(catalog, rules_config, engine_settings)``; ``engine_settings`` is the ``[engine]``
        table as a plain dict (checked against ``EngineOptions``, passed to ``Engine``).

    Raises:
        CatalogError: unreadable or malformed file; the message names the file and the key.
    """
    return config_from_document(read_toml(path), str(path))


def config_from_document(doc: dict[str, Any], where: str
                         ) -> tuple[Catalog, RulesConfig, dict[str, Any]]:
    """:func:`load_config` of a parsed TOML document (``where`` names it in errors): what a
    worker that received the file's content builds.

    Raises:
        CatalogError: malformed content; the message names ``where`` and the key.
    """
    catalog = catalog_from_document(doc, where)
    for section in ("rules", "engine"):
        if not isinstance(doc.get(section, {}), dict):
            raise CatalogError(f"{where}: [{section}]: expected a table, got {doc[section]!r}")
    try:
        rules = RulesConfig.from_dict(doc.get("rules", {}), channels=catalog)
    except ConfigError as exc:
        raise CatalogError(f"{where}: [rules] {exc}") from None
    settings = dict(doc.get("engine", {}))
    try:  # checked here too, so the error names the file; Engine checks them again
        EngineOptions.from_dict(settings)
    except ConfigError as exc:
        raise CatalogError(f"{where}: [engine] {exc}") from None
    return catalog, rules, settings
