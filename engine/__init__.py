"""Engine: choose and reward in production.

Example:
    >>> from engine import Engine, Decision
    >>> Engine.__name__, Decision.__name__
    ('Engine', 'Decision')
"""

from engine.decision import Decision, Explanation, RewardAck
from engine.engine import Engine
from engine.options import EngineOptions

__all__ = ["Decision", "Engine", "EngineOptions", "Explanation", "RewardAck"]
