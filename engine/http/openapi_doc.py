"""OpenAPI for the service: the raw-body routes' schemas and the bearer scheme.

The hot routes read their body themselves (one pass of pydantic's JSON parser), so FastAPI does
not see a body parameter to document; :func:`body_doc` declares it and :func:`document` puts the
models in ``components`` and marks every protected path with the bearer scheme.

Example:
    >>> from engine.http.schemas import RewardRequest
    >>> body_doc(RewardRequest)["requestBody"]["content"]["application/json"]["schema"]
    {'$ref': '#/components/schemas/RewardRequest'}
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from engine.http.auth import PROTECTED_PREFIXES

__all__ = ["body_doc", "document"]


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """The ``openapi_extra`` of a route whose JSON body is ``model``."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def document(app: FastAPI, bodies: tuple[type[BaseModel], ...]) -> None:
    """OpenAPI with the raw-body routes' schemas and the bearer scheme on protected paths."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes)
        components = schema.setdefault("components", {})
        models = components.setdefault("schemas", {})
        for model in bodies:
            js = model.model_json_schema(ref_template="#/components/schemas/{model}")
            models.update(js.pop("$defs", {}))
            models[model.__name__] = js
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer",
                                                    "description": "The service token."}}
        for path, operations in schema["paths"].items():
            if path.startswith(PROTECTED_PREFIXES):
                for op in operations.values():
                    op["security"] = [{"bearer": []}]
        app.openapi_schema = schema
        return schema

    # FastAPI's documented way to extend the generated schema is to replace app.openapi.
    app.openapi = build  # type: ignore[method-assign]
