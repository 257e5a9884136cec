"""The FastAPI app: choose, reward, erasure, health, metrics, offline docs and the dashboard.

One process holds one engine; the engine's own lock orders its calls. Handlers are ``async`` and
call the engine directly: a choose or reward is a fraction of a millisecond of CPU under the GIL,
so a thread hop per request would only add latency (measured in ``benchmarks/bench_service.py``).

Every answer is JSON except ``/metrics`` (Prometheus text) and the pages: refusals carry the
:class:`ErrorBody`, a failing store or checkpoint is a 503, and an unexpected error is a counted
JSON 500 (:class:`Service` is the last resort for what escapes everything else). A background
settler learns the default reward of expired decisions on the engine's clock, and with an engine
whose ``follow_every`` is 0 a follower teaches the candidates that do not serve between requests
(off the reward's path); both survive errors (logged, retried with backoff) and shutdown always
closes the engine.

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
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.catalog import Catalog
from engine.decision import Decision, RewardAck
from engine.decision_store import DecisionStore
from engine.drift.log_follower import LogFollower
from engine.errors import EngineError
from engine.http.auth import BearerAuth, BearerCheck
from engine.http.body_limit import BodyLimit
from engine.http.dashboard_api import DashboardSources, dashboard_router
from engine.http.decisions import Decisions, decision_dict
from engine.http.error_status import ErrorAnswer, error_answer, internal_answer
from engine.http.hot_path import HotPath
from engine.http.metrics import CONTENT_TYPE, ServiceMetrics
from engine.http.openapi_doc import Limits, body_doc, document
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
from engine.options import EngineOptions

__all__ = ["DEFAULT_MAX_BODY_BYTES", "EngineSurface", "Service", "create_app", "decision_dict"]

_log = logging.getLogger("offerbandit.service")
DEFAULT_MAX_BODY_BYTES = 1 << 20  # a 1000-item batch with rich contexts fits; a log dump does not
_CUSTOMERS = "/v1/customers/"
_SETTLE_RETRY_S = 1.0  # after a failed settle: 1 s, 2 s, 4 s... up to the normal period


class EngineSurface(Protocol):
    """What the service needs from :class:`engine.Engine`: its calls, its log, its catalog and
    its drift monitor (the dashboard reads them)."""

    log: DecisionStore
    catalog: Catalog
    options: EngineOptions
    drift: LogFollower | None

    def clock(self) -> float: ...

    def choose(self, customer_id: str, context: Mapping[str, Any], *,
               now: datetime | float | None = None) -> Decision: ...
    def choose_batch(self, items: Iterable[Any]) -> list[Decision]: ...
    def reward(self, decision_id: str, value: float, *,
               now: datetime | float | None = None) -> RewardAck: ...
    def forget(self, customer_id: str) -> int: ...
    def expire_rewards(self, now: datetime | float | None = None) -> int: ...
    def stats(self) -> dict[str, Any]: ...
    def time_window(self) -> tuple[float, float]: ...
    def close(self) -> None: ...


async def _settle_forever(engine: EngineSurface, every_s: float) -> None:
    """Call ``engine.expire_rewards()`` every ``every_s`` seconds until cancelled.

    It never dies of an error: each failure is logged (the engine counts it in
    ``stats()["settle_failures"]``) and retried after 1 s, 2 s, 4 s... at most ``every_s``.
    """
    delay, failures = every_s, 0
    while True:
        await asyncio.sleep(delay)
        try:
            # In a thread: the loop keeps answering what does not need the engine meanwhile.
            await asyncio.to_thread(engine.expire_rewards)
        except Exception:  # a full disk, a closed engine, a bug: say so, try again later
            failures += 1
            delay = min(every_s, _SETTLE_RETRY_S * 2 ** min(failures - 1, 30))
            _log.exception("settling expired decisions failed (%d in a row); retrying in "
                           "%.1f s", failures, delay)
        else:
            delay, failures = every_s, 0


_CATCH_UP_PER = 100  # the follower meets one more reward per turn for each 100 it is behind


async def _follow_forever(engine: Any, slice_rows: int, idle_s: float) -> None:
    """Let the candidates that do not serve catch up with the log between requests (an engine
    with ``follow_every = 0``): ``slice_rows`` rewards per turn of the event loop, plus one for
    each 100 they are behind, then the loop answers what waits; ``idle_s`` between looks once
    they are level. On the event loop like every engine call of the handlers. Why the growing
    slice: a request waits for at most one slice, so it is small while the candidates keep up,
    but under a load that leaves few idle turns a fixed slice of 1 fell 3,468 rewards behind in
    10 s (``benchmarks/bench_service.py --clients 8``); growing with the lag, the slice takes
    more per turn than the requests add once the lag is a few hundred.

    It never dies of an error: each failure is logged and retried after ``idle_s``, doubled
    each time up to a minute (the log keeps every reward, so nothing is lost meanwhile).
    """
    failures = 0
    while True:
        try:
            lag = engine.follow_lag
            met = engine.follow(limit=slice_rows + lag // _CATCH_UP_PER) if lag else 0
        except Exception:  # a full disk, a locked store, a bug: say so, try again later
            failures += 1
            delay = min(60.0, idle_s * 2 ** min(failures, 30))
            _log.exception("following the log failed (%d in a row); retrying in %.2f s",
                           failures, delay)
            await asyncio.sleep(delay)
            continue
        failures = 0
        await asyncio.sleep(0.0 if met else idle_s)


def _follows_off_path(engine: EngineSurface) -> bool:
    """Whether the engine leaves its other candidates to a follower (``follow_every = 0``; a
    replica's ``follow`` meets nothing and its ``follow_lag`` is 0: its learner is another
    process)."""
    return callable(getattr(engine, "follow", None)) and getattr(
        engine.options, "follow_every", 1) == 0


def create_app(engine: EngineSurface, *, token: str | None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               experiment: Mapping[str, Any] | None = None,
               close_engine: bool = False, refresh_s: float = 5.0,
               hot_path: bool = True, settle_every_s: float | None = 60.0,
               follow_slice: int = 1, follow_idle_s: float = 0.05) -> Service:
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
        follow_slice: with an engine whose ``follow_every`` is 0 (``offerbandit serve``'s
            default), the candidates that do not serve learn off the reward's path, this many
            rewards per turn of the event loop (``Engine.follow``), one more for each 100
            they are behind.
        follow_idle_s: seconds between two looks at the log once those candidates are level.
    """
    if isinstance(follow_slice, bool) or not isinstance(follow_slice, int) or follow_slice < 1:
        raise ValueError(f"follow_slice: expected a whole number of at least 1, got "
                         f"{follow_slice!r}")
    if not follow_idle_s > 0:
        raise ValueError(f"follow_idle_s: expected seconds above 0, got {follow_idle_s!r}")
    metrics = ServiceMetrics(stats=engine.stats)  # read at each scrape
    check = BearerCheck(token)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        settler = (asyncio.create_task(_settle_forever(engine, settle_every_s))
                   if settle_every_s else None)
        follower = (asyncio.create_task(_follow_forever(engine, follow_slice, follow_idle_s))
                    if _follows_off_path(engine) else None)
        try:
            yield
        finally:  # whatever happened to the tasks, the engine is closed (and checkpointed)
            for task in (settler, follower):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
            if close_engine:
                try:
                    await asyncio.to_thread(engine.close)  # waits for a settle in flight
                except Exception:
                    _log.exception("closing the engine failed; the log keeps every reward")

    # redirect_slashes=False: `DELETE /v1/customers` is a 404, not a redirect to a route that
    # reads an empty id.
    app = FastAPI(title="offerbandit", version="0.1.0", docs_url=None, redoc_url=None,
                  lifespan=lifespan, redirect_slashes=False,
                  description="Decide which message to send, on which channel and when; learn "
                  "from what happens next. Every `/v1` route and `/metrics` need "
                  "`Authorization: Bearer <token>`.")
    app.state.engine, app.state.metrics = engine, metrics
    decisions = Decisions(engine, metrics)
    _install_error_handlers(app, metrics)
    api = APIRouter(prefix="/v1", responses={401: {"model": ErrorBody}, 413: {"model": ErrorBody},
                                             422: {"model": ErrorBody}, 503: {"model": ErrorBody}})

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
    async def forget(request: Request, customer_id: str = PathParam(
            description="The customer id, percent-encoded (`/` may stay as it is).")
                     ) -> JSONResponse:
        """Erase everything logged about a customer (right to erasure)."""
        # The id exactly as the URL carries it: the route's own match stops at a newline, so
        # "victim%0A" would reach here as "victim". The engine refuses such ids (422).
        path = request.scope["path"]
        exact = path[path.index(_CUSTOMERS) + len(_CUSTOMERS):]
        return JSONResponse({"customer_id": exact, "erased": int(engine.forget(exact))})

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
    document(app, (ChooseRequest, ChooseBatchRequest, RewardRequest),
             Limits(channels=[c.name for c in engine.catalog.channels],
                    reward_range=engine.options.reward_range, time_window=engine.time_window))
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
                              on_refuse=lambda: metrics.observe_error("unauthorized")), app,
                   on_internal=lambda: metrics.observe_error(internal_answer().kind))


class Service:
    """The ASGI app to serve: the FastAPI app behind auth, the body limit and the hot path.

    It is also the last resort: an exception that escapes everything inside (a bug in a
    middleware) is logged, counted and answered as a JSON 500, never as a text page.

    Attributes:
        fastapi: the FastAPI app inside (routes, OpenAPI, ``state.engine``, ``state.metrics``).
    """

    def __init__(self, asgi: Callable, fastapi: FastAPI,
                 on_internal: Callable[[], None] | None = None) -> None:
        self._asgi, self.fastapi, self._on_internal = asgi, fastapi, on_internal

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        """Serve one ASGI connection (http or lifespan)."""
        if scope["type"] != "http":
            await self._asgi(scope, receive, send)
            return
        started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._asgi(scope, receive, tracking_send)
        except Exception:
            if started:  # answered already (FastAPI's own last resort re-raises after it)
                return
            _log.exception("unexpected error answering %s %s", scope.get("method"),
                           scope.get("path"))
            if self._on_internal is not None:
                self._on_internal()
            await _send_answer(send, internal_answer())


async def _send_answer(send: Callable, answer: ErrorAnswer) -> None:
    response = JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)
    await send({"type": "http.response.start", "status": response.status_code,
                "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def _install_error_handlers(app: FastAPI, metrics: ServiceMetrics) -> None:
    async def refuse(_: Request, exc: Exception) -> JSONResponse:
        answer = error_answer(exc)
        if answer is None:  # not ours to refuse: the last resort below answers
            raise exc
        metrics.observe_error(answer.kind)
        return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)

    async def last_resort(request: Request, exc: Exception) -> JSONResponse:
        # Starlette calls this for any exception no other handler took, then re-raises it.
        _log.exception("unexpected error answering %s %s", request.method, request.url.path,
                       exc_info=exc)
        answer = internal_answer()
        metrics.observe_error(answer.kind)
        return JSONResponse(answer.body, status_code=answer.status)

    for cls in (EngineError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(cls, refuse)
    app.add_exception_handler(Exception, last_resort)
