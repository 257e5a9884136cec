"""Schemathesis against the service, every check on, over a real loopback socket.

The harness is ``benchmarks/attack_service.py``: the app under uvicorn in a thread, on a real
Engine (VW, SQLite) whose clock stands still, so the window of ``now`` that ``/openapi.json``
states is exactly the one the server enforces during the run; schemathesis's own CLI runs every
phase (examples, coverage, fuzzing, stateful: choose, then reward, then erase) with a fixed seed
and a bounded number of cases per operation, and its NDJSON report is read back:

- with the token: no check fails (no server error, no undocumented status, no answer outside its
  schema, no schema-valid request refused, no schema-invalid one accepted);
- without it: every request to a protected route is refused with 401, the open routes answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.attack_service import TOKEN, schemathesis, served

SEED = 13
MAX_EXAMPLES = 20  # per operation in fuzzing: ~800 requests in all, 1 to 1.5 min on 2 busy cores


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("schemathesis") / "state", TOKEN) as base:
        yield base


def test_every_check_passes_on_every_route_with_the_token(url, tmp_path: Path):
    run = schemathesis(url, tmp_path, examples=MAX_EXAMPLES, seed=SEED)
    server_errors = [(i.method, i.path, i.status) for i in run.seen if i.status >= 500]
    assert run.code == 0 and not run.failures and not server_errors, (
        run.failures, server_errors, run.output[-6000:])
    labels = {i.label for i in run.seen}
    assert {"POST /v1/choose", "POST /v1/choose/batch", "POST /v1/reward",
            "DELETE /v1/customers/{customer_id}"} <= labels
    assert {"coverage", "fuzzing", "stateful"} <= {i.phase for i in run.seen}
    assert len(run.seen) >= 300, f"only {len(run.seen)} requests were made"
    refused = [i for i in run.seen if i.status >= 400 and i.protected]
    assert refused and all(i.content_type.startswith("application/json") for i in refused)


def test_without_the_token_every_protected_request_is_401(url, tmp_path: Path):
    run = schemathesis(url, tmp_path, examples=5, seed=SEED, token=None,
                       phases="coverage,fuzzing")
    protected = [i for i in run.seen if i.protected]
    assert len(protected) >= 100, run.output[-3000:]
    assert Counter(i.status for i in protected) == Counter({401: len(protected)})
    assert all(i.status < 500 for i in run.seen if not i.protected)
    assert run.code == 0, run.output[-6000:]
