"""The figures of the source article (2025-10-17) and how the model reproduces each.

Each figure is checked against one of three things, stated in ``basis``:

- ``model``: an output of the engine run (revenue, loss, users, GW online, vesting);
- ``derived``: arithmetic on the scenario's deal terms (cost of 26 GW, GPUs per 10 GW);
- ``input``: a term stored in the scenario (a date, a share count) that the model uses.

The article's values live here: they are the reference the scenario data and the
engine are checked against, never read back from the scenario.
"""

from __future__ import annotations

import datetime as dt

import xarray as xr

from computeloop.analysis.figure import Figure, MissingFigure
from computeloop.results import Results
from computeloop.scenario.deals import (
    CapacityContract,
    ComputeCommitment,
    EquityInvestment,
    Warrant,
)
from computeloop.scenario.model import Scenario
from computeloop.scenario.timeaxis import Quarter

SOURCE = "article-2025-10-17"


# --- helpers the extractors use ------------------------------------------------------------


def _lab_sum(r: Results, var: str, quarters: list[str]) -> float:
    da = r.dataset[f"lab_{var}"].sel(quarter=[q for q in quarters if q in r.quarters])
    if da.sizes["quarter"] != len(quarters):
        raise MissingFigure(f"quarters {quarters} are not all on the time axis")
    return float(da.sum("quarter").mean("path"))


def _h1(year: int) -> list[str]:
    return [f"{year}Q1", f"{year}Q2"]


def _year(year: int) -> list[str]:
    return [f"{year}Q{i}" for i in range(1, 5)]


def _as_of(r: Results) -> str:
    q = str(Quarter.parse(r.scenario.meta.as_of))
    if q not in r.quarters:
        raise MissingFigure(f"as-of quarter {q} is not on the time axis")
    return q


def _lab_at(r: Results, var: str, quarter: str) -> float:
    return float(r.dataset[f"lab_{var}"].sel(quarter=quarter).mean("path"))


def _online_today(r: Results) -> float:
    # 'today' is the start of the as-of quarter: the end of the quarter before it.
    idx = r.quarters.index(_as_of(r))
    return float(r.dataset.lab_gw_online.isel(quarter=max(idx - 1, 0)).mean("path"))


def _compute_deal(s: Scenario, vendor: str) -> ComputeCommitment:
    for d in s.deals_of(ComputeCommitment):
        if d.vendor == vendor:
            return d  # type: ignore[no-any-return]
    raise MissingFigure(f"no compute commitment with vendor {vendor!r}")


def _capacity_deal(s: Scenario) -> CapacityContract:
    deals = s.deals_of(CapacityContract)
    if not deals:
        raise MissingFigure("no capacity contract")
    return deals[0]  # type: ignore[no-any-return]


def _investment(s: Scenario, investor: str) -> EquityInvestment:
    for d in s.deals_of(EquityInvestment):
        if d.investor == investor:
            return d  # type: ignore[no-any-return]
    raise MissingFigure(f"no equity investment by {investor!r}")


def _warrant(s: Scenario, issuer: str) -> Warrant:
    for d in s.deals_of(Warrant):
        if d.issuer == issuer:
            return d  # type: ignore[no-any-return]
    raise MissingFigure(f"no warrant issued by {issuer!r}")


_CHIP_VENDORS = ("NVIDIA", "AMD", "Broadcom")


def _entity(r: Results, name: str) -> xr.Dataset:
    """The entity-labelled results of ``name``; a missing entity is a missing figure."""
    if name not in r.dataset.indexes["entity"]:
        raise MissingFigure(f"no entity named {name!r}")
    return r.dataset.sel(entity=name)


def _share_price_at_as_of(r: Results, name: str) -> float:
    return float(_entity(r, name).share_price.sel(quarter=_as_of(r)).mean("path"))


def _chip_deals(s: Scenario) -> list[ComputeCommitment]:
    return [_compute_deal(s, v) for v in _CHIP_VENDORS]


def _all_in(d: ComputeCommitment) -> float:
    return d.chip_usd_per_gw.value + d.other_usd_per_gw.value


def _first_delivery(r: Results, deal: str) -> str:
    delivered = r.dataset.gw_delivered.sel(deal=deal).mean("path")
    hits = [q for q, v in zip(r.quarters, delivered.values, strict=True) if v > 1e-9]
    if not hits:
        raise MissingFigure(f"deal {deal!r} delivers nothing in the run")
    return hits[0]


def _half(quarter: str) -> str:
    q = Quarter.parse(quarter)
    return f"{'1H' if q.q <= 2 else '2H'}-{q.year}"


def _quarter_reaching(r: Results, deal: str, gw: float) -> str:
    cum = r.dataset.gw_delivered.sel(deal=deal).mean("path").cumsum("quarter")
    for q, v in zip(r.quarters, cum.values, strict=True):
        if v >= gw - 1e-9:
            return q
    raise MissingFigure(f"deal {deal!r} never reaches {gw:g} GW in the run")


def _vesting_quarter(r: Results, warrant: str, k: int) -> str:
    tr = r.dataset.tranche_vested_shares.sel(tranche=f"{warrant}#{k}").mean("path")
    for q, v in zip(r.quarters, tr.values, strict=True):
        if v > 0:
            return q
    raise MissingFigure(f"tranche {k} of {warrant!r} never vests in the run")


def _gpus_millions(s: Scenario, gw: float) -> float:
    kw_per_gpu = s.physical.gpu_rack_kw.value * s.physical.pue.value
    return gw * 1e6 / kw_per_gpu / 1e6


def _date(d: dt.date) -> str:
    return d.isoformat()


def _schedule_span(d: ComputeCommitment) -> str:
    quarters = sorted(t.quarter for t in d.schedule)
    return f"{_half(str(quarters[0]))} to {_half(str(quarters[-1]))}"


def _figures() -> tuple[Figure, ...]:
    """The source article's figures (shared/facts/source-article.md), in its order."""
    return (
        # --- OpenAI, the lab ---
        Figure(
            "lab.revenue_h1_2025",
            "OpenAI revenue, first half of 2025",
            4.3e9,
            "USD",
            "model",
            lambda r: _lab_sum(r, "revenue", _h1(2025)),
        ),
        Figure(
            "lab.net_loss_h1_2025",
            "OpenAI net loss, first half of 2025",
            13.5e9,
            "USD",
            "model",
            lambda r: -_lab_sum(r, "net_income", _h1(2025)),
        ),
        Figure(
            "lab.loss_to_revenue_h1_2025",
            "net loss about 3x revenue (H1-2025)",
            3.0,
            "x",
            "model",
            lambda r: _lab_sum(r, "net_income", _h1(2025)) / -_lab_sum(r, "revenue", _h1(2025)),
            tolerance=0.10,
        ),
        Figure(
            "lab.rnd_h1_2025",
            "OpenAI R&D spend, first half of 2025",
            6.7e9,
            "USD",
            "model",
            lambda r: _lab_sum(r, "research_cost", _h1(2025)),
        ),
        Figure(
            "lab.rnd_over_revenue_h1_2025",
            "R&D spend more than revenue (H1-2025)",
            1.0,
            "x",
            "model",
            lambda r: _lab_sum(r, "research_cost", _h1(2025)) / _lab_sum(r, "revenue", _h1(2025)),
            op="more_than",
        ),
        Figure(
            "lab.h1_2025_vs_2024",
            "H1-2025 revenue vs all of 2024",
            0.16,
            "growth",
            "model",
            lambda r: _lab_sum(r, "revenue", _h1(2025)) / _revenue_2024(r) - 1.0,
            tolerance=0.15,
        ),
        Figure(
            "lab.revenue_2024",
            "2024 revenue, implied (about $3.7B)",
            3.7e9,
            "USD",
            "input",
            lambda r: r.scenario.lab.revenue_2024_usd.value,
        ),
        Figure(
            "lab.revenue_2025",
            "revenue target, full year 2025",
            13.0e9,
            "USD",
            "model",
            lambda r: _lab_sum(r, "revenue", _year(2025)),
        ),
        Figure(
            "lab.weekly_users",
            "weekly active users: over 800 million",
            800e6,
            "users",
            "model",
            lambda r: _lab_at(r, "users", _as_of(r)),
            op="at_least",
        ),
        Figure(
            "lab.paying_share",
            "paying share of users: about 5%",
            0.05,
            "share",
            "model",
            lambda r: _lab_at(r, "payers", _as_of(r)) / _lab_at(r, "users", _as_of(r)),
        ),
        Figure(
            "lab.paying_users",
            "paying users: about 40 million",
            40e6,
            "users",
            "model",
            lambda r: _lab_at(r, "payers", _as_of(r)),
            tolerance=0.10,
        ),
        Figure(
            "lab.compute_online",
            "compute online today: about 2 GW",
            2.0,
            "GW",
            "model",
            _online_today,
        ),
        Figure(
            "deals.chip_gw_total",
            "GW from the NVIDIA, AMD and Broadcom deals",
            26.0,
            "GW",
            "derived",
            lambda r: sum(d.total_gw for d in _chip_deals(r.scenario)),
            op="equals",
        ),
        Figure(
            "deals.chip_gw_multiple",
            "the 26 GW are 13x today's compute",
            13.0,
            "x",
            "model",
            lambda r: sum(d.total_gw for d in _chip_deals(r.scenario)) / _online_today(r),
        ),
        Figure(
            "cost.all_in_per_gw",
            "all-in cost of 1 GW of data centre",
            50e9,
            "USD/GW",
            "derived",
            lambda r: (
                sum(_all_in(d) * d.total_gw for d in _chip_deals(r.scenario))
                / sum(d.total_gw for d in _chip_deals(r.scenario))
            ),
        ),
        Figure(
            "cost.chips_per_gw",
            "of which AI chips (NVIDIA systems)",
            35e9,
            "USD/GW",
            "input",
            lambda r: _compute_deal(r.scenario, "NVIDIA").chip_usd_per_gw.value,
        ),
        Figure(
            "cost.total_26gw",
            "cost of the 26 GW",
            1.3e12,
            "USD",
            "derived",
            lambda r: sum(_all_in(d) * d.total_gw for d in _chip_deals(r.scenario)),
        ),
        Figure(
            "physical.gpus_10gw_millions",
            "GPUs needed for 10 GW: 4 to 5 million",
            4.0,
            "million GPUs",
            "derived",
            lambda r: _gpus_millions(r.scenario, 10.0),
            op="between",
            high=5.0,
        ),
        Figure(
            "meta.hkd_per_usd",
            "exchange rate quoted: about 7.8 HKD per USD",
            7.8,
            "HKD/USD",
            "input",
            lambda r: _hkd(r.scenario),
        ),
        # --- Stargate ---
        Figure(
            "stargate.date",
            "Stargate announced",
            "2025-01-21",
            "date",
            "input",
            lambda r: _date(_capacity_deal(r.scenario).announced),
        ),
        Figure(
            "stargate.usd",
            "Stargate commitment",
            500e9,
            "USD",
            "derived",
            lambda r: _capex_total(_capacity_deal(r.scenario)),
        ),
        Figure(
            "stargate.gw",
            "Stargate capacity",
            10.0,
            "GW",
            "input",
            lambda r: _capacity_deal(r.scenario).total_gw,
            op="equals",
        ),
        # --- NVIDIA ---
        Figure(
            "nvidia.date",
            "NVIDIA-OpenAI deal announced",
            "2025-09-22",
            "date",
            "input",
            lambda r: _date(_compute_deal(r.scenario, "NVIDIA").announced),
        ),
        Figure(
            "nvidia.investment_usd",
            "NVIDIA investment in OpenAI, up to",
            100e9,
            "USD",
            "derived",
            lambda r: min(
                _investment(r.scenario, "NVIDIA").max_usd.value,
                _investment(r.scenario, "NVIDIA").usd_per_gw.value
                * _compute_deal(r.scenario, "NVIDIA").total_gw,
            ),
        ),
        Figure(
            "nvidia.gw",
            "GW of NVIDIA systems",
            10.0,
            "GW",
            "input",
            lambda r: _compute_deal(r.scenario, "NVIDIA").total_gw,
            op="equals",
        ),
        Figure(
            "nvidia.first_online",
            "first NVIDIA phase online",
            "2H-2026",
            "half-year",
            "model",
            lambda r: _half(_first_delivery(r, _compute_deal(r.scenario, "NVIDIA").name)),
        ),
        Figure(
            "nvidia.investment_returns_as_purchases",
            "NVIDIA's investment flows back as chip purchases (investment / revenue < 1)",
            1.0,
            "x",
            "model",
            lambda r: _nvidia_loop(r),
            op="less_than",
        ),
        # --- AMD ---
        Figure(
            "amd.date",
            "AMD-OpenAI deal announced",
            "2025-10-06",
            "date",
            "input",
            lambda r: _date(_compute_deal(r.scenario, "AMD").announced),
        ),
        Figure(
            "amd.gw",
            "GW of AMD Instinct GPUs",
            6.0,
            "GW",
            "input",
            lambda r: _compute_deal(r.scenario, "AMD").total_gw,
            op="equals",
        ),
        Figure(
            "amd.first_gw_online",
            "first 1 GW of MI450 online",
            "2H-2026",
            "half-year",
            "model",
            lambda r: _half(_quarter_reaching(r, _compute_deal(r.scenario, "AMD").name, 1.0)),
        ),
        Figure(
            "amd.chip_sales_usd",
            "AMD chip sales, industry estimate",
            90e9,
            "USD",
            "derived",
            lambda r: (
                _compute_deal(r.scenario, "AMD").chip_usd_per_gw.value
                * _compute_deal(r.scenario, "AMD").total_gw
            ),
        ),
        Figure(
            "amd.warrant_shares",
            "AMD warrant shares, up to",
            160e6,
            "shares",
            "input",
            lambda r: _warrant(r.scenario, "AMD").shares.value,
            op="equals",
        ),
        Figure(
            "amd.warrant_strike",
            "AMD warrant exercise price",
            0.01,
            "USD/share",
            "input",
            lambda r: _warrant(r.scenario, "AMD").strike_usd.value,
            op="equals",
        ),
        Figure(
            "amd.share_price",
            "AMD share price",
            232.10,
            "USD/share",
            "model",
            lambda r: _share_price_at_as_of(r, "AMD"),
            tolerance=0.001,
        ),
        Figure(
            "amd.warrant_value",
            "value of 160M AMD shares at $232.10",
            37.136e9,
            "USD",
            "model",
            lambda r: (
                _warrant(r.scenario, "AMD").shares.value
                * _share_price_at_as_of(r, "AMD")
            ),
            tolerance=0.001,
        ),
        Figure(
            "amd.first_tranche_at_1gw",
            "first warrant tranche vests when 1 GW is online",
            "yes",
            "",
            "model",
            lambda r: _first_tranche_at_first_gw(r),
        ),
        # --- Broadcom ---
        Figure(
            "broadcom.date",
            "Broadcom-OpenAI deal announced",
            "2025-10-13",
            "date",
            "input",
            lambda r: _date(_compute_deal(r.scenario, "Broadcom").announced),
        ),
        Figure(
            "broadcom.gw",
            "GW of custom accelerators",
            10.0,
            "GW",
            "input",
            lambda r: _compute_deal(r.scenario, "Broadcom").total_gw,
            op="equals",
        ),
        Figure(
            "broadcom.window",
            "Broadcom deployment window",
            "2H-2026 to 2H-2029",
            "half-years",
            "input",
            lambda r: _schedule_span(_compute_deal(r.scenario, "Broadcom")),
        ),
    )


def _revenue_2024(r: Results) -> float:
    value = r.scenario.lab.revenue_2024_usd.value
    if value <= 0:
        raise MissingFigure("lab.revenue_2024_usd is not set")
    return value


def _capex_total(d: CapacityContract) -> float:
    return d.capex_usd_per_gw.value * d.total_gw


def _hkd(s: Scenario) -> float:
    if s.meta.hkd_per_usd is None:
        raise MissingFigure("meta.hkd_per_usd is not set")
    return s.meta.hkd_per_usd.value


def _nvidia_loop(r: Results) -> float:
    """NVIDIA's cumulative investment in the lab over its revenue from the lab."""
    sel = _entity(r, "NVIDIA").mean("path")
    revenue = float(sel.revenue_from_lab.sum("quarter"))
    if revenue <= 0:
        raise MissingFigure("NVIDIA has no revenue from the lab in the run")
    return float(sel.investment_in_lab.sum("quarter")) / revenue


def _first_tranche_at_first_gw(r: Results) -> str:
    w = _warrant(r.scenario, "AMD")
    if w.tranches[0].gw_milestone.value != 1.0:
        return "no"
    reached = _quarter_reaching(r, w.trigger_deal, 1.0)
    vested = _vesting_quarter(r, w.name, 1)
    return "yes" if reached == vested else "no"


FIGURES = _figures()
