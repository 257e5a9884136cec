"""The gymnasium faces of the world: one customer per step, and a vector form.

Example:
    >>> import gymnasium as gym
    >>> import simulator  # registers the ids
    >>> env = gym.make("offerbandit/Customers-v0", scenario="small")
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape == env.observation_space.shape, info["action_mask"].shape
    (True, (201,))
    >>> obs, reward, terminated, truncated, info = env.step(env.unwrapped.no_contact_action)
    >>> reward, info["ref"]
    (0.0, 0)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from simulator.batch_env import CustomerBatchEnv
from simulator.errors import ActionOutOfRangeError
from simulator.scenario import Scenario, load_scenario

__all__ = ["CustomerEnv", "CustomerVectorEnv"]

_OUTCOMES = ("delivered", "opened", "clicked", "converted", "unsubscribed", "churned")


def _scenario(scenario: Scenario | str, overrides: dict[str, Any]) -> Scenario:
    """The scenario, with top-level field overrides (validated again)."""
    if isinstance(scenario, Scenario):
        return replace(scenario, **overrides)
    return load_scenario(scenario, **overrides)


def _observation_space(n: int) -> spaces.Box:
    return spaces.Box(low=-1.0, high=1.0, shape=(n,), dtype=np.float64)


class CustomerEnv(gymnasium.Env):
    """One customer per step: the next customer who can be contacted, and what we send them.

    ## Observation
    ``Box(-1, 1, (d,), float64)``: the customer's context, columns :attr:`context_names` (one-hots
    ``col=value``, scaled numbers, consent per channel, contact pressure, local hour).

    ## Action
    ``Discrete(K)``: an index into the catalog (``env.unwrapped.catalog``). ``info["action_mask"]``
    (K,) int8 marks the eligible ones; by default an ineligible action sends nothing
    (``info["invalid_action"]`` is True), or raises with ``ineligible="raise"``.

    ## Reward
    The part known at once (minus the channel cost). The total reward of each decision arrives
    later, once, in ``info["matured"]`` ({decision ref: total}); ``info["ref"]`` is the ref of
    the decision just made.

    ## Episode end
    Never terminates; truncates at the scenario's ``horizon_hours`` or at ``max_steps``.

    Args:
        scenario: a :class:`Scenario`, or the name/path of one.
        seed: seed used by the first ``reset`` when it is given none.
        render_mode: only None.
        ineligible: ``"no_contact"`` (default) or ``"raise"``.
        max_steps: truncate after this many steps.
        **overrides: scenario fields to override.
    """

    # Declared as gymnasium.Env declares it (a plain dict, read from the class by gymnasium.make).
    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012

    def __init__(self, scenario: Scenario | str = "baseline", seed: int | None = None,
                 render_mode: str | None = None,
                 ineligible: Literal["raise", "no_contact"] = "no_contact",
                 max_steps: int | None = None, **overrides: Any) -> None:
        self.world = CustomerBatchEnv(_scenario(scenario, overrides), batch_size=1, seed=seed,
                                      ineligible=ineligible, max_steps=max_steps)
        self.catalog = self.world.catalog
        self.context_names = self.world.context_names
        self.no_contact_action = self.catalog.no_contact_action
        self.observation_space = _observation_space(len(self.context_names))
        self.action_space = spaces.Discrete(self.catalog.n_actions)
        self.render_mode = render_mode
        self._seed = seed

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Draw a new population and present its first customer."""
        if seed is None and self._seed is not None and self._np_random is None:
            seed = self._seed
        super().reset(seed=seed)
        obs, info = self.world.reset(rng=self.np_random)
        return obs[0], self._customer_info(info)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Send ``action`` to the current customer and present the next one."""
        if not isinstance(action, (int, np.integer)) or isinstance(action, bool):
            raise ActionOutOfRangeError(f"action must be an int, got {action!r}")
        mask = self.world._eligible[0]
        if not 0 <= action < len(mask):
            raise ActionOutOfRangeError(
                f"action {action} is out of range; expected an index in [0, {len(mask)})")
        invalid = not mask[action]
        obs, reward, terminated, truncated, info = self.world.step(np.array([action]))
        out = self._customer_info(info)
        out.update({k: bool(info[k][0]) for k in _OUTCOMES})
        out.update(ref=int(info["refs"][0]), invalid_action=invalid,
                   matured=dict(zip(info["matured_refs"].tolist(),
                                    info["matured_rewards"].tolist(), strict=True)),
                   matured_refs=info["matured_refs"], matured_rewards=info["matured_rewards"])
        return obs[0], float(reward[0]), terminated, truncated, out

    def flush(self) -> dict[int, float]:
        """End of run: {ref: total} of every decision still pending."""
        refs, totals = self.world.flush()
        return dict(zip(refs.tolist(), totals.tolist(), strict=True))

    @staticmethod
    def _customer_info(info: dict[str, Any]) -> dict[str, Any]:
        return {"action_mask": info["eligible"][0].astype(np.int8),
                "customer_id": int(info["customer_ids"][0]), "step": info["step"],
                "clock_hours": info["clock_hours"]}


class CustomerVectorEnv(VectorEnv):
    """The batch world as a gymnasium :class:`VectorEnv` of ``num_envs`` customers per step.

    Rewards, terminations and truncations are (num_envs,) arrays; the batch of customers is
    one world, so all rows truncate together, and the next ``step`` resets it (next-step
    autoreset). ``infos`` is the batch world's info dict.
    """

    # Declared as gymnasium's VectorEnv declares it (a plain dict, read from the class).
    metadata: dict[str, Any] = {"render_modes": [],  # noqa: RUF012
                                "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int = 1000, scenario: Scenario | str = "baseline",
                 seed: int | None = None, ineligible: Literal["raise", "no_contact"] = "raise",
                 max_steps: int | None = None, **overrides: Any) -> None:
        self.world = CustomerBatchEnv(_scenario(scenario, overrides), batch_size=num_envs,
                                      seed=seed, ineligible=ineligible, max_steps=max_steps)
        self.num_envs = num_envs
        self.single_observation_space = _observation_space(len(self.world.context_names))
        self.single_action_space = spaces.Discrete(self.world.catalog.n_actions)
        self.observation_space = spaces.Box(-1.0, 1.0, (num_envs,
                                                        len(self.world.context_names)),
                                            dtype=np.float64)
        self.action_space = spaces.MultiDiscrete(np.full(num_envs,
                                                         self.world.catalog.n_actions))
        self._needs_reset = False

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Draw a new population and present the first batch."""
        self._needs_reset = False
        return self.world.reset(seed=seed)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                 np.ndarray, dict[str, Any]]:
        """Step the batch world (or reset it, the step after a truncation)."""
        n = self.num_envs
        if self._needs_reset:
            obs, info = self.reset()
            return obs, np.zeros(n), np.zeros(n, bool), np.zeros(n, bool), info
        obs, reward, terminated, truncated, info = self.world.step(np.asarray(actions))
        self._needs_reset = truncated
        return obs, reward, np.full(n, terminated), np.full(n, truncated), info
