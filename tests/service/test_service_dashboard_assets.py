"""The dashboard's chart library is vendored: the file is the one its note records (version,
hash, license), the app serves it itself, and the page loads nothing from another host."""

from __future__ import annotations

import hashlib
import re

from engine.http.pages import DASHBOARD_DIR
from tests.service.service_world import AUTH

VENDOR = DASHBOARD_DIR / "vendor"


def test_the_vendored_chart_library_is_the_recorded_one():
    note = (VENDOR / "VENDORED.md").read_text()
    version = re.search(r"\| version \| ([\d.]+) \|", note).group(1)
    digest = re.search(r"\| sha256 \(as shipped here\) \| `([0-9a-f]{64})` \|", note).group(1)
    js = (VENDOR / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(js).hexdigest() == digest
    assert js.startswith(f"/*!\n * Chart.js v{version}\n".encode())
    assert b"sourceMappingURL" not in js  # the map is not shipped: nothing may ask for it
    assert (VENDOR / "chart.js.LICENSE.md").read_text().startswith("The MIT License")


def test_the_app_serves_the_library_and_the_page_names_no_other_host(client):
    served = client.get("/static/dashboard/vendor/chart.umd.min.js", headers=AUTH)
    assert served.status_code == 200
    assert served.content == (VENDOR / "chart.umd.min.js").read_bytes()
    page = client.get("/dashboard").text
    assert '<script src="/static/dashboard/vendor/chart.umd.min.js">' in page
    for path in DASHBOARD_DIR.glob("*.*"):
        assert not re.search(r"https?://", path.read_text()), path.name
