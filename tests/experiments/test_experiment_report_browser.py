"""The report page in a real headless Chromium at 1400 px: one regret chart per scenario, a
policy keeps its colour across charts, no chart text is clipped, units on every axis."""

from __future__ import annotations

import pytest

from experiments.report import write_report
from tests.chromium import launch, needs_chromium
from tests.experiments import report_world

pytestmark = needs_chromium
SCENARIOS = ("baseline", "fatigue", "capacity")
POLICIES = {"random": ("random", [100, 101, 102, 103]),
            "best fixed (A-B test)": ("best_fixed", [150, 170, 160, 180]),
            "LinTS": ("lints", [1250, 1300, 1280, 1320]),
            "engine (default)": ("engine", [12000, 12500, 12200, 12900])}

# every <text> of every chart, with its box and its chart's box, in page pixels
_TEXT_BOXES = """() => [...document.querySelectorAll('figure.chart svg')].flatMap(svg => {
    const frame = svg.getBoundingClientRect();
    return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
        const b = t.getBoundingClientRect();
        return {text: t.textContent, left: b.left - frame.left, right: frame.right - b.right,
                top: b.top - frame.top, bottom: frame.bottom - b.bottom};
    });
})"""
_LINE_COLOURS = """() => [...document.querySelectorAll('figure.regret g[id^="line-"]')].map(g => ({
    id: g.id, stroke: getComputedStyle(g.querySelector('path')).stroke}))"""


@pytest.fixture(scope="module")
def page_html(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    for s in SCENARIOS:
        report_world.write(folder, report_world.rows(POLICIES, scenario=s))
    return write_report(folder)


def test_the_report_page_reads_in_chromium(page_html):
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(page_html.as_uri())

        regret = page.eval_on_selector_all("figure.regret", "els => els.map(e => "
                                           "e.dataset.scenario)")
        assert sorted(regret) == sorted(SCENARIOS)  # small multiples: one chart per scenario

        boxes = page.evaluate(_TEXT_BOXES)
        assert len(boxes) >= 10 * len(SCENARIOS)
        clipped = [b for b in boxes if min(b["left"], b["right"], b["top"], b["bottom"]) < -0.5]
        assert clipped == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        colours: dict[str, set[str]] = {}
        for line in page.evaluate(_LINE_COLOURS):
            colours.setdefault(line["id"].rsplit("-", 1)[1], set()).add(line["stroke"])
        assert len(colours) == len(POLICIES)
        assert all(len(c) == 1 for c in colours.values()), colours  # one colour per policy
        assert len({next(iter(c)) for c in colours.values()}) == len(POLICIES)

        labels = [t["text"] for t in boxes]
        assert labels.count("(EUR per 1,000 customers)") == len(SCENARIOS)  # y labels
        assert labels.count("expected value (EUR per 1,000 customers)") == len(SCENARIOS)
        assert "10,000" in labels  # thousands separated on value axes
        verdict = page.inner_text("#verdict ~ section.scenario")
        assert "EUR per 1,000 customers" in verdict and "engine (default) " in verdict
        browser.close()
    assert errors == []
