"""Map the engine's typed errors to HTTP statuses, and shape every error answer alike.

Client mistakes become 4xx with the engine's own message (it names the field, the expected and the
actual value). A failing store is not the client's fault: 503, so callers retry.

Example:
    >>> from engine.errors import UnknownDecisionError, DuplicateRewardError
    >>> status_for(UnknownDecisionError("decision_id: no such decision"))
    404
    >>> status_for(DuplicateRewardError("already rewarded"))
    409
"""

from __future__ import annotations

from engine import errors as E

__all__ = ["STATUS_BY_ERROR", "status_for"]

# Most specific first: the first isinstance match wins.
STATUS_BY_ERROR: tuple[tuple[type[BaseException], int], ...] = (
    (E.UnknownDecisionError, 404),
    (E.ExpiredDecisionError, 410),
    (E.DuplicateRewardError, 409),
    (E.InactiveDecisionError, 409),
    (E.ContextError, 422),
    (E.RewardError, 422),
    (E.ConfigError, 400),
    (E.StoreError, 503),
    (E.CheckpointError, 503),
    (E.EngineError, 400),
)


def status_for(exc: BaseException) -> int:
    """The HTTP status for an engine error (400 for an engine error not listed)."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 400
