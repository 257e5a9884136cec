"""Fixtures of the service tests: a real Engine on a temp state dir, the app around it, and a
factory of real ``offerbandit serve`` processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine import Engine
from engine.http import create_app
from tests.service.service_world import CATALOG, TOKEN, ServeProcess


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = Engine.from_catalog(CATALOG, state_dir=tmp_path / "state", seed=0)
    yield eng
    eng.close()


@pytest.fixture(params=[True, False], ids=["hot_path", "fastapi_routes"])
def client(engine: Engine, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The app around the engine, both ways in: every API test must pass through either."""
    app = create_app(engine, token=TOKEN, max_body_bytes=64 * 1024, hot_path=request.param)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """A factory of serve processes; every one started is stopped at the end."""
    started: list[ServeProcess] = []

    def make(state_dir: Path | None = None, *extra: str) -> ServeProcess:
        sp = ServeProcess(state_dir or tmp_path / "state", *extra)
        started.append(sp)
        return sp

    yield make
    for sp in started:
        sp.stop()
