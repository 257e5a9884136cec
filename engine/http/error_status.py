"""Map errors to HTTP answers: one status, one body shape, for every refused request.

Client mistakes become 4xx with the engine's own message (it names the field, the expected and the
actual value). A failing store or checkpoint is not the client's fault: 503, so callers retry. An
error nobody meant to raise (a bug) is a 500 with the same JSON body (:func:`internal_answer`),
never a text page. The FastAPI exception handlers, the hot path (``engine.http.hot_path``) and
the service's last-resort guard all answer through here, so a refusal reads the same whichever
way it came.

Example:
    >>> from engine.errors import UnknownDecisionError, DuplicateRewardError
    >>> status_for(UnknownDecisionError("decision_id: no such decision"))
    404
    >>> a = error_answer(DuplicateRewardError("decision_id: 'd1' already rewarded"))
    >>> a.status, a.kind, a.body["detail"]
    (409, 'DuplicateRewardError', "decision_id: 'd1' already rewarded")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from engine.errors import (
    CheckpointError,
    ConfigError,
    ContextError,
    DuplicateRewardError,
    EngineError,
    ExpiredDecisionError,
    InactiveDecisionError,
    RewardError,
    StoreError,
    UnknownDecisionError,
)

__all__ = ["INTERNAL", "STATUS_BY_ERROR", "ErrorAnswer", "error_answer", "internal_answer",
           "status_for", "validation_detail"]

#: The error kind of an unexpected error (a bug): 500, counted under this name.
INTERNAL = "internal"

# Most specific first: the first isinstance match wins.
STATUS_BY_ERROR: tuple[tuple[type[BaseException], int], ...] = (
    (UnknownDecisionError, 404),
    (ExpiredDecisionError, 410),
    (DuplicateRewardError, 409),
    (InactiveDecisionError, 409),
    (ContextError, 422),
    (RewardError, 422),
    (ConfigError, 400),
    (StoreError, 503),
    (CheckpointError, 503),
    (EngineError, 400),
)


def status_for(exc: BaseException) -> int:
    """The HTTP status for an engine error (400 for an engine error not listed)."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 400


@dataclass(frozen=True)
class ErrorAnswer:
    """A refusal: status, the error kind (for ``offerbandit_errors_total``), JSON body, headers."""

    status: int
    kind: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def validation_detail(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    """One line naming each bad field and what came, plus the same as a list."""
    errors = []
    for e in exc.errors():
        given = e.get("input")
        shown = None if isinstance(given, dict | list) or given is None else repr(given)[:80]
        errors.append({"field": ".".join(str(p) for p in e.get("loc", ())),
                       "message": e.get("msg", ""), "got": shown})
    detail = "; ".join(f"{e['field']}: {e['message']}" + (f" (got {e['got']})" if e["got"] else "")
                       for e in errors)
    return detail, errors


def internal_answer() -> ErrorAnswer:
    """The 500 of an unexpected error: the same body shape as every refusal, no internals.

    Example:
        >>> internal_answer().body["error"]
        'internal'
    """
    return ErrorAnswer(500, INTERNAL, {"error": INTERNAL, "detail": "an unexpected error in the "
                                       "service; it was logged there"})


def error_answer(exc: BaseException) -> ErrorAnswer | None:
    """The answer for an error we refuse on purpose; None for anything else (a real 500)."""
    if isinstance(exc, EngineError):
        kind = type(exc).__name__
        return ErrorAnswer(status_for(exc), kind, {"error": kind, "detail": str(exc)})
    if isinstance(exc, RequestValidationError):
        detail, errors = validation_detail(exc)
        return ErrorAnswer(422, "validation",
                           {"error": "validation", "detail": detail, "errors": errors})
    if isinstance(exc, HTTPException):
        kind = "PayloadTooLarge" if exc.status_code == 413 else f"http_{exc.status_code}"
        return ErrorAnswer(exc.status_code, kind, {"error": kind, "detail": str(exc.detail)},
                           dict(exc.headers or {}))
    return None
