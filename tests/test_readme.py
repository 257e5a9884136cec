"""The README's tour runs as written, in order, on a fresh copy of the repository.

Every ```bash and ```python block of README.md is run in a temporary copy of the working tree (the
files git tracks or would track), in the order they appear, with the installed ``offerbandit``
command and this Python on the PATH and the copy first on the import path. The one exception is a
block made only of ``make`` lines: those install an environment from the network (``make demo``
then runs the full experiment for minutes), so the test checks that each of their targets exists
in the Makefile instead of running it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[str, str]]:
    return _BLOCK.findall((ROOT / "README.md").read_text())


def _is_make(code: str) -> bool:
    lines = [line.split("#")[0].strip() for line in code.splitlines()]
    return all(not line or line.startswith("make ") for line in lines)


def _fresh_copy(dest: Path) -> set[str]:
    """Copy the repository as a fresh clone would have it (tracked and not-ignored files) into
    ``dest``; return the names at its top level."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode()
    top = set()
    for name in filter(None, listed.split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
            top.add(name.split("/")[0])
    return top


def test_the_readme_blocks_are_found():
    kinds = [kind for kind, _ in _blocks()]
    assert kinds.count("bash") >= 4 and kinds.count("python") >= 1
    assert _is_make(_blocks()[0][1])  # the quick start comes first


def test_the_make_targets_the_readme_names_exist():
    makefile = (ROOT / "Makefile").read_text()
    for _, code in (b for b in _blocks() if _is_make(b[1])):
        for target in re.findall(r"^\s*make (\S+)", code, re.M):
            assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs the git checkout to copy")
def test_the_readme_tour_runs_in_order_on_a_fresh_copy(tmp_path):
    repo = tmp_path / "repo"
    top = _fresh_copy(repo)
    env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONUNBUFFERED": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("OFFERBANDIT_TOKEN", None)
    ran = 0
    for i, (kind, code) in enumerate(_blocks()):
        if kind == "bash" and _is_make(code):
            continue
        cmd = (["bash", "-euo", "pipefail", "-c", code] if kind == "bash"
               else [sys.executable, "-c", code])
        done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True,
                              timeout=600, check=False)
        assert done.returncode == 0, f"README block {i} ({kind}) failed:\n{code}\n" \
                                     f"--- stdout\n{done.stdout[-3000:]}\n" \
                                     f"--- stderr\n{done.stderr[-3000:]}"
        ran += 1
        if kind == "python":
            assert done.stdout.startswith("sent ") or done.stdout.startswith(
                ("chose no contact", "no contact")), done.stdout  # the explanation
    assert ran >= 4
    assert (repo / "results/quick/report.html").is_file()
    assert (repo / "results/export.parquet").is_file()
    leftovers = {p.name for p in repo.iterdir()} - top
    assert leftovers == {"results", "state"}, leftovers  # all it wrote is where git ignores it
    ignored = (repo / ".gitignore").read_text().split()
    assert {"results/", "state/"} <= set(ignored)
