"""Simulator: a gymnasium world of customers who answer messages.

Importing the package registers the gymnasium ids ``offerbandit/Customers-v0`` (one customer
per step; ``gym.make_vec`` gives the batch world as a vector env).

Example:
    >>> from simulator import load_scenario, CustomerBatchEnv
    >>> env = CustomerBatchEnv(load_scenario("small"), batch_size=10, seed=0)
    >>> obs, info = env.reset(seed=0)
    >>> env.expected_rewards().shape
    (10, 201)
"""

from simulator.batch_env import CustomerBatchEnv
from simulator.calibration import measure_funnel
from simulator.catalog import Catalog
from simulator.errors import (
    ActionError,
    ActionNotEligibleError,
    ActionOutOfRangeError,
    CapacityExceededError,
    EpisodeEndedError,
    EpisodeNotStartedError,
    EpisodeStateError,
    ScenarioError,
    ScenarioFileError,
    SimulatorError,
    UnknownScenarioError,
)
from simulator.funnel_stats import FunnelCounter
from simulator.gym_env import CustomerEnv, CustomerVectorEnv
from simulator.registration import ENV_ID, register_envs
from simulator.scenario import Scenario, load_scenario, scenario_names

register_envs()

__all__ = [
    "ENV_ID",
    "ActionError",
    "ActionNotEligibleError",
    "ActionOutOfRangeError",
    "CapacityExceededError",
    "Catalog",
    "CustomerBatchEnv",
    "CustomerEnv",
    "CustomerVectorEnv",
    "EpisodeEndedError",
    "EpisodeNotStartedError",
    "EpisodeStateError",
    "FunnelCounter",
    "Scenario",
    "ScenarioError",
    "ScenarioFileError",
    "SimulatorError",
    "UnknownScenarioError",
    "load_scenario",
    "measure_funnel",
    "register_envs",
    "scenario_names",
]
