"""A bounded loopback load generator: N keep-alive clients, each choose then reward, for T seconds.

Written on raw asyncio streams rather than an HTTP library so that, on a 2-core machine, the
client spends as little CPU as possible and the figure measures the server. It speaks plain
HTTP/1.1 with keep-alive and refuses any host that is not a loopback address.

Example (not run here: it needs a server):
    result = run_load("127.0.0.1", 8080, token, clients=16, duration_s=10)
    result.pairs_per_s, result.choose_p99_ms, result.errors
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["LoadResult", "run_load"]


@dataclass
class LoadResult:
    """What a load run saw. ``acked`` holds (decision_id, value) of every reward answered 200."""

    duration_s: float
    pairs: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    choose_s: list[float] = field(default_factory=list)
    reward_s: list[float] = field(default_factory=list)
    acked: list[tuple[str, float]] = field(default_factory=list)

    @property
    def pairs_per_s(self) -> float:
        """Completed choose+reward pairs per second."""
        return self.pairs / self.duration_s if self.duration_s else 0.0

    def percentile_ms(self, which: str, q: float) -> float:
        """Percentile ``q`` of the choose or reward latency, in ms."""
        xs = self.choose_s if which == "choose" else self.reward_s
        return float(np.percentile(xs, q)) * 1000 if xs else float("nan")

    @property
    def error_rate(self) -> float:
        """Errors per request sent."""
        sent = 2 * self.pairs + self.errors
        return self.errors / sent if sent else 0.0


def _request(host: str, path: str, token: str | None, body: dict) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def _client(host: str, port: int, token: str | None, deadline: float, seed: int,
                  result: LoadResult, reward_rate: float) -> None:
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            context = {"age": rng.randint(18, 80), "segment": rng.choice(["new", "vip", "regular"]),
                       "days_since_purchase": rng.randint(0, 400)}
            body = {"customer_id": f"load-{seed}-{rng.randrange(10**9)}", "context": context}
            t0 = time.perf_counter()
            status, raw = await _exchange(reader, writer, _request(host, "/v1/choose", token, body))
            t1 = time.perf_counter()
            if status != 200:
                _fail(result, f"choose {status}: {raw[:200]!r}")
                continue
            result.choose_s.append(t1 - t0)
            decision_id = json.loads(raw)["decision_id"]
            value = 1.0 if rng.random() < reward_rate else 0.0
            status, raw = await _exchange(reader, writer, _request(
                host, "/v1/reward", token, {"decision_id": decision_id, "value": value}))
            t2 = time.perf_counter()
            if status != 200:
                _fail(result, f"reward {status}: {raw[:200]!r}")
                continue
            result.reward_s.append(t2 - t1)
            result.acked.append((decision_id, value))
            result.pairs += 1
    finally:
        writer.close()


def _fail(result: LoadResult, text: str) -> None:
    result.errors += 1
    if len(result.error_samples) < 5:
        result.error_samples.append(text)


def run_load(host: str, port: int, token: str | None, clients: int = 16,
             duration_s: float = 10.0, seed: int = 0, reward_rate: float = 0.2) -> LoadResult:
    """Drive ``clients`` concurrent choose-then-reward loops for ``duration_s`` seconds.

    Raises:
        ValueError: ``host`` is not a loopback address, or the bounds are not positive.
    """
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"host: expected a loopback address, got {host!r}")
    if clients < 1 or not 0 < duration_s <= 600:
        raise ValueError(f"clients >= 1 and 0 < duration_s <= 600, got {clients}, {duration_s}")

    async def main() -> LoadResult:
        result = LoadResult(duration_s=duration_s)
        deadline = time.perf_counter() + duration_s
        start = time.perf_counter()
        await asyncio.gather(*(_client(host, port, token, deadline, seed * 1000 + i, result,
                                       reward_rate) for i in range(clients)))
        result.duration_s = time.perf_counter() - start
        return result

    try:
        import uvloop  # a faster loop leaves more of the shared CPU to the server

        return uvloop.run(main())
    except ImportError:
        return asyncio.run(main())
