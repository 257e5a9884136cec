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
from tests.service.service_world import AUTH, CATALOG, TOKEN

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
                                reason="Debian's chromium is not installed (.ci/run installs it)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


def _experiment(folder: Path) -> Path:
    """A tiny results folder as the experiment command leaves it: two scenarios, two policies,
    two seeds, and the curves file the dashboard reads."""
    rng = np.random.default_rng(0)
    for scenario in ("baseline", "fatigue"):
        for policy, scale in (("vw_squarecb", 4.0), ("uniform", 12.0)):
            for seed in (0, 1):
                write_cell(folder, f"{scenario}__{policy}__seed{seed}", [
                    {"scenario": scenario, "policy": policy, "seed": seed, "window": w,
                     "step": 200 * (w + 1), "n_treated": 180,
                     "regret": float(rng.random() * scale)} for w in range(40)])
    write_regret_curves(folder)
    return folder


def _traffic(url: str, n: int = 120) -> None:
    with httpx.Client(base_url=url, headers=AUTH, timeout=10) as http:
        for i in range(n):
            ctx = {"age": 20 + i % 50, "segment": ["new", "vip", "regular"][i % 3]}
            d = http.post("/v1/choose", json={"customer_id": f"u{i}", "context": ctx}).json()
            http.post("/v1/reward", json={"decision_id": d["decision_id"],
                                          "value": float(i % 4 == 0)}).raise_for_status()


# What each Chart.js chart was given, and how its axes came out (ticks, label fit).
_CHARTS = """() => [...document.querySelectorAll('canvas')].map(c => {
    const ch = Chart.getChart(c);
    const ctx = c.getContext('2d');
    const scales = Object.values(ch.scales).map(s => {
        ctx.font = Chart.helpers.toFont(s.options.ticks.font).string;
        const texts = s.ticks.map(t => [].concat(t.label).join(' '));
        // a label may have several lines: its width is its widest line's
        const textWidths = s.ticks.map(t => Math.max(0, ...[].concat(t.label).map(
            l => ctx.measureText(String(l)).width)));
        return {id: s.id, type: s.type, axis: s.axis, values: s.ticks.map(t => t.value),
                labels: texts, widest: Math.max(0, ...textWidths), width: s.width,
                height: s.height, left: s.left, right: s.right, top: s.top, bottom: s.bottom,
                title: s.options.title.display ? s.options.title.text : null,
                pixels: s.ticks.map((t, i) => s.getPixelForTick(i)), textWidths,
                rotation: s.labelRotation || 0};
    });
    return {id: c.parentElement.id, scenario: c.parentElement.dataset.scenario || null,
            width: ch.width, height: ch.height, labels: ch.data.labels || null,
            datasets: ch.data.datasets.map(d => ({label: d.label, data: d.data,
                interval: Boolean(d.interval), color: d.borderColor || null,
                background: d.backgroundColor})), scales};
})"""


# charts whose x axis is a clock: its steps are clock steps (5 min, 1 h), not 1-2-5
TIME_AXES = ("chart-reward-rate", "chart-drift-psi", "chart-drift-reward")


def _text(label: str | list[str]) -> str:
    """A chart label as one line (Chart.js draws a list as wrapped lines)."""
    return " ".join(label) if isinstance(label, list) else label


def _nice(step: float) -> bool:
    """A 1-2-5 step (x a power of ten)."""
    mantissa = step / 10 ** np.floor(np.log10(step))
    return any(abs(mantissa - m) < 1e-6 for m in (1, 2, 2.5, 5, 10))


def _check_axes(chart: dict) -> None:
    for s in chart["scales"]:
        if len(s["values"]) > 1 and s["type"] == "linear" and chart["id"] not in TIME_AXES:
            steps = np.diff(s["values"])
            assert _nice(float(np.median(steps))), (chart["id"], s["values"])
        assert len(set(s["labels"])) == len(s["labels"]), (chart["id"], s["labels"])
        if s["axis"] == "y" and s["rotation"] == 0:  # labels left of the plot fit its width
            assert s["widest"] <= s["width"] + 0.5, (chart["id"], s)
        if s["axis"] == "x" and s["rotation"] == 0:  # and under it, inside the canvas
            for px, w in zip(s["pixels"], s["textWidths"], strict=True):
                assert px - w / 2 >= -0.5 and px + w / 2 <= chart["width"] + 0.5, (chart["id"], s)


def test_dashboard_draws_what_the_api_returns(serve, tmp_path):
    sp = serve(None, "--experiment", str(_experiment(tmp_path / "results"))).start()
    _traffic(sp.url, 160)  # the logged policy then rests on over 100 rewarded decisions
    api = httpx.Client(base_url=sp.url, headers=AUTH, timeout=10)

    console_errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM)
                                     else shutil.which("chromium"), args=ARGS,
                                     headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1500})
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
        latest = api.get("/v1/dashboard/latest-decision").json()
        charts = page.evaluate(_CHARTS)
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("OFFERBANDIT_SCREENSHOT_DIR"):
            shutil.copy(shot, Path(os.environ["OFFERBANDIT_SCREENSHOT_DIR"]) / shot.name)
        by_id = {c["id"]: c for c in charts if c["id"]}

        # The reward-rate chart: one line per group holding the API's rates per 1,000.
        lines = {d["label"]: [p["y"] for p in d["data"]]
                 for d in by_id["chart-reward-rate"]["datasets"]}
        assert lines.keys() == {"treatment", "holdout"}
        for g in ("treatment", "holdout"):
            want = [None if b["rate"] is None else 1000 * b["rate"] for b in rate[g]]
            assert lines[g] == pytest.approx(want, nan_ok=True) or lines[g] == want
        assert any(v is not None for v in lines["treatment"])
        assert rate["bucket_s"] <= 60 and rate["bucket_label"] in page.inner_text(
            "#scope-reward-rate")  # 120 decisions in seconds: buckets of seconds, not 3 min
        assert by_id["chart-reward-rate"]["scales"][1]["title"] == "reward per 1,000 decisions"

        # The mix of messages, channels and timings equals the summary's counts.
        for axis in ("message", "channel", "timing"):
            chart = by_id[f"chart-mix-{axis}"]
            drawn = dict(zip(chart["labels"], chart["datasets"][0]["data"], strict=True))
            assert drawn == summary["action_mix"][axis] and sum(drawn.values()) > 0
            assert all(float(v).is_integer() for v in chart["scales"][0]["values"])
        assert sum(summary["action_mix"]["message"].values()) == summary["decisions"]["treatment"]
        assert page.inner_text("#tile-decisions") == "160"

        # The candidate learners: one interval per candidate scored so far, the serving one named.
        learners = summary["learners"]
        drawn = by_id["chart-learners"]
        assert learners["estimator"] == "dr_cv"  # the rule's estimate, drawn and named
        scored = [n for n, c in learners["candidates"].items() if c["dr_cv"] is not None]
        assert len(drawn["labels"]) == len(scored) >= 1
        assert drawn["datasets"][0]["data"] == pytest.approx(
            [1000 * learners["candidates"][n]["dr_cv"] for n in scored])
        assert any("(control-variate doubly robust, 95% CI)" in (sc["title"] or "")
                   for sc in drawn["scales"])
        serving = learners["candidates"][learners["serving"]]
        share = serving["share"]
        part = f", {round(100 * share)} % of decisions" if 0 < share < 1 else ""
        assert f"{learners['serving']} (serving{part})" in map(_text, drawn["labels"])
        assert f"serving: {learners['serving']}" in page.inner_text("#scope-learners")
        assert page.inner_text("#learner-switches")  # the switches, or why there is none

        # Every card says its scope and time.
        scopes = page.eval_on_selector_all(".scope", "els => els.map(e => e.textContent)")
        assert len(scopes) >= 8 and all(" · as of " in t for t in scopes), scopes
        assert page.inner_text("#scope-decisions").startswith("whole log")
        assert page.inner_text("#scope-mix").startswith("last 7 days")
        assert page.inner_text("#scope-exploration").startswith("since this process started")

        # Lift: the absolute difference first, the verdict in words, relative only if separated.
        lift = summary["lift"]
        assert page.inner_text("#tile-lift").startswith(("+", "-", "\N{EN DASH}"))
        assert page.inner_text("#tile-lift-unit").startswith("reward per 1,000 decisions")
        verdict = page.inner_text("#tile-lift-ci")
        assert verdict == lift["verdict"]["text"] and lift["verdict"]["word"] in verdict
        assert ("relative" in verdict) == (lift["verdict"]["word"] != "not distinguishable")

        # Off-policy alternatives with their effective sample size; thin evidence greyed out.
        assert alts["available"], alts
        chart = by_id["chart-alternatives"]
        assert [_text(x) for x in chart["labels"]] == [
            e["name"] for e in alts["estimates"]]  # long names on two lines
        assert np.allclose(chart["datasets"][0]["data"],
                           [1000 * e["value"] for e in alts["estimates"]])
        notes = page.eval_on_selector_all("#alternatives-note li", """els => els.map(e => ({
            name: e.dataset.name, text: e.textContent, muted: e.classList.contains('muted')}))""")
        for e, note, colour in zip(alts["estimates"], notes, chart["datasets"][0]["background"],
                                   strict=True):
            assert note["name"] == e["name"] and "effective sample size" in note["text"]
            assert note["muted"] == (not e["trusted"]) == (e["ess"] < alts["min_ess"])
            assert (colour == "#c4c9d0") == note["muted"]
        assert any(n["muted"] for n in notes) and not notes[0]["muted"]

        # The experiment: one regret chart per scenario, a colour per policy across charts.
        assert exp["available"] and page.is_visible("#experiment-panel")
        multiples = [c for c in charts if c["scenario"]]
        assert sorted(c["scenario"] for c in multiples) == ["baseline", "fatigue"]
        colours: dict[str, set] = {}
        for c in multiples:
            curves = {k["policy"]: k for k in exp["curves"] if k["scenario"] == c["scenario"]}
            drawn = [d for d in c["datasets"] if not d["interval"]]
            assert {d["label"] for d in drawn} == set(curves)
            for d in drawn:
                assert [p["y"] for p in d["data"]] == curves[d["label"]]["regret"]
                colours.setdefault(d["label"], set()).add(d["color"])
            assert sum(d["interval"] for d in c["datasets"]) == len(curves)  # end-of-run CIs
            assert exp["unit"] in c["scales"][1]["title"]
        assert all(len(v) == 1 for v in colours.values()) and len(
            {next(iter(v)) for v in colours.values()}) == len(colours)

        # The latest decision, explained as ?explain=true explains it.
        assert latest["available"]
        text = latest["decision"]["explanation"]["text"]
        assert page.inner_text("#latest-explanation") == text
        assert text.splitlines()[0].startswith(("sent ", "no contact", "chose no contact"))
        assert "*" not in text.splitlines()[0]
        assert " ms / " in page.inner_text("#tile-latency")

        for chart in charts:
            _check_axes(chart)

        browser.close()

    assert console_errors == [], console_errors
    assert failed == [], failed
    assert all(u.startswith((sp.url, "data:")) for u in requested), requested
    api.close()


DRIFT_SETTINGS = """
[engine.drift]
reference_size = 200
window = 200
block = 50
reward_block = 20
reward_warmup_blocks = 5
lift_window = 100
follow_every = 4
recover = true
recover_batch = 50
response = true
response_reference = 200
"""


def _drift_traffic(url: str, start: int, n: int, vip: float, pay: float) -> None:
    """n decisions whose segment mix is ``vip`` and whose contacts pay with probability
    ``pay``; holdout and no contact pay nothing."""
    rng = np.random.default_rng(start)
    with httpx.Client(base_url=url, headers=AUTH, timeout=10) as http:
        for i in range(start, start + n):
            ctx = {"segment": "vip" if rng.random() < vip else "regular",
                   "age": float(rng.normal(40, 10))}
            d = http.post("/v1/choose", json={"customer_id": f"u{i}", "context": ctx}).json()
            value = float(d["channel"] is not None and rng.random() < pay)
            http.post("/v1/reward", json={"decision_id": d["decision_id"],
                                          "value": value}).raise_for_status()


def test_drift_panel_shows_what_moved_when_and_how_much(serve, tmp_path):
    """A population that changes its mix and stops paying: the panel names the feature, charts
    its PSI against the thresholds and the reward streams with their change points, and lists
    the events, each exactly as the API says; the engine's answer (a challenger learner) is
    among the events and among the candidate learners."""
    catalog = tmp_path / "drift_catalog.toml"
    catalog.write_text(CATALOG.read_text() + DRIFT_SETTINGS)
    sp = serve(None, "--catalog", str(catalog)).start()
    _drift_traffic(sp.url, 0, 500, vip=0.1, pay=0.5)
    _drift_traffic(sp.url, 500, 500, vip=0.7, pay=0.1)
    api = httpx.Client(base_url=sp.url, headers=AUTH, timeout=10)
    console_errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM)
                                     else shutil.which("chromium"), args=ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.goto(f"{sp.url}/dashboard#token={TOKEN}")
        page.wait_for_function("Number(document.body.dataset.refreshed || 0) >= 1",
                               timeout=30_000)
        drift = api.get("/v1/dashboard/drift").json()  # cached: what the page drew
        charts = {c["id"]: c for c in page.evaluate(_CHARTS) if c["id"]}
        rows = page.eval_on_selector_all("#drift-features tbody tr", """rows => rows.map(r =>
            [...r.children].map(td => td.textContent))""")
        events = page.eval_on_selector_all("#drift-events li", "els => els.map(e => "
                                           "e.textContent)")
        if os.environ.get("OFFERBANDIT_SCREENSHOT_DIR"):
            page.screenshot(path=str(Path(os.environ["OFFERBANDIT_SCREENSHOT_DIR"])
                                     / "dashboard_drift.png"), full_page=True)
        verdict = page.inner_text("#drift-verdict")
        scope_text = page.inner_text("#scope-drift")
        response = page.inner_text("#drift-response")
        for chart in charts.values():
            _check_axes(chart)
        browser.close()
    api.close()
    assert console_errors == []

    # What moved, in words: the segment mix, and the treatment's reward.
    assert drift["available"] and drift["verdict"]["level"] == "alert"
    assert verdict == drift["verdict"]["text"] and "segment" in verdict
    assert response == drift["response"] and response.startswith("answers given the context: ")
    assert "the last 200 decisions against the reference: 200 decisions" in scope_text
    # The features table: one row per feature, PSI as the API says, the segment on top.
    assert [r[0] for r in rows] == [f["name"] for f in drift["features"]][:12]
    # the segment moved (latest move first); its PSI then is the alert's
    assert rows[0][0] == "segment" and drift["features"][0]["last_moved"]["level"] == "alert"
    assert f"({drift['features'][0]['last_moved']['psi']:.3f}, alert)" in rows[0][4]
    for row, f in zip(rows, drift["features"], strict=False):
        assert row[2] == (f"{f['psi']:.3f}" if f["psi"] is not None else "\N{EN DASH}")
        assert row[3] == f["level"]
    assert "\N{RIGHTWARDS ARROW}" in rows[0][5]
    # PSI over time of the features that moved, with both thresholds dashed.
    psi = {d["label"]: d for d in charts["chart-drift-psi"]["datasets"]}
    for s in drift["psi_series"]:
        assert [p["y"] for p in psi[s["label"]]["data"]] == pytest.approx(s["y"])
        assert [p["x"] for p in psi[s["label"]]["data"]] == s["x"]
    assert "segment" in psi
    assert {k.split(" ")[0] for k in psi if "threshold" in k} == {"warn", "alert"}
    assert charts["chart-drift-psi"]["scales"][1]["title"] == "PSI"
    # Reward streams per block, and one dashed marker per detected change.
    drawn = {d["label"]: d for d in charts["chart-drift-reward"]["datasets"]}
    for s in drift["reward_series"]:
        assert [p["y"] for p in drawn[s["label"]]["data"]] == pytest.approx(s["y"])
    markers = [d for d in drawn.values() if d["label"] not in
               {s["label"] for s in drift["reward_series"]}]
    assert len(markers) == len(drift["changes"]) >= 1
    assert any(c["stream"].startswith("treatment") and c["direction"] == "drop"
               for c in drift["changes"])
    for m, c in zip(markers, drift["changes"], strict=True):
        assert [p["x"] for p in m["data"]] == [c["t"], c["t"]]
    # Events, newest first, as logged.
    assert [e.split(": ", 1)[1] for e in events] == [
        f"{e['message']}" for e in drift["events"]]
    assert any("segment moved: PSI" in e for e in events)
    # The answer: a challenger started, listed with the candidates once it has been scored.
    assert any("challenger drift1 started after" in e for e in events)
    assert any(_text(label).split(" ")[0] == "drift1"
               for label in charts["chart-learners"]["labels"])


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


def test_the_learners_panel_names_the_challenger_on_trial(serve, tmp_path):
    """Catches a trial the dashboard hides: with ``selection.trial_share`` set, the candidate
    the summary says is on trial (serving a share of decisions) is labelled so in the learners
    panel, with the share it draws, the serving one as serving, and no other candidate as
    either."""
    catalog = tmp_path / "trial_catalog.toml"
    catalog.write_text(CATALOG.read_text() + "\n[engine.selection]\ntrial_share = 0.2\n")
    sp = serve(None, "--catalog", str(catalog)).start()
    _traffic(sp.url, 160)
    api = httpx.Client(base_url=sp.url, headers=AUTH, timeout=10)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM)
                                     else shutil.which("chromium"), args=ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1400, "height": 1500}).new_page()
        page.goto(f"{sp.url}/dashboard#token={TOKEN}")
        page.wait_for_function("Number(document.body.dataset.refreshed || 0) >= 1",
                               timeout=30_000)
        learners = api.get("/v1/dashboard/summary").json()["learners"]  # cached: as drawn
        drawn = {c["id"]: c for c in page.evaluate(_CHARTS)}["chart-learners"]["labels"]
        labels = [_text(x) for x in drawn]
        browser.close()
    candidates = learners["candidates"]
    on_trial = [n for n, c in candidates.items() if c["on_trial"]]
    assert len(on_trial) >= 1 and learners["serving"] not in on_trial
    part = {n: f", {round(100 * c['share'])} % of decisions" if 0 < c["share"] < 1 else ""
            for n, c in candidates.items()}
    want = {n: f"{n} (serving{part[n]})" if c["serving"]
            else f"{n} (on trial{part[n]})" if c["on_trial"] else n
            for n, c in candidates.items() if c["dr_cv"] is not None}
    assert sorted(labels) == sorted(want.values())
    # the share each one draws is on its label: 80 % serving, 20 % to the one on trial
    assert any(label.endswith("(on trial, 20 % of decisions)") for label in labels)
