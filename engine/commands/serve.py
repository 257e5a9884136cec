"""``offerbandit serve``: the HTTP service and dashboard around one engine.

Two ways to run it:

- ``--state-dir DIR`` (the default way): one process holds the engine, its SQLite log and its
  learner, and learns every reward as it comes: the serving candidate inside ``reward``, the
  others between requests (``--follow background``, the default: ``follow_every = 0``, the
  service following the log in slices) or inside ``reward`` too (``--follow inline``). Several
  uvicorn workers would each open the same state directory, so there is exactly one.
- ``--store URL``: a choose replica of a shared log (``engine.replica``): it serves the latest
  model snapshot that ``offerbandit learn --store URL`` publishes and writes decisions and
  rewards to the log; run as many as the load needs, on as many machines, behind any load
  balancer. ``--store URL --replicas N`` deploys N of them on Ray instead (Ray Serve, a local Ray
  or ``--address auto`` for a cluster), with the learner as a detached actor Ray restarts
  (``engine.ray_fleet``); the command then holds the deployment until SIGINT/SIGTERM.

``--experiment DIR`` shows the regret curves that ``offerbandit experiment run`` wrote into
``DIR`` (a JSON file: the engine never imports the lab).

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> add_parser(sub).parse_args(["--state-dir", "s", "--catalog", "c.toml"]).port
    8080
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``serve`` and return its parser."""
    p = subparsers.add_parser("serve", help="run the HTTP service and dashboard",
                              description="Serve choose/reward over HTTP, /metrics, /docs and "
                              "/dashboard. The token comes from $OFFERBANDIT_TOKEN or "
                              "--token-file.")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--state-dir", help="the engine's state (log, checkpoints): one process "
                       "that learns as it serves (default: none; this or --store is required)")
    where.add_argument("--store", help="a shared log (postgresql://user@host/db or "
                       "sqlite:///folder/): serve as a choose replica of it; `offerbandit learn` "
                       "is its learner (default: none; this or --state-dir is required)")
    p.add_argument("--catalog", required=True, help="catalog TOML (docs/catalog.md)")
    p.add_argument("--port", type=int, default=8080, help="TCP port (default 8080)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--token-file", default=None,
                   help="file holding the bearer token (default: $OFFERBANDIT_TOKEN)")
    p.add_argument("--no-auth", action="store_true",
                   help="serve without a token (refused unless --host is a loopback address; "
                   "default: a token is required)")
    p.add_argument("--experiment", default=None, metavar="RESULTS_DIR",
                   help="an experiment results folder whose regret curves the dashboard shows "
                   "(default: none)")
    p.add_argument("--max-body-bytes", type=int, default=1 << 20,
                   help="larger request bodies are refused with 413 (default 1048576)")
    p.add_argument("--refresh-s", type=float, default=5.0,
                   help="dashboard refresh period in seconds (default 5)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the engine's learner and its sampling (default 0)")
    p.add_argument("--snapshot-refresh-s", type=float, default=2.0,
                   help="with --store: seconds between checks for a newer model snapshot "
                   "(default 2)")
    p.add_argument("--replicas", type=int, default=None,
                   help="with --store: deploy this many replicas on Ray Serve, and the learner "
                   "as a Ray actor (default: none, this process serves)")
    p.add_argument("--address", default=None,
                   help="with --replicas: the Ray cluster (auto, ray://host:10001); default a "
                   "local Ray")
    p.add_argument("--no-hot-path", action="store_true",
                   help="route choose/reward through FastAPI's router too (slower; to compare; "
                   "default: the hot path)")
    p.add_argument("--settle-every-s", type=_positive_seconds, default=60.0,
                   help="how often the background settler learns the default reward of "
                   "decisions whose reward window passed (default 60)")
    p.add_argument("--follow", choices=("background", "inline"), default="background",
                   help="with --state-dir: when the candidate learners that do not serve learn "
                   "each reward: 'background' (the default) between requests, off the reward's "
                   "path (follow_every = 0), unless the catalog's [engine] sets follow_every; "
                   "'inline' as the catalog says (1 when unset: inside each reward)")
    p.set_defaults(func=run)
    return p


def _follow_options(args: argparse.Namespace) -> dict[str, int]:
    """``follow_every = 0`` (the service then follows the log between requests) when asked to
    follow in the background and the catalog's ``[engine]`` table does not set it."""
    from engine.config import load_config

    if getattr(args, "follow", "background") != "background":
        return {}
    return {} if "follow_every" in load_config(args.catalog)[2] else {"follow_every": 0}


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _token(args: argparse.Namespace) -> str | None:
    from engine.http import load_token

    if args.no_auth:
        if not _is_loopback(args.host):
            raise SystemExit(f"--no-auth: only allowed on a loopback host, got --host {args.host}")
        return None
    return load_token(args.token_file)


def build_app(args: argparse.Namespace):
    """The engine and the app for these arguments (split from :func:`run` for tests)."""
    from engine import Engine
    from engine.experiment_curves import read_experiment_curves
    from engine.http import create_app

    token = _token(args)
    experiment = read_experiment_curves(args.experiment) if args.experiment else None
    engine: Engine
    if getattr(args, "store", None):
        from engine.replica import ReplicaEngine

        engine = ReplicaEngine.from_catalog(args.catalog, store=args.store, seed=args.seed,
                                            refresh_s=args.snapshot_refresh_s)
    else:
        Path(args.state_dir).mkdir(parents=True, exist_ok=True)
        engine = Engine.from_catalog(args.catalog, state_dir=args.state_dir, seed=args.seed,
                                     **_follow_options(args))
    app = create_app(engine, token=token, max_body_bytes=args.max_body_bytes,
                     experiment=experiment, close_engine=True, refresh_s=args.refresh_s,
                     hot_path=not args.no_hot_path, settle_every_s=args.settle_every_s)
    return engine, app


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; the engine is closed on the way out."""
    import uvicorn

    from engine.errors import EngineError

    if getattr(args, "replicas", None) is not None or getattr(args, "address", None):
        return _run_on_ray(args)
    try:
        _, app = build_app(args)
    except (EngineError, FileNotFoundError, ValueError) as exc:
        print(f"offerbandit serve: {exc}", file=sys.stderr)
        return 2
    base = f"http://{args.host}:{args.port}"
    if getattr(args, "store", None):
        print(f"offerbandit serve: a replica of {app.fastapi.state.engine.log.url}",
              file=sys.stderr)
    print(f"offerbandit serve: {base}/v1/choose  docs {base}/docs  dashboard "
          f"{base}/dashboard#token=<token>", file=sys.stderr)
    # One worker by design (see the module docstring); no access log on the hot path.
    # No proxy-header rewriting: the service never reads the client address.
    uvicorn.run(app, host=args.host, port=args.port, workers=1, access_log=False,
                proxy_headers=False, server_header=False, log_level="warning",
                timeout_graceful_shutdown=10)
    return 0


def _run_on_ray(args: argparse.Namespace) -> int:
    """Deploy ``--replicas`` replicas and the learner on Ray; hold them until a signal."""
    import signal
    import threading

    if not args.store:
        print("--replicas: expected --store URL too (replicas share a log), got --state-dir",
              file=sys.stderr)
        return 2
    if args.replicas is None or args.replicas < 1:
        print(f"--replicas: expected an integer >= 1, got {args.replicas}", file=sys.stderr)
        return 2
    from engine.ray_fleet import FleetSpec, RayFleet

    spec = FleetSpec.from_files(args.catalog, args.store, seed=args.seed, token=_token(args),
                                max_body_bytes=args.max_body_bytes,
                                dashboard_refresh_s=args.refresh_s,
                                snapshot_refresh_s=args.snapshot_refresh_s)
    stop = threading.Event()
    with RayFleet(spec, replicas=args.replicas, address=args.address, host=args.host,
                  port=args.port) as fleet:
        for sig in (signal.SIGINT, signal.SIGTERM):  # after Ray's own, which they replace
            signal.signal(sig, lambda *_: stop.set())
        base = f"http://{args.host}:{args.port}"
        print(f"offerbandit serve: {args.replicas} replicas of {fleet.learner_store} on Ray "
              f"{fleet.address} at {base}/v1/choose; learner pid {fleet.status()['pid']}",
              file=sys.stderr, flush=True)
        stop.wait()
    return 0
