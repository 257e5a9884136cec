"""The fleet on a real local Ray: ``serve --store URL --replicas 2`` deploys two replicas on Ray
Serve and the learner as a detached actor. Under load, the learner actor's process is killed
with SIGKILL: Ray restarts it, it resumes from its snapshot plus the log, and at the end every
acknowledged reward is in the log and the published model is exactly the log's own."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import numpy as np

from engine.config import load_config
from engine.snapshots import learner_from
from engine.store_url import open_store
from tests.engine.engine_world import model_of_log, readout
from tests.service.service_world import CATALOG, REPO, TOKEN, free_port
from tests.service.test_fleet_live import Load, _wait


def test_replicas_on_ray_serve_and_a_learner_actor_ray_restarts(postgres_url):
    port = free_port()
    env = {**os.environ, "OFFERBANDIT_TOKEN": TOKEN, "PYTHONPATH": str(REPO)}
    env.pop("RAY_ADDRESS", None)  # a Ray of its own, never one already running here
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--store", postgres_url, "--catalog",
         str(CATALOG), "--replicas", "2", "--host", "127.0.0.1", "--port", str(port),
         "--snapshot-refresh-s", "0.5"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "learner pid" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    log = open_store(postgres_url)
    load: Load | None = None
    try:
        assert ready.wait(300), "".join(lines[-30:])
        pid = int(re.search(r"learner pid (\d+)", "".join(lines)).group(1))
        load = Load(f"http://127.0.0.1:{port}", "ray", clients=2)
        _wait(lambda: log.latest_snapshot_version() > 0 and len(load.rewarded) > 40, 120,
              "a first snapshot")
        os.kill(pid, signal.SIGKILL)  # the learner actor's process, mid-flight
        killed_at = log.last_seq()
        # Ray restarts the actor; it takes the lock and learns past where its predecessor died.
        _wait(lambda: (s := log.latest_snapshot()) is not None and s.learned_seq > killed_at + 20,
              240, "the restarted learner")
        load.join()
        assert len(load.rewarded) > 60
    finally:
        if load is not None:
            load.join()
        proc.send_signal(signal.SIGTERM)  # deletes the replicas; the learner publishes, goes
        try:
            proc.wait(timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, "".join(lines[-30:])
    for did, value in load.rewarded:
        assert [r[1] for r in log.rewards_of(did)] == [value], did
    snap = log.latest_snapshot()
    assert snap is not None and snap.learned_seq == log.last_seq()
    catalog, _, _ = load_config(CATALOG)
    with learner_from(snap, catalog) as published:
        np.testing.assert_array_equal(readout(published), model_of_log(log, catalog))
    log.close()
