"""The report's tables: headline metrics, deals with provenance, reconciliation, and
generic tables and bars for optional sections (valuation, stress) given as JSON-ready dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from computeloop.analysis.reconcile import ReconcileReport
from computeloop.report.spec import PALETTE, Chart, Section, Series, Table
from computeloop.report.units import by_key, gw, pct, unit_of_key, usd, value
from computeloop.scenario.deals import CapacityContract, ComputeCommitment
from computeloop.scenario.describe import terms
from computeloop.scenario.model import Scenario
from computeloop.scenario.quantity import Quantity


def provenance_text(q: Quantity | None) -> str:
    """A quantity's provenance in words, with an assumption's range."""
    if q is None:
        return ""
    p = q.provenance
    if p is None:
        return "no provenance"
    if p.kind == "assumption":
        return f"assumption [{p.low:g}, {p.high:g}]: {p.text}"
    return f"{p.kind}: {p.text}"


def _parties(d: Any) -> str:
    for a, b in (("buyer", "vendor"), ("investor", "investee"), ("issuer", "holder")):
        if hasattr(d, a):
            return f"{getattr(d, a)} -> {getattr(d, b)}"
    if isinstance(d, CapacityContract):
        return f"{d.tenant} -> {', '.join(b.entity for b in d.builders)}"
    return ""


def deals_table(s: Scenario) -> Table:
    """One row per deal; each deal's terms with provenance in a collapsed detail table."""
    rows = []
    details = []
    for d in s.deals:
        gws = gw(d.total_gw) if isinstance(d, ComputeCommitment | CapacityContract) else ""
        headline = usd(d.headline_usd.value) if d.headline_usd is not None else ""
        rows.append((d.name, d.type.replace("_", " "), _parties(d), gws, headline, d.source))
        term_rows = tuple(
            (t.path, value(t.value, t.unit), provenance_text(t.quantity))
            for t in terms(d)
            if t.path not in ("name", "type")
        )
        details.append(
            (d.name, Table(f"deal-{d.name}", d.name, ("term", "value", "provenance"), term_rows))
        )
    census = {"fact": 0, "derived": 0, "assumption": 0}
    for _, q in s.quantities():
        if q.provenance is not None:
            census[q.provenance.kind] += 1
    return Table(
        id="deals",
        title="The scenario's deals",
        columns=("deal", "type", "parties", "GW", "headline", "source"),
        rows=tuple(rows),
        reading=f"{len(s.deals)} deals; the scenario's numbers are {census['fact']} facts, "
        f"{census['derived']} derived and {census['assumption']} assumptions with ranges. "
        "Open a deal below for every term and where it comes from.",
        details=tuple(details),
    )


def reconcile_table(rep: ReconcileReport) -> Table:
    """Every figure of the source article next to the model's value."""
    rows = []
    status = []
    for c in rep.checks:
        diff = "" if c.rel_diff is None else f"{100 * c.rel_diff:+.1f}%"
        rows.append(
            (
                c.text,
                value(c.article, c.unit),
                value(c.model, c.unit),
                diff,
                c.basis,
                c.rule,
                "pass" if c.passed else f"FAIL {c.note}".strip(),
            )
        )
        status.append("pass" if c.passed else "fail")
    passed = sum(c.passed for c in rep.checks)
    return Table(
        id="reconcile",
        title=f"Reconciliation with {rep.source}",
        columns=("figure", "article", "model", "diff", "basis", "rule", "result"),
        rows=tuple(rows),
        reading=f"{passed} of {len(rep.checks)} figures of the source article are reproduced.",
        status=tuple(status),
    )


def headline_table(det: Mapping[str, Any], mc: Mapping[str, Any] | None) -> Table:
    """The lab's key numbers: central values and, with Monte Carlo, p5 / p50 / p95."""
    lab = det["metrics"]["lab"]
    mlab = mc["metrics"]["lab"] if mc else None

    def q3(key: str, f: Any) -> str:
        if not mlab:
            return ""
        d = mlab[key]
        return f"{f(d['p5'])} / {f(d['p50'])} / {f(d['p95'])}"

    rows = [
        ("revenue over the horizon", usd(lab["revenue_total_usd"]), ""),
        ("peak funding gap", usd(lab["peak_funding_gap_usd"]), q3("peak_funding_gap_usd", usd)),
        (
            "cumulative external funding",
            usd(lab["cumulative_external_funding_usd"]),
            q3("cumulative_external_funding_usd", usd),
        ),
        ("GW online at the end", gw(lab["gw_online_end"]), q3("gw_online_end", gw)),
        (
            "breakeven quarter",
            lab["breakeven_quarter"] or "not within horizon",
            f"within horizon on {pct(mlab['breakeven']['within_horizon']['p'])} of paths"
            if mlab
            else "",
        ),
    ]
    if mlab:
        rows.append(
            ("needs new capital", "", f"{pct(mlab['prob_needs_new_funding']['p'])} of paths")
        )
    return Table(
        id="headline",
        title="The lab at a glance",
        columns=("metric", "central values", "Monte Carlo p5 / p50 / p95" if mc else ""),
        rows=tuple(rows),
    )


# --- optional sections from plain JSON-ready dicts -----------------------------------------


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


NumericMap = tuple[str, dict[str, dict[str, float]], str]
"""(key path, {series: {name: number}}, unit): one bar chart, one or more series."""


def _numbers(data: Mapping[str, Any]) -> dict[str, float] | None:
    """``data`` as name -> number when every value is a number, else None."""
    nums = {str(k): float(v) for k, v in data.items() if _is_number(v)}
    return nums if nums and len(nums) == len(data) else None


def _grouped(data: Mapping[str, Any]) -> dict[str, dict[str, float]] | None:
    """Two to four series of numbers over the same names (a grouped bar chart), else None.

    >>> _grouped({"fair value": {"a": 1, "b": 2}, "headline": {"a": 3, "b": 3}})
    {'fair value': {'a': 1.0, 'b': 2.0}, 'headline': {'a': 3.0, 'b': 3.0}}
    >>> _grouped({"loss_usd": {"a": 1e9, "b": 2e9}, "loss_share": {"a": 0.1, "b": 0.2}}) is None
    True
    """
    if not 2 <= len(data) <= 4 or not all(isinstance(v, Mapping) for v in data.values()):
        return None
    series = {str(k): _numbers(v) for k, v in data.items()}
    names = {tuple(v) if v is not None else None for v in series.values()}
    if None in names or len(names) != 1 or len({unit_of_key(k) for k in series}) != 1:
        return None  # different names, or series in different units: separate charts
    return {k: v for k, v in series.items() if v is not None}


def _numeric_maps(data: Any, key: str = "") -> list[NumericMap]:
    """Every mapping of names to numbers (two or more, one unit) inside ``data``.

    Returns (key path, the series of numbers, their unit); the unit comes from the names,
    or from the mapping's own key when the names carry none (``{"loss_usd": {"AMD": 1e9,
    ...}}``). A mapping of two to four such maps over the same names (``{"value_usd":
    {"fair value": {...}, "headline": {...}}}``) is one chart of grouped bars.
    """
    out: list[NumericMap] = []
    if not isinstance(data, Mapping):
        return out
    grouped = _grouped(data)
    if grouped is not None:
        return [(key, grouped, unit_of_key(key))]
    nums = _numbers(data)
    units = {unit_of_key(k) for k in nums or {}}
    if nums is not None and len(nums) >= 2 and len(units) == 1:
        out.append(
            (key, {key.rsplit(".", 1)[-1] or "value": nums}, units.pop() or unit_of_key(key))
        )
    for k, v in data.items():
        if isinstance(v, Mapping):
            out += _numeric_maps(v, f"{key}.{k}" if key else str(k))
    return out


def _flat_rows(data: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(data, Mapping):
        rows: list[tuple[str, str]] = []
        for k, v in data.items():
            rows += _flat_rows(v, f"{key}.{k}" if key else str(k))
        return rows
    if isinstance(data, list):
        rows = []
        for i, v in enumerate(data):
            rows += _flat_rows(v, f"{key}[{i}]")
        return rows
    return [(key, by_key(key, data))]


def _humanize(key: str) -> str:
    """A JSON key path as chart-title words: ``a.fair_value_usd`` -> ``a: fair value``.

    >>> _humanize("amd-warrant.fair_value_usd")
    'amd-warrant: fair value'
    """
    words = [k.removesuffix("_usd").replace("_", " ") for k in key.split(".")]
    return ": ".join(w for w in words if w)


def _bar_chart(
    section_id: str,
    title: str,
    names_label: str,
    key: str,
    series: dict[str, dict[str, float]],
    unit: str,
) -> Chart:
    """Horizontal bars of one or more series over the same names (grouped when several)."""
    div = 1e9 if unit == "USD" else (0.01 if unit == "share" else 1.0)
    label = {"USD": "US$ billions", "share": "%", "GW": "GW"}.get(unit, "value")
    first = next(iter(series.values()))
    biggest = max(first, key=lambda k: abs(first[k]))
    several = len(series) > 1
    reading = f"The largest is {biggest}: {value(first[biggest], unit)}."
    if several:
        reading = (
            "; ".join(
                f"{name}: {value(sum(nums.values()), unit)} in all" for name, nums in series.items()
            )
            + "."
        )
    return Chart(
        id=f"{section_id}-{key or 'values'}".replace(".", "-").replace("_", "-"),
        title=f"{title}: {_humanize(key) or 'values'}",
        units=label,
        x_label=label,
        y_label=names_label,
        reading=reading,
        series=tuple(
            Series(
                name if several else (key or title),
                tuple(nums),
                tuple(v / div for v in nums.values()),
                "hbar",
                PALETTE[(2 + i) % len(PALETTE)] if several else PALETTE[2],
                group=name if several else None,
                text=tuple(value(v, unit) for v in nums.values()),
            )
            for i, (name, nums) in enumerate(series.items())
        ),
        scale="usd_b" if unit == "USD" else ("pct" if unit == "share" else "plain"),
    )


def generic_section(section_id: str, title: str, data: Mapping[str, Any]) -> Section:
    """A section for any JSON-ready dict: bars for name -> number maps, a table of the rest.

    ``data`` may carry ``"title"``, ``"reading"`` (one sentence) and ``"names"`` (what
    the bars' names are, the axis label; default "name") keys; every other key is shown.
    A mapping of two or more names to numbers of one unit (by key name: ``_usd``, ``gw``,
    probabilities) becomes a bar chart.
    """
    body = {k: v for k, v in data.items() if k not in ("title", "reading", "names")}
    names_label = str(data.get("names", "name"))
    items: list[Chart | Table] = []
    for key, series, unit in _numeric_maps(body)[:8]:
        items.append(_bar_chart(section_id, title, names_label, key, series, unit))
    rows = _flat_rows(body)
    items.append(
        Table(f"{section_id}-table", f"{title}: every figure", ("figure", "value"), tuple(rows))
    )
    intro = str(data.get("reading", ""))
    return Section(section_id, str(data.get("title", title)), intro, tuple(items))
