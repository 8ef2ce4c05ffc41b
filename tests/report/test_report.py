"""The report's content: charts built from the results they show, PNGs, sizes, sections.

Exact values are checked against the labelled results the charts reduce (tolerance:
floating-point round-off, 1e-9 relative).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from computeloop import default_scenario, simulate
from computeloop.montecarlo import monte_carlo
from computeloop.report import build_report, render_html
from computeloop.report.charts import capital_loop, vendor_revenue
from computeloop.report.units import gw, usd
from computeloop.results import Results

B = 1e9


@pytest.fixture(scope="module")
def results() -> Results:
    return simulate(default_scenario())


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_png_export_writes_the_same_charts(written_report: Any) -> None:
    pngs = sorted(p.stem for p in written_report.png_dir.glob("*.png"))
    assert pngs == sorted(written_report.info["charts"])
    for p in written_report.png_dir.glob("*.png"):
        assert png_size(p) == (1650, 930)  # 11 x 6.2 inches at 150 dpi


def test_every_frame_of_the_capital_loop_balances(results: Results) -> None:
    """Money into the lab equals money out of it (cash kept is a use, cash drawn a source)."""
    chart = capital_loop(results)
    assert [f.period for f in chart.frames] == ["2025-2032", *map(str, range(2025, 2033))]
    for f in chart.frames:
        centre = f.node_column.index(1)
        into = sum(ln.value for ln in f.links if ln.target == centre)
        out = sum(ln.value for ln in f.links if ln.source == centre)
        assert into == pytest.approx(out, rel=1e-9)


def test_vendor_money_in_the_loop_is_the_engine_output(results: Results) -> None:
    whole = capital_loop(results).frames[0]
    flows = {whole.nodes[ln.source]: ln.value for ln in whole.links}
    ds = results.dataset
    nvidia = float(ds.investment_in_lab.sel(entity="NVIDIA").sum()) / B
    assert flows["NVIDIA: equity investment"] == pytest.approx(nvidia, rel=1e-9)
    proceeds = float(ds.lab_warrant_proceeds.sum()) / B
    assert flows["AMD: warrant shares sold"] == pytest.approx(proceeds, rel=1e-9)
    assert flows["Customers (revenue)"] == pytest.approx(float(ds.lab_revenue.sum()) / B)


def test_vendor_bars_add_up_to_revenue_from_the_lab(results: Results) -> None:
    from computeloop.analysis.metrics import summarize

    chart = vendor_revenue(results, summarize(results)["metrics"], None)
    ds = results.dataset
    for v in ("NVIDIA", "AMD", "Broadcom"):
        own, financed = [s for s in chart.series if s.group == v]
        assert own.base is None and financed.base == own.y and financed.hatched
        total = np.add(own.y, financed.y)
        by_year = ds.revenue_from_lab.sel(entity=v).isel(path=0).values.reshape(8, 4).sum(1)
        np.testing.assert_allclose(total, by_year / B, rtol=1e-9)
        assert all(f >= 0 for f in financed.y)


def test_fan_readings_quote_the_bands(written_report: Any) -> None:
    mc = monte_carlo(default_scenario(), paths=4096, seed=11)
    rep = build_report(simulate(default_scenario()), mc=mc)
    fan = next(c for c in rep.charts() if c.id == "fan-gw-online")
    end = mc.bands.gw_online.isel(quarter=-1)
    for q in (0.05, 0.5, 0.95):
        assert gw(float(end.sel(quantile=q))) in fan.reading
    assert fan.note == "Monte Carlo, 4,096 paths"
    cash = next(c for c in rep.charts() if c.id == "fan-cash")
    assert "of paths see cash below zero" in cash.reading


def test_a_deterministic_report_draws_the_central_path_only(results: Results) -> None:
    rep = build_report(results)
    fan = next(c for c in rep.charts() if c.id == "fan-funding-gap")
    assert [s.kind for s in fan.series] == ["line"]
    peak = float(results.lab("funding_gap").max())
    assert usd(peak) in fan.reading


def test_html_size_does_not_grow_with_paths(results: Results) -> None:
    s = default_scenario()
    sizes = [
        len(render_html(build_report(results, mc=monte_carlo(s, paths=n, seed=3))))
        for n in (4096, 3 * 4096)
    ]
    assert abs(sizes[1] - sizes[0]) < 0.002 * sizes[0]
    assert sizes[0] < 6_000_000  # plotly.js (about 4.8 MB) plus well under 1 MB of report


def test_optional_sections_render_as_bars_and_tables(results: Results) -> None:
    stress = {
        "title": "Stress: the lab slows",
        "reading": "Vendors lose most.",
        "loss_usd": {"NVIDIA": 12e9, "AMD": 3e9, "Oracle": 20e9},
        "default_probability": {"Oracle": 0.1, "SoftBank": 0.25},
        "shock": {"name": "demand -30%", "paths": 1000},
    }
    valuation = {"warrants": {"amd-warrant": {"value_usd": 18e9, "value_usd_stderr": 1e8}}}
    rep = build_report(results, stress=stress, valuation=valuation)
    ids = [c.id for c in rep.charts()]
    assert "stress-loss-usd" in ids and "stress-default-probability" in ids
    loss = next(c for c in rep.charts() if c.id == "stress-loss-usd")
    assert loss.series[0].y == (12.0, 3.0, 20.0) and "Oracle: $20.0B" in loss.reading
    sec = {s.id: s for s in rep.sections}
    assert sec["stress"].title == "Stress: the lab slows"
    table = sec["valuation"].items[-1]
    assert ("warrants.amd-warrant.value_usd", "$18.0B") in table.rows  # type: ignore[union-attr]
    html = render_html(rep)
    assert 'id="section-stress"' in html and "demand -30%" in html


def test_report_cli_rejects_bad_input_and_writes_nothing(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = cli("report", "--paths", "0", "--out", out, "--no-store")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: paths:")
    assert not out.exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("report", "--paths", "1", "--out", blocker / "r.html", "--no-store")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
    assert list(tmp_path.iterdir()) == [blocker]
