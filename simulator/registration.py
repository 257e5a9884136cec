"""Registration of the gymnasium ids (idempotent, done on ``import simulator``).

Example:
    >>> import gymnasium as gym
    >>> register_envs()
    >>> ENV_ID in gym.registry
    True
"""

from __future__ import annotations

import gymnasium

__all__ = ["ENV_ID", "register_envs"]

ENV_ID = "offerbandit/Customers-v0"


def register_envs() -> None:
    """Register ``offerbandit/Customers-v0`` (single customer; vector entry point = batch)."""
    if ENV_ID in gymnasium.registry:
        return
    gymnasium.register(id=ENV_ID, entry_point="simulator.gym_env:CustomerEnv",
                       vector_entry_point="simulator.gym_env:CustomerVectorEnv")
