"""Debian's headless Chromium, driven by playwright: what the browser tests share."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
#: Skip a browser test only where Debian's chromium is missing (.ci/run installs it).
needs_chromium = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
    reason="Debian's chromium is not installed (.ci/run installs it)")


def launch(playwright):
    """A headless Chromium browser (close it, or leave the playwright context to)."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    return playwright.chromium.launch(executable_path=path, args=ARGS, headless=True)
