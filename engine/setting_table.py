"""One check of a table of settings (``[engine.selection]``, ``[engine.drift]``,
``[engine.prices]``): a table, and no key it does not know, each refusal naming the field.

Example:
    >>> setting_table({"refresh_every": 5}, "prices", ["enabled", "refresh_every"])
    {'refresh_every': 5}
    >>> setting_table({"refresh_evry": 5}, "prices", ["enabled", "refresh_every"])
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    engine.errors.ConfigError: prices.refresh_evry: unknown setting; expected one of enabled,
        refresh_every
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.errors import ConfigError

__all__ = ["setting_table"]


def setting_table(value: object, name: str, known: Sequence[str]) -> Mapping[str, Any]:
    """``value`` as the table of settings ``name``.

    Raises:
        ConfigError: not a table (naming ``name``), or a key outside ``known`` (naming
            ``name.key`` and the keys it knows).
    """
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name}: expected a table, got {value!r:.80}")
    for key in value:
        if key not in known:
            raise ConfigError(f"{name}.{key}: unknown setting; expected one of "
                              f"{', '.join(known)}")
    return value
