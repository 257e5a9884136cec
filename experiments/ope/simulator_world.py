"""Logs from the simulator, where the truth is known: the estimators' validation in our own world.

A logger explores the :class:`simulator.CustomerBatchEnv` (a softmax over the world's expected
rewards, mixed with uniform over the eligible actions, so every eligible action has a known
positive probability). Each decision's reward is its total (immediate part plus what matures
later, flushed at the end). The target is a sharper softmax over the same expected rewards. Its
true value on the logged contexts is ``mean_i sum_a pi(a|x_i) R(x_i, a)`` with ``R`` the
simulator's expected total reward: the quantity the estimators estimate (the value of the target
on the customers, in the states, that the log met).

Example:
    >>> from experiments.ope.simulator_world import SimulatorWorld
    >>> w = SimulatorWorld("small", batch_size=100)
    >>> log = w.sample_log(300, seed=0)
    >>> log.target_probs.shape, round(log.truth, 3)  # the target's value on these customers
    ((300, 201), 0.575)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from experiments.ope.synthetic_world import SyntheticLog
from ope.errors import OPEInputError

__all__ = ["SimulatorLog", "SimulatorWorld"]


@dataclass(frozen=True)
class SimulatorLog(SyntheticLog):
    """A :class:`SyntheticLog` that carries its own conditional truth."""

    truth: float | None = None


def _softmax_over(scores: np.ndarray, eligible: np.ndarray, temperature: float) -> np.ndarray:
    z = np.where(eligible, temperature * scores, -np.inf)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class SimulatorWorld:
    """The simulator with a softmax logger and a softmax target over its expected rewards.

    Args:
        scenario: a simulator scenario name. batch_size: customers per env step.
        logger_temperature / target_temperature: inverse temperatures (per unit of reward).
        logger_epsilon: share of uniform exploration in the logger.
    """

    scenario: str = "baseline"
    batch_size: int = 500
    logger_temperature: float = 2.0
    target_temperature: float = 6.0
    logger_epsilon: float = 0.3

    action_features: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from simulator import CustomerBatchEnv

        if not 0.0 < self.logger_epsilon <= 1.0:
            raise OPEInputError(f"logger_epsilon must be in (0, 1], got {self.logger_epsilon}")
        catalog = CustomerBatchEnv(self.scenario, batch_size=1, seed=0).catalog
        # (K, F) message/channel/timing attributes: the reward model shares strength across
        # the 200 actions through them instead of fitting each from a few dozen rows.
        object.__setattr__(self, "action_features", np.array(catalog.action_features, float))

    @property
    def n_actions(self) -> int:
        """K of the scenario."""
        return self.action_features.shape[0]

    def sample_log(self, n: int, seed: int) -> SimulatorLog:
        """About ``n`` logged decisions (whole batches) from a fresh episode seeded ``seed``."""
        from simulator import CustomerBatchEnv

        env = CustomerBatchEnv(self.scenario, batch_size=self.batch_size, seed=seed)
        rng = np.random.default_rng(seed + 1_000_003)
        obs, info = env.reset(seed=seed)
        parts: dict[str, list[np.ndarray]] = {k: [] for k in ("x", "a", "p", "t", "refs")}
        values, totals = [], {}
        for _ in range(-(-n // self.batch_size)):
            eligible, truth = info["eligible"], env.expected_rewards()
            uniform = eligible / eligible.sum(axis=1, keepdims=True)
            logging = ((1 - self.logger_epsilon) * _softmax_over(truth, eligible,
                                                                 self.logger_temperature)
                       + self.logger_epsilon * uniform)
            target = _softmax_over(truth, eligible, self.target_temperature)
            cum = logging.cumsum(axis=1)
            a = np.minimum((cum < rng.random((len(cum), 1))).sum(axis=1), cum.shape[1] - 1)
            rows = np.arange(len(a))
            parts["x"].append(obs)
            parts["a"].append(a)
            parts["p"].append(logging[rows, a])
            parts["t"].append(target)
            values.append(np.einsum("ij,ij->i", target, truth))
            obs, _, _, truncated, info = env.step(a)
            parts["refs"].append(info["refs"])
            totals.update(zip(info["matured_refs"].tolist(), info["matured_rewards"].tolist(),
                              strict=True))
            if truncated:
                break
        refs, late = env.flush()
        totals.update(zip(refs.tolist(), late.tolist(), strict=True))
        all_refs = np.concatenate(parts["refs"])
        rewards = np.array([totals.get(r, 0.0) for r in all_refs.tolist()])
        return SimulatorLog(
            contexts=np.concatenate(parts["x"]), actions=np.concatenate(parts["a"]),
            propensities=np.concatenate(parts["p"]), rewards=rewards,
            target_probs=np.concatenate(parts["t"]), logging_probs=np.zeros((0, 0)),
            truth=float(np.concatenate(values).mean()),
        )
