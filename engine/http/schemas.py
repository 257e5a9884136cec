"""Request and response bodies of the HTTP API (pydantic, so FastAPI validates and documents them).

Example:
    >>> ChooseRequest(customer_id="c1", context={"age": 34}).customer_id
    'c1'
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.features import MAX_CONTEXT_KEYS
from engine.ids import MAX_ID_LENGTH

__all__ = [
    "ChooseBatchRequest",
    "ChooseBatchResponse",
    "ChooseRequest",
    "DecisionOut",
    "ErrorBody",
    "ForgetResponse",
    "RewardRequest",
    "RewardResponse",
]

class _Strict(BaseModel):
    # Unknown fields are refused: a typo like "contxt" must be a 422, not a silently empty context.
    # Strict types: no true for a number, no "1" for a number, no 1 for a string.
    model_config = ConfigDict(extra="forbid", strict=True)


class ChooseRequest(_Strict):
    """One customer to decide for."""

    customer_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH, examples=["customer-42"])
    # The engine checks the values (ids, numbers, categories, lists, consent maps, the time) and
    # says which one is wrong: one validator, not two that could disagree. The OpenAPI document
    # states its limits (engine.http.input_schema).
    context: dict[str, Any] = Field(
        default_factory=dict, max_length=MAX_CONTEXT_KEYS,
        examples=[{"age": 34, "segment": "vip", "consent": {"email": True}}])
    now: float | None = Field(default=None, allow_inf_nan=False,
                              description="Decision time, Unix seconds (UTC); the server's "
                              "clock when absent.")


class ChooseBatchRequest(_Strict):
    """Many customers in one call (a CRM batch job)."""

    items: list[ChooseRequest] = Field(min_length=1, max_length=1000)


class DecisionOut(BaseModel):
    """What to send, on which channel and when; ``message`` is null for *no contact*."""

    decision_id: str
    customer_id: str
    message: str | None
    channel: str | None
    timing: str | None
    send_at: str | None = Field(description="When to send, ISO 8601 UTC; null for no contact.")
    probability: float
    holdout: bool
    action_index: int
    reason: str | None = Field(description="Why the decision was forced (holdout, nothing "
                               "eligible); null when the policy chose.")
    active: bool = True
    created_at: float = Field(description="Decision time, Unix seconds.")
    explanation: dict[str, Any] | None = Field(
        default=None, description="Top actions, heaviest features, rules' removals; only with "
        "?explain=true (it reads the learned weights).")


class ChooseBatchResponse(BaseModel):
    """One decision per item, in the order of the request."""

    decisions: list[DecisionOut]


class RewardRequest(_Strict):
    """The outcome of one decision, seconds to days later."""

    decision_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    value: float = Field(allow_inf_nan=False, examples=[1.0])


class RewardResponse(BaseModel):
    """The reward was written durably before this answer."""

    decision_id: str
    seq: int = Field(description="The reward's sequence number in the log.")
    kind: str = Field(description='"reward", or "correction" for a later one summed in.')
    total: float
    delay_s: float = Field(description="Seconds from the decision's activation to the reward.")
    learned: bool = Field(description="False for holdout decisions (kept for lift only), and "
                          "on a choose replica (the fleet's learner learns it from the log).")


class ForgetResponse(BaseModel):
    """How many logged decisions of the customer were erased."""

    customer_id: str
    erased: int


class ErrorBody(BaseModel):
    """Every refused request answers with this body."""

    error: str = Field(description="The error type, e.g. UnknownDecisionError or validation.")
    detail: str = Field(description="What was wrong: the field, the expected and the actual value.")
    errors: list[dict[str, Any]] | None = None
