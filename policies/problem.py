"""The shape of a decision problem, as every policy sees it.

A policy never sees a simulator or an engine: it sees a :class:`Problem` (what the context columns
and the actions are) and numpy batches.

Example:
    >>> import numpy as np
    >>> from policies.problem import Problem
    >>> p = Problem(context_names=("age", "vip"), action_names=("a", "b"),
    ...             action_features=np.eye(2), action_feature_names=("is_a", "is_b"))
    >>> p.n_actions, p.context_dim
    (2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from policies.errors import PolicyConfigError

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """What a policy needs to know about the world it acts in.

    Attributes:
        context_names: names of the d context columns, in order.
        action_names: names of the K actions, in order.
        action_features: (K, F) float array, one row of attributes per action (message theme,
            offer, discount, channel, timing, ...), so learners generalise across actions.
        action_feature_names: names of the F action-feature columns.
        no_contact_action: index of the explicit *no contact* action, or None.
        segment_column: name of the context column(s) prefix that holds the customer segment
            (one-hot columns named ``f"{segment_column}={value}"``), used by segment rules.
    """

    context_names: tuple[str, ...]
    action_names: tuple[str, ...]
    action_features: np.ndarray
    action_feature_names: tuple[str, ...]
    no_contact_action: int | None = None
    segment_column: str = "segment"
    metadata: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        feats = np.asarray(self.action_features, dtype=np.float64)
        if feats.ndim != 2:
            raise PolicyConfigError(
                f"action_features must be a (K, F) array, got shape {feats.shape}"
            )
        if feats.shape[0] != len(self.action_names):
            raise PolicyConfigError(
                f"action_features has {feats.shape[0]} rows but there are "
                f"{len(self.action_names)} action_names; give one row per action"
            )
        if feats.shape[1] != len(self.action_feature_names):
            raise PolicyConfigError(
                f"action_features has {feats.shape[1]} columns but there are "
                f"{len(self.action_feature_names)} action_feature_names"
            )
        if not np.all(np.isfinite(feats)):
            raise PolicyConfigError("action_features must be finite (found NaN or inf)")
        nc = self.no_contact_action
        if nc is not None and not 0 <= nc < len(self.action_names):
            raise PolicyConfigError(
                f"no_contact_action must be an index in [0, {len(self.action_names)}), got {nc}"
            )
        object.__setattr__(self, "action_features", feats)

    @property
    def n_actions(self) -> int:
        """K, the number of actions."""
        return len(self.action_names)

    @property
    def context_dim(self) -> int:
        """d, the number of context columns."""
        return len(self.context_names)

    def segment_columns(self) -> np.ndarray:
        """Indices of the one-hot segment columns in the context (may be empty)."""
        prefix = f"{self.segment_column}="
        return np.array([i for i, n in enumerate(self.context_names) if n.startswith(prefix)],
                        dtype=np.int64)
