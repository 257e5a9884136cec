"""Engine: choose and reward in production.

The names below load on first use (PEP 562), so ``import engine.catalog`` or ``engine.config``
does not start Vowpal Wabbit: tools that only read a catalog stay light.

Example:
    >>> import tempfile
    >>> from engine import Engine
    >>> from engine.clock import ManualClock
    >>> noon = 1_699_963_200.0  # 2023-11-14 12:00 UTC, outside the default quiet hours
    >>> with tempfile.TemporaryDirectory() as d, Engine(messages=["welcome10"],
    ...         channels=["email"], state_dir=d, clock=ManualClock(noon)) as eng:
    ...     d1 = eng.choose("c1", {"consent": {"email": True}}, now=noon)
    ...     candidates = sorted(name for name, _ in d1.explain().top_actions)
    ...     ack = eng.reward(d1.decision_id, 1.0, now=noon + 3600)
    ...     d2 = eng.choose("c2", {}, now=noon)  # no consent on record
    >>> candidates, d1.probability  # nothing learned yet: a coin flip
    (['no_contact', 'welcome10/email/now'], 0.5)
    >>> ack.learned, d2.action_name
    (True, 'no_contact')
    >>> print(d2.reason)
    only no contact is left: consent removed 1 action(s) (no consent for email)
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
