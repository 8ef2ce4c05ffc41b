"""Reports people would rather look at than read: one self-contained HTML file, PNGs.

Three steps, each a function of data::

    from computeloop import default_scenario, simulate, monte_carlo
    from computeloop.report import build_report, write_html, write_pngs

    s = default_scenario()
    report = build_report(simulate(s), mc=monte_carlo(s, paths=10_000, seed=1))
    write_html(report, "report.html")   # plotly.js inline: opens with no network
    write_pngs(report, "slides/")       # the same charts, drawn with matplotlib

Optional sections (valuation, stress, anything JSON-ready) are added with
``build_report(..., valuation=dict, stress=dict, sections=[(title, dict)])``. Plotly
and matplotlib are imported only when rendering (``pip install 'computeloop[report]'``).
"""

from __future__ import annotations

from computeloop.report.build import build_report
from computeloop.report.html import render_html, write_html
from computeloop.report.png import write_pngs
from computeloop.report.spec import Chart, Report, Section, Series, Table

__all__ = [
    "Chart",
    "Report",
    "Section",
    "Series",
    "Table",
    "build_report",
    "render_html",
    "write_html",
    "write_pngs",
]
