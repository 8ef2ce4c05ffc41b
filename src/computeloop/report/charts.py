"""The report's charts, built from labelled results (no plotting library here).

Every chart reduces results that were already computed: the deterministic run
(:class:`~computeloop.results.Results`) for the capital loop and vendor revenue, the
Monte Carlo bands and per-path summaries for the fan charts and vesting odds. Each
reading is one sentence computed from the same numbers the chart shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from computeloop.report.spec import PALETTE, Chart, FlowFrame, Link, Series
from computeloop.report.units import gw, pct, usd
from computeloop.results import Results
from computeloop.scenario.deals import CapacityContract, ComputeCommitment, Warrant
from computeloop.scenario.model import Scenario

B = 1e9
BAND_COLOR = "#0072B2"
CENTRAL_COLOR = "#D55E00"


def entity_colors(s: Scenario) -> dict[str, str]:
    """One colour per entity, stable across charts."""
    return {e.name: PALETTE[i % len(PALETTE)] for i, e in enumerate(s.entities)}


def _years(quarters: list[str]) -> list[str]:
    return [q[:4] for q in quarters]


def _by_year(da: xr.DataArray) -> xr.DataArray:
    """Sum a (quarter, ...) series per calendar year (first path: central values)."""
    if "path" in da.dims:
        da = da.isel(path=0)
    years = _years([str(q) for q in da["quarter"].values])
    return da.assign_coords(year=("quarter", years)).groupby("year").sum()


# --- the capital loop --------------------------------------------------------------------


def _flows(r: Results, sel: Any) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(sources into the lab, uses out of it) in dollars over the quarters ``sel``."""
    ds, s = r.dataset.isel(path=0), r.scenario
    q = ds.isel(quarter=sel)

    def total(name: str) -> float:
        return float(q[f"lab_{name}"].sum())

    sources: list[tuple[str, float]] = [
        ("Customers (revenue)", total("revenue")),
        ("Committed investors", total("committed_funding")),
        ("New capital raised", total("new_funding")),
    ]
    for e in s.entities:
        if e.kind in ("chip_vendor", "builder", "investor"):
            inv = float(q.investment_in_lab.sel(entity=e.name).sum())
            sources.append((f"{e.name}: equity investment", inv))
    warrants = s.deals_of(Warrant)
    proceeds = total("warrant_proceeds")
    given = {w.issuer: float(q.warrant_value_given.sel(entity=w.issuer).sum()) for w in warrants}
    all_given = sum(given.values())
    for issuer, v in given.items():
        share = v / all_given if all_given > 0 else 1.0 / max(len(given), 1)
        sources.append((f"{issuer}: warrant shares sold", proceeds * share))
    debt_before = float(ds.lab_debt.isel(quarter=sel.start - 1)) if sel.start else _debt0(s)
    cash_before = float(ds.lab_cash.isel(quarter=sel.start - 1)) if sel.start else _cash0(s)
    sources.append(("Credit line drawn", max(float(q.lab_debt[-1]) - debt_before, 0.0)))
    d_cash = float(q.lab_cash[-1]) - cash_before
    uses, passed = _deal_uses(r, q)
    sources += passed
    if d_cash < 0:
        sources.append(("Cash drawn down", -d_cash))
    other = sum(v for _, v in sources) - sum(v for _, v in uses) - max(d_cash, 0.0)
    uses.append(("Operating costs (staff, R&D, serving)", max(other, 0.0)))
    if d_cash > 0:
        uses.append(("Cash kept", d_cash))
    return sources, uses


def _debt0(s: Scenario) -> float:
    return float(s.lab.debt_usd.value)


def _cash0(s: Scenario) -> float:
    return float(s.lab.cash_usd.value)


def _deal_uses(
    r: Results, q: xr.Dataset
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(uses, extra sources) for the deals: vendors' chip revenue apart from the rest.

    A compute deal's payments are split into the vendor's revenue from the lab (the chips,
    ``revenue_from_lab``) and the rest (other content, the lessors' interest).
    A lessor pays the vendor on delivery while the lab pays the lease over the following
    quarters, so in a period where the vendor's revenue exceeds the lab's payments the
    difference is shown as a source: the lessors' financing, passed through to the vendor.
    """
    s = r.scenario
    uses: dict[str, float] = {}
    sources: list[tuple[str, float]] = []
    paid: dict[str, float] = {}
    leased: set[str] = set()
    for d in s.deals:
        if isinstance(d, ComputeCommitment):
            paid[d.vendor] = paid.get(d.vendor, 0.0) + float(q.lab_payment.sel(deal=d.name).sum())
            if d.financing == "lease":
                leased.add(d.vendor)
    for vendor, p in paid.items():
        rev = float(q.revenue_from_lab.sel(entity=vendor).sum())
        uses[f"{vendor}: chips (its revenue from the lab)"] = rev
        rest = "other content, lessors' interest" if vendor in leased else "other content"
        uses[f"{vendor} deals: {rest}"] = max(p - rev, 0.0)
        if rev > p:
            sources.append((f"Lessors: {vendor} chips paid ahead of the lease", rev - p))
    for d in s.deals:
        if isinstance(d, CapacityContract):
            for b in d.builders:
                key = f"{b.entity}: data-centre rent"
                rent = float(q.lab_payment.sel(deal=d.name).sum()) * b.share.value
                uses[key] = uses.get(key, 0.0) + rent
    return list(uses.items()), sources


def vendor_loop(r: Results, sel: slice) -> dict[str, tuple[float, float]]:
    """Per chip vendor over the quarters ``sel``: (money put in, revenue from the lab).

    Money put in is the vendor's equity investment plus the warrant shares it gave; the
    ratio of the two is the circularity ratio of ``computeloop run`` (``metrics.vendors``).
    """
    q = r.dataset.isel(path=0).isel(quarter=sel)
    out: dict[str, tuple[float, float]] = {}
    for e in r.scenario.entities:
        if e.kind == "chip_vendor":
            put_in = float((q.investment_in_lab + q.warrant_value_given).sel(entity=e.name).sum())
            out[e.name] = (put_in, float(q.revenue_from_lab.sel(entity=e.name).sum()))
    return out


def _owner(label: str) -> str:
    return label.split(":")[0]


def _frame(r: Results, period: str, sel: slice) -> FlowFrame:
    sources, uses = _flows(r, sel)
    sources = [(n, v) for n, v in sources if v > 1e6]
    uses = [(n, v) for n, v in uses if v > 1e6]
    colors = entity_colors(r.scenario)
    lab = r.scenario.lab.name
    nodes = [n for n, _ in sources] + [lab] + [n for n, _ in uses]
    node_colors = [colors.get(_owner(n), "#9E9E9E") for n in nodes]
    column = [0] * len(sources) + [1] + [2] * len(uses)
    centre = len(sources)
    links = [Link(i, centre, v / B, f"{n} -> {lab}") for i, (n, v) in enumerate(sources)]
    links += [Link(centre, centre + 1 + j, v / B, f"{lab} -> {n}") for j, (n, v) in enumerate(uses)]
    reading = _loop_reading(period, lab, sum(v for _, v in sources), vendor_loop(r, sel))
    return FlowFrame(period, tuple(nodes), tuple(node_colors), tuple(column), tuple(links), reading)


def _loop_reading(
    period: str, lab: str, total_in: float, vendors: dict[str, tuple[float, float]]
) -> str:
    parts = [
        f"{name} put in {usd(put_in)} (equity, warrant shares) and its revenue from {lab} "
        f"was {usd(rev)}" + (f", a circularity of {pct(put_in / rev)}" if rev > 0 else "")
        for name, (put_in, rev) in vendors.items()
        if put_in > 0
    ]
    if not parts:
        return f"In {period} {usd(total_in)} flows through {lab}; no vendor money comes back in."
    return (
        f"In {period} {usd(total_in)} flows through {lab}; vendor money returns as purchases: "
        + "; ".join(parts)
        + ". The rest of the payments for the systems is other content and lessors' interest."
    )


def capital_loop(r: Results) -> Chart:
    """Who pays whom, per year and over the horizon, as a flow diagram (US$ billions)."""
    quarters = r.quarters
    frames = [_frame(r, f"{quarters[0][:4]}-{quarters[-1][:4]}", slice(0, len(quarters)))]
    for year in dict.fromkeys(_years(quarters)):
        idx = [i for i, q in enumerate(quarters) if q.startswith(year)]
        frames.append(_frame(r, year, slice(idx[0], idx[-1] + 1)))
    return Chart(
        id="capital-loop",
        title="The capital loop: where the lab's money comes from and where it goes",
        units="US$ billions",
        x_label="sources of cash -> the lab -> uses of cash",
        y_label="US$ billions (band width)",
        reading=frames[0].reading,
        kind="flow",
        frames=tuple(frames),
        scale="usd_b",
        note="Central values. A vendor's colour on the left (equity, warrant shares) returns "
        "on the right as its revenue from the lab (the chips). Lessors pay for chips on "
        "delivery, so in a year where that exceeds the lease payments the difference is shown "
        "as lessors' money passed through. Choose a year above the diagram.",
    )


# --- fan charts -------------------------------------------------------------------------

_FANS: dict[str, tuple[str, str, str, float]] = {
    # band series: (title, units, y label, divisor)
    "gw_online": ("GW of compute online", "GW", "GW online", 1.0),
    "revenue": ("Lab revenue per quarter", "US$ billions per quarter", "revenue ($B/quarter)", B),
    "cash": ("Lab cash at quarter end", "US$ billions", "cash ($B)", B),
    "funding_gap": (
        "Funding gap: new capital needed beyond what is committed",
        "US$ billions, cumulative",
        "funding gap ($B)",
        B,
    ),
}


def _row(bands: xr.Dataset, name: str, q: float, div: float) -> tuple[float, ...]:
    da = bands[name].sel(quantile=q, method="nearest")
    return tuple(float(v) / div for v in da.values)


def fan_chart(
    name: str,
    bands: xr.Dataset,
    central: xr.DataArray,
    reading: str,
    paths: int,
) -> Chart:
    """p5-p95 and p25-p75 bands with the median of a lab series, and the central-values path."""
    title, units, ylabel, div = _FANS[name]
    x = tuple(str(q) for q in bands["quarter"].values)
    series: list[Series] = []
    qs = [float(q) for q in bands["quantile"].values]
    if len(qs) > 1:
        series += [
            Series(
                "p5-p95 (90% of paths)",
                x,
                _row(bands, name, 0.5, div),
                "band",
                BAND_COLOR,
                _row(bands, name, 0.05, div),
                _row(bands, name, 0.95, div),
                opacity=0.18,
            ),
            Series(
                "p25-p75 (half the paths)",
                x,
                _row(bands, name, 0.5, div),
                "band",
                BAND_COLOR,
                _row(bands, name, 0.25, div),
                _row(bands, name, 0.75, div),
                opacity=0.35,
            ),
            Series("median path value", x, _row(bands, name, 0.5, div), "line", BAND_COLOR),
        ]
    cv = central.isel(path=0) if "path" in central.dims else central
    series.append(
        Series(
            "central values (deterministic run)",
            x,
            tuple(float(v) / div for v in cv.values),
            "line",
            CENTRAL_COLOR,
            dashed=True,
        )
    )
    spread = f"Monte Carlo, {paths:,} paths" if len(qs) > 1 else "deterministic run only"
    return Chart(
        id=f"fan-{name.replace('_', '-')}",
        title=title,
        units=units,
        x_label="quarter",
        y_label=f"{ylabel}",
        reading=reading,
        series=tuple(series),
        scale="gw" if name == "gw_online" else "usd_b",
        note=spread,
    )


def fan_readings(
    s: Scenario, bands: xr.Dataset, central: Results, mc_metrics: dict[str, Any] | None
) -> dict[str, str]:
    """One sentence per fan chart, from the bands and the Monte Carlo risk metrics."""
    last = str(bands["quarter"].values[-1])
    multi = bands.sizes["quantile"] > 1

    def at(name: str, q: float, i: int = -1) -> float:
        return float(bands[name].sel(quantile=q, method="nearest").values[i])

    contracted = sum(d.total_gw for d in s.deals if isinstance(d, ComputeCommitment))
    contracted += sum(d.total_gw for d in s.deals if isinstance(d, CapacityContract))
    span = (lambda n, f: f" (p5 {f(at(n, 0.05))}, p95 {f(at(n, 0.95))})") if multi else None

    def rng(n: str, f: Any) -> str:
        return span(n, f) if span else ""

    who = "the median path" if multi else "the central-values run"
    out = {
        "gw_online": f"In {last} {who} has {gw(at('gw_online', 0.5))} online"
        f"{rng('gw_online', gw)}, against {gw(contracted)} contracted in the scenario's deals.",
        "revenue": f"In {last} quarterly revenue is {usd(at('revenue', 0.5))} on {who}"
        f"{rng('revenue', usd)}, {usd(4 * at('revenue', 0.5))} a year annualised.",
    }
    cash_med = [float(v) for v in bands["cash"].sel(quantile=0.5, method="nearest").values]
    low_i = int(np.argmin(cash_med))
    q_low = str(bands["quarter"].values[low_i])
    out["cash"] = f"Cash on {who} is lowest in {q_low}, at {usd(cash_med[low_i])}" + (
        f"; {pct(mc_metrics['lab']['prob_cash_below_zero']['p'])} of paths see cash below "
        "zero at some quarter."
        if mc_metrics
        else "."
    )
    peak = float(central.lab("funding_gap").max())
    if mc_metrics:
        lab = mc_metrics["lab"]
        out["funding_gap"] = (
            f"The lab needs new capital beyond what is committed on "
            f"{pct(lab['prob_needs_new_funding']['p'])} of paths; the median peak gap is "
            f"{usd(lab['peak_funding_gap_usd']['p50'])} "
            f"(p95 {usd(lab['peak_funding_gap_usd']['p95'])})."
        )
    else:
        out["funding_gap"] = f"At central values the funding gap peaks at {usd(peak)}."
    return out


# --- vendors and warrants ---------------------------------------------------------------


def vendor_revenue(r: Results, metrics: dict[str, Any], mc_metrics: dict[str, Any] | None) -> Chart:
    """Each chip vendor's revenue from the lab per year, the vendor-financed part hatched."""
    s, ds = r.scenario, r.dataset
    colors = entity_colors(s)
    vendors = [e.name for e in s.entities if e.kind == "chip_vendor"]
    series: list[Series] = []
    for v in vendors:
        rev = _by_year(ds.revenue_from_lab.sel(entity=v))
        money_in = _by_year((ds.investment_in_lab + ds.warrant_value_given).sel(entity=v))
        years = tuple(str(y) for y in rev["year"].values)
        total = rev.values / B
        financed = np.minimum(money_in.values / B, total)
        own = total - financed
        series.append(
            Series(
                f"{v}: paid with the lab's other money",
                years,
                tuple(own),
                "bar",
                colors[v],
                group=v,
            )
        )
        series.append(
            Series(
                f"{v}: vendor-financed (its equity, warrant shares)",
                years,
                tuple(financed),
                "bar",
                colors[v],
                base=tuple(own),
                group=v,
                hatched=True,
                opacity=0.55,
            )
        )
    parts = []
    for v in vendors:
        ratio = metrics["vendors"][v]["circularity_ratio"]
        parts.append(f"{v} {pct(ratio) if ratio is not None else 'n/a'}")
    mc = ""
    if mc_metrics:
        big = max(vendors, key=lambda v: metrics["vendors"][v]["revenue_from_lab_usd"])
        d = mc_metrics["vendors"][big]["revenue_from_lab_usd"]
        mc = f"; across paths {big}'s total is {usd(d['p5'])} to {usd(d['p95'])} (p5-p95)"
    return Chart(
        id="vendor-revenue",
        title="Chip vendors' revenue from the lab, and how much of it the vendor financed",
        units="US$ billions per year",
        x_label="year",
        y_label="revenue from the lab ($B/year)",
        reading="Vendor money in as a share of revenue back over the horizon: "
        + ", ".join(parts)
        + mc
        + ".",
        series=tuple(series),
        scale="usd_b",
        note="Central values; hatched: the part matched by the vendor's own equity investment "
        "or warrant shares given that year (capped at the year's revenue).",
    )


def warrant_odds(s: Scenario, metrics: dict[str, Any], mc_metrics: dict[str, Any] | None) -> Chart:
    """Vesting probability of every warrant tranche, with 95% Monte Carlo intervals."""
    x: list[str] = []
    p: list[float] = []
    err: list[float | None] = []
    text: list[str] = []
    for w in s.deals_of(Warrant):
        det = metrics["warrants"][w.name]["tranches"]
        src = mc_metrics["warrants"][w.name]["tranches"] if mc_metrics else None
        for k, t in enumerate(w.tranches):
            x.append(
                f"{w.name} #{k + 1}: {t.gw_milestone.value:g} GW, ${t.price_hurdle_usd.value:g}"
            )
            if src is not None:
                vp = src[k]["vesting_probability"]
                p.append(100 * vp["p"])
                err.append(196 * vp["p_stderr"] if vp["p_stderr"] is not None else None)
            else:
                p.append(100 * float(det[k]["vesting_probability"]))
                err.append(None)
            text.append(pct(p[-1] / 100))
    reading = "No warrants in this scenario."
    if x:
        hi, lo = int(np.argmax(p)), int(np.argmin(p))
        basis = "of paths" if mc_metrics else "(central values: 100% vests, 0% does not)"
        reading = (
            f"{x[hi].split(':')[0]} is the likeliest to vest ({pct(p[hi] / 100)} {basis}), "
            f"{x[lo].split(':')[0]} the least ({pct(p[lo] / 100)})."
        )
    return Chart(
        id="warrant-odds",
        title="Warrant vesting odds per tranche (GW milestone AND share-price hurdle)",
        units="probability, %",
        x_label="tranche: GW milestone, share-price hurdle",
        y_label="probability of vesting (%)",
        reading=reading,
        series=(
            Series(
                "vesting probability",
                tuple(x),
                tuple(p),
                "bar",
                PALETTE[1],
                error=tuple(err),
                text=tuple(text),
            ),
        ),
        scale="pct",
        note="Error bars: 95% Monte Carlo interval (1.96 standard errors)." if mc_metrics else "",
    )
