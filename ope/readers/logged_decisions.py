"""Logged decisions as arrays, whatever file they came from (engine Parquet, DSJSON, simulator).

Example:
    >>> import numpy as np
    >>> from ope.readers.logged_decisions import LoggedDecisions
    >>> log = LoggedDecisions(contexts=np.zeros((2, 1)), context_names=("age",),
    ...                       actions=np.array([0, 1]), propensities=np.array([0.5, 0.5]),
    ...                       rewards=np.array([1.0, 0.0]), eligible=np.ones((2, 2), bool),
    ...                       action_names=("a", "b"))
    >>> log.n, log.n_actions, log.split(0.5)[1].n
    (2, 2, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ope.errors import LogFormatError

__all__ = ["LoggedDecisions"]


@dataclass(frozen=True)
class LoggedDecisions:
    """n logged decisions over K actions, in log order.

    Attributes:
        contexts: (n, d) float context columns. context_names: their d names.
        actions: (n,) int64 logged action indices. propensities: (n,) logger's probabilities.
        rewards: (n,) float. eligible: (n, K) bool, the actions that could be played per row.
        action_names: the K action names.
        logging_probs: (n, K) the logger's full distribution when the log has it (DSJSON), else
            None.
        skipped: how many records of the file were left out, by reason.
        action_features: (K, F) attributes of the actions when the log has them (DSJSON's
            ``_multi``, the simulator's catalog), else None. action_feature_names: their F names.
        expected_rewards: (n, K) the world's expected reward of every action per row, known only
            for simulated logs: the truth a target's estimate is judged against.
        learner_features: per row, the JSON of the shared features the engine's learner saw
            (the engine export's ``features`` column), so a saved engine model can be replayed
            as the target; None for other logs.
    """

    contexts: np.ndarray
    context_names: tuple[str, ...]
    actions: np.ndarray
    propensities: np.ndarray
    rewards: np.ndarray
    eligible: np.ndarray
    action_names: tuple[str, ...]
    logging_probs: np.ndarray | None = None
    skipped: tuple[tuple[str, int], ...] = ()
    action_features: np.ndarray | None = None
    action_feature_names: tuple[str, ...] = ()
    expected_rewards: np.ndarray | None = None
    learner_features: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        n = self.actions.shape[0]
        for name in ("contexts", "propensities", "rewards", "eligible"):
            if getattr(self, name).shape[0] != n:
                raise LogFormatError(f"{name} has {getattr(self, name).shape[0]} rows, actions {n}")
        if self.eligible.shape[1] != len(self.action_names):
            raise LogFormatError(
                f"eligible has {self.eligible.shape[1]} columns but there are "
                f"{len(self.action_names)} action_names"
            )

    @property
    def n(self) -> int:
        """Number of decisions."""
        return self.actions.shape[0]

    @property
    def n_actions(self) -> int:
        """K."""
        return len(self.action_names)

    def split(self, fraction: float) -> tuple[LoggedDecisions, LoggedDecisions]:
        """The first ``fraction`` of the log and the rest (train the target, evaluate it)."""
        if not 0.0 <= fraction < 1.0:
            raise LogFormatError(f"train fraction must be in [0, 1), got {fraction}")
        cut = round(self.n * fraction)
        return self._rows(slice(0, cut)), self._rows(slice(cut, self.n))

    def _rows(self, rows: slice) -> LoggedDecisions:
        def cut(arr: np.ndarray | None) -> np.ndarray | None:
            return None if arr is None else arr[rows]

        return replace(self, contexts=self.contexts[rows], actions=self.actions[rows],
                       propensities=self.propensities[rows], rewards=self.rewards[rows],
                       eligible=self.eligible[rows], logging_probs=cut(self.logging_probs),
                       expected_rewards=cut(self.expected_rewards),
                       learner_features=None if self.learner_features is None
                       else self.learner_features[rows])

    def true_value(self, target_probs: np.ndarray) -> float | None:
        """The target's true mean reward on these rows (simulated logs only, else None)."""
        if self.expected_rewards is None:
            return None
        return float(np.einsum("ij,ij->i", target_probs, self.expected_rewards).mean())
