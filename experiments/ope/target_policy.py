"""A target policy from ``policies/`` evaluated on a log: its (n, K) distribution per context.

The policy is built by name (``policies.make_policy``) for a :class:`~policies.Problem` derived
from the log (its context columns and actions; the actions' attributes when the log has them,
else one indicator per action). A learning policy may first learn from the first part of the log
(``train_fraction``); it is then evaluated on the rest only, so no row is used twice.

Example:
    >>> import numpy as np
    >>> from ope.readers.logged_decisions import LoggedDecisions
    >>> from experiments.ope.target_policy import target_probabilities
    >>> log = LoggedDecisions(np.zeros((4, 1)), ("x",), np.array([0, 1, 0, 1]),
    ...                       np.full(4, 0.5), np.ones(4), np.ones((4, 2), bool), ("a", "b"))
    >>> rest, probs = target_probabilities(log, "random", seed=0)
    >>> rest.n, probs.tolist()[0]
    (4, [0.5, 0.5])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ope.errors import OPEInputError
from ope.readers.logged_decisions import LoggedDecisions

__all__ = ["log_problem", "target_probabilities"]


def log_problem(log: LoggedDecisions):
    """The :class:`policies.Problem` a target policy sees for this log."""
    from policies import Problem

    if log.action_features is not None:
        feats, feat_names = log.action_features, log.action_feature_names
    else:
        feats, feat_names = np.eye(log.n_actions), tuple(f"is_{a}" for a in log.action_names)
    return Problem(context_names=log.context_names, action_names=log.action_names,
                   action_features=feats, action_feature_names=feat_names)


def target_probabilities(log: LoggedDecisions, name: str, params: Mapping[str, Any] | None = None,
                         seed: int = 0, train_fraction: float = 0.0
                         ) -> tuple[LoggedDecisions, np.ndarray]:
    """Build policy ``name``, let it learn from the first ``train_fraction`` of the log, and
    return the remaining rows with the policy's (n, K) distribution on them.

    Raises:
        OPEInputError: the policy cannot be built or does not return a distribution per row.
    """
    from policies import make_policy
    from policies.errors import PolicyError

    train, rest = log.split(train_fraction)
    if rest.n == 0:
        raise OPEInputError(f"train_fraction {train_fraction} leaves no rows to evaluate on")
    try:
        policy = make_policy(name, log_problem(log), seed, **dict(params or {}))
        if train.n:
            policy.learn(train.contexts, train.actions, train.propensities, train.rewards)
        probs = np.asarray(policy.action_probabilities(rest.contexts, rest.eligible), dtype=float)
    except PolicyError as exc:
        raise OPEInputError(f"target policy {name!r}: {exc}") from exc
    if probs.shape != (rest.n, log.n_actions):
        raise OPEInputError(
            f"target policy {name!r} returned action probabilities of shape {probs.shape}, "
            f"expected {(rest.n, log.n_actions)}"
        )
    return rest, probs
