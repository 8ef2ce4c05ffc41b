"""Chart and table specifications: plain data, independent of any plotting library.

The report is built once as these records (:mod:`computeloop.report.build`), then
rendered to HTML with plotly (:mod:`computeloop.report.html`) and to PNG with
matplotlib (:mod:`computeloop.report.png`), so both outputs show the same charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SeriesKind = Literal["line", "band", "bar", "hbar", "marker"]
Scale = Literal["usd_b", "gw", "pct", "plain"]

PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#8C564B",
    "#7F7F7F",
)
"""Okabe-Ito colours (readable with colour-vision deficiencies), then two neutrals."""


@dataclass(frozen=True)
class Series:
    """One trace: a line, a band between ``low`` and ``high``, bars or markers.

    ``y`` are already in the chart's display unit (e.g. US$ billions).
    """

    name: str
    x: tuple[str, ...]
    y: tuple[float | None, ...]
    kind: SeriesKind = "line"
    color: str = PALETTE[0]
    low: tuple[float | None, ...] | None = None
    high: tuple[float | None, ...] | None = None
    base: tuple[float, ...] | None = None
    group: str | None = None
    hatched: bool = False
    dashed: bool = False
    error: tuple[float | None, ...] | None = None
    text: tuple[str, ...] | None = None
    opacity: float = 1.0


@dataclass(frozen=True)
class Link:
    """A flow of money between two nodes of a flow diagram (display unit)."""

    source: int
    target: int
    value: float
    label: str


@dataclass(frozen=True)
class FlowFrame:
    """One period of the capital-loop diagram: nodes (left, centre, right) and links."""

    period: str
    nodes: tuple[str, ...]
    node_colors: tuple[str, ...]
    node_column: tuple[int, ...]  # 0 sources, 1 the lab, 2 uses
    links: tuple[Link, ...]
    reading: str


@dataclass(frozen=True)
class Chart:
    """A chart with its title, units, axis labels and a one-sentence reading."""

    id: str
    title: str
    units: str
    x_label: str
    y_label: str
    reading: str
    kind: Literal["xy", "flow"] = "xy"
    series: tuple[Series, ...] = ()
    frames: tuple[FlowFrame, ...] = ()
    scale: Scale = "plain"
    note: str = ""


def pct_range(chart: Chart) -> tuple[float, float]:
    """The value axis of a percentage chart: 0-110%, widened to fit values beyond it.

    >>> pct_range(Chart("c", "t", "%", "", "", "", series=(Series("s", ("a",), (150.0,)),)))
    (0.0, 165.0)
    """
    tops: list[float] = []
    for s in chart.series:
        errors = s.error or (None,) * len(s.y)
        tops += [v + (e or 0.0) for v, e in zip(s.y, errors, strict=True) if v is not None]
        tops += [v for v in s.high or () if v is not None]
    lows = [v for s in chart.series for v in s.y if v is not None]
    return min([0.0, *(1.1 * v for v in lows)]), max([110.0, *(1.1 * v for v in tops)])


@dataclass(frozen=True)
class Table:
    """A table of already-formatted cells; ``details`` rows are shown collapsed."""

    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    reading: str = ""
    details: tuple[tuple[str, Table], ...] = ()
    status: tuple[str, ...] = ()  # per row: "", "pass" or "fail" (for styling)


@dataclass(frozen=True)
class Section:
    """A titled part of the report holding charts and tables in order."""

    id: str
    title: str
    intro: str
    items: tuple[Chart | Table, ...]


@dataclass(frozen=True)
class Report:
    """The whole report: header facts and sections."""

    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def charts(self) -> list[Chart]:
        """Every chart, in order of appearance."""
        return [i for s in self.sections for i in s.items if isinstance(i, Chart)]
