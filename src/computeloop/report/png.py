"""Render the report's charts to PNG files for slides, with matplotlib.

The same chart specifications as the HTML report, drawn with matplotlib's
object-oriented API (no pyplot, no display needed). The capital loop is drawn over the
whole horizon (the HTML report adds a year selector).
"""

from __future__ import annotations

import textwrap
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from computeloop.errors import OutputError
from computeloop.report.spec import Chart, FlowFrame, Report, Series, pct_range
from computeloop.report.units import usd
from computeloop.store.export import write_atomic

SIZE = (11.0, 6.2)
DPI = 150


def _figure() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise OutputError(
            "PNG export needs matplotlib: pip install 'computeloop[report]'"
        ) from None
    return Figure(figsize=SIZE, dpi=DPI, layout="constrained")


def _decorate(fig: Any, ax: Any, chart: Chart) -> None:
    ax.set_title(f"{chart.title}\n", loc="left", fontsize=13, fontweight="bold")
    ax.text(0, 1.01, chart.units, transform=ax.transAxes, fontsize=10, color="#555")
    if chart.kind == "xy":
        ax.set_xlabel(chart.x_label)
        ax.set_ylabel(chart.y_label)
    caption = textwrap.fill(chart.reading, 150)
    if chart.note:
        caption += "\n" + textwrap.fill(chart.note, 160)
    fig.text(0.01, 0.005, caption, fontsize=8.5, color="#333", va="bottom")
    bottom = min(0.03 + 0.024 * (caption.count("\n") + 1), 0.3)  # room for every line
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))


def _bars(ax: Any, bars: list[Series], horizontal: bool) -> None:
    groups = list(dict.fromkeys(s.group for s in bars))
    width = 0.8 / max(len(groups), 1)
    for s in bars:
        gi = groups.index(s.group)
        pos = np.arange(len(s.x)) + (gi - (len(groups) - 1) / 2) * width
        y = np.array([np.nan if v is None else v for v in s.y], dtype=float)
        kw: dict[str, Any] = {"color": s.color, "alpha": s.opacity, "label": s.name}
        if s.hatched:
            kw.update(hatch="//", edgecolor="#333", linewidth=0)
        if horizontal:
            ax.barh(pos, y, height=width, **kw)
            ax.set_yticks(np.arange(len(s.x)), [textwrap.fill(x, 28) for x in s.x])
            for p, v, t in zip(pos, y, s.text or (), strict=False):
                ax.annotate(
                    t, (v, p), textcoords="offset points", xytext=(4, 0), va="center", fontsize=8
                )
            continue
        err = None if s.error is None else [e or 0.0 for e in s.error]
        ax.bar(pos, y, width=width, bottom=s.base, yerr=err, capsize=4, **kw)
        ax.set_xticks(np.arange(len(s.x)), [textwrap.fill(x, 18) for x in s.x])
        if s.text is not None:
            for p, v, t in zip(pos, y, s.text, strict=True):
                ax.annotate(
                    t, (p, v), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=9
                )


def _xy(fig: Any, chart: Chart) -> None:
    ax = fig.add_subplot()
    bars = [s for s in chart.series if s.kind in ("bar", "hbar")]
    if bars:
        _bars(ax, bars, horizontal=bars[0].kind == "hbar")
    for s in chart.series:
        t = np.arange(len(s.x))
        if s.kind == "band" and s.low is not None and s.high is not None:
            low = np.array(s.low, dtype=float)
            high = np.array(s.high, dtype=float)
            ax.fill_between(t, low, high, color=s.color, alpha=s.opacity, lw=0, label=s.name)
        elif s.kind == "line":
            ax.plot(
                t,
                np.array(s.y, dtype=float),
                color=s.color,
                lw=2.2,
                ls="--" if s.dashed else "-",
                label=s.name,
            )
        if s.kind in ("band", "line"):
            step = max(1, len(s.x) // 8)
            ax.set_xticks(t[::step], [s.x[i] for i in t[::step]])
    if chart.scale == "pct":
        lo, hi = pct_range(chart)
        horizontal = bool(bars) and bars[0].kind == "hbar"
        (ax.set_xlim if horizontal else ax.set_ylim)(lo, hi)
        axis = ax.xaxis if horizontal else ax.yaxis
        axis.set_major_formatter(_percent_formatter())
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    _decorate(fig, ax, chart)


def _percent_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:g}%")


def _ribbon(
    ax: Any, x0: float, x1: float, y0: tuple[float, float], y1: tuple[float, float], color: str
) -> None:
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath

    xm = (x0 + x1) / 2
    verts = [
        (x0, y0[0]),
        (xm, y0[0]),
        (xm, y1[0]),
        (x1, y1[0]),
        (x1, y1[1]),
        (xm, y1[1]),
        (xm, y0[1]),
        (x0, y0[1]),
        (x0, y0[0]),
    ]
    codes = [
        MPath.MOVETO,
        MPath.CURVE4,
        MPath.CURVE4,
        MPath.CURVE4,
        MPath.LINETO,
        MPath.CURVE4,
        MPath.CURVE4,
        MPath.CURVE4,
        MPath.CLOSEPOLY,
    ]
    ax.add_patch(PathPatch(MPath(verts, codes), facecolor=color, alpha=0.35, lw=0))


def _flow(fig: Any, chart: Chart) -> None:
    """A three-column flow diagram: sources -> the lab -> uses, band width = money."""
    f: FlowFrame = chart.frames[0]
    ax = fig.add_subplot()
    ax.set_axis_off()
    centre = f.node_column.index(1)
    value = {i: 0.0 for i in range(len(f.nodes))}
    for ln in f.links:
        value[ln.source if ln.source != centre else ln.target] += ln.value
    total = max(sum(v for i, v in value.items() if f.node_column[i] == 0), 1e-9)
    total_out = max(sum(v for i, v in value.items() if f.node_column[i] == 2), 1e-9)
    scale = 0.85 / max(total, total_out)
    xs = {0: 0.18, 1: 0.5, 2: 0.82}
    tops: dict[int, tuple[float, float]] = {}
    for col in (0, 2):
        members = [i for i in range(len(f.nodes)) if f.node_column[i] == col]
        gap = 0.1 / max(len(members), 1)
        y = 0.95
        for i in members:
            h = value[i] * scale
            tops[i] = (y, y - h)
            ax.add_patch(_rect(xs[col], y - h, h, f.node_colors[i]))
            ha, dx = ("right", -0.015) if col == 0 else ("left", 0.025)
            ax.text(
                xs[col] + dx,
                y - h / 2,
                f"{f.nodes[i]}  {usd(value[i] * 1e9)}",
                ha=ha,
                va="center",
                fontsize=8,
            )
            y -= h + gap
    lab_h = max(total, total_out) * scale
    ax.add_patch(_rect(xs[1], 0.95 - lab_h, lab_h, f.node_colors[centre]))
    ax.text(
        xs[1] + 0.005,
        0.96,
        f"{f.nodes[centre]}  {usd(total * 1e9)}",
        ha="center",
        fontsize=10,
        fontweight="bold",
    )
    y_in = y_out = 0.95
    for ln in f.links:
        h = ln.value * scale
        if ln.target == centre:
            top, _ = tops[ln.source]
            _ribbon(
                ax, xs[0] + 0.01, xs[1], (top, top - h), (y_in, y_in - h), f.node_colors[ln.source]
            )
            y_in -= h
        else:
            top, _ = tops[ln.target]
            _ribbon(
                ax,
                xs[1] + 0.01,
                xs[2],
                (y_out, y_out - h),
                (top, top - h),
                f.node_colors[ln.target],
            )
            y_out -= h
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"{chart.title} ({f.period})\n", loc="left", fontsize=13, fontweight="bold")
    chart_for_caption = Chart(
        chart.id,
        chart.title,
        chart.units,
        "",
        "",
        f.reading,
        "flow",
        note=chart.note.replace(" Choose a year above the diagram.", ""),
    )
    _decorate(fig, ax, chart_for_caption)
    ax.set_title(f"{chart.title} ({f.period})\n", loc="left", fontsize=13, fontweight="bold")


def _rect(x: float, y: float, h: float, color: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), 0.01, h, facecolor=color, edgecolor="none")


def write_pngs(report: Report, directory: Path) -> list[Path]:
    """Write every chart of ``report`` as ``DIRECTORY/<chart id>.png``; return the paths."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {directory}: {exc.strerror or exc}") from None
    out = []
    for chart in report.charts():
        path = directory / f"{chart.id}.png"
        write_atomic(path, partial(_draw, chart))
        out.append(path)
    return out


def draw_figure(chart: Chart) -> Any:
    """The matplotlib figure of one chart (not yet saved)."""
    from matplotlib import rc_context

    # Dollar signs are text here, not the start of mathematical notation.
    with rc_context({"text.parse_math": False}):
        fig = _figure()
        (_flow if chart.kind == "flow" else _xy)(fig, chart)
    return fig


def _draw(chart: Chart, path: Path) -> None:
    from matplotlib import rc_context

    with rc_context({"text.parse_math": False}):
        draw_figure(chart).savefig(path, format="png")
