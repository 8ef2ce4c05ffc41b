"""Summary metrics: the numbers behind ``computeloop run`` and its JSON output.

Each metric is computed per path, then averaged over paths (a deterministic run
has one path). Definitions are in docs/cli.md and repeated in the docstrings.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from computeloop.montecarlo.summaries import breakeven_index
from computeloop.results import Results
from computeloop.scenario.deals import CapacityContract, ComputeCommitment, Warrant
from computeloop.scenario.timeaxis import Quarter

JSON_SCHEMA_VERSION = 1


def _mean(da: xr.DataArray) -> float:
    return float(da.mean("path")) if "path" in da.dims else float(da)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def breakeven_quarter(fcf: xr.DataArray) -> list[str | None]:
    """Per path: the first quarter from which free cash flow stays >= 0 to the horizon.

    ``None`` when free cash flow is negative in the last quarter (not within the horizon).
    """
    labels = [str(q) for q in fcf["quarter"].values]
    index = breakeven_index(np.asarray(fcf.transpose("path", "quarter").values))
    return [None if np.isnan(i) else labels[int(i)] for i in index]


def _mode(values: list[str | None]) -> str | None:
    return max(set(values), key=values.count) if values else None


def lab_metrics(r: Results) -> dict[str, Any]:
    ds = r.dataset
    cum_ext = (
        ds.lab_committed_funding
        + ds.lab_new_funding
        + ds.lab_vendor_investment_in
        + ds.lab_warrant_proceeds
    ).sum("quarter") + (ds.lab_debt.isel(quarter=-1) - r.scenario.lab.debt_usd.value)
    years = _by_year(ds.lab_revenue)
    return {
        "peak_funding_gap_usd": _mean(ds.lab_funding_gap.max("quarter")),
        "funding_gap_end_usd": _mean(ds.lab_funding_gap.isel(quarter=-1)),
        "breakeven_quarter": _mode(breakeven_quarter(ds.lab_fcf)),
        "gw_online_end": _mean(ds.lab_gw_online.isel(quarter=-1)),
        "gw_delivered_total": _mean(ds.gw_delivered.sum(["quarter", "deal"])),
        "gw_deferred_end": _mean(ds.gw_backlog.isel(quarter=-1).sum("deal")),
        "gw_cancelled_end": _mean(ds.gw_cancelled.isel(quarter=-1).sum("deal")),
        "cumulative_external_funding_usd": _mean(cum_ext),
        "cumulative_vendor_funding_usd": _mean(
            (ds.lab_vendor_investment_in + ds.lab_warrant_proceeds).sum("quarter")
        ),
        "cash_end_usd": _mean(ds.lab_cash.isel(quarter=-1)),
        "quarters_cash_negative": _mean((ds.lab_cash < 0).sum("quarter")),
        "revenue_total_usd": _mean(ds.lab_revenue.sum("quarter")),
        "revenue_by_year_usd": years,
        "net_income_total_usd": _mean(ds.lab_net_income.sum("quarter")),
    }


def _by_year(da: xr.DataArray) -> dict[str, float]:
    years = [q[:4] for q in da["quarter"].values]
    grouped = da.assign_coords(year=("quarter", years)).groupby("year").sum()
    return {str(y): _mean(grouped.sel(year=y)) for y in grouped["year"].values}


def vendor_metrics(r: Results) -> dict[str, dict[str, Any]]:
    """Per chip vendor: revenue from the lab, money put in, and the circularity ratio.

    circularity_ratio = (equity invested in the lab + value of warrant shares given
    at vesting) / revenue from the lab, over the whole horizon.
    """
    ds = r.dataset
    out: dict[str, dict[str, Any]] = {}
    n_years = ds.sizes["quarter"] / 4.0
    for e in r.scenario.entities:
        if e.kind != "chip_vendor":
            continue
        sel = ds.sel(entity=e.name)
        revenue = _mean(sel.revenue_from_lab.sum("quarter"))
        invested = _mean(sel.investment_in_lab.sum("quarter"))
        warrants = _mean(sel.warrant_value_given.sum("quarter"))
        planned = r.scenario.planned_chip_revenue(e.name)
        base = e.revenue_annual_usd.value * n_years
        out[e.name] = {
            "revenue_from_lab_usd": revenue,
            "revenue_from_lab_planned_usd": planned,
            "revenue_shortfall_usd": max(planned - revenue, 0.0),
            "investment_in_lab_usd": invested,
            "warrant_value_given_usd": warrants,
            "circularity_ratio": _ratio(invested + warrants, revenue),
            "lab_share_of_revenue": _ratio(revenue, revenue + base),
            "stake_in_lab_end_usd": _mean(sel.stake_in_lab_usd.isel(quarter=-1)),
            "inventory_end_usd": _mean(sel.inventory_usd.isel(quarter=-1)),
        }
    return out


def builder_metrics(r: Results) -> dict[str, dict[str, Any]]:
    ds = r.dataset
    out: dict[str, dict[str, Any]] = {}
    for e in r.scenario.entities:
        if e.kind != "builder":
            continue
        sel = ds.sel(entity=e.name)
        out[e.name] = {
            "rent_from_lab_usd": _mean(sel.revenue_from_lab.sum("quarter")),
            "deal_capex_usd": _mean(sel.deal_capex.sum("quarter")),
            "deal_debt_end_usd": _mean(sel.deal_debt.isel(quarter=-1)),
            "idle_capacity_end_usd": _mean(sel.idle_capacity_usd.isel(quarter=-1)),
            "idle_capacity_peak_usd": _mean(sel.idle_capacity_usd.max("quarter")),
        }
    return out


def warrant_metrics(r: Results) -> dict[str, dict[str, Any]]:
    """Per warrant: shares vested, their value at vesting and at the end, dilution.

    ``headline_value_usd`` is all shares at the issuer's price in the scenario's
    as-of quarter, the way announcements quote it.
    """
    ds = r.dataset
    out: dict[str, dict[str, Any]] = {}
    as_of = _as_of_label(r)
    for w in r.scenario.deals_of(Warrant):
        tr = ds.tranche_vested_shares.where(ds.tranche_warrant == w.name, drop=True)
        vested = tr.isel(quarter=-1).sum("tranche")
        price = ds.share_price.sel(entity=w.issuer)
        shares0 = r.scenario.entity(w.issuer).shares_outstanding.value
        out[w.name] = {
            "issuer": w.issuer,
            "holder": w.holder,
            "shares": w.shares.value,
            "vested_shares": _mean(vested),
            "vested_share_of_total": _mean(vested) / w.shares.value,
            "value_usd": _mean(ds.warrant_value_given.sel(entity=w.issuer).sum("quarter")),
            "value_end_usd": _mean(vested * price.isel(quarter=-1)),
            "headline_value_usd": w.shares.value * _mean(price.sel(quarter=as_of)),
            "dilution": _ratio(_mean(vested), shares0 + _mean(vested)) if shares0 else None,
            "tranches": _tranche_table(tr, w),
        }
    return out


def _tranche_table(tr: xr.DataArray, w: Warrant) -> list[dict[str, Any]]:
    rows = []
    labels = [str(q) for q in tr["quarter"].values]
    for k, spec in enumerate(w.tranches):
        series = tr.isel(tranche=k)
        vested_mask = (series > 0).values  # (path, quarter)
        first = [labels[int(np.argmax(row))] if row.any() else None for row in vested_mask]
        rows.append(
            {
                "shares": spec.shares.value,
                "gw_milestone": spec.gw_milestone.value,
                "price_hurdle_usd": spec.price_hurdle_usd.value,
                "vesting_probability": float(vested_mask[:, -1].mean()),
                "vesting_quarter": _mode(first),
            }
        )
    return rows


def stranded_metrics(r: Results) -> dict[str, dict[str, Any]]:
    """Per vendor and builder: production or capacity left without a buyer.

    ``usd`` is the write-down of what was built for GW the lab cancelled (net of resale
    or re-letting); ``at_risk_usd`` is what still waits for deferred GW at the end,
    at cost, which becomes a write-down if the deferral turns into a cancellation.
    """
    ds = r.dataset
    out: dict[str, dict[str, Any]] = {}
    for e in r.scenario.entities:
        if e.kind not in ("chip_vendor", "builder"):
            continue
        sel = ds.sel(entity=e.name)
        at_risk = sel.inventory_usd + sel.idle_capacity_usd
        out[e.name] = {
            "usd": _mean(sel.stranded_usd.isel(quarter=-1)),
            "at_risk_usd": _mean(at_risk.isel(quarter=-1)),
            "peak_at_risk_usd": _mean(at_risk.max("quarter")),
        }
    return out


def _as_of_label(r: Results) -> str:
    q = Quarter.parse(r.scenario.meta.as_of)
    axis = r.scenario.time
    q = min(max(q, axis.start), axis.end)
    return str(q)


def series(r: Results) -> dict[str, list[Any]]:
    """The quarter-by-quarter path of the main lab series (mean over paths)."""
    ds = r.dataset
    names = {
        "gw_online": ds.lab_gw_online,
        "revenue_usd": ds.lab_revenue,
        "fcf_usd": ds.lab_fcf,
        "cash_usd": ds.lab_cash,
        "funding_gap_usd": ds.lab_funding_gap,
        "gw_deferred": ds.gw_backlog.sum("deal"),
    }
    out: dict[str, list[Any]] = {"quarter": r.quarters}
    for key, da in names.items():
        out[key] = [float(v) for v in da.mean("path").values]
    return out


def summarize(r: Results) -> dict[str, Any]:
    """The JSON-ready summary of a run (see docs/cli.md for every field)."""
    ds = r.dataset
    out: dict[str, Any] = clean_json(
        {
            "schema_version": JSON_SCHEMA_VERSION,
            "scenario": r.scenario.meta.name,
            "scenario_hash": ds.attrs["scenario_hash"],
            "computeloop_version": ds.attrs["computeloop_version"],
            "seed": None if ds.attrs["seed"] < 0 else int(ds.attrs["seed"]),
            "paths": r.paths,
            "policy": ds.attrs["policy"],
            "horizon": {"start": r.quarters[0], "end": r.quarters[-1]},
            "metrics": {
                "lab": lab_metrics(r),
                "vendors": vendor_metrics(r),
                "builders": builder_metrics(r),
                "warrants": warrant_metrics(r),
                "stranded": stranded_metrics(r),
                "deals": deal_metrics(r),
            },
            "series": series(r),
        }
    )
    return out


def deal_metrics(r: Results) -> dict[str, dict[str, Any]]:
    ds = r.dataset
    out: dict[str, dict[str, Any]] = {}
    for d in r.scenario.deals:
        if not isinstance(d, ComputeCommitment | CapacityContract):
            continue
        sel = ds.sel(deal=d.name)
        delivered = sel.gw_delivered.sum("quarter")
        out[d.name] = {
            "gw_contracted": d.total_gw,
            "gw_delivered": _mean(delivered),
            "gw_deferred_end": _mean(sel.gw_backlog.isel(quarter=-1)),
            "gw_cancelled": _mean(sel.gw_cancelled.isel(quarter=-1)),
            "lab_payments_usd": _mean(sel.lab_payment.sum("quarter")),
        }
    return out


def clean_json(obj: Any) -> Any:
    """Replace NaN/inf by None so the JSON is standard."""
    if isinstance(obj, dict):
        return {k: clean_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean_json(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
