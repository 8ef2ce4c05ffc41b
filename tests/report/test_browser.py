"""The HTML report in a real browser: every chart drawn, no console errors, no network.

Drives headless Chromium (the system browser, e.g. Debian's `chromium` package) with
Playwright. Without a browser the test is skipped, except where
COMPUTELOOP_REQUIRE_BROWSER=1 (CI), where it fails. COMPUTELOOP_CHROMIUM names the
browser's executable when it is not on PATH as chromium, chromium-browser or
google-chrome.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
EXPECTED_CHARTS = {
    "capital-loop",
    "vendor-revenue",
    "fan-gw-online",
    "fan-revenue",
    "fan-cash",
    "fan-funding-gap",
    "warrant-odds",
    # the valuation section (Monte Carlo runs) and one `--stress` section
    "valuation-amd-warrant-fair-value-beside-headline-usd",
    "valuation-amd-warrant-vesting-probability",
    "section-1-total-loss-usd",
}


def find_browser() -> str | None:
    """The Chromium executable to drive, or None."""
    explicit = os.environ.get("COMPUTELOOP_CHROMIUM")
    if explicit:
        return explicit
    return next((p for p in map(shutil.which, NAMES) if p), None)


@pytest.fixture(scope="module")
def page(written_report: Any) -> Iterator[Any]:
    """The report open in headless Chromium, with console errors and requests recorded."""
    exe = find_browser()
    if exe is None:
        msg = "no Chromium found (apt-get install chromium, or set COMPUTELOOP_CHROMIUM)"
        if os.environ.get("COMPUTELOOP_REQUIRE_BROWSER") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.errors = []
        pg.requests = []
        pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.on("request", lambda r: pg.requests.append(r.url))
        pg.goto(written_report.html.as_uri())
        pg.wait_for_function(
            f"document.querySelectorAll('figure.chart .main-svg').length >= {len(EXPECTED_CHARTS)}",
            timeout=30_000,
        )
        yield pg
        browser.close()


def count(page: Any, chart: str, selector: str) -> int:
    return int(page.locator(f"figure#{chart} {selector}").count())


def text(page: Any, selector: str) -> str:
    return str(page.locator(selector).first.text_content() or "").strip()


def test_every_chart_is_in_the_page(page: Any, written_report: Any) -> None:
    ids = set(page.eval_on_selector_all("figure.chart", "els => els.map(e => e.id)"))
    assert ids >= EXPECTED_CHARTS
    assert ids == set(written_report.info["charts"])


def test_the_capital_loop_draws_nodes_and_links(page: Any) -> None:
    assert count(page, "capital-loop", ".sankey-node") >= 8
    assert count(page, "capital-loop", ".sankey-link") >= 7
    labels = page.eval_on_selector_all(
        "figure#capital-loop .sankey-node .node-label", "els => els.map(e => e.textContent)"
    )
    assert "OpenAI" in labels
    assert any(label.startswith("NVIDIA: equity") for label in labels)
    assert any(label.startswith("NVIDIA: chips") for label in labels)


@pytest.mark.parametrize("chart", ["fan-gw-online", "fan-revenue", "fan-cash", "fan-funding-gap"])
def test_fan_charts_draw_two_bands_and_two_lines(page: Any, chart: str) -> None:
    # Each band is two traces (upper edge, filled lower edge), then the median and
    # the central-values line: six scatter traces.
    assert count(page, chart, ".scatterlayer .trace") == 6
    assert count(page, chart, ".scatterlayer .trace .fills path") >= 2


def test_bar_charts_draw_bars(page: Any) -> None:
    # 3 vendors x 2 stacked parts x 8 years; 5 AMD warrant tranches.
    assert count(page, "vendor-revenue", ".barlayer .point") == 48
    assert count(page, "warrant-odds", ".barlayer .point") == 5


@pytest.mark.parametrize("chart", sorted(EXPECTED_CHARTS - {"capital-loop"}))
def test_charts_have_title_units_axis_labels_and_a_reading(page: Any, chart: str) -> None:
    assert len(text(page, f"figure#{chart} .gtitle")) > 10
    assert text(page, f"figure#{chart} .g-xtitle")
    assert text(page, f"figure#{chart} .g-ytitle")
    reading = text(page, f"figure#{chart} figcaption .reading")
    assert reading.endswith(".") and any(ch.isdigit() for ch in reading)


def test_tables_are_present(page: Any) -> None:
    assert page.locator("#reconcile tbody tr").count() >= 10
    assert page.locator("#deals > table > tbody > tr").count() == 6
    assert page.locator("#deals details").count() == 6


def test_choosing_a_year_redraws_the_loop(page: Any) -> None:
    assert count(page, "capital-loop", ".updatemenu-header-group") == 1
    # Apply the year menu's "2027" entry as a click would.
    page.evaluate(
        """() => {
        const gd = document.getElementById('plot-capital-loop');
        const b = gd.layout.updatemenus[0].buttons.find(b => b.label === '2027');
        return Plotly.update(gd, b.args[0], b.args[1]);
    }"""
    )
    assert text(page, "figure#capital-loop .annotation-text").startswith("In 2027")
    assert count(page, "capital-loop", ".sankey-node") >= 5


def test_no_console_errors_and_no_network(page: Any) -> None:
    assert page.errors == []
    assert [u for u in page.requests if not u.startswith(("file:", "data:", "about:"))] == []
