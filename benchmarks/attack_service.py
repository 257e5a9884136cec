"""Figures: the service under hostile input (issue 13), on loopback only.

Serves the app under uvicorn in this process on a real Engine (VW, SQLite) whose clock stands
still, so that the window of ``now`` the OpenAPI document states is exactly the one enforced
during the run. Then:

1. schemathesis (its own CLI: every check, every phase, fixed seed) with the token;
2. the same without the token (every request to a protected route must be refused with 401);
3. the hand-made requests of issue 13's numbered cases, each with the answer it got.

Prints requests, statuses and failures of each. ``tests/service/test_service_schemathesis.py``
runs 1 and 2 with the same harness and fails on any failed check. ``--url`` attacks a server
already running instead (``offerbandit serve`` of another version, started with
``OFFERBANDIT_TOKEN=attack-run-token-0123456789``; loopback only): its clock moves during the run,
so schemathesis may also flag values of ``now`` at the edges of the window the document stated.

Usage:
    python benchmarks/attack_service.py [--examples 20] [--seed 13] [--url http://127.0.0.1:P]
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

__all__ = ["HAND_MADE", "Interaction", "Run", "hand_made", "schemathesis", "served"]

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "tests" / "service" / "catalog.toml"
TOKEN = "attack-run-token-0123456789"
PROTECTED = ("/v1/", "/metrics")
# Schemathesis's own default is 10 s. Its slowest request is a batch of 1,000 decisions with
# explanations (~2 s on a free core, up to ~10 s on a busy 2-core machine): checked against 30 s.
MAX_RESPONSE_S = 30


@dataclass(frozen=True)
class Interaction:
    """One request schemathesis sent and the answer it got, with the checks that failed."""

    label: str
    phase: str
    method: str
    path: str
    status: int
    content_type: str
    failed: tuple[str, ...]

    @property
    def protected(self) -> bool:
        """Whether the route needs the token."""
        return self.path.startswith(PROTECTED)


@dataclass(frozen=True)
class Run:
    """A schemathesis run: its exit code, its output and every interaction of its report."""

    code: int
    output: str
    seen: list[Interaction]

    @property
    def failures(self) -> Counter:
        """Failed checks by name."""
        return Counter(name for i in self.seen for name in i.failed)


def _interactions(report: Path) -> list[Interaction]:
    out = []
    for line in report.read_text().splitlines():
        event = json.loads(line).get("ScenarioFinished")
        if event is None:
            continue
        recorder, checks = event["recorder"], event["recorder"].get("checks", {})
        for case_id, seen in recorder.get("interactions", {}).items():
            response = seen.get("response")
            if response is None:
                continue
            path = "/" + seen["request"]["uri"].split("://", 1)[1].partition("/")[2]
            headers = response.get("headers") or {}
            out.append(Interaction(
                recorder["label"], event["phase"], seen["request"]["method"],
                path.partition("?")[0], response["status_code"],
                (headers.get("content-type") or headers.get("Content-Type") or [""])[0],
                tuple(c["name"] for c in checks.get(case_id, []) if c["status"] == "failure")))
    return out


@contextlib.contextmanager
def served(state_dir: Path, token: str = TOKEN) -> Iterator[str]:
    """The app on a free loopback port, in a thread, on an engine whose clock stands still;
    yields its base URL. The engine is closed (checkpointed) on the way out."""
    from engine import Engine
    from engine.clock import ManualClock
    from engine.http import create_app

    engine = Engine.from_catalog(CATALOG, state_dir=state_dir, seed=0,
                                 clock=ManualClock(time.time()))
    app = create_app(engine, token=token, close_engine=True, settle_every_s=None)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("uvicorn did not start within 30 s")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def schemathesis(url: str, workdir: Path, *, examples: int, seed: int,
                 token: str | None = TOKEN, phases: str | None = None) -> Run:
    """Schemathesis's CLI against ``url`` with every check; its NDJSON report read back."""
    report = workdir / f"schemathesis-{'token' if token else 'no-token'}.ndjson"
    # filter_too_much: a health check of schemathesis's own generator (the id pattern leaves few
    # of the strings it first draws for a path parameter), not a check of the API.
    cmd = [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json",
           "--checks", "all", "--max-examples", str(examples), "--seed", str(seed),
           "--max-response-time", str(MAX_RESPONSE_S), "--request-timeout", "60",
           "--suppress-health-check", "filter_too_much", "--workers", "1", "--no-color",
           "--report", "ndjson", "--report-ndjson-path", str(report)]
    if token is not None:
        cmd += ["--header", f"Authorization: Bearer {token}"]
    if phases is not None:
        cmd += ["--phases", phases]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=500, cwd=workdir)
    return Run(done.returncode, done.stdout + done.stderr, _interactions(report))


#: Issue 13's numbered cases as requests: (case, method, path, JSON body or raw text).
HAND_MADE: tuple[tuple[str, str, str, object], ...] = (
    ("1 now far ahead", "POST", "/v1/choose", {"customer_id": "a1", "now": 4e9}),
    ("1 now in ms", "POST", "/v1/choose", {"customer_id": "a1", "now": "<ms>"}),
    ("2 reward 1e308", "POST", "/v1/reward", {"decision_id": "<d>", "value": 1e308}),
    ("2 reward 1e7", "POST", "/v1/reward", {"decision_id": "<d>", "value": 1e7}),
    ("2 reward 4.78e-161", "POST", "/v1/reward", {"decision_id": "<d2>", "value": 4.78e-161}),
    ("3 erase victim%0A", "DELETE", "/v1/customers/victim%0A", None),
    ("3 id with a newline", "POST", "/v1/choose", {"customer_id": "a\nb"}),
    ("3 id a/../b", "POST", "/v1/choose", {"customer_id": "a/../b"}),
    ("4 batch, 3rd item now 1e12", "POST", "/v1/choose/batch",
     {"items": [{"customer_id": "b1"}, {"customer_id": "b2"},
                {"customer_id": "b3", "now": 1e12}]}),
    ("5 now 1e17", "POST", "/v1/choose", {"customer_id": "c", "now": 1e17}),
    ("5 now -1e17", "POST", "/v1/choose", {"customer_id": "c", "now": -1e17}),
    ("5 401-digit integer", "POST", "/v1/choose",
     '{"customer_id": "c", "context": {"big": 1' + "0" * 400 + "}}"),
    ("5 window_s=inf", "GET", "/v1/dashboard/summary?window_s=inf", None),
    ("7 now false", "POST", "/v1/choose", {"customer_id": "c", "now": False}),
    ("7 value true", "POST", "/v1/reward", {"decision_id": "<d2>", "value": True}),
    ("7 value \"1\"", "POST", "/v1/reward", {"decision_id": "<d2>", "value": "1"}),
    ("7 now 30 days ago", "POST", "/v1/choose", {"customer_id": "c", "now": "<past>"}),
    ("8 DELETE /v1/customers", "DELETE", "/v1/customers", None),
    ("8 /metrics without token", "GET", "/metrics", None),
)


def _fill(body: object, values: dict[str, object]) -> object:
    if isinstance(body, dict):
        return {k: _fill(v, values) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, values) for v in body]
    return values.get(body, body) if isinstance(body, str) else body


def _server_now(http: httpx.Client) -> float:
    """The server's clock as its document states it (its `now` window ends a day after it), or
    this machine's clock for a server whose document does not say."""
    now = http.get("/openapi.json").json()["components"]["schemas"]["ChooseRequest"][
        "properties"]["now"]
    high = next((s["maximum"] for s in now.get("anyOf", ()) if "maximum" in s), None)
    return time.time() if high is None else high - 86400


def hand_made(url: str) -> list[tuple[str, int, str]]:
    """Each of :data:`HAND_MADE` once: ``(case, status, error kind or "")``."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, timeout=60) as http:
        ids = [http.post("/v1/choose", json={"customer_id": f"h{i}"}, headers=auth).json()
               ["decision_id"] for i in range(2)]
        http.post("/v1/choose", json={"customer_id": "victim"}, headers=auth)
        now = _server_now(http)
        values = {"<d>": ids[0], "<d2>": ids[1], "<ms>": now * 1000, "<past>": now - 30 * 86400}
        out = []
        for case, method, path, body in HAND_MADE:
            headers = {} if case.endswith("without token") else dict(auth)
            try:
                if isinstance(body, str):
                    r = http.request(method, path, content=body,
                                     headers={**headers, "content-type": "application/json"})
                else:
                    r = http.request(method, path, json=_fill(body, values), headers=headers)
            except httpx.TransportError as exc:  # a server that dropped the connection
                out.append((case, 0, f"no answer: {exc}"))
                continue
            json_error = (r.status_code >= 400
                          and r.headers.get("content-type", "").startswith("application/json"))
            kind = r.json().get("error", "") if json_error else r.headers.get("content-type", "")
            out.append((case, r.status_code, kind))
        r = http.post("/v1/choose?explain=true", json={"customer_id": "after"}, headers=auth)
        try:  # strict JSON: a bare NaN or Infinity is refused
            json.loads(r.text, parse_constant=lambda name: 1 / 0)
            kind = "valid JSON"
        except (ValueError, ZeroDivisionError):
            kind = "NOT JSON (a bare NaN or Infinity)"
        out.append(("2 explain after those", r.status_code, kind))
    return out


def _summary(run: Run) -> str:
    phases = Counter(i.phase for i in run.seen)
    statuses = Counter(i.status for i in run.seen)
    return (f"{len(run.seen)} requests ({', '.join(f'{k} {v}' for k, v in sorted(phases.items()))})"
            f"; statuses {dict(sorted(statuses.items()))}; failed checks "
            f"{dict(run.failures) or 0}; exit code {run.code}")


@contextlib.contextmanager
def _target(url: str | None, tmp: Path) -> Iterator[str]:
    if url is None:
        with served(tmp / "state") as base:
            yield base
        return
    host = httpx.URL(url).host
    if not (host == "localhost" or ipaddress.ip_address(host).is_loopback):
        raise SystemExit(f"--url: only a loopback server may be attacked, got {url}")
    yield url.rstrip("/")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--examples", type=int, default=20, help="per operation (default 20)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--url", default=None, help="attack this running server (loopback only)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp, _target(args.url, Path(tmp)) as url:
        start = time.perf_counter()
        with_token = schemathesis(url, Path(tmp), examples=args.examples, seed=args.seed)
        print(f"schemathesis, every check, seed {args.seed}, {args.examples} examples per "
              f"operation, with the token ({time.perf_counter() - start:.0f} s):")
        print("  " + _summary(with_token))
        start = time.perf_counter()
        without = schemathesis(url, Path(tmp), examples=5, seed=args.seed, token=None,
                               phases="coverage,fuzzing")
        protected = Counter(i.status for i in without.seen if i.protected)
        print(f"without the token ({time.perf_counter() - start:.0f} s): {_summary(without)}")
        print(f"  protected routes: {dict(protected)}; open routes: "
              f"{dict(Counter(i.status for i in without.seen if not i.protected))}")
        print("hand-made (issue 13's cases):")
        for case, status, kind in hand_made(url):
            print(f"  {case:32}{status:5}  {kind}")
    return 0 if with_token.code == 0 and set(protected) == {401} else 1


if __name__ == "__main__":
    raise SystemExit(main())
