"""Shared pieces of the service tests: the token, the catalog, a real ``offerbandit serve``
child process on a free loopback port, and a reader of ``/metrics``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

CATALOG = Path(__file__).with_name("catalog.toml")
TOKEN = "service-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChildProcess:
    """A command of ours in a child process: stopped by SIGTERM (its shutdown runs) or killed."""

    proc: subprocess.Popen | None = None
    #: seconds a SIGTERM may take before the child is killed
    stop_timeout_s: float = 30.0

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs (no checkpoint written, nothing pending published)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM and wait for the shutdown to finish; its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=self.stop_timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=30)


class ServeProcess(ChildProcess):
    """``offerbandit serve`` in a child process on 127.0.0.1 (the real CLI, uvicorn, sockets).

    Args:
        state_dir: the embedded engine's state; or, as ``store="URL"``, serve as a replica of
            that shared log.
        catalog: the catalog file.
    """

    def __init__(self, state_dir: Path | None, *extra: str, catalog: Path = CATALOG,
                 store: str | None = None) -> None:
        self.state_dir, self.extra, self.catalog = state_dir, extra, catalog
        self.where = ["--store", store] if store else ["--state-dir", str(state_dir)]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 60.0) -> ServeProcess:
        env = {**os.environ, "OFFERBANDIT_TOKEN": TOKEN, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "serve", *self.where,
             "--catalog", str(self.catalog), "--port", str(self.port), "--host", "127.0.0.1",
             "--refresh-s", "0.5", *self.extra],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: "
                                   f"{self.proc.stdout.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"serve did not answer /healthz within {timeout_s} s")


class Scrape:
    """A ``/metrics`` answer read by ``prometheus_client``'s own parser: a malformed exposition,
    or a sample that does not belong to the family its ``# TYPE`` line declares, fails here."""

    def __init__(self, text: str) -> None:
        families = list(text_string_to_metric_families(text))
        untyped = [f.name for f in families if f.type == "unknown"]
        assert not untyped, f"samples outside their declared family: {untyped}"
        declared = [f.name for f in families]
        assert len(declared) == len(set(declared)), f"a family declared twice: {declared}"
        self.types = {f.name: f.type for f in families}
        self.samples = {(s.name, frozenset(s.labels.items())): s.value
                        for f in families for s in f.samples}

    def value(self, name: str, **labels: str) -> float:
        """The value of the sample ``name{labels}``; fails the test when it is not exposed."""
        key = (name, frozenset(labels.items()))
        assert key in self.samples, f"{name}{labels or ''} not exposed"
        return self.samples[key]


# ``offerbandit learn`` through its own module's parser, as the entry point registers it (the
# console script's entry points are those of the installed copy, which may predate the command).
RUN_LEARN = ("import argparse, sys; from engine.commands import learn; "
             "p = argparse.ArgumentParser(); learn.add_parser(p.add_subparsers()); "
             "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))")


class LearnProcess(ChildProcess):
    """``offerbandit learn`` in a child process, following a shared log (SIGTERM publishes
    what is pending, then the learner exits)."""

    stop_timeout_s = 60.0

    def __init__(self, store: str, *extra: str) -> None:
        self.store, self.extra = store, extra
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 60.0) -> LearnProcess:
        """Start it and wait until it holds the learner lock and has caught up with the log."""
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RUN_LEARN, "learn", "--store", self.store,
             "--catalog", str(CATALOG), "--status-every-s", "0", *self.extra],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()  # printed once the lock is held and replay is done
        if "learned_seq" not in first:
            self.stop()
            raise RuntimeError(f"learn did not start: {first}{self.proc.stdout.read()[-2000:]}")
        self.output = [first]
        threading.Thread(target=self._drain, daemon=True).start()  # a full pipe would block it
        return self

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output = [*self.output[-50:], line]


#: a deliberately poor candidate serving first, SquareCB beside it (the switch tests)
POOR_FIRST = [{"name": "poor", "exploration": "epsilon", "epsilon": 1.0}, "squarecb"]


def reward_of(i: int, action: int) -> float:
    """Customer ``i``'s reward for ``action``: three actions pay, by customer."""
    return 1.0 if action == i % 3 else 0.0


def play_over_http(client, n: int) -> None:
    """``n`` choose+reward pairs through the service (customer ``c<i>``, context ``k = v<i % 3>``,
    rewarded by :func:`reward_of`)."""
    for i in range(n):
        d = client.post("/v1/choose", json={"customer_id": f"c{i}",
                                            "context": {"k": f"v{i % 3}"}},
                        headers=AUTH).json()
        client.post("/v1/reward", json={"decision_id": d["decision_id"],
                                        "value": reward_of(i, d["action_index"])},
                    headers=AUTH)
