"""Schemathesis against the service, every check on, over a real loopback socket.

The app runs under uvicorn in a thread on a real Engine (VW, SQLite) whose clock stands still
(``ManualClock``), so the window of ``now`` that ``/openapi.json`` states is exactly the one the
server enforces during the run. Schemathesis's own CLI runs every phase (examples, coverage,
fuzzing, stateful: choose then reward, then erase) with a fixed seed and a bounded number of
cases per operation, and writes every request and answer to an NDJSON report that the tests read:

- with the token: no check fails (no server error, no undocumented status, no answer outside its
  schema, no schema-valid request refused, no schema-invalid one accepted);
- without it: every request to a protected route is refused with 401, the open routes answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from engine import Engine
from engine.clock import ManualClock
from engine.http import create_app
from engine.http.auth import PROTECTED_PREFIXES
from tests.service.service_world import CATALOG, TOKEN, free_port

SEED = 13
MAX_EXAMPLES = 20  # per operation in fuzzing: ~800 requests in all, 1 to 1.5 min on 2 busy cores
# Schemathesis's own default limit is 10 s. The slowest request it makes is a batch of 1,000
# decisions with explanations (~2 s on a free core, up to ~10 s on the shared test machine): it
# is checked against 30 s so that a busy machine does not fail the run.
MAX_RESPONSE_S = 30


class Interaction:
    """One request schemathesis sent and the answer it got, with the checks run on it."""

    def __init__(self, label: str, request: dict, response: dict, checks: list[dict]) -> None:
        self.label, self.method = label, request["method"]
        self.path = request["uri"].split("://", 1)[1].partition("/")[2].partition("?")[0]
        self.path = "/" + self.path
        self.status = response["status_code"]
        self.content_type = (response.get("headers") or {}).get("content-type", [""])[0]
        self.failed = [c["name"] for c in checks if c["status"] == "failure"]


def _interactions(report: Path) -> list[Interaction]:
    out = []
    for line in report.read_text().splitlines():
        event = json.loads(line)
        if "ScenarioFinished" not in event:
            continue
        recorder = event["ScenarioFinished"]["recorder"]
        checks = recorder.get("checks", {})
        for case_id, seen in recorder.get("interactions", {}).items():
            if seen.get("response") is not None:
                out.append(Interaction(recorder["label"], seen["request"], seen["response"],
                                       checks.get(case_id, [])))
    return out


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("schemathesis") / "state"
    engine = Engine.from_catalog(CATALOG, state_dir=state, seed=0, clock=ManualClock(time.time()))
    app = create_app(engine, token=TOKEN, close_engine=True, settle_every_s=None)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def _schemathesis(url: str, report_dir: Path, *extra: str) -> tuple[int, str, list[Interaction]]:
    report = report_dir / "run.ndjson"
    # filter_too_much: a health check of schemathesis's generator (the id pattern leaves few of
    # the strings it first draws for a path parameter), not a check of the API.
    cmd = [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json",
           "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
           "--max-response-time", str(MAX_RESPONSE_S), "--request-timeout", "60",
           "--suppress-health-check", "filter_too_much", "--workers", "1",
           "--report", "ndjson", "--report-ndjson-path", str(report), "--no-color", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=400, cwd=report_dir)
    return done.returncode, done.stdout + done.stderr, _interactions(report)


def test_every_check_passes_on_every_route_with_the_token(served, tmp_path):
    code, output, seen = _schemathesis(served, tmp_path, "--header",
                                       f"Authorization: Bearer {TOKEN}")
    failed = Counter(name for i in seen for name in i.failed)
    server_errors = [(i.method, i.path, i.status) for i in seen if i.status >= 500]
    assert code == 0 and not failed and not server_errors, (failed, server_errors,
                                                            output[-6000:])
    labels = {i.label for i in seen}
    assert {"POST /v1/choose", "POST /v1/choose/batch", "POST /v1/reward",
            "DELETE /v1/customers/{customer_id}"} <= labels
    assert len(seen) >= 300, f"only {len(seen)} requests were made"
    # the refusals it provoked were all JSON (the documented error body)
    refused = [i for i in seen if i.status >= 400 and i.path.startswith(PROTECTED_PREFIXES)]
    assert refused and all(i.content_type.startswith("application/json") for i in refused)


def test_without_the_token_every_protected_request_is_401(served, tmp_path):
    code, output, seen = _schemathesis(served, tmp_path, "--max-examples", "5",
                                       "--phases", "coverage,fuzzing")
    protected = [i for i in seen if i.path.startswith(PROTECTED_PREFIXES)]
    assert protected, output[-3000:]
    assert Counter(i.status for i in protected) == Counter({401: len(protected)}), output[-6000:]
    open_routes = [i for i in seen if not i.path.startswith(PROTECTED_PREFIXES)]
    assert all(i.status < 500 for i in open_routes)
    assert code == 0, output[-6000:]
