"""The real thing over real sockets: ``offerbandit serve`` in a child process on 127.0.0.1.

A short bounded load (every acknowledged reward must be in the store) and a crash test (SIGKILL
under load, restart: nothing acknowledged is lost and the model resumes from the log).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import httpx
import pytest

from benchmarks.service_load import run_load
from engine import Engine
from engine.store import DecisionLog
from tests.service.service_world import AUTH, CATALOG, REPO, TOKEN, Scrape

CTX = {"age": 41, "segment": "regular", "days_since_purchase": 30}


def _rewards_in_log(state_dir) -> dict[str, float]:
    with DecisionLog(state_dir) as log:
        return {d: sum(r[1] for r in log.rewards_of(d)) for d in _decision_ids(log)}


def _decision_ids(log: DecisionLog) -> list[str]:
    return [row[0] for batch in log.iter_export_rows() for row in batch]


def test_real_socket_round_trip_and_refusals(serve, tmp_path):
    sp = serve().start()
    with httpx.Client(base_url=sp.url, timeout=10) as http:
        assert http.post("/v1/choose", json={"customer_id": "c", "context": CTX}).status_code == 401
        d = http.post("/v1/choose", json={"customer_id": "c", "context": CTX}, headers=AUTH).json()
        ack = http.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 1},
                        headers=AUTH)
        assert ack.status_code == 200 and ack.json()["seq"] == 1
        bad = http.post("/v1/reward", json={"decision_id": d["decision_id"]}, headers=AUTH)
        assert bad.status_code == 422 and "body.value" in bad.json()["detail"]
        big = http.post("/v1/choose", content=b"x" * (2 << 20),
                        headers={**AUTH, "content-type": "application/json"})
        assert big.status_code == 413
        assert http.delete("/v1/customers/c", headers=AUTH).json()["erased"] == 2
        scrape = Scrape(http.get("/metrics", headers=AUTH).text)
        assert scrape.value("offerbandit_errors_total", type="PayloadTooLarge") == 1
        assert http.get("/docs").status_code == 200
    # SIGTERM: uvicorn shuts down, the engine checkpoints on close, then the signal is re-raised.
    assert sp.stop() in (0, -signal.SIGTERM)
    with Engine.from_catalog(CATALOG, state_dir=tmp_path / "state") as eng:
        assert eng.stats()["replayed_on_start"] == 0  # the checkpoint holds every reward


def test_bounded_load_loses_no_acknowledged_reward(serve, tmp_path):
    sp = serve().start()
    result = run_load("127.0.0.1", sp.port, TOKEN, clients=8, duration_s=3.0, seed=1)
    sp.stop()
    assert result.errors == 0, result.error_samples
    assert result.pairs > 50
    stored = _rewards_in_log(tmp_path / "state")
    missing = [d for d, v in result.acked if stored.get(d) != v]
    assert not missing, f"{len(missing)} acknowledged rewards not in the store"
    assert result.percentile_ms("choose", 99) >= result.percentile_ms("choose", 50) > 0


def _hammer(url: str, acked: list, stop: threading.Event, seed: int) -> None:
    """Choose then reward until the server dies; remember every reward answered 200."""
    with httpx.Client(base_url=url, headers=AUTH, timeout=5) as http:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                d = http.post("/v1/choose", json={"customer_id": f"k{seed}-{i}", "context": CTX})
                r = http.post("/v1/reward", json={"decision_id": d.json()["decision_id"],
                                                  "value": float(i % 3 == 0)})
            except (httpx.TransportError, ValueError, KeyError):
                return  # the server is gone (or answered garbage while dying)
            if r.status_code == 200:
                acked.append((d.json()["decision_id"], float(i % 3 == 0)))


def test_sigkill_under_load_loses_nothing_acknowledged_and_the_model_resumes(serve, tmp_path):
    sp = serve().start()
    acked: list[tuple[str, float]] = []
    stop = threading.Event()
    threads = [threading.Thread(target=_hammer, args=(sp.url, acked, stop, s)) for s in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    sp.kill()  # mid-flight: requests are in progress on every thread
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acked) >= 150

    stored = _rewards_in_log(tmp_path / "state")
    assert [d for d, v in acked if stored.get(d) != v] == []

    again = serve().start()  # same state dir: last checkpoint + replay of the log after it
    with httpx.Client(base_url=again.url, headers=AUTH, timeout=10) as http:
        engine = http.get("/v1/dashboard/summary").json()["engine"]
        assert engine["learned_seq"] == engine["last_seq"] >= len(acked)
        assert engine["replayed_on_start"] > 0
        first = acked[0][0]
        dup = http.post("/v1/reward", json={"decision_id": first, "value": 1.0})
        assert dup.status_code == 409  # the restarted service knows it was rewarded
        d = http.post("/v1/choose", json={"customer_id": "after", "context": CTX}).json()
        ack = http.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 1.0})
        assert ack.status_code == 200 and ack.json()["seq"] == engine["last_seq"] + 1


@pytest.mark.parametrize("extra,message", [
    ((), "OFFERBANDIT_TOKEN"),
    (("--no-auth", "--host", "0.0.0.0"), "loopback"),
    (("--token-file", "/nonexistent/token"), "token_file"),
])
def test_serve_refuses_to_start_without_a_token(tmp_path, extra, message):
    env = {k: v for k, v in os.environ.items() if k != "OFFERBANDIT_TOKEN"}
    out = subprocess.run([sys.executable, "-m", "engine.cli", "serve", "--state-dir",
                          str(tmp_path / "s"), "--catalog", str(CATALOG), *extra],
                         cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True,
                         text=True, timeout=120, check=False)
    assert out.returncode != 0
    assert message in out.stdout + out.stderr


def test_ids_travel_the_url_exactly_over_a_real_socket(serve):
    # TestClient decodes a path twice ("a%252Fb" arrives as "a/b"); uvicorn decodes it once.
    sp = serve().start()
    with httpx.Client(base_url=sp.url, timeout=10) as http:
        for cid in ("victim", "a%2Fb", "a/b", "crm/42", "x y?#"):
            r = http.post("/v1/choose", json={"customer_id": cid, "context": CTX}, headers=AUTH)
            assert r.status_code == 200, r.text
        newline = http.delete("/v1/customers/victim%0A", headers=AUTH)
        assert newline.status_code == 422 and "customer_id" in newline.json()["detail"]
        for cid in ("a%2Fb", "crm/42", "x y?#", "victim"):
            r = http.delete("/v1/customers/" + quote(cid, safe=""), headers=AUTH)
            assert r.json() == {"customer_id": cid, "erased": 1}, (cid, r.text)
        left = http.delete("/v1/customers/a/b", headers=AUTH)  # "/" may also stay as it is
        assert left.json() == {"customer_id": "a/b", "erased": 1}
