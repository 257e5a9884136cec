"""Refuse request bodies over a size limit with 413, before they are read into memory.

A pure ASGI middleware: it checks ``Content-Length`` up front and counts the bytes of chunked
bodies as they arrive, so a client cannot slip past the limit by omitting the header.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

__all__ = ["BodyLimit", "PayloadTooLarge"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class PayloadTooLarge(HTTPException):
    """A body grew past the limit while being read (FastAPI re-raises HTTPExceptions as they are,
    where any other error reading the body would become a 400)."""

    def __init__(self, limit: int, seen: int) -> None:
        super().__init__(413, _detail(limit, seen))


def _detail(limit: int, seen: int) -> str:
    return f"body: expected at most {limit} bytes, got {seen}{'+' if seen > limit else ''}"


class BodyLimit:
    """ASGI middleware: 413 when a request body exceeds ``max_bytes``.

    Args:
        app: the wrapped ASGI app.
        max_bytes: the largest body accepted.
        on_refuse: called once per refused request (the service counts it as an error).
    """

    def __init__(self, app: Callable, max_bytes: int,
                 on_refuse: Callable[[], None] | None = None) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be > 0, got {max_bytes}")
        self.app, self.max_bytes, self.on_refuse = app, max_bytes, on_refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or ()).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(send, int(length))
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise PayloadTooLarge(self.max_bytes, seen)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except PayloadTooLarge:
            if not started:  # an app that let it through unhandled
                await self._refuse(send, seen)

    async def _refuse(self, send: Send, size: int) -> None:
        if self.on_refuse is not None:
            self.on_refuse()
        body = json.dumps({"error": "PayloadTooLarge",
                           "detail": _detail(self.max_bytes, size)}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
