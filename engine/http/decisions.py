"""The three hot operations (choose, choose batch, reward) from raw JSON bytes to answer dicts.

Both ways in call these: the FastAPI routes (which document them in OpenAPI) and the hot path
(``engine.http.hot_path``), which skips FastAPI's routing and dependency resolution. Bodies are
validated in one pass of pydantic's JSON parser; errors are located under ``body`` exactly as
FastAPI would locate them.

Example:
    >>> parse(RewardRequest, b'{"decision_id": "d1", "value": 1}').value
    1.0
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from engine.http.metrics import ServiceMetrics
from engine.http.schemas import ChooseBatchRequest, ChooseRequest, DecisionOut, RewardRequest

__all__ = ["Decisions", "decision_dict", "parse"]


def parse(model: type[BaseModel], raw: bytes) -> Any:
    """Validate a JSON body; a :class:`RequestValidationError` naming ``body.<field>`` if bad."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])}
                                      for e in exc.errors()]) from None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def decision_dict(decision: Any, explain: bool = False) -> dict[str, Any]:
    """A Decision as a JSON-ready dict with the fields of :class:`DecisionOut`.

    Args:
        decision: an :class:`engine.Decision`.
        explain: add ``explanation`` (computed on demand: it reads the learned weights).
    """
    if hasattr(decision, "as_dict"):
        out = decision.as_dict()
    else:
        out = {n: _plain(getattr(decision, n, None)) for n in DecisionOut.model_fields}
    out["explanation"] = decision.explain().as_dict() if explain else None
    return out


class Decisions:
    """Choose and reward against one engine, counting into the service's metrics.

    Args:
        engine: an :class:`engine.Engine` (or anything with its surface).
        metrics: the service's counters.
    """

    def __init__(self, engine: Any, metrics: ServiceMetrics) -> None:
        self.engine, self.metrics = engine, metrics
        #: the last decision served (the dashboard explains it); None before the first
        self.latest: Any = None

    def choose(self, raw: bytes, explain: bool = False) -> dict[str, Any]:
        """One decision, logged before it is returned."""
        body = parse(ChooseRequest, raw)
        start = time.perf_counter()
        decision = self.engine.choose(body.customer_id, body.context, now=body.now)
        out = decision_dict(decision, explain)
        self.metrics.observe_choose(time.perf_counter() - start, (out,))
        self.latest = decision
        return out

    def choose_batch(self, raw: bytes, explain: bool = False) -> dict[str, Any]:
        """One decision per item, in order; nothing is decided if an item is malformed."""
        body = parse(ChooseBatchRequest, raw)
        start = time.perf_counter()
        items = [(i.customer_id, i.context, i.now) for i in body.items]
        chosen = self.engine.choose_batch(items)
        decisions = [decision_dict(d, explain) for d in chosen]
        self.metrics.observe_choose(time.perf_counter() - start, decisions)
        self.latest = chosen[-1] if chosen else self.latest
        return {"decisions": decisions}

    def reward(self, raw: bytes, explain: bool = False) -> dict[str, Any]:
        """Write and learn one reward; ``explain`` is ignored (one signature for all three)."""
        body = parse(RewardRequest, raw)
        ack = self.engine.reward(body.decision_id, body.value)
        out = {"decision_id": body.decision_id,
               **{n: _plain(getattr(ack, n, None))
                  for n in ("seq", "kind", "total", "delay_s", "learned")}}
        self.metrics.observe_reward(out["delay_s"])
        return out
