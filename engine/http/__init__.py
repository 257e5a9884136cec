"""The HTTP service: choose/reward over HTTP, Prometheus metrics, offline docs and a dashboard.

Build the ASGI app around an engine with :func:`create_app` and run it with uvicorn (``offerbandit
serve`` does both; see ``docs/service.md``).
"""

from engine.http.app import DEFAULT_MAX_BODY_BYTES, Service, create_app
from engine.http.auth import TOKEN_ENV, BearerCheck, load_token
from engine.http.decisions import decision_dict

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "TOKEN_ENV",
    "BearerCheck",
    "Service",
    "create_app",
    "decision_dict",
    "load_token",
]
