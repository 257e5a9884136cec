"""The fleet on Ray: choose replicas as a Ray Serve deployment, the learner as a named, detached
actor that Ray restarts when it dies.

The same parts as the processes ``offerbandit serve --store`` and ``offerbandit learn`` run
(``engine.replica``, ``engine.learner_loop``), placed by Ray: ``--replicas N`` replicas behind Ray
Serve's HTTP proxy, one learner actor (``max_restarts=-1``: a killed learner comes back, takes the
log's lock once the dead one's connection is gone, and resumes from its last snapshot plus the
log). Workers get the catalog's text, not its path, so a cluster needs no shared folder; they
need the store's URL to reach the same database. The only module of the engine that imports Ray.

Example (not run here: it starts Ray)::

    spec = FleetSpec.from_files("catalog.toml", "postgresql://db/log", token=None)
    with RayFleet(spec, replicas=2, address=None, host="127.0.0.1", port=8000) as fleet:
        fleet.wait()
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

import ray
from ray import serve

from engine.http import create_app
from engine.learner_loop import LearnerLoop
from engine.replica import ReplicaEngine

__all__ = ["APP_NAME", "LEARNER_NAME", "NAMESPACE", "FleetSpec", "RayFleet"]

APP_NAME = "offerbandit"
LEARNER_NAME = "offerbandit-learner"
NAMESPACE = "offerbandit"


@dataclass(frozen=True)
class FleetSpec:
    """Everything a replica or the learner needs, as plain values (sent to Ray workers).

    Attributes:
        catalog_toml: the catalog file's text.
        store: the shared log's URL.
        seed: the learner's seed (replicas draw their own sampling streams).
        token: the bearer token of the replicas' API; None: no auth.
        max_body_bytes: larger request bodies are refused.
        dashboard_refresh_s: the dashboard's refresh period.
        snapshot_refresh_s: how often replicas check for a newer snapshot.
        publish_every: the learner publishes after this many rewards...
        publish_every_s: ...or this many seconds.
    """

    catalog_toml: str
    store: str
    seed: int = 0
    token: str | None = None
    max_body_bytes: int = 1 << 20
    dashboard_refresh_s: float = 5.0
    snapshot_refresh_s: float = 2.0
    publish_every: int = 1000
    publish_every_s: float = 5.0

    @classmethod
    def from_files(cls, catalog: str | os.PathLike, store: str, **kwargs: Any) -> FleetSpec:
        """A spec reading the catalog file now (workers get its text)."""
        return cls(Path(catalog).read_text(), store, **kwargs)

    def catalog_file(self, folder: str) -> str:
        """Write the catalog into ``folder``; return its path (``load_config`` reads a file)."""
        path = Path(folder) / "catalog.toml"
        path.write_text(self.catalog_toml)
        return str(path)


@serve.ingress()
class ChooseReplica:
    """One choose replica: a :class:`ReplicaEngine` behind the service's ASGI app."""

    def __init__(self, spec: dict[str, Any]) -> None:
        s = FleetSpec(**spec)
        with tempfile.TemporaryDirectory() as d:
            engine = ReplicaEngine.from_catalog(s.catalog_file(d), store=s.store, seed=s.seed,
                                                refresh_s=s.snapshot_refresh_s)
        # The replicas write, the learner settles: no settling loop here.
        self._app = create_app(engine, token=s.token, max_body_bytes=s.max_body_bytes,
                               close_engine=True, refresh_s=s.dashboard_refresh_s,
                               settle_every_s=None)

    def __serve_build_asgi_app__(self) -> Any:
        return self._app


@ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=-1)
class LearnerActor:
    """The learner, in a thread of its own actor; Ray restarts the actor if its process dies."""

    def __init__(self, spec: dict[str, Any]) -> None:
        s = FleetSpec(**spec)
        with tempfile.TemporaryDirectory() as d:
            # Waits for a dead predecessor's lock (freed when its connection is seen closed).
            self._loop = LearnerLoop.from_catalog(s.catalog_file(d), s.store, seed=s.seed,
                                                  publish_every=s.publish_every,
                                                  publish_every_s=s.publish_every_s,
                                                  lock_wait_s=120.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop.run, args=(self._stop,),
                                        name="offerbandit-learner", daemon=True)
        self._thread.start()

    def status(self) -> dict[str, Any]:
        """The learner's :class:`~engine.learner_loop.LearnerStatus` as a dict, and its pid."""
        return {**asdict(self._loop.status()), "pid": os.getpid(),
                "running": self._thread.is_alive()}

    def stop(self) -> dict[str, Any]:
        """Learn what the log holds, publish it, release the log; return the final status."""
        self._stop.set()
        self._thread.join(timeout=120)
        status = self.status()
        self._loop.close()
        return status


class RayFleet:
    """Deploys the replicas and the learner on Ray; :meth:`close` takes them down.

    Args:
        spec: what the replicas and the learner run.
        replicas: how many choose replicas.
        address: a Ray cluster (``"auto"``, ``"ray://host:10001"``) or None for a local Ray.
        host, port: where Ray Serve's HTTP proxy listens.
        replica_cpus: CPUs each replica reserves.
    """

    def __init__(self, spec: FleetSpec, *, replicas: int, address: str | None, host: str,
                 port: int, replica_cpus: float = 1.0) -> None:
        local = address is None
        if not ray.is_initialized():
            # A local Ray reserves one CPU per replica and one for the learner, however few
            # cores the machine has (they then share them).
            cpus = max(os.cpu_count() or 1, replicas + 1) if local else None
            ray.init(address=address, namespace=NAMESPACE, num_cpus=cpus,
                     include_dashboard=False, configure_logging=False, log_to_driver=False)
        self.address = ray.get_runtime_context().gcs_address
        self.learner_store = _redacted(spec.store)
        payload = asdict(spec)
        self.learner = LearnerActor.options(  # type: ignore[attr-defined]
            name=LEARNER_NAME, namespace=NAMESPACE, lifetime="detached",
            get_if_exists=True).remote(payload)
        serve.start(http_options={"host": host, "port": port})
        deployment = serve.deployment(name="choose", num_replicas=replicas,
                                      ray_actor_options={"num_cpus": replica_cpus}
                                      )(ChooseReplica)
        serve.run(deployment.bind(payload), name=APP_NAME, route_prefix="/")
        self._local = local

    def status(self) -> dict[str, Any]:
        """The learner's status (see :meth:`LearnerActor.status`)."""
        return dict(ray.get(self.learner.status.remote()))

    def close(self) -> None:
        """Delete the replicas, stop the learner (it publishes what is pending) and remove it;
        a local Ray is shut down."""
        try:
            serve.delete(APP_NAME)
            try:
                ray.get(self.learner.stop.remote(), timeout=180)
            finally:
                ray.kill(self.learner, no_restart=True)
        finally:
            if self._local:
                serve.shutdown()
                ray.shutdown()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _redacted(url: str) -> str:
    from engine.postgres_store import redact

    return redact(url) if url.startswith(("postgresql://", "postgres://")) else url
