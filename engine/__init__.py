"""Engine: choose and reward in production.

The names below load on first use (PEP 562), so ``import engine.catalog`` or ``engine.config``
does not start Vowpal Wabbit: tools that only read a catalog stay light.

Example:
    >>> import tempfile
    >>> from engine import Engine
    >>> with tempfile.TemporaryDirectory() as d, Engine(messages=["welcome10"],
    ...         channels=["email"], state_dir=d) as eng:
    ...     d1 = eng.choose("c1", {"consent": {"email": True}}, now=1.7e9)
    ...     (d1.message, d1.channel) in {("welcome10", "email"), (None, None)}
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.decision import Decision, Explanation, RewardAck
    from engine.engine import Engine
    from engine.options import EngineOptions

__all__ = ["Decision", "Engine", "EngineOptions", "Explanation", "RewardAck"]

_HOME = {"Decision": "engine.decision", "Explanation": "engine.decision",
         "RewardAck": "engine.decision", "Engine": "engine.engine",
         "EngineOptions": "engine.options"}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
