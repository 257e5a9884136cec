"""A tiny seeded world for policy tests: rewards linear in context x action features.

Two customer segments (one-hot), two numeric context columns, six actions described by three
attributes. The expected reward of action a for context x is ``[1, x] @ W @ [1, z_a]`` with W
chosen so that each segment prefers a different action and the numeric columns matter too, so a
contextual learner beats a per-segment rule, which beats one fixed action, which beats random.
"""

from __future__ import annotations

import numpy as np

from policies import Problem
from policies.base import SeesTruth

CONTEXT_NAMES = ("segment=a", "segment=b", "recency", "tenure")
ACTION_FEATURES = np.array([
    [1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0],
    [0.0, 0.0, 1.0],
    [1.0, 1.0, 0.0],
    [0.0, 1.0, 1.0],
    [1.0, 0.0, 1.0],
])
# Rows: bias, segment=a, segment=b, recency, tenure; columns: bias, f0, f1, f2.
WEIGHTS = np.array([
    [0.20, 0.00, 0.05, 0.00],
    [0.00, 0.30, -0.20, 0.00],
    [0.00, -0.20, 0.00, 0.30],
    [0.00, 0.00, 0.25, -0.10],
    [0.00, 0.10, 0.00, 0.15],
])
NOISE = 0.3


def make_problem() -> Problem:
    """The world's problem: 4 context columns (2 segment one-hots), 6 actions, 3 attributes."""
    return Problem(context_names=CONTEXT_NAMES,
                   action_names=tuple(f"action{i}" for i in range(len(ACTION_FEATURES))),
                   action_features=ACTION_FEATURES, action_feature_names=("f0", "f1", "f2"))


class LinearWorld:
    """Draws customers and noisy rewards; knows the expected reward of every action."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def contexts(self, n: int) -> np.ndarray:
        """(n, 4): a segment one-hot and two standard-normal columns."""
        seg = self.rng.integers(0, 2, n)
        onehot = np.eye(2)[seg]
        return np.hstack([onehot, self.rng.standard_normal((n, 2))])

    def eligible(self, n: int) -> np.ndarray:
        """(n, 6) bool: each action eligible with probability 0.8, at least one per row."""
        e = self.rng.random((n, len(ACTION_FEATURES))) < 0.8
        e[np.arange(n), self.rng.integers(0, len(ACTION_FEATURES), n)] = True
        return e

    @staticmethod
    def expected(contexts: np.ndarray) -> np.ndarray:
        """(n, 6) expected reward of every action."""
        x = np.hstack([np.ones((len(contexts), 1)), contexts])
        z = np.hstack([np.ones((len(ACTION_FEATURES), 1)), ACTION_FEATURES])
        return x @ WEIGHTS @ z.T

    def rewards(self, contexts: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """(n,) noisy rewards of the played actions."""
        mean = self.expected(contexts)[np.arange(len(actions)), actions]
        return mean + NOISE * self.rng.standard_normal(len(actions))


def run(policy, seed: int, decisions: int, batch: int = 50) -> np.ndarray:
    """Play ``decisions`` decisions in batches; return the (decisions,) expected reward of each
    chosen action (the regret-free measure of what the policy chose)."""
    world = LinearWorld(seed)
    out = []
    for _ in range(decisions // batch):
        x, e = world.contexts(batch), world.eligible(batch)
        if isinstance(policy, SeesTruth):
            policy.see_expected(world.expected(x))
        a, p = policy.act(x, e)
        policy.learn(x, a, p, world.rewards(x, a))
        out.append(world.expected(x)[np.arange(batch), a])
    return np.concatenate(out)
