"""The FastAPI app: choose, reward, erasure, health, metrics, offline docs and the dashboard.

One process holds one engine; the engine's own lock orders its calls. Handlers are ``async`` and
call the engine directly: a choose or reward is a fraction of a millisecond of CPU under the GIL,
so a thread hop per request would only add latency (measured in ``benchmarks/bench_service.py``).

Example:
    >>> import tempfile
    >>> from fastapi.testclient import TestClient
    >>> from engine import Engine
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with Engine(messages=["welcome10"], channels=["email"], state_dir=d) as eng:
    ...         http = TestClient(create_app(eng, token="a-token-of-16-chars+"))
    ...         refused = http.post("/v1/choose", json={"customer_id": "c1"}).status_code
    ...         ok = http.post("/v1/choose", json={"customer_id": "c1"},
    ...                        headers={"Authorization": "Bearer a-token-of-16-chars+"})
    >>> refused, ok.status_code, ok.json()["message"]
    (401, 200, None)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.catalog import Catalog
from engine.decision import Decision, RewardAck
from engine.errors import EngineError
from engine.http.auth import BearerAuth, BearerCheck
from engine.http.body_limit import BodyLimit
from engine.http.dashboard_api import DashboardSources, dashboard_router
from engine.http.decisions import Decisions, decision_dict
from engine.http.error_status import error_answer
from engine.http.hot_path import HotPath
from engine.http.metrics import CONTENT_TYPE, ServiceMetrics
from engine.http.openapi_doc import body_doc, document
from engine.http.pages import install_pages
from engine.http.schemas import (
    ChooseBatchRequest,
    ChooseBatchResponse,
    ChooseRequest,
    DecisionOut,
    ErrorBody,
    ForgetResponse,
    RewardRequest,
    RewardResponse,
)
from engine.live_alternatives import LiveAlternatives
from engine.store import DecisionLog

__all__ = ["DEFAULT_MAX_BODY_BYTES", "EngineSurface", "Service", "create_app", "decision_dict"]

_log = logging.getLogger("offerbandit.service")
DEFAULT_MAX_BODY_BYTES = 1 << 20  # a 1000-item batch with rich contexts fits; a log dump does not


class EngineSurface(Protocol):
    """What the service needs from :class:`engine.Engine`: its calls, its log and its catalog
    (the dashboard reads both)."""

    log: DecisionLog
    catalog: Catalog

    def choose(self, customer_id: str, context: Mapping[str, Any], *,
               now: datetime | float | None = None) -> Decision: ...
    def choose_batch(self, items: Iterable[Any]) -> list[Decision]: ...
    def reward(self, decision_id: str, value: float, *,
               now: datetime | float | None = None) -> RewardAck: ...
    def forget(self, customer_id: str) -> int: ...
    def expire_rewards(self, now: datetime | float | None = None) -> int: ...
    def stats(self) -> dict[str, Any]: ...
    def close(self) -> None: ...


async def _settle_forever(engine: EngineSurface, every_s: float) -> None:
    """Call ``engine.expire_rewards()`` every ``every_s`` seconds until cancelled."""
    while True:
        await asyncio.sleep(every_s)
        try:
            # In a thread: the loop keeps answering what does not need the engine meanwhile.
            await asyncio.to_thread(engine.expire_rewards)
        except EngineError as exc:  # a closed or failing store: say so, try again later
            _log.warning("expire_rewards failed: %s", exc)


def create_app(engine: EngineSurface, *, token: str | None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               experiment: Mapping[str, Any] | None = None,
               close_engine: bool = False, refresh_s: float = 5.0,
               hot_path: bool = True, settle_every_s: float | None = 60.0) -> Service:
    """Build the service around one engine.

    Args:
        engine: an :class:`engine.Engine` (or anything with its surface).
        token: the bearer token every ``/v1`` and ``/metrics`` request must carry; None turns
            auth off (the ``serve`` command allows that only on a loopback host).
        max_body_bytes: larger request bodies are refused with 413.
        experiment: regret curves of an experiment, ``{"name": str, "curves": [{"label": str,
            "steps": [...], "regret": [...]}, ...]}``, shown on the dashboard when given.
        close_engine: close the engine when the app shuts down.
        refresh_s: how often the dashboard page refreshes itself.
        hot_path: answer choose, batch and reward in :class:`engine.http.hot_path.HotPath`
            (False: through FastAPI's router, the same code; for comparison).
        settle_every_s: how often to learn the default reward of decisions whose window passed
            unrewarded (``Engine.expire_rewards``), so it happens on time even when no request
            comes; None leaves it to the engine's own calls.
    """
    metrics = ServiceMetrics(stats=engine.stats)  # read at each scrape
    check = BearerCheck(token)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        settler = (asyncio.create_task(_settle_forever(engine, settle_every_s))
                   if settle_every_s else None)
        yield
        if settler is not None:
            settler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await settler
        if close_engine:
            engine.close()

    app = FastAPI(title="offerbandit", version="0.1.0", docs_url=None, redoc_url=None,
                  lifespan=lifespan,
                  description="Decide which message to send, on which channel and when; learn "
                  "from what happens next. Every `/v1` route and `/metrics` need "
                  "`Authorization: Bearer <token>`.")
    app.state.engine, app.state.metrics = engine, metrics
    decisions = Decisions(engine, metrics)
    _install_error_handlers(app, metrics)
    api = APIRouter(prefix="/v1", responses={401: {"model": ErrorBody}, 413: {"model": ErrorBody},
                                             422: {"model": ErrorBody}})

    # The hot routes take the raw body and validate it in one pass of pydantic's JSON parser
    # (the same models and 422s as a typed body parameter, without its per-request cost).
    @api.post("/choose", response_model=DecisionOut, tags=["decisions"],
              openapi_extra=body_doc(ChooseRequest))
    async def choose(request: Request, explain: bool = False) -> JSONResponse:
        """Choose the message, channel and timing for one customer; logged before the answer."""
        return JSONResponse(decisions.choose(await request.body(), explain))

    @api.post("/choose/batch", response_model=ChooseBatchResponse, tags=["decisions"],
              openapi_extra=body_doc(ChooseBatchRequest))
    async def choose_batch(request: Request, explain: bool = False) -> JSONResponse:
        """Choose for many customers at once; one decision per item, in order."""
        return JSONResponse(decisions.choose_batch(await request.body(), explain))

    @api.post("/reward", response_model=RewardResponse, tags=["decisions"],
              openapi_extra=body_doc(RewardRequest),
              responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody},
                         410: {"model": ErrorBody}})
    async def reward(request: Request) -> JSONResponse:
        """Report the outcome of a decision; written durably before the answer."""
        return JSONResponse(decisions.reward(await request.body()))

    # :path so that ids holding "/" (e.g. "crm/42") can be erased too.
    @api.delete("/customers/{customer_id:path}", response_model=ForgetResponse, tags=["customers"])
    async def forget(customer_id: str) -> JSONResponse:
        """Erase everything logged about a customer (right to erasure)."""
        return JSONResponse({"customer_id": customer_id, "erased": int(engine.forget(customer_id))})

    sources = DashboardSources(engine=engine, metrics=metrics, experiment=experiment,
                               estimate_alternatives=LiveAlternatives(engine),
                               latest_decision=lambda: decisions.latest)
    api.include_router(dashboard_router(sources))
    app.include_router(api)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers (no auth, for load balancers)."""
        return {"status": "ok"}

    @app.get("/metrics", response_class=PlainTextResponse, tags=["operations"])
    async def prometheus() -> PlainTextResponse:
        """Prometheus text format: the service's counters and histograms, the engine's stats."""
        return PlainTextResponse(metrics.render(), media_type=CONTENT_TYPE)

    install_pages(app, refresh_s)
    document(app, (ChooseRequest, ChooseBatchRequest, RewardRequest))
    # Wrapped outside FastAPI, outermost first: auth answers before a body is read, the limit
    # counts every body, and the hot routes skip FastAPI's own middleware and router.
    inner: Callable = app
    if hot_path:
        inner = HotPath(app, on_error=metrics.observe_error, routes={
            ("POST", "/v1/choose"): decisions.choose,
            ("POST", "/v1/choose/batch"): decisions.choose_batch,
            ("POST", "/v1/reward"): decisions.reward})
    inner = BodyLimit(inner, max_bytes=max_body_bytes,
                      on_refuse=lambda: metrics.observe_error("PayloadTooLarge"))
    return Service(BearerAuth(inner, check=check,
                              on_refuse=lambda: metrics.observe_error("unauthorized")), app)


class Service:
    """The ASGI app to serve: the FastAPI app behind auth, the body limit and the hot path.

    Attributes:
        fastapi: the FastAPI app inside (routes, OpenAPI, ``state.engine``, ``state.metrics``).
    """

    def __init__(self, asgi: Callable, fastapi: FastAPI) -> None:
        self._asgi, self.fastapi = asgi, fastapi

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        """Serve one ASGI connection (http or lifespan)."""
        await self._asgi(scope, receive, send)


def _install_error_handlers(app: FastAPI, metrics: ServiceMetrics) -> None:
    async def refuse(_: Request, exc: Exception) -> JSONResponse:
        answer = error_answer(exc)
        if answer is None:  # not ours to refuse: let the server answer 500
            raise exc
        metrics.observe_error(answer.kind)
        return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)

    for cls in (EngineError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(cls, refuse)
