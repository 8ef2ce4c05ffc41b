"""The report's content: charts built from the results they show, PNGs, sizes, sections.

Exact values are checked against the labelled results the charts reduce (tolerance:
floating-point round-off, 1e-9 relative).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from computeloop import default_scenario, simulate
from computeloop.montecarlo import monte_carlo
from computeloop.report import build_report, render_html
from computeloop.report.charts import capital_loop, vendor_revenue
from computeloop.report.units import gw, pct, usd
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
    assert result.stderr == (
        f"error: --out: {blocker} is a file, not a directory, so {blocker / 'r.html'} "
        "cannot be written\n"
    )
    assert list(tmp_path.iterdir()) == [blocker]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--png", "{file}"], "error: --png: {file} is a file, not a directory"),
        (["--png", "{file}/sub"], "error: --png: {file} is a file, not a directory, so"),
        (["--out", "{dir}"], "error: --out: {dir} is a directory, not a file"),
        (["--out", ""], "error: --out: empty file name"),
        (["--png", ""], "error: --png: empty directory name"),
        (["--stress", "nope"], "error: --stress: unknown name 'nope'; choose one of ['lab-cut-25'"),
    ],
)
def test_report_checks_its_outputs_and_presets_before_any_work(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    """Bad --out/--png/--stress fail at once (no Monte Carlo run, no HTML written)."""
    import computeloop.cli.report as report_cli

    def no_work(*a: Any, **k: Any) -> None:
        raise AssertionError("the Monte Carlo run started before the options were checked")

    monkeypatch.setattr(report_cli, "simulate", no_work)
    monkeypatch.setattr(report_cli, "monte_carlo", no_work)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = tmp_path / "r.html"
    fill = {"file": str(blocker), "dir": str(tmp_path)}
    argv = [a.format(**fill) for a in args]
    if "--out" not in argv:
        argv += ["--out", str(out)]
    result = cli("report", *argv, "--no-store")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message.format(**fill)), result.stderr
    assert sorted(tmp_path.iterdir()) == [blocker]


def test_report_creates_missing_parents_and_notes_an_ignored_value(
    cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "new" / "dir" / "r.html"
    result = cli("report", "--paths", "1", "--value", "--out", out, "--no-store", "--json")
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert "note: --value needs Monte Carlo paths (--paths > 1)" in result.stderr
    assert not any(c.startswith("valuation-") for c in json.loads(result.stdout)["charts"])


def test_the_loop_reading_quotes_run_json_vendor_revenue_and_circularity(
    cli: Any, results: Results
) -> None:
    """'Was paid' is the vendor's revenue from the lab, as `computeloop run --json` has it."""
    run = cli("run", "--json", "--no-store")
    assert run.exit_code == 0, run.output
    vendors = json.loads(run.stdout)["metrics"]["vendors"]
    reading = capital_loop(results).frames[0].reading
    for v in ("NVIDIA", "AMD"):
        m = vendors[v]
        put_in = m["investment_in_lab_usd"] + m["warrant_value_given_usd"]
        assert (
            f"{v} put in {usd(put_in)} (equity, warrant shares) and its revenue from OpenAI "
            f"was {usd(m['revenue_from_lab_usd'])}, a circularity of "
            f"{pct(m['circularity_ratio'])}"
        ) in reading
    assert "AMD put in $19.1B (equity, warrant shares) and its revenue from OpenAI was $60.1B" in (
        reading
    )
    assert "$171.9B" not in reading  # the lease payments are not the vendor's revenue


def test_the_loop_shows_chip_revenue_apart_from_the_rest_of_the_payments(
    results: Results,
) -> None:
    """Per vendor and period: chips + the rest = the lab's payments + lessors' pass-through."""
    ds = results.dataset.isel(path=0)
    chart = capital_loop(results)
    for i, f in enumerate(chart.frames):
        sel = slice(0, 32) if i == 0 else slice(4 * (i - 1), 4 * i)
        val = {
            f.nodes[ln.target if ln.source == f.node_column.index(1) else ln.source]: ln.value
            for ln in f.links
        }
        for v, deal in (("NVIDIA", "nvidia-10gw"), ("AMD", "amd-6gw")):
            rev = float(ds.revenue_from_lab.sel(entity=v).isel(quarter=sel).sum()) / B
            paid = float(ds.lab_payment.sel(deal=deal).isel(quarter=sel).sum()) / B
            chips = val.get(f"{v}: chips (its revenue from the lab)", 0.0)
            rest = val.get(f"{v} deals: other content, lessors' interest", 0.0)
            ahead = val.get(f"Lessors: {v} chips paid ahead of the lease", 0.0)
            assert chips == pytest.approx(rev, rel=1e-9, abs=1e-9)
            assert chips + rest == pytest.approx(paid + ahead, rel=1e-9, abs=1e-9)
    whole = {chart.frames[0].nodes[ln.target]: ln.value for ln in chart.frames[0].links}
    assert whole["AMD: chips (its revenue from the lab)"] == pytest.approx(60.064, abs=1e-3)


def test_percentage_bars_use_the_whole_value_axis_in_png_and_html(results: Results) -> None:
    """Shares are drawn 0-100% along the bars' own (horizontal) axis, not squashed."""
    from computeloop.report.html import figure
    from computeloop.report.png import draw_figure

    odds = {"t1: 1 GW": 0.9, "t2: 2 GW": 0.55, "t3: 3 GW": 0.2, "t4: 4 GW": 0.05}
    rep = build_report(results, valuation={"w": {"vesting_probability": odds}})
    chart = next(c for c in rep.charts() if c.id == "valuation-w-vesting-probability")
    assert chart.scale == "pct" and chart.series[0].kind == "hbar"
    fig = draw_figure(chart)
    ax = fig.axes[0]
    assert ax.get_xlim() == (0.0, 110.0)  # the value axis: percent
    lo, hi = ax.get_ylim()
    assert lo > -1.0 and hi < len(odds)  # the names axis spans the four bars only
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([90.0, 55.0, 20.0, 5.0], rel=1e-12)
    assert ax.xaxis.get_major_formatter()(50.0, 0) == "50%"
    layout = figure(chart).to_plotly_json()["layout"]
    assert layout["xaxis"]["range"] == [0.0, 110.0] and layout["xaxis"]["ticksuffix"] == "%"
    assert "range" not in layout["yaxis"]
    big = build_report(results, valuation={"w": {"loss_share_of_revenue": {"a": 2.0, "b": 0.5}}})
    wide = next(c for c in big.charts() if c.id == "valuation-w-loss-share-of-revenue")
    assert draw_figure(wide).axes[0].get_xlim() == pytest.approx((0.0, 220.0))
