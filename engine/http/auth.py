"""Bearer-token check, in constant time.

Example:
    >>> check = BearerCheck("s3cret")
    >>> check.allows("Bearer s3cret"), check.allows("Bearer nope"), check.allows(None)
    (True, False, False)
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

__all__ = ["PROTECTED_PREFIXES", "TOKEN_ENV", "BearerAuth", "BearerCheck", "load_token"]

#: Paths that need the token. The dashboard page, /docs and /healthz are open; the data is not.
PROTECTED_PREFIXES = ("/v1/", "/metrics")

TOKEN_ENV = "OFFERBANDIT_TOKEN"
_MIN_TOKEN_CHARS = 16


class BearerCheck:
    """Accept a request when its ``Authorization: Bearer <token>`` matches; None disables auth."""

    def __init__(self, token: str | None) -> None:
        self._token = token.encode() if token else None

    @property
    def enabled(self) -> bool:
        """Whether a token is required."""
        return self._token is not None

    def allows(self, authorization: str | None) -> bool:
        """True when auth is off, or the header carries the token."""
        if self._token is None:
            return True
        scheme, _, given = (authorization or "").partition(" ")
        # compare_digest on bytes of any length: no early exit that leaks the token's prefix.
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                  self._token)


def load_token(token_file: str | Path | None = None, env: Mapping[str, str] | None = None
               ) -> str:
    """The service token, from ``token_file`` when given, else from ``$OFFERBANDIT_TOKEN``.

    Raises:
        ConfigError: neither is set, the file is missing, or the token is shorter than 16 chars.
    """
    environ = os.environ if env is None else env
    if token_file is not None:
        path = Path(token_file)
        if not path.is_file():
            raise ConfigError(f"token_file: expected a readable file, got {str(path)!r}")
        token, source = path.read_text().strip(), f"token_file {str(path)!r}"
    else:
        token, source = environ.get(TOKEN_ENV, "").strip(), f"${TOKEN_ENV}"
    if not token:
        raise ConfigError(f"token: none given; set ${TOKEN_ENV} or pass --token-file "
                          "(or --no-auth on a loopback host)")
    if len(token) < _MIN_TOKEN_CHARS:
        raise ConfigError(f"token: expected at least {_MIN_TOKEN_CHARS} characters in {source}, "
                          f"got {len(token)}")
    return token


class BearerAuth:
    """ASGI middleware: 401 for a protected path without the token, before any routing.

    A middleware rather than a FastAPI dependency: it costs one header lookup per request, where
    dependency resolution on every call was a measurable share of the hot path.

    Args:
        app: the wrapped ASGI app.
        check: the token check.
        on_refuse: called once per refused request.
    """

    def __init__(self, app: Callable, check: BearerCheck,
                 on_refuse: Callable[[], None] | None = None) -> None:
        self.app, self.check, self.on_refuse = app, check, on_refuse
        self._body = json.dumps({"error": "unauthorized", "detail": "Authorization: expected "
                                 "'Bearer <token>' with the service token"}).encode()

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if (scope["type"] != "http" or not self.check.enabled
                or not scope["path"].startswith(PROTECTED_PREFIXES)):
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope.get("headers") or () if k == b"authorization"), b"")
        if self.check.allows(header.decode("latin-1")):
            await self.app(scope, receive, send)
            return
        if self.on_refuse is not None:
            self.on_refuse()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(self._body)).encode()),
                                (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": self._body})
