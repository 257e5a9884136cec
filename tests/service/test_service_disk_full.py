"""A full disk under the service: 503 with the JSON error body, nothing acknowledged lost, the
service recovers when space returns, and the background settler keeps running.

The state directory sits on a tiny tmpfs mounted for the test (``tests/service/full_disk.py``);
where mounting is not permitted, the serve process's file-size limit is lowered instead. Both make
real writes fail (ENOSPC, EFBIG) under the real SQLite log and VW checkpoints.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from engine import Engine
from engine.errors import StoreError
from engine.http import create_app
from engine.store import DecisionLog
from tests.service.full_disk import TinyTmpfs, full_disk
from tests.service.service_world import AUTH, CATALOG, TOKEN, Scrape, ServeProcess

CTX = {"age": 30, "segment": "regular"}


@pytest.fixture
def disk(tmp_path: Path) -> Iterator:
    d = full_disk(tmp_path / "disk")
    yield d
    d.unmount()


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[TinyTmpfs]:
    d = TinyTmpfs(tmp_path / "disk")
    if not d.mount():
        pytest.skip("mounting a tmpfs needs root; the serve test below covers a full disk "
                    "without it (RLIMIT_FSIZE)")
    yield d
    d.free()
    d.unmount()


def _catalog(tmp_path: Path) -> Path:
    """The service catalog with a 2 s reward window (the settler has work within the test) and a
    checkpoint after every reward (each one meets the full disk too)."""
    text = CATALOG.read_text().replace('reward_window = "7d"', 'reward_window = "2s"')
    path = tmp_path / "catalog.toml"
    path.write_text(text + "checkpoint_every = 1\n")
    return path


def _answers(http: httpx.Client, n: int, acked: dict[str, list[str]]) -> list[httpx.Response]:
    """n chooses and rewards; what was acknowledged goes into ``acked``."""
    out = []
    for i in range(n):
        r = http.post("/v1/choose", json={"customer_id": f"c-{time.monotonic_ns()}-{i}",
                                          "context": CTX}, headers=AUTH)
        out.append(r)
        if r.status_code != 200:
            continue
        acked["decisions"].append(r.json()["decision_id"])
        if i % 2:
            continue  # half of them wait for the settler's default reward
        w = http.post("/v1/reward", json={"decision_id": r.json()["decision_id"], "value": 1.0},
                      headers=AUTH)
        out.append(w)
        if w.status_code == 200:
            acked["rewards"].append(r.json()["decision_id"])
    return out


def _scrape(http: httpx.Client) -> Scrape:
    return Scrape(http.get("/metrics", headers=AUTH).text)


def test_a_full_disk_is_503_loses_nothing_and_the_service_recovers(disk, tmp_path):
    sp = ServeProcess(disk.root / "state", "--settle-every-s", "0.2",
                      catalog=_catalog(tmp_path)).start()
    acked: dict[str, list[str]] = {"decisions": [], "rewards": []}
    try:
        with httpx.Client(base_url=sp.url, timeout=10) as http:
            before = _answers(http, 6, acked)
            assert {r.status_code for r in before} == {200}
            disk.fill(sp.proc.pid)
            during = _answers(http, 12, acked)
            during.append(http.post("/v1/choose/batch", headers=AUTH, json={
                "items": [{"customer_id": f"batch-{i}", "context": CTX} for i in range(5)]}))
            statuses = [r.status_code for r in during]
            assert 503 in statuses and set(statuses) <= {200, 503}, statuses
            for r in during:
                assert r.headers["content-type"] == "application/json"
                if r.status_code == 503:
                    assert r.json()["error"] in ("StoreError", "CheckpointError"), r.text
            time.sleep(3)  # windows pass: the settler tries, fails, and goes on trying
            full = _scrape(http)
            assert full.value("offerbandit_settle_failures_total") > 0
            disk.free(sp.proc.pid)
            after = _answers(http, 6, acked)
            assert {r.status_code for r in after} == {200}, [r.text for r in after]
            waiting = len(acked["decisions"]) - len(acked["rewards"])
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:  # the settler catches up once space is back
                if _scrape(http).value("offerbandit_default_rewards_total") >= waiting:
                    break
                time.sleep(0.2)
            assert _scrape(http).value("offerbandit_default_rewards_total") >= waiting
    finally:
        disk.free(sp.proc.pid if sp.proc else None)
        code = sp.stop()
    assert code in (0, -15), sp.proc.stdout.read().decode()[-3000:]
    with DecisionLog(disk.root / "state") as log:
        for did in acked["decisions"]:  # every acknowledged decision and reward is in the log
            log.get_decision(did)
        for did in acked["rewards"]:
            assert [r[3] for r in log.rewards_of(did)][:1] == ["reward"]
        last = log.last_seq()
    sidecar = json.loads((disk.root / "state" / "checkpoint.json").read_text())
    assert sidecar["learned_seq"] == last  # shutdown closed the engine: a checkpoint of it all


def test_a_full_disk_raises_store_errors_and_writes_nothing_half(tmpfs):
    with Engine.from_catalog(CATALOG, state_dir=tmpfs.root / "state", seed=0,
                             checkpoint_every=10**6) as eng:
        kept = eng.choose("before", CTX)
        n = eng.stats()["decisions"]
        tmpfs.fill()
        with pytest.raises(StoreError, match="full"):
            for i in range(50):  # until a write needs a new page
                eng.choose(f"full-{i}", CTX)
        n_full = eng.stats()["decisions"]
        with pytest.raises(StoreError):
            eng.choose_batch([(f"b{i}", CTX) for i in range(20)])
        assert eng.stats()["decisions"] == n_full  # the batch: all or nothing
        tmpfs.free()
        assert eng.reward(kept.decision_id, 1.0).seq == 1
        eng.choose_batch([(f"b{i}", CTX) for i in range(20)])
        assert eng.stats()["decisions"] == n_full + 20 >= n + 20


def test_the_app_answers_503_with_the_error_body_on_a_full_disk(tmpfs):
    eng = Engine.from_catalog(CATALOG, state_dir=tmpfs.root / "state", seed=0)
    with eng, TestClient(create_app(eng, token=TOKEN, settle_every_s=None)) as http:
        tmpfs.fill()
        answers = [http.post("/v1/choose", json={"customer_id": f"c{i}", "context": CTX},
                             headers=AUTH) for i in range(50)]
        refused = [r for r in answers if r.status_code != 200]
        assert refused and {r.status_code for r in refused} == {503}
        assert refused[0].json()["error"] == "StoreError"
        assert "full" in refused[0].json()["detail"]
        tmpfs.free()
        ok = http.post("/v1/choose", json={"customer_id": "back", "context": CTX}, headers=AUTH)
        assert ok.status_code == 200
