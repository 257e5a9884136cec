"""The fleet over real sockets and processes: two ``serve --store`` replicas and one
``learn`` on a throwaway PostgreSQL, under load. A replica is killed with SIGKILL, then,
separately, the learner: every acknowledged decision and reward is in the log, the replicas keep
serving the last snapshot while the learner is down, and the restarted learner resumes from its
snapshot plus the log and learns nothing twice (its final model is exactly the log's own)."""

from __future__ import annotations

import threading
import time

import httpx
import numpy as np

from engine.config import load_config
from engine.snapshots import learner_from
from engine.store_url import open_store
from tests.engine.engine_world import model_of_log, readout
from tests.service.service_world import AUTH, CATALOG, LearnProcess, ServeProcess

CTX = {"age": 41, "segment": "regular", "days_since_purchase": 30}


class Load:
    """Choose-then-reward loops against one replica until stopped or the replica dies; every
    decision answered 200 and every reward answered 200 is remembered."""

    def __init__(self, url: str, name: str, clients: int = 2) -> None:
        self.url, self.name = url, name
        self.decided: list[str] = []
        self.rewarded: list[tuple[str, float]] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(k,)) for k in range(clients)]
        for t in self.threads:
            t.start()

    def _run(self, k: int) -> None:
        with httpx.Client(base_url=self.url, headers=AUTH, timeout=5) as http:
            i = 0
            while not self.stop.is_set():
                i += 1
                value = float(i % 3 == 0)
                try:
                    d = http.post("/v1/choose", json={"customer_id": f"{self.name}-{k}-{i}",
                                                      "context": CTX})
                    if d.status_code != 200:
                        continue
                    did = d.json()["decision_id"]
                    self.decided.append(did)
                    r = http.post("/v1/reward", json={"decision_id": did, "value": value})
                except (httpx.TransportError, ValueError, KeyError):
                    return  # the replica is gone
                if r.status_code == 200:
                    self.rewarded.append((did, value))

    def join(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)


def _wait(condition, timeout_s: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_kill_9_a_replica_then_the_learner_under_load_loses_and_relearns_nothing(postgres_url):
    log = open_store(postgres_url)
    learner = LearnProcess(postgres_url, "--publish-every", "25", "--publish-every-s", "0.3")
    replicas = [ServeProcess(None, "--snapshot-refresh-s", "0.3", store=postgres_url)
                for _ in range(2)]
    loads: list[Load] = []
    try:
        learner.start()
        for r in replicas:
            r.start()
        loads = [Load(r.url, f"r{k}") for k, r in enumerate(replicas)]
        _wait(lambda: len(loads[0].rewarded) >= 60, what="load on replica 0")
        replicas[0].kill()  # mid-flight: its clients have requests in progress
        loads[0].join()
        after_kill = len(loads[1].rewarded)
        _wait(lambda: len(loads[1].rewarded) >= after_kill + 60, what="replica 1 serving on")

        _wait(lambda: log.latest_snapshot_version() > 0, what="a first snapshot")
        learner.kill()
        last_version = log.latest_snapshot_version()
        down_at, before = time.time(), len(loads[1].decided)
        time.sleep(1.5)  # several refresh periods with no learner
        served_while_down = loads[1].decided[before:]
        assert len(served_while_down) > 10  # the replica kept answering
        assert log.latest_snapshot_version() == last_version
        versions = {log.get_decision(d).model_version for d in served_while_down
                    if log.get_decision(d).created_at > down_at + 1.0}
        assert versions == {last_version}  # ...from the last snapshot published

        learner = LearnProcess(postgres_url, "--publish-every", "25", "--publish-every-s", "0.3")
        learner.start()  # waits for the dead learner's lock to go, then resumes
        _wait(lambda: len(loads[1].rewarded) >= after_kill + 200, what="load after restart")
        loads[1].join()
        assert learner.stop() == 0  # publishes what is pending on the way out
    finally:
        for load in loads:
            load.join()
        for r in replicas:
            r.stop()
        learner.stop()

    for load in loads:  # every acknowledged decision and reward is in the log
        for did in load.decided:
            log.get_decision(did)
        for did, value in load.rewarded:
            assert [r[1] for r in log.rewards_of(did)] == [value], did
    snap = log.latest_snapshot()
    assert snap is not None and snap.learned_seq == log.last_seq() > 200
    catalog, _, _ = load_config(CATALOG)
    with learner_from(snap, catalog) as published:  # each reward learned exactly once
        np.testing.assert_array_equal(readout(published), model_of_log(log, catalog))
    log.close()
