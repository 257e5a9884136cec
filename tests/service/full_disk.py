"""A disk that fills up and empties again on demand, for the tests of a full disk.

:class:`TinyTmpfs` mounts a few-megabyte tmpfs (root on Linux) and fills it with a file: every
write that needs a new block fails with ENOSPC, exactly as on a full production disk.
:class:`FileSizeCap` is the fallback where mounting is not permitted: it lowers a process's
RLIMIT_FSIZE, so that its writes past the current end of a file fail with EFBIG (Python ignores
SIGXFSZ, so the process is not killed). Both are given back by :meth:`free`.
"""

from __future__ import annotations

import errno
import os
import resource
import subprocess
from pathlib import Path

__all__ = ["FileSizeCap", "TinyTmpfs", "full_disk"]

_CHUNK = b"\0" * (64 * 1024)


class TinyTmpfs:
    """A tmpfs of ``size`` mounted on ``root`` (an empty folder)."""

    kind = "tmpfs"

    # Room for the log and two checkpoints (the one kept and the one being written): the default
    # ridge candidate's state is 6.6 MB on the example catalog. Filled to the last block anyway.
    def __init__(self, root: Path, size: str = "64m") -> None:
        self.root, self.size = root, size
        self._filler = root / "filler"

    def mount(self) -> bool:
        """Mount it; False where this process may not mount."""
        self.root.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size}", "tmpfs",
                               str(self.root)], capture_output=True)
        return done.returncode == 0

    def fill(self, pid: int | None = None) -> None:
        """Write a file until the disk is full, to the last small block."""
        with open(self._filler, "ab", buffering=0) as f:
            for chunk in (_CHUNK, b"\0" * 512):
                try:
                    while True:
                        f.write(chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise

    def free(self, pid: int | None = None) -> None:
        """Give the space back."""
        self._filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.root)], capture_output=True)


class FileSizeCap:
    """RLIMIT_FSIZE of the process ``pid``, lowered to 0 to fill and restored to free."""

    kind = "RLIMIT_FSIZE"

    def __init__(self, root: Path) -> None:
        self.root = root

    def mount(self) -> bool:
        self.root.mkdir(parents=True, exist_ok=True)
        return True

    def fill(self, pid: int | None = None) -> None:
        assert pid is not None
        _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, hard))

    def free(self, pid: int | None = None) -> None:
        assert pid is not None
        _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard, hard))

    def unmount(self) -> None:
        return None


def full_disk(root: Path) -> TinyTmpfs | FileSizeCap:
    """A tmpfs on ``root`` where this process may mount one, else the file-size cap."""
    tmpfs = TinyTmpfs(root)
    if os.geteuid() == 0 and tmpfs.mount():
        return tmpfs
    cap = FileSizeCap(root)
    cap.mount()
    return cap
