"""The HTTP service: choose/reward over HTTP, Prometheus metrics, offline docs and a dashboard.

Build the app around an engine with :func:`create_app`, run it with uvicorn (``offerbandit
serve`` does both).
"""

from engine.http.app import DEFAULT_MAX_BODY_BYTES, create_app
from engine.http.auth import TOKEN_ENV, BearerCheck, load_token
from engine.http.decisions import decision_dict

__all__ = [
           "DEFAULT_MAX_BODY_BYTES",
           "TOKEN_ENV",
           "BearerCheck",
           "create_app",
           "decision_dict",
           "load_token",
]
