"""ASGI middleware that answers the hot routes (choose, batch, reward) without FastAPI's router.

FastAPI's per-request routing and dependency resolution cost more CPU than the engine's own
choose on the 2-core target (measured in ``benchmarks/bench_service.py --compare``). These three
routes have fixed paths and one JSON body, so this middleware matches them with one dict lookup,
reads the body and calls :class:`engine.http.decisions.Decisions` directly. The FastAPI routes
stay, calling the same code, for OpenAPI and for ``create_app(..., hot_path=False)``.

It sits inside the auth and body-limit middlewares, so both still apply.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from fastapi.exceptions import RequestValidationError

from engine.http.error_status import error_answer, internal_answer

__all__ = ["HotPath"]

_log = logging.getLogger("offerbandit.service")

Handler = Callable[[bytes, bool], dict[str, Any]]
_JSON = [(b"content-type", b"application/json")]


class HotPath:
    """Serve ``routes[(method, path)]`` directly; pass every other request on.

    Args:
        app: the wrapped ASGI app.
        routes: ``{("POST", "/v1/choose"): handler, ...}``; a handler takes the raw body and the
            ``explain`` query flag and returns the JSON answer, or raises.
        on_error: called with each refusal's kind (for the metrics).
    """

    def __init__(self, app: Callable, routes: dict[tuple[str, str], Handler],
                 on_error: Callable[[str], None]) -> None:
        self.app, self.routes, self.on_error = app, routes, on_error

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        handler = (self.routes.get((scope["method"], scope["path"]))
                   if scope["type"] == "http" else None)
        if handler is None:
            await self.app(scope, receive, send)
            return
        try:
            raw = await _read_body(receive)
            out = handler(raw, _explain(scope.get("query_string", b"")))
            # allow_nan=False: a bare NaN is not JSON; if one ever got here, a 500 beats it
            status, payload, headers = 200, _dumps(out), {}
        except _DisconnectedError:
            return  # nobody to answer; nothing was done
        except Exception as exc:
            answer = error_answer(exc)
            if answer is None:  # a bug, not a refusal: logged, counted, a JSON 500
                _log.exception("unexpected error answering %s %s", scope["method"],
                               scope["path"])
                answer = internal_answer()
            self.on_error(answer.kind)
            status, payload, headers = answer.status, _dumps(answer.body), answer.headers
        await send({"type": "http.response.start", "status": status,
                    "headers": [*_JSON, (b"content-length", str(len(payload)).encode()),
                                *((k.lower().encode(), v.encode()) for k, v in headers.items())]})
        await send({"type": "http.response.body", "body": payload})


class _DisconnectedError(Exception):
    """The client went away before its body was read."""


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()


async def _read_body(receive: Callable) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _DisconnectedError
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


_BOOL = {"1": True, "true": True, "t": True, "yes": True, "y": True, "on": True,
         "0": False, "false": False, "f": False, "no": False, "n": False, "off": False}


def _explain(query: bytes) -> bool:
    """The ``explain`` query flag, read as FastAPI reads a bool (422 naming it otherwise)."""
    if not query:
        return False
    value = parse_qs(query.decode("latin-1")).get("explain", ["false"])[-1]
    if value.lower() not in _BOOL:
        raise RequestValidationError([{"type": "bool_parsing", "loc": ("query", "explain"),
                                       "msg": "Input should be a valid boolean",
                                       "input": value}])
    return _BOOL[value.lower()]
