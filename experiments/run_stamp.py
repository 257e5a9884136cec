"""What a results folder records about its run: the code version and the time, for the report.

Example:
    >>> code_version().startswith("offerbandit ")
    True
    >>> utc_now()[-6:]
    '+00:00'
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

__all__ = ["code_version", "utc_now"]

_ROOT = Path(__file__).resolve().parents[1]


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def code_version() -> str:
    """``offerbandit <version>``, plus ``git <commit>`` (``+dirty`` with uncommitted changes)
    when the package runs from a git checkout; never raises."""
    try:
        version = metadata.version("offerbandit")
    except metadata.PackageNotFoundError:
        version = "unknown"
    commit = _git("rev-parse", "--short", "HEAD")
    if not commit:
        return f"offerbandit {version}"
    dirty = "+dirty" if _git("status", "--porcelain", "--untracked-files=no") else ""
    return f"offerbandit {version} (git {commit}{dirty})"


def _git(*args: str) -> str:
    if not (_ROOT / ".git").exists():
        return ""
    try:
        done = subprocess.run(["git", "-C", str(_ROOT), *args], capture_output=True, text=True,
                              timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
