"""OpenAPI for the service: the raw-body routes' schemas, the engine's limits, every status.

The hot routes read their body themselves (one pass of pydantic's JSON parser), so FastAPI does
not see a body parameter to document; :func:`body_doc` declares it and :func:`document` puts the
models in ``components``, writes the engine's limits into them (``engine.http.input_schema``),
marks every protected path with the bearer scheme, and lists every status each route can
answer: 401 and 503 on every protected route, 413 and 500 on all (the body limit and the
last-resort guard sit in front of every route).

The accepted window of ``now`` moves with the server's clock, so it is written into the document
each time the document is served; everything else is built once.

Example:
    >>> from engine.http.schemas import RewardRequest
    >>> body_doc(RewardRequest)["requestBody"]["content"]["application/json"]["schema"]
    {'$ref': '#/components/schemas/RewardRequest'}
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from engine.http.auth import PROTECTED_PREFIXES
from engine.http.input_schema import context_schema, id_schema, now_schema, value_schema

__all__ = ["Limits", "body_doc", "document"]

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_WHY = {
    "401": "No bearer token, or not the service's (`WWW-Authenticate: Bearer`).",
    "413": "The body is larger than the service accepts (`--max-body-bytes`).",
    "500": "An unexpected error in the service (logged and counted in "
           "`offerbandit_errors_total{type=\"internal\"}`).",
    "503": "The decision log or a checkpoint failed (a full disk...): not the caller's fault; "
           "nothing was changed, retry later.",
}


@dataclass(frozen=True)
class Limits:
    """What the document says the engine accepts.

    Attributes:
        channels: the catalog's channel names (the keys of ``context.consent``).
        reward_range: ``(low, high)`` of a reward's ``value``.
        time_window: returns the open-closed window ``(low, high]`` of a caller's ``now`` now.
    """

    channels: Sequence[str]
    reward_range: tuple[float, float]
    time_window: Callable[[], tuple[float, float]]


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """The ``openapi_extra`` of a route whose JSON body is ``model``."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def document(app: FastAPI, bodies: tuple[type[BaseModel], ...], limits: Limits) -> None:
    """OpenAPI with the raw-body routes' schemas, the engine's limits, the bearer scheme on
    protected paths and every status each route can answer."""
    built: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        if not built:
            built.update(_base(app, bodies, limits))
        schema = copy.deepcopy(built)  # the served document gets the window of this moment
        choose = schema["components"]["schemas"].get("ChooseRequest")
        if choose is not None:
            choose["properties"]["now"] = now_schema(limits.time_window())
        return schema

    # FastAPI's documented way to extend the generated schema is to replace app.openapi.
    app.openapi = build  # type: ignore[method-assign]


def _base(app: FastAPI, bodies: tuple[type[BaseModel], ...], limits: Limits) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    components = schema.setdefault("components", {})
    models = components.setdefault("schemas", {})
    for model in bodies:
        js = model.model_json_schema(ref_template="#/components/schemas/{model}")
        models.update(js.pop("$defs", {}))
        models[model.__name__] = js
    _write_limits(models, limits)
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer",
                                                "description": "The service token."}}
    for path, operations in schema["paths"].items():
        protected = path.startswith(PROTECTED_PREFIXES)
        for op in operations.values():
            if protected:
                op["security"] = [{"bearer": []}]
            codes = ("401", "413", "500", "503") if protected else ("413", "500")
            responses = op.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {"description": _WHY[code],
                                            "content": {"application/json":
                                                        {"schema": _ERROR_REF}}})
            for param in op.get("parameters", ()):
                if param.get("in") == "path" and param.get("name") == "customer_id":
                    param["schema"] = {**id_schema(), "title": "Customer Id"}
    return schema


def _write_limits(models: dict[str, Any], limits: Limits) -> None:
    """The engine's own checks, as JSON Schema, on the bodies' fields."""
    choose = models.get("ChooseRequest")
    if choose is not None:
        props = choose["properties"]
        props["customer_id"] = {**id_schema(), "examples": ["customer-42"]}
        props["context"] = context_schema(tuple(limits.channels))
    reward = models.get("RewardRequest")
    if reward is not None:
        props = reward["properties"]
        props["decision_id"] = id_schema()
        props["value"] = {**value_schema(limits.reward_range), "examples": [1.0]}
