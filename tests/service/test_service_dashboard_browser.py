"""The dashboard in a real headless Chromium: it loads, every chart holds what the API returns,
and the console stays clean. Skipped only when Debian's chromium is not installed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import httpx
import numpy as np
import pytest
from playwright import sync_api

from experiments.regret_curves import write_regret_curves
from experiments.results_io import write_cell
from tests.service.service_world import AUTH, TOKEN

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
                                reason="Debian's chromium is not installed (.ci/run installs it)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


def _experiment(folder: Path) -> Path:
    """A tiny results folder as the experiment command leaves it: two policies, two seeds, and
    the curves file the dashboard reads."""
    rng = np.random.default_rng(0)
    for policy, scale in (("vw_squarecb", 4.0), ("uniform", 12.0)):
        for seed in (0, 1):
            write_cell(folder, f"standard__{policy}__seed{seed}", [
                {"scenario": "standard", "policy": policy, "seed": seed, "window": w,
                 "step": 200 * (w + 1), "n_treated": 180, "regret": float(rng.random() * scale)}
                for w in range(40)])
    write_regret_curves(folder)
    return folder


def _traffic(url: str, n: int = 120) -> None:
    with httpx.Client(base_url=url, headers=AUTH, timeout=10) as http:
        for i in range(n):
            ctx = {"age": 20 + i % 50, "segment": ["new", "vip", "regular"][i % 3]}
            d = http.post("/v1/choose", json={"customer_id": f"u{i}", "context": ctx}).json()
            http.post("/v1/reward", json={"decision_id": d["decision_id"],
                                          "value": float(i % 4 == 0)}).raise_for_status()


def _chart(page, selector: str, kind: str) -> list[dict]:
    if kind == "lines":
        return page.eval_on_selector_all(f"{selector} path.series", """els => els.map(e => ({
            label: e.dataset.label, values: JSON.parse(e.dataset.values)}))""")
    return page.eval_on_selector_all(f"{selector} rect.bar", """els => els.map(e => ({
        label: e.dataset.label, value: Number(e.dataset.value)}))""")


def test_dashboard_draws_what_the_api_returns(serve, tmp_path):
    sp = serve(None, "--experiment", str(_experiment(tmp_path / "results"))).start()
    _traffic(sp.url)
    api = httpx.Client(base_url=sp.url, headers=AUTH, timeout=10)

    console_errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM)
                                     else shutil.which("chromium"), args=ARGS,
                                     headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 1500})
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))

        page.goto(f"{sp.url}/dashboard#token={TOKEN}")
        page.wait_for_function("Number(document.body.dataset.refreshed || 0) >= 2",
                               timeout=30_000)
        summary = api.get("/v1/dashboard/summary").json()
        rate = api.get("/v1/dashboard/reward-rate").json()
        alts = api.get("/v1/dashboard/alternatives").json()
        exp = api.get("/v1/dashboard/experiment").json()

        # The reward-rate chart: one line per group holding the API's rates.
        lines = {s["label"]: s["values"] for s in _chart(page, "#chart-reward-rate", "lines")}
        assert lines == {g: [b["rate"] for b in rate[g]] for g in ("treatment", "holdout")}
        assert any(v is not None for v in lines["treatment"])

        # The action mix bars equal the summary's counts.
        for axis in ("channel", "timing"):
            bars = {b["label"]: b["value"] for b in _chart(page, f"#chart-mix-{axis}", "bars")}
            assert bars == summary["action_mix"][axis]
        assert page.inner_text("#tile-decisions") == "120"

        # Off-policy alternatives: logged policy, uniform, best fixed action, with regret.
        assert alts["available"], alts
        bars = _chart(page, "#chart-alternatives", "bars")
        assert [b["label"] for b in bars] == [e["name"] for e in alts["estimates"]]
        assert np.allclose([b["value"] for b in bars], [e["value"] for e in alts["estimates"]])
        assert "regret vs uniform random" in page.inner_text("#alternatives-note")

        # The experiment's regret curves.
        assert exp["available"] and page.is_visible("#experiment-panel")
        curves = _chart(page, "#chart-experiment", "lines")
        assert [c["label"] for c in curves] == [c["label"] for c in exp["curves"]]
        assert curves[0]["values"] == exp["curves"][0]["regret"]
        bands = page.eval_on_selector_all("#chart-experiment polygon.band", "els => els.length")
        assert bands == len(exp["curves"])  # each curve's interval is drawn
        assert exp["metric"] in page.inner_text("#experiment-metric")

        # both groups have rewarded decisions (a 20% holdout of 120), so the lift is drawn
        assert summary["lift"]["difference"] is not None
        assert "95% CI" in page.inner_text("#tile-lift-ci")
        assert " ms / " in page.inner_text("#tile-latency")

        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("OFFERBANDIT_SCREENSHOT_DIR"):
            shutil.copy(shot, Path(os.environ["OFFERBANDIT_SCREENSHOT_DIR"]) / shot.name)
        browser.close()

    assert console_errors == [], console_errors
    assert failed == [], failed
    assert all(u.startswith((sp.url, "data:")) for u in requested), requested
    api.close()


def test_dashboard_without_token_says_how_to_open_it(serve):
    sp = serve().start()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page()
        page.goto(f"{sp.url}/dashboard")
        page.wait_for_function("document.getElementById('status').className.includes('error')",
                               timeout=30_000)
        assert "401" in page.inner_text("#status") and "#token=" in page.inner_text("#status")
        browser.close()
    assert json.loads(httpx.get(f"{sp.url}/healthz").text)["status"] == "ok"


def test_docs_render_offline(serve):
    """Swagger UI renders every operation from assets and a spec served by this process."""
    sp = serve().start()
    errors: list[str] = []
    requested: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{sp.url}/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        paths = page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => "
                                          "e.getAttribute('data-path'))")
        browser.close()
    assert {"/v1/choose", "/v1/reward", "/metrics"} <= set(paths)
    assert errors == []
    assert all(u.startswith((sp.url, "data:")) for u in requested), requested
