"""Render a :class:`~computeloop.report.spec.Report` to one self-contained HTML file.

Charts are drawn by plotly.js, embedded inline, so the file opens in any browser with no
network. The file's size does not grow with the number of Monte Carlo paths: it holds
quantile bands and per-tranche odds, never per-path data.
"""

from __future__ import annotations

import html
import json
import textwrap
from pathlib import Path
from typing import Any

from computeloop.errors import OutputError
from computeloop.report.spec import Chart, FlowFrame, Report, Section, Series, Table, pct_range
from computeloop.store.export import write_atomic

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}main{max-width:1100px;margin:0 auto;padding:1.5rem 1rem 4rem}
h1{margin:.2rem 0}h2{margin-top:2.5rem;border-bottom:2px solid #ddd;padding-bottom:.3rem}
.sub{color:#555;margin:.2rem 0 1rem}.facts{display:flex;flex-wrap:wrap;gap:.4rem 1.4rem;
font-size:.9rem;color:#444}.facts b{color:#222}nav a{margin-right:1rem}
figure.chart{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:1.2rem 0;
padding:.6rem}figure.chart .plot{width:100%;height:480px}figcaption{font-size:.95rem;
padding:.3rem .4rem}figcaption .note{display:block;color:#666;font-size:.85rem;
margin-top:.2rem}table{border-collapse:collapse;font-size:.85rem;background:#fff;
margin:.6rem 0;width:100%}th,td{border:1px solid #e3e3e3;padding:.25rem .45rem;
text-align:left;vertical-align:top}td.num{text-align:right;white-space:nowrap}
tr.fail td{background:#fde8e8}tr.pass td:last-child{color:#1a7f37}
details{margin:.3rem 0}summary{cursor:pointer}.reading{font-style:italic;color:#333}
"""


def _plotly() -> Any:
    try:
        import plotly.graph_objects as go  # type: ignore[import-untyped]
    except ImportError:
        raise OutputError(
            "the HTML report needs plotly: pip install 'computeloop[report]'"
        ) from None
    return go


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _xy_traces(go: Any, s: Series) -> list[Any]:
    if s.kind == "band":
        upper = go.Scatter(
            x=s.x,
            y=s.high,
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
            legendgroup=s.name,
        )
        lower = go.Scatter(
            x=s.x,
            y=s.low,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=_rgba(s.color, s.opacity),
            name=s.name,
            legendgroup=s.name,
        )
        return [upper, lower]
    if s.kind == "line":
        dash = "dash" if s.dashed else "solid"
        return [
            go.Scatter(
                x=s.x,
                y=s.y,
                mode="lines",
                name=s.name,
                line={"color": s.color, "width": 2.5, "dash": dash},
            )
        ]
    marker: dict[str, Any] = {"color": s.color, "opacity": s.opacity}
    if s.hatched:
        marker["pattern"] = {"shape": "/", "fgcolor": "#333", "solidity": 0.3}
    common: dict[str, Any] = {"name": s.name, "marker": marker}
    if s.text is not None:
        common.update(text=s.text, textposition="outside")
    if s.kind == "hbar":
        return [go.Bar(y=s.x, x=s.y, orientation="h", **common)]
    err = None
    if s.error is not None:
        err = {"type": "data", "array": [e or 0.0 for e in s.error], "visible": True}
    return [go.Bar(x=s.x, y=s.y, base=s.base, offsetgroup=s.group, error_y=err, **common)]


def _sankey(go: Any, f: FlowFrame, visible: bool) -> Any:
    return go.Sankey(
        visible=visible,
        arrangement="snap",
        valueformat=".1f",
        valuesuffix=" $B",
        node={"label": list(f.nodes), "color": list(f.node_colors), "pad": 14, "thickness": 18},
        link={
            "source": [ln.source for ln in f.links],
            "target": [ln.target for ln in f.links],
            "value": [ln.value for ln in f.links],
            "label": [ln.label for ln in f.links],
            "color": [
                _rgba(f.node_colors[ln.source if ln.source != _centre(f) else ln.target], 0.35)
                for ln in f.links
            ],
        },
        name=f.period,
    )


def _centre(f: FlowFrame) -> int:
    return f.node_column.index(1)


def _annotation(text: str) -> dict[str, Any]:
    return {
        "text": "<br>".join(textwrap.wrap(html.escape(text), 150)),
        "showarrow": False,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": -0.08,
        "xanchor": "left",
        "font": {"size": 12, "color": "#444"},
    }


def figure(chart: Chart) -> Any:
    """The plotly figure of one chart."""
    go = _plotly()
    fig = go.Figure()
    title = f"{chart.title}<br><sup>{chart.units}</sup>"
    layout: dict[str, Any] = {
        "title": {"text": title, "x": 0.01},
        "template": "plotly_white",
        "margin": {"l": 70, "r": 20, "t": 80, "b": 60},
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
    }
    if chart.kind == "flow":
        for i, f in enumerate(chart.frames):
            fig.add_trace(_sankey(go, f, i == 0))
        buttons = [
            {
                "label": f.period,
                "method": "update",
                "args": [
                    {"visible": [j == i for j in range(len(chart.frames))]},
                    {"annotations": [_annotation(f.reading)]},
                ],
            }
            for i, f in enumerate(chart.frames)
        ]
        layout.update(
            updatemenus=[{"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.12}],
            annotations=[_annotation(chart.frames[0].reading)],
            margin={"l": 20, "r": 20, "t": 90, "b": 60},
        )
    else:
        for s in chart.series:
            for t in _xy_traces(go, s):
                fig.add_trace(t)
        horizontal = any(s.kind == "hbar" for s in chart.series)
        layout.update(
            xaxis={"title": {"text": chart.x_label}},
            yaxis={"title": {"text": chart.y_label}},
            barmode="group",
        )
        if chart.scale == "pct":
            value_axis = layout["xaxis" if horizontal else "yaxis"]
            value_axis.update(ticksuffix="%", range=list(pct_range(chart)))
        if horizontal:
            layout["yaxis"]["automargin"] = True
            layout["hovermode"] = "y unified"
    fig.update_layout(**layout)
    return fig


def _chart_html(chart: Chart) -> tuple[str, str]:
    """(the figure's markup, the script line that draws it)."""
    fig = figure(chart)
    spec = fig.to_plotly_json()
    payload = json.dumps({"data": spec["data"], "layout": spec["layout"]}, default=_jsonable)
    payload = payload.replace("</", "<\\/")  # never close the script element early
    div = f"plot-{chart.id}"
    note = f'<span class="note">{html.escape(chart.note)}</span>' if chart.note else ""
    markup = (
        f'<figure class="chart" id="{chart.id}" data-chart="{chart.id}" '
        f'data-kind="{chart.kind}"><div class="plot" id="{div}"></div>'
        f'<figcaption><span class="reading">{html.escape(chart.reading)}</span>{note}'
        "</figcaption></figure>"
    )
    script = f"draw({json.dumps(div)}, {payload});"
    return markup, script


def _jsonable(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def _cell(text: str) -> str:
    numeric = bool(text) and (text[0] in "$-+0123456789" or text.endswith(("%", "GW")))
    cls = ' class="num"' if numeric and len(text) < 24 else ""
    return f"<td{cls}>{html.escape(text)}</td>"


def _table_html(t: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.columns)
    body = []
    for i, row in enumerate(t.rows):
        cls = f' class="{t.status[i]}"' if t.status and t.status[i] else ""
        body.append(f"<tr{cls}>{''.join(_cell(c) for c in row)}</tr>")
    reading = f'<p class="reading">{html.escape(t.reading)}</p>' if t.reading else ""
    details = "".join(
        f"<details><summary>{html.escape(name)}</summary>{_table_html(sub)}</details>"
        for name, sub in t.details
    )
    title = f"<h3>{html.escape(t.title)}</h3>" if t.title else ""
    return (
        f'<div class="table" id="{t.id}" data-table="{t.id}">{title}{reading}'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"{details}</div>"
    )


def _section_html(sec: Section, scripts: list[str]) -> str:
    parts = [f'<section id="section-{sec.id}"><h2>{html.escape(sec.title)}</h2>']
    if sec.intro:
        parts.append(f"<p>{html.escape(sec.intro)}</p>")
    for item in sec.items:
        if isinstance(item, Chart):
            markup, script = _chart_html(item)
            parts.append(markup)
            scripts.append(script)
        else:
            parts.append(_table_html(item))
    parts.append("</section>")
    return "".join(parts)


def render_html(report: Report) -> str:
    """The report as one HTML document with plotly.js inline."""
    _plotly()
    from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

    scripts: list[str] = []
    sections = "".join(_section_html(s, scripts) for s in report.sections)
    nav = "".join(f'<a href="#section-{s.id}">{html.escape(s.title)}</a>' for s in report.sections)
    facts = "".join(
        f"<span><b>{html.escape(k)}</b> {html.escape(v)}</span>" for k, v in report.facts
    )
    draw = (
        "function draw(id, fig){Plotly.newPlot(id, fig.data, fig.layout, "
        "{responsive: true, displaylogo: false});}\n"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(report.title)}</title><style>{_CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body><main>'
        f'<h1>{html.escape(report.title)}</h1><p class="sub">{html.escape(report.subtitle)}</p>'
        f'<div class="facts">{facts}</div><nav>{nav}</nav>{sections}</main>'
        f"<script>{draw}{chr(10).join(scripts)}</script></body></html>\n"
    )


def write_html(report: Report, out: Path) -> Path:
    """Write the report to ``out`` (atomically: a temporary file, then a rename)."""
    text = render_html(report)

    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    write_atomic(Path(out), write)
    return Path(out)
