"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb + pg_ctl in a temp folder.

The server binaries are found by ``pg_config --bindir``, then in Debian's layout
(``/usr/lib/postgresql/<version>/bin``, newest first), then on ``PATH``. PostgreSQL refuses to
run as root, so as root the cluster runs as the ``postgres`` user (Debian's package makes it)
through ``runuser``. The server listens on 127.0.0.1 on a free port; each test gets a schema of
its own (``options=-csearch_path=...`` in its URL), which is much cheaper than a database.

Example (skipped where no server binaries are installed)::

    with ThrowawayCluster.start() as cluster:
        url = cluster.new_schema_url()

From a shell (the README's fleet on one machine), a server kept in a folder until stopped::

    STORE=$(python -m tests.postgres_cluster start state/pg)    # prints its URL
    python -m tests.postgres_cluster stop state/pg
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Self
from urllib.parse import quote

__all__ = ["HOW_TO_ENABLE", "ThrowawayCluster", "server_bindir"]

HOW_TO_ENABLE = ("install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql) so "
                 "that `pg_config --bindir` or /usr/lib/postgresql/<version>/bin holds initdb "
                 "and pg_ctl")


def server_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when the server is not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted((p for p in debian.iterdir() if p.name.isdigit()),
                          key=lambda p: int(p.name), reverse=True)
        candidates += [v / "bin" for v in versions]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file():
            return c
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayCluster:
    """One PostgreSQL server in a temp folder, stopped (and its folder removed) on close.

    Args:
        bindir: the server binaries (:func:`server_bindir`).
        durable: keep ``fsync`` on (benchmarks measure a durable server); tests turn it off.
    """

    def __init__(self, bindir: Path, *, durable: bool = False, root: Path | None = None) -> None:
        self.bindir = bindir
        self.durable = durable
        self.keep = root is not None
        self.root = root or Path(tempfile.mkdtemp(prefix="offerbandit-pg-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.data = self.root / "data"
        port_file = self.root / "port"
        self.port = int(port_file.read_text()) if port_file.exists() else _free_port()
        port_file.write_text(str(self.port))
        self._user: str | None = None
        if os.geteuid() == 0:  # initdb refuses root: run the server as an unprivileged user
            self._user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
            if self._user is None:
                raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run "
                                   "the server as; create one (useradd postgres)")
            os.chown(self.root, pwd.getpwnam(self._user).pw_uid, -1)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls, *, durable: bool = False, root: Path | None = None) -> ThrowawayCluster:
        """Create and start a cluster (in ``root`` if given: kept there, reused if present).

        Raises:
            RuntimeError: no server binaries (the message says how to install them), or the
                server did not start (its log is quoted).
        """
        bindir = server_bindir()
        if bindir is None:
            raise RuntimeError(f"no PostgreSQL server binaries found; {HOW_TO_ENABLE}")
        cluster = cls(bindir, durable=durable, root=root)
        try:
            cluster._init_and_start()
        except BaseException:
            cluster.close()
            raise
        return cluster

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._user is not None:
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}\n"
                               f"{tail}")

    def _init_and_start(self) -> None:
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E",
                      "UTF8", "--no-sync", "--no-instructions")
        settings = [f"-c listen_addresses=127.0.0.1 -p {self.port}",
                    f"-c unix_socket_directories={self.root}", "-c max_connections=200"]
        if not self.durable:
            settings.append("-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                  "-t", "60", "-o", " ".join(settings), "start")

    def new_schema_url(self) -> str:
        """A URL whose tables land in a new, empty schema of their own."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(f"CREATE SCHEMA {name}")
        return f"{self.url}?options={quote(f'-csearch_path={name}')}"

    def stop(self) -> None:
        """Stop the server (fast shutdown), keeping its folder."""
        if self.data.exists():
            with contextlib.suppress(RuntimeError, OSError, subprocess.SubprocessError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        """Stop the server at once and remove its folder (unless it was given); safe to call
        twice."""
        if self.data.exists():
            with contextlib.suppress(RuntimeError, OSError, subprocess.SubprocessError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _location(folder: Path) -> Path:
    """Where the cluster of ``folder`` lives: the folder itself, or, as root (whose folders the
    server's user may not enter, e.g. under a private temp folder), a temp folder it names."""
    if os.geteuid() != 0:
        return folder
    pointer = folder / "cluster"
    if not pointer.exists():
        folder.mkdir(parents=True, exist_ok=True)
        pointer.write_text(tempfile.mkdtemp(prefix="offerbandit-pg-"))
    return Path(pointer.read_text())


def main(argv: list[str]) -> int:
    """``start FOLDER`` (print the URL) or ``stop FOLDER``."""
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.postgres_cluster start|stop FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[1]).resolve()
    if argv[0] == "start":
        print(ThrowawayCluster.start(root=_location(folder)).url)
        return 0
    bindir = server_bindir()
    if bindir is not None and folder.exists():
        cluster = ThrowawayCluster(bindir, root=_location(folder))
        cluster.stop()
        if cluster.root != folder:  # root's temp folder goes with the server
            shutil.rmtree(cluster.root, ignore_errors=True)
            (folder / "cluster").unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
