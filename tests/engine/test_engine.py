"""The quarterly engine: closed forms, scenarios worked by hand, accounting identities, the
funding feedback loop, and regression pins of the default scenario.

The hand-built scenarios use a two-year axis (2025Q1-2026Q4, quarters t = 0..7), a lab
with flat demand of $1B a quarter and no operating costs, one chip vendor and one
compute commitment: 1 GW due in 2025Q2 (t = 1) and 2 GW in 2025Q4 (t = 3). Unless a
test says otherwise funding is unlimited, so every expected number can be worked out
with a pencil; the comments show how.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pytest
import xarray as xr

from computeloop import __version__, default_scenario, parse_scenario, simulate
from computeloop.api import with_policy
from computeloop.engine import EngineInputs, compile_inputs, run_engine
from computeloop.engine.inputs import annuity_factor, growth_path
from computeloop.errors import InputError
from computeloop.results import build_results
from computeloop.scenario.model import Scenario
from helpers import edit

# --- helpers shared with test_properties.py ---------------------------------------------


def engine_run(
    scenario: Scenario, paths: int = 1, overrides: dict[str, np.ndarray] | None = None
) -> tuple[xr.Dataset, EngineInputs]:
    """The labelled output of one engine call, and the per-path inputs it ran on."""
    x = compile_inputs(scenario, paths, overrides)
    ds = build_results(run_engine(x), scenario, None, scenario.policy.on_shortfall).dataset
    return ds, x


def close(actual: Any, expected: Any, rel: float = 1e-9) -> None:
    """Equal to ``rel`` of the largest magnitude involved (flows of $1e11 leave $1e-5 dust)."""
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    scale = max(1.0, float(np.abs(e).max(initial=0.0)), float(np.abs(a).max(initial=0.0)))
    np.testing.assert_allclose(a, e, rtol=0.0, atol=rel * scale)


def _before(arr: np.ndarray, first: np.ndarray) -> np.ndarray:
    """``arr`` shifted one quarter later along axis 1, with ``first`` in quarter 0."""
    return np.concatenate([first[:, None, ...], arr[:, :-1, ...]], axis=1)


# --- accounting identities: each takes the dataset and the inputs it ran on -------------


def check_cash(ds: xr.Dataset, x: EngineInputs) -> None:
    """cash_t = cash_{t-1} + fcf + committed + new funding + vendor money + debt drawn."""
    debt_prev = _before(ds.lab_debt.values, x.debt0)
    inflows = (
        ds.lab_fcf.values
        + ds.lab_committed_funding.values
        + ds.lab_new_funding.values
        + ds.lab_vendor_investment_in.values
        + ds.lab_warrant_proceeds.values
        + (ds.lab_debt.values - debt_prev)
    )
    close(ds.lab_cash.values, _before(ds.lab_cash.values, x.cash0) + inflows, rel=1e-6)


def check_fcf(ds: xr.Dataset, x: EngineInputs) -> None:
    """fcf = revenue - cash opex - compute payments - rent - interest - cash one-offs."""
    debt_prev = _before(ds.lab_debt.values, x.debt0)
    close(ds.lab_interest.values, debt_prev * x.lab_rate_q[:, None])
    fcf = (
        ds.lab_revenue.values
        - ds.lab_opex_cash.values
        - ds.lab_compute_payments.values
        - ds.lab_rent.values
        - ds.lab_interest.values
        - x.one_off_cash
    )
    close(ds.lab_fcf.values, fcf)


def check_payments(ds: xr.Dataset, x: EngineInputs) -> None:
    """What the deals say the lab paid is what the lab's accounts say it paid."""
    close(ds.lab_payment.sum("deal").values, ds.lab_compute_payments + ds.lab_rent)


def check_gw_conservation(ds: xr.Dataset, x: EngineInputs) -> None:
    """Per deal, cumulatively: delivered + backlog + cancelled = due; due is the schedule."""
    for j, d in enumerate(x.deals):
        sel = ds.isel(deal=j)
        close(sel.gw_due.values, np.broadcast_to(d.schedule, sel.gw_due.shape))
        accounted = sel.gw_delivered.cumsum("quarter") + sel.gw_backlog + sel.gw_cancelled
        close(accounted.values, sel.gw_due.cumsum("quarter").values)


def check_gw_online(ds: xr.Dataset, x: EngineInputs) -> None:
    """GW online at a quarter's end: the base plus deliveries still within their life."""
    T = ds.sizes["quarter"]
    online = np.repeat(x.gw_base[:, None], T, axis=1)
    for j, d in enumerate(x.deals):
        delivered = ds.gw_delivered.isel(deal=j).values
        for t in range(T):
            online[:, t] += delivered[:, max(0, t + 1 - d.life) : t + 1].sum(axis=1)
    close(ds.lab_gw_online.values, online)
    assert (ds.lab_gw_online.values >= 0).all()


def check_revenue(ds: xr.Dataset, x: EngineInputs) -> None:
    """Revenue is demand, capped by what the GW online at the quarter's start can serve."""
    demand = x.users * x.paying_share * x.revenue_per_payer_q + x.enterprise
    online_start = _before(ds.lab_gw_online.values, x.gw_base)
    capacity = online_start * x.revenue_per_gw_q[:, None]
    close(ds.lab_revenue_demand.values, demand)
    close(ds.lab_revenue_capacity.values, capacity)
    close(ds.lab_revenue.values, np.minimum(demand, capacity))


def check_counterparty_revenue(ds: xr.Dataset, x: EngineInputs) -> None:
    """Vendors earn chip price x GW delivered; builders earn rent on GW taken earlier."""
    expected = np.zeros(ds.revenue_from_lab.shape)
    T = ds.sizes["quarter"]
    for j, d in enumerate(x.deals):
        delivered = ds.gw_delivered.isel(deal=j).values
        if d.kind == "compute":
            flow = delivered * d.chip_per_gw[:, None]
        else:  # rent on GW taken in the `periodic_quarters` quarters before
            renting = np.stack(
                [delivered[:, max(0, t - d.periodic_quarters) : t].sum(axis=1) for t in range(T)],
                axis=1,
            )
            flow = renting * d.periodic_per_gw[:, None]
        for e, share in d.counterparties:
            expected[:, :, e] += share * flow
    close(ds.revenue_from_lab.values, expected)


def check_vendor_money(ds: xr.Dataset, x: EngineInputs) -> None:
    """Equity tranches and warrant sales reach the lab; warrants dilute their issuer."""
    close(ds.investment_in_lab.sum("entity").values, ds.lab_vendor_investment_in.values)
    for e in range(len(x.entity_names)):
        cap = sum(inv.max_usd for inv in x.investments if inv.investor == e)
        total = ds.investment_in_lab.isel(entity=e).sum("quarter").values
        assert (total <= cap + 1e-6 * np.maximum(cap, 1.0)).all()
    sold = sum(ds.warrant_value_given.isel(entity=w.issuer).values for w in x.warrants if w.sell)
    close(ds.lab_warrant_proceeds.values, sold * np.ones(ds.lab_warrant_proceeds.shape))
    vested = ds.tranche_vested_shares.values
    assert (np.diff(vested, axis=1) >= 0).all(), "vested shares never un-vest"
    k0 = 0
    dilution = np.zeros(ds.shares_outstanding.shape)
    for w in x.warrants:
        k = w.shares.shape[1]
        dilution[:, :, w.issuer] += vested[:, :, k0 : k0 + k].sum(axis=2)
        k0 += k
    close(ds.shares_outstanding.values, x.shares0[:, None, :] + dilution)


def check_funding_gap(ds: xr.Dataset, x: EngineInputs) -> None:
    """Funding gap = new capital raised so far + any shortfall below the cash buffer."""
    shortfall = np.maximum(0.0, x.min_cash[:, None] - ds.lab_cash.values)
    close(ds.lab_funding_gap.values, ds.lab_new_funding.cumsum("quarter").values + shortfall)


def check_stocks(ds: xr.Dataset, x: EngineInputs) -> None:
    """GW and dollar stocks are never negative; production and cancellation only grow."""
    tiny = 1e-9
    for name in ("gw_delivered", "gw_backlog", "gw_cancelled", "gw_inventory", "gw_stranded"):
        assert (ds[name].values >= -tiny).all(), name
    for name in ("inventory_usd", "stranded_usd", "idle_capacity_usd", "deal_capex"):
        assert (ds[name].values >= -1e-3).all(), name
    for name in ("gw_produced", "gw_cancelled"):
        assert (ds[name].diff("quarter").values >= -tiny).all(), name
    cum_delivered = ds.gw_delivered.cumsum("quarter")
    assert (ds.gw_produced >= cum_delivered - tiny).all()
    for j, d in enumerate(x.deals):
        assert (ds.gw_produced.isel(deal=j).values <= d.total_gw + tiny).all()
    if not x.cancel:
        assert (ds.gw_cancelled.values == 0).all() and (ds.gw_stranded.values == 0).all()


def check_inventory_valuation(ds: xr.Dataset, x: EngineInputs) -> None:
    """Waiting GW are valued at cost; stranded GW at cost net of resale or re-letting."""
    waiting = {
        "compute": np.zeros(ds.inventory_usd.shape),
        "capacity": np.zeros(ds.inventory_usd.shape),
    }
    stranded = np.zeros(ds.stranded_usd.shape)
    for j, d in enumerate(x.deals):
        cost = d.unit_cost_per_gw[:, None]
        for e, share in d.counterparties:
            waiting[d.kind][:, :, e] += share * ds.gw_inventory.isel(deal=j).values * cost
            stranded[:, :, e] += (
                share * ds.gw_stranded.isel(deal=j).values * cost * (1.0 - d.recovery[:, None])
            )
    close(ds.inventory_usd.values, waiting["compute"])
    close(ds.idle_capacity_usd.values, waiting["capacity"])
    close(ds.stranded_usd.values, stranded)


CHECKS: dict[str, Callable[[xr.Dataset, EngineInputs], None]] = {
    "cash": check_cash,
    "fcf": check_fcf,
    "payments": check_payments,
    "gw-conservation": check_gw_conservation,
    "gw-online": check_gw_online,
    "revenue": check_revenue,
    "counterparty-revenue": check_counterparty_revenue,
    "vendor-money": check_vendor_money,
    "funding-gap": check_funding_gap,
    "stocks": check_stocks,
    "inventory-valuation": check_inventory_valuation,
}


# --- the hand-built scenario -------------------------------------------------------------

QUARTERS = [f"{y}Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)]
CHIP, OTHER, MARGIN = 30e9, 20e9, 0.6
ALL_IN = CHIP + OTHER
UNIT_COST = CHIP * (1 - MARGIN)  # the vendor's production cost per GW: $12B
DUE = np.array([0, 1, 0, 2, 0, 0, 0, 0], dtype=float)
DEMAND_Q = 1e9  # 1e8 users x 10% paying x $20/month x 3 months + $0.4B enterprise
PRICE0, DRIFT = 100.0, 0.2  # the vendor's share price in 2025Q1 and its annual drift


def hand_built() -> dict[str, Any]:
    """One lab, one chip vendor, one owned compute commitment; no costs, unlimited funding."""
    return {
        "meta": {"name": "hand-built"},
        "time": {"start": "2025Q1", "end": "2026Q4"},
        "policy": {"on_shortfall": "defer", "min_cash_usd": 0.0},
        "entities": [
            {
                "name": "Lab",
                "kind": "lab",
                "cash_usd": 1e13,
                "compute_online_gw": 1.0,
                "revenue_per_gw_year_usd": 8e9,  # $2B a quarter per GW: never binding here
                "users": {
                    "weekly_users_start": 1e8,
                    "users_growth_q": 0.0,
                    "paying_share_start": 0.1,
                    "paying_share_end": 0.1,
                    "revenue_per_payer_month_usd": 20.0,
                    "enterprise_revenue_q_start": 0.4e9,
                    "enterprise_growth_q": 0.0,
                },
                "costs": {"research": {}, "serving_admin": {}, "sales_marketing": {}},
                "funding": {"max_new_funding_q_usd": 1e13},
            },
            {
                "name": "Chips",
                "kind": "chip_vendor",
                "gross_margin": MARGIN,
                "shares_outstanding": 1e9,
                "share_price_usd": PRICE0,
                "share_price_quarter": "2025Q1",
                "share_price_drift_annual": DRIFT,
            },
        ],
        "deals": [
            {
                "name": "buy",
                "type": "compute_commitment",
                "announced": "2025-01-01",
                "buyer": "Lab",
                "vendor": "Chips",
                "schedule": [{"quarter": "2025Q2", "gw": 1.0}, {"quarter": "2025Q4", "gw": 2.0}],
                "chip_usd_per_gw": CHIP,
                "other_usd_per_gw": OTHER,
                "financing": "own",
                "lead_time_quarters": 1,
                "resale_fraction": 0.0,
                "custom_silicon": True,
            }
        ],
    }


def starved(policy: str, resale: float = 0.0) -> dict[str, Any]:
    """The hand-built scenario with $25B of cash, no revenue and no new capital."""
    data = hand_built()
    lab = data["entities"][0]
    lab["cash_usd"] = 25e9
    lab["funding"]["max_new_funding_q_usd"] = 0.0
    lab["users"].update(paying_share_start=0.0, paying_share_end=0.0)
    lab["users"]["enterprise_revenue_q_start"] = 0.0
    data["policy"]["on_shortfall"] = policy
    # Custom silicon has no resale market; chips that resell are merchant chips.
    data["deals"][0].update(resale_fraction=resale, custom_silicon=resale == 0.0)
    return data


def run(data: dict[str, Any]) -> xr.Dataset:
    """Path 0 of a deterministic run of a scenario given as plain data."""
    return simulate(parse_scenario(data)).dataset.isel(path=0)


def series(values: list[float] | np.ndarray, scale: float = 1.0) -> np.ndarray:
    return np.asarray(values, dtype=float) * scale


class TestClosedForms:
    def test_growth_path_with_constant_growth_is_geometric(self) -> None:
        start, growth = np.array([2.0, 5.0, 7.0]), np.array([0.1, -0.05, 0.0])
        out = growth_path(start, growth, np.ones(3), 12)
        t = np.arange(12)
        close(out, start[:, None] * (1 + growth[:, None]) ** t, rel=1e-12)

    def test_growth_path_with_decay_multiplies_fading_rates(self) -> None:
        # x_t = x_0 * prod_{s<t} (1 + g d^s); with d = 0 only the first step grows.
        out = growth_path(np.array([3.0, 3.0]), np.array([0.5, 0.5]), np.array([0.0, 0.5]), 4)
        close(out[0], [3.0, 4.5, 4.5, 4.5], rel=1e-12)
        close(out[1], [3.0, 4.5, 4.5 * 1.25, 4.5 * 1.25 * 1.125], rel=1e-12)

    @pytest.mark.parametrize("n", [1, 4, 20, 40])
    @pytest.mark.parametrize("rate", [1e-4, 0.025, 0.1, 0.5])
    def test_annuity_present_value_equals_the_principal(self, rate: float, n: int) -> None:
        payment = annuity_factor(np.array([rate]), n)[0]
        present_value = sum(payment / (1 + rate) ** k for k in range(1, n + 1))
        assert present_value == pytest.approx(1.0, rel=1e-12)

    def test_annuity_of_one_and_two_quarters(self) -> None:
        r = np.array([0.02, 0.1])
        close(annuity_factor(r, 1), 1 + r, rel=1e-12)
        close(annuity_factor(r, 2), (1 + r) ** 2 / (2 + r), rel=1e-12)

    def test_annuity_at_zero_rate_is_straight_line_and_vectorised(self) -> None:
        out = annuity_factor(np.array([0.0, 0.02]), 20)
        assert out[0] == pytest.approx(1 / 20, rel=1e-15)
        assert out[1] == pytest.approx(0.02 / (1 - 1.02**-20), rel=1e-12)


class TestHandBuiltDelivery:
    def test_gw_are_delivered_on_schedule_when_funding_is_ample(self) -> None:
        ds = run(hand_built())
        close(ds.gw_delivered.sel(deal="buy"), DUE)
        close(ds.gw_backlog.sel(deal="buy"), 0.0)
        close(ds.gw_cancelled.sel(deal="buy"), 0.0)

    def test_gw_online_is_the_base_plus_cumulative_deliveries(self) -> None:
        close(run(hand_built()).lab_gw_online, [1, 2, 2, 4, 4, 4, 4, 4])

    def test_vendor_revenue_is_chip_price_times_gw_delivered(self) -> None:
        ds = run(hand_built())
        close(ds.revenue_from_lab.sel(entity="Chips"), CHIP * DUE)
        close(ds.revenue_from_lab.sel(entity="Lab"), 0.0)

    def test_owning_lab_pays_the_all_in_cost_at_delivery(self) -> None:
        ds = run(hand_built())
        close(ds.lab_payment.sel(deal="buy"), ALL_IN * DUE)
        close(ds.lab_compute_payments, ALL_IN * DUE)

    def test_cash_is_the_start_plus_revenue_less_payments(self) -> None:
        ds = run(hand_built())
        close(ds.lab_revenue, DEMAND_Q * np.ones(8))
        close(ds.lab_cash, 1e13 + np.cumsum(DEMAND_Q - ALL_IN * DUE))
        close(ds.lab_new_funding, 0.0)

    def test_vendor_produces_a_lead_time_ahead_and_holds_inventory_at_cost(self) -> None:
        ds = run(hand_built())
        # Lead time 1: by quarter t the vendor has made what is due by t + 1.
        close(ds.gw_produced.sel(deal="buy"), [1, 1, 3, 3, 3, 3, 3, 3])
        close(ds.gw_inventory.sel(deal="buy"), [1, 0, 2, 0, 0, 0, 0, 0])
        close(ds.inventory_usd.sel(entity="Chips"), UNIT_COST * series([1, 0, 2, 0, 0, 0, 0, 0]))

    def test_revenue_is_capped_by_compute_online_at_the_quarter_start(self) -> None:
        data = hand_built()
        data["entities"][0]["revenue_per_gw_year_usd"] = 2e9  # $0.5B a quarter per GW
        ds = run(data)
        # Online at the start: 1, 1, 2, 2, 4, ... GW -> capacity 0.5, 0.5, 1, 1, 2, ... $B.
        close(ds.lab_revenue, series([0.5, 0.5, 1, 1, 1, 1, 1, 1], 1e9))
        close(ds.lab_revenue_capacity, series([0.5, 0.5, 1, 1, 2, 2, 2, 2], 1e9))

    def test_owned_hardware_depreciates_straight_line(self) -> None:
        ds = run(hand_built())  # useful life 24 quarters, longer than the axis
        depreciation = ds.lab_revenue - ds.lab_net_income  # no other costs
        close(depreciation.sel(quarter="2025Q3"), 1 * ALL_IN / 24)
        close(depreciation.sel(quarter="2026Q2"), 3 * ALL_IN / 24)

    def test_hardware_goes_offline_after_its_useful_life(self) -> None:
        data = hand_built()
        data["deals"][0]["useful_life_quarters"] = 4
        # 1 GW from 2025Q2 is online through 2026Q1, 2 GW from 2025Q4 through 2026Q3.
        close(run(data).lab_gw_online, [1, 2, 2, 4, 4, 3, 3, 1])

    def test_owned_hardware_stops_depreciating_after_its_useful_life(self) -> None:
        data = hand_built()
        data["deals"][0]["useful_life_quarters"] = 4
        ds = run(data)
        # Both tranches live out their 4 quarters on the axis: all 3 GW are written off once.
        depreciation = (ds.lab_revenue - ds.lab_net_income).sum()
        assert float(depreciation) == pytest.approx(3 * ALL_IN, rel=1e-9)

    def test_lease_payments_are_an_annuity_worth_the_price(self) -> None:
        data = hand_built()
        data["deals"][0].update(financing="lease", lease_quarters=4, lease_rate_annual=0.08)
        ds = run(data)
        pay = ALL_IN * (0.02 / (1 - 1.02**-4))  # per GW per quarter, 4 quarters at 2%
        # 1 GW pays in t = 2..5 and 2 GW in t = 4..7; nothing at delivery.
        close(ds.lab_payment.sel(deal="buy"), pay * series([0, 0, 1, 1, 3, 3, 2, 2]))
        assert sum(pay / 1.02**k for k in range(1, 5)) == pytest.approx(ALL_IN, rel=1e-12)
        close(ds.revenue_from_lab.sel(entity="Chips"), CHIP * DUE)


class TestShortfall:
    """$25B of cash, no revenue, no new capital: only half of the first GW can be funded."""

    @pytest.mark.parametrize("resale", [0.0, 0.5])
    def test_cancel_strands_what_was_produced_but_never_taken(self, resale: float) -> None:
        ds = run(starved("cancel", resale)).sel(deal="buy", entity="Chips")
        close(ds.gw_delivered, [0, 0.5, 0, 0, 0, 0, 0, 0])
        close(ds.gw_cancelled, [0, 0.5, 0.5, 2.5, 2.5, 2.5, 2.5, 2.5])
        close(ds.gw_backlog, 0.0)
        # Production stops at what is still wanted: 3 - 0.5 cancelled = 2.5 GW.
        close(ds.gw_produced, [1, 1, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5])
        close(ds.gw_inventory, [1, 0.5, 2, 0, 0, 0, 0, 0])
        # Produced 2.5, taken 0.5: 2 GW stranded, worth their cost less what resale recovers.
        close(ds.gw_stranded, [0, 0, 0, 2, 2, 2, 2, 2])
        close(ds.stranded_usd, 2 * UNIT_COST * (1 - resale) * series([0, 0, 0, 1, 1, 1, 1, 1]))
        close(ds.revenue_from_lab, CHIP * series([0, 0.5, 0, 0, 0, 0, 0, 0]))
        close(ds.lab_cash, series([25, 0, 0, 0, 0, 0, 0, 0], 1e9))

    def test_defer_keeps_unfunded_gw_waiting(self) -> None:
        ds = run(starved("defer")).sel(deal="buy", entity="Chips")
        close(ds.gw_delivered, [0, 0.5, 0, 0, 0, 0, 0, 0])
        close(ds.gw_backlog, [0, 0.5, 0.5, 2.5, 2.5, 2.5, 2.5, 2.5])
        close(ds.gw_cancelled, 0.0)
        close(ds.gw_stranded, 0.0)
        close(ds.inventory_usd.isel(quarter=-1), 2.5 * UNIT_COST)

    def test_binding_gw_are_taken_whatever_the_funding(self) -> None:
        data = starved("cancel")
        data["deals"][0]["binding_gw"] = 1.0
        ds = run(data)
        close(ds.gw_delivered.sel(deal="buy"), [0, 1, 0, 0, 0, 0, 0, 0])
        close(ds.gw_cancelled.sel(deal="buy").isel(quarter=-1), 2.0)
        # Paying $50B from $25B leaves cash at -$25B: the funding gap.
        close(ds.lab_cash.isel(quarter=-1), -25e9)
        close(ds.lab_funding_gap.isel(quarter=-1), 25e9)


# (shares, GW milestone, price hurdle, index of the quarter it vests or None)
TRANCHES: list[tuple[float, float, float, int | None]] = [
    (10e6, 1.0, 110.0, 3),  # 1 GW in 2025Q2, but the price passes $110 only in 2025Q4
    (20e6, 3.0, 0.0, 3),  # no hurdle: vests with the third GW
    (30e6, 1.0, 104.0, 1),  # both met in 2025Q2 ($104.66)
    (40e6, 3.0, 200.0, None),  # the price never reaches $200 on the axis
    (50e6, 0.5, 125.0, 5),  # price-bound: $120.00 in 2026Q1, $125.57 in 2026Q2
    (60e6, 2.5, 0.0, 3),  # counts cumulative GW delivered
]
STRIKE = 1.0


def with_warrant(expiry: str = "2026Q4", sells: bool = True) -> dict[str, Any]:
    data = hand_built()
    data["deals"].append(
        {
            "name": "grant",
            "type": "warrant",
            "announced": "2025-01-01",
            "issuer": "Chips",
            "holder": "Lab",
            "trigger_deal": "buy",
            "shares": sum(t[0] for t in TRANCHES),
            "strike_usd": STRIKE,
            "tranches": [
                {"shares": s, "gw_milestone": m, "price_hurdle_usd": h} for s, m, h, _ in TRANCHES
            ],
            "expiry": expiry,
            "holder_sells_on_vesting": sells,
        }
    )
    return data


def price_path() -> np.ndarray:
    return PRICE0 * (1 + DRIFT) ** (np.arange(8) / 4)


def vesting_quarters(ds: xr.Dataset) -> list[int | None]:
    vested = ds.tranche_vested_shares.values > 0  # (quarter, tranche)
    return [int(np.argmax(col)) if col.any() else None for col in vested.T]


class TestWarrant:
    def test_share_price_follows_its_drift(self) -> None:
        close(run(with_warrant()).share_price.sel(entity="Chips"), price_path(), rel=1e-12)

    def test_tranche_vests_when_gw_milestone_and_price_hurdle_are_both_met(self) -> None:
        ds = run(with_warrant())
        assert vesting_quarters(ds) == [t[3] for t in TRANCHES]
        # The same from first principles: first quarter with both conditions true.
        cum_gw, price = np.cumsum(DUE), price_path()
        for (_, gw, hurdle, _), got in zip(TRANCHES, vesting_quarters(ds), strict=True):
            both = np.flatnonzero((cum_gw >= gw) & (price >= hurdle))
            assert got == (int(both[0]) if both.size else None)

    def test_no_tranche_vests_after_expiry(self) -> None:
        ds = run(with_warrant(expiry="2026Q1"))
        expected = [t[3] if t[3] is not None and t[3] <= 4 else None for t in TRANCHES]
        assert vesting_quarters(ds) == expected
        assert expected[4] is None  # the price-bound tranche would have vested in 2026Q2

    @pytest.mark.parametrize("sells", [True, False])
    def test_vesting_dilutes_the_issuer_and_pays_the_selling_holder(self, sells: bool) -> None:
        ds = run(with_warrant(sells=sells))
        new_shares = np.zeros(8)
        for shares, _, _, t in TRANCHES:
            if t is not None:
                new_shares[t] += shares
        value = new_shares * (price_path() - STRIKE)
        close(ds.warrant_value_given.sel(entity="Chips"), value)
        close(ds.lab_warrant_proceeds, value if sells else 0.0)
        close(ds.shares_outstanding.sel(entity="Chips"), 1e9 + np.cumsum(new_shares))


class TestEquityInvestment:
    def test_investment_is_paid_per_gw_delivered_up_to_its_cap(self) -> None:
        data = hand_built()
        data["deals"].append(
            {
                "name": "stake",
                "type": "equity_investment",
                "announced": "2025-01-01",
                "investor": "Chips",
                "investee": "Lab",
                "trigger_deal": "buy",
                "usd_per_gw": 10e9,
                "max_usd": 25e9,
            }
        )
        ds = run(data)
        paid = series([0, 10, 0, 15, 0, 0, 0, 0], 1e9)  # 1 GW x $10B, then 2 GW capped at $15B
        close(ds.investment_in_lab.sel(entity="Chips"), paid)
        close(ds.lab_vendor_investment_in, paid)
        # Valuation 25 x annualised revenue = $100B; each tranche buys pay / (100B + pay).
        stake = np.cumsum(paid / (100e9 + paid)) * 100e9
        close(ds.stake_in_lab_usd.sel(entity="Chips"), stake)


def with_capacity() -> dict[str, Any]:
    """The hand-built lab renting halls from two builders instead of buying chips."""
    data = hand_built()
    data["entities"] += [
        {"name": "Build A", "kind": "builder"},
        {"name": "Build B", "kind": "builder"},
    ]
    data["deals"] = [
        {
            "name": "halls",
            "type": "capacity_contract",
            "announced": "2025-01-01",
            "tenant": "Lab",
            "builders": [
                {"entity": "Build A", "share": 0.75},
                {"entity": "Build B", "share": 0.25},
            ],
            "schedule": [{"quarter": "2025Q2", "gw": 1.0}, {"quarter": "2026Q1", "gw": 1.0}],
            "capex_usd_per_gw": 40e9,
            "build_lead_quarters": 2,
            "rent_usd_per_gw_year": 8e9,
            "debt_financed_share": 0.5,
        }
    ]
    return data


class TestCapacityContract:
    def test_rent_starts_the_quarter_after_take_up(self) -> None:
        ds = run(with_capacity())
        rented_gw = series([0, 0, 1, 1, 1, 2, 2, 2])  # taken in 2025Q2 and 2026Q1
        close(ds.gw_delivered.sel(deal="halls"), [0, 1, 0, 0, 1, 0, 0, 0])
        close(ds.lab_payment.sel(deal="halls"), 2e9 * rented_gw)
        close(ds.lab_rent, 2e9 * rented_gw)
        close(ds.revenue_from_lab.sel(entity="Build A"), 0.75 * 2e9 * rented_gw)
        close(ds.revenue_from_lab.sel(entity="Build B"), 0.25 * 2e9 * rented_gw)
        close(ds.lab_gw_online, [1, 2, 2, 2, 3, 3, 3, 3])

    def test_builders_spend_capex_a_build_lead_ahead_half_on_debt(self) -> None:
        ds = run(with_capacity()).sel(entity="Build A")
        # Lead 2: each GW is built two quarters before it is due (2025Q1 and 2025Q3).
        capex = 0.75 * 40e9 * series([1, 0, 1, 0, 0, 0, 0, 0])
        close(ds.deal_capex, capex)
        close(ds.deal_debt, 0.5 * np.cumsum(capex))
        close(ds.idle_capacity_usd, 0.75 * 40e9 * series([1, 0, 1, 1, 0, 0, 0, 0]))


class TestInputs:
    """``compile_inputs`` overrides: one value per path, keyed by the quantity's field path."""

    def test_override_sets_one_value_per_path(self) -> None:
        s = parse_scenario(hand_built())
        users = np.array([1e8, 2e8, 4e8])
        x = compile_inputs(s, 3, {"entities[0].users.weekly_users_start": users})
        close(x.users[:, 0], users)

    def test_override_of_a_defaulted_field_changes_that_field_only(self) -> None:
        # Fields left at their schema default must not share one Quantity object.
        s = parse_scenario(hand_built())  # cost lines written as {}: all fields default
        x = compile_inputs(s, 1, {"entities[0].costs.research.fixed_q_usd": np.array([1e9])})
        assert [float(c.fixed[0, 0]) for c in x.costs] == [1e9, 0.0, 0.0]

    def test_override_of_an_unknown_path_is_refused(self) -> None:
        s = parse_scenario(hand_built())
        with pytest.raises(InputError, match="weekly_user_start"):
            compile_inputs(s, 2, {"entities[0].users.weekly_user_start": np.array([1.0, 2.0])})

    def test_override_of_a_schedule_is_applied_or_refused(self) -> None:
        # Never silently ignored: that would make a Monte Carlo run a deterministic one.
        s = parse_scenario(hand_built())
        try:
            x = compile_inputs(s, 1, {"deals[0].schedule[0].gw": np.array([2.0])})
        except InputError:
            return
        assert x.deals[0].schedule[1] == 2.0

    def test_override_with_the_wrong_number_of_values_is_refused(self) -> None:
        s = parse_scenario(hand_built())
        with pytest.raises(InputError):
            compile_inputs(s, 3, {"entities[0].cash_usd": np.array([1.0, 2.0])})


# --- results: structure, paths, identities ----------------------------------------------


def test_dataset_has_labelled_dims_and_provenance_attrs() -> None:
    s = default_scenario()
    ds = simulate(s, seed=7).dataset
    assert set(ds.dims) == {"path", "quarter", "deal", "entity", "tranche"}
    assert ds.sizes["quarter"] == 32 and ds.sizes["path"] == 1
    assert list(ds.deal.values) == ["stargate", "nvidia-10gw", "amd-6gw", "broadcom-10gw"]
    assert list(ds.entity.values) == [e.name for e in s.entities]
    assert ds.sizes["tranche"] == 5
    assert ds.attrs["seed"] == 7
    assert ds.attrs["scenario_hash"] == s.content_hash()
    assert ds.attrs["computeloop_version"] == __version__
    assert simulate(s).dataset.attrs["seed"] == -1  # no seed given


def test_deterministic_run_is_a_one_path_engine_run() -> None:
    s = default_scenario()
    ds = simulate(s).dataset
    direct, _ = engine_run(s)
    xr.testing.assert_identical(ds.drop_attrs(), direct.drop_attrs())


def test_three_paths_at_central_values_are_identical() -> None:
    ds = simulate(default_scenario(), paths=3).dataset
    assert ds.sizes["path"] == 3
    for p in (1, 2):
        xr.testing.assert_equal(ds.isel(path=p, drop=True), ds.isel(path=0, drop=True))


def _default_with(changes: dict[str, float]) -> Callable[[], Scenario]:
    return lambda: edit(default_scenario(), changes)


LAB = "entities[0]"
FUNDING = f"{LAB}.funding"
VARIANTS: dict[str, Callable[[], Scenario]] = {
    "default": default_scenario,
    "default-cancel": lambda: with_policy(default_scenario(), "cancel"),
    "default-tight-funding": _default_with({f"{FUNDING}.max_new_funding_q_usd": 5e9}),
    "default-slow-growth": _default_with({f"{LAB}.users.users_growth_q": 0.1}),
    "default-credit-heavy": _default_with(
        {f"{FUNDING}.debt_capacity_usd": 80e9, f"{FUNDING}.interest_rate_annual": 0.12}
    ),
    "default-flush": _default_with({f"{FUNDING}.max_new_funding_q_usd": 1e13}),
    "hand-built": lambda: parse_scenario(hand_built()),
    "hand-built-starved-cancel": lambda: parse_scenario(starved("cancel", 0.3)),
    "hand-built-warrant": lambda: parse_scenario(with_warrant()),
    "hand-built-capacity": lambda: parse_scenario(with_capacity()),
}


@cache
def variant_run(name: str) -> tuple[xr.Dataset, EngineInputs]:
    return engine_run(VARIANTS[name]())


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_accounting_identity(variant: str, check: str) -> None:
    CHECKS[check](*variant_run(variant))


def test_default_scenario_exercises_debt_and_negative_cash_paths() -> None:
    """The identities above are only as good as the branches they cover."""
    ds, _ = variant_run("default-credit-heavy")
    assert float(ds.lab_debt.max()) > 0 and float(ds.lab_interest.max()) > 0
    ds, _ = variant_run("default-cancel")
    assert float(ds.gw_cancelled.max()) > 0


def test_flush_lab_takes_every_gw_on_schedule() -> None:
    ds, x = variant_run("default-flush")
    for j, d in enumerate(x.deals):
        close(ds.gw_delivered.isel(deal=j, path=0), d.schedule)


# --- the funding feedback loop ------------------------------------------------------------

CHIP_VENDORS = ["NVIDIA", "AMD", "Broadcom"]


def headline(s: Scenario) -> dict[str, float]:
    ds = simulate(s).dataset.isel(path=0)
    return {
        "gw_delivered": float(ds.gw_delivered.sum()),
        "gw_online_mean": float(ds.lab_gw_online.mean()),
        "vendor_revenue": float(ds.revenue_from_lab.sel(entity=CHIP_VENDORS).sum()),
        "amd_vested": float(ds.tranche_vested_shares.isel(quarter=-1).sum()),
    }


LEVERS: dict[str, Callable[[Scenario], Scenario]] = {
    "defer->cancel": lambda s: with_policy(s, "cancel"),
    "users growth 25%->15%": lambda s: edit(s, {f"{LAB}.users.users_growth_q": 0.15}),
    "revenue per payer $19->$12": lambda s: edit(
        s, {f"{LAB}.users.revenue_per_payer_month_usd": 12.0}
    ),
    "new funding $25B->$12.5B": lambda s: edit(s, {f"{FUNDING}.max_new_funding_q_usd": 12.5e9}),
}


@pytest.mark.parametrize("lever", LEVERS)
def test_a_weaker_lab_deploys_less_and_vendors_sell_less(lever: str) -> None:
    base = headline(default_scenario())
    weak = headline(LEVERS[lever](default_scenario()))
    # Direction, and a material effect: at least 5% less of each.
    assert weak["gw_delivered"] < 0.95 * base["gw_delivered"]
    assert weak["gw_online_mean"] < 0.95 * base["gw_online_mean"]
    assert weak["vendor_revenue"] < 0.95 * base["vendor_revenue"]
    assert weak["amd_vested"] <= base["amd_vested"]


def test_less_new_funding_costs_the_lab_amd_warrant_tranches() -> None:
    rich = edit(default_scenario(), {f"{FUNDING}.max_new_funding_q_usd": 40e9})
    poor = edit(default_scenario(), {f"{FUNDING}.max_new_funding_q_usd": 20e9})
    # At least one 32M-share tranche is lost with the GW that would have unlocked it.
    assert headline(poor)["amd_vested"] <= headline(rich)["amd_vested"] - 32e6


def test_without_the_funding_constraint_every_contracted_gw_is_delivered() -> None:
    base = headline(default_scenario())
    free = headline(VARIANTS["default-flush"]())
    assert free["gw_delivered"] == pytest.approx(36.0, rel=1e-12)  # 10 + 10 + 6 + 10
    assert free["vendor_revenue"] > base["vendor_revenue"]
    assert free["amd_vested"] > base["amd_vested"]


# --- regression pins ---------------------------------------------------------------------
# Headline figures of the default scenario as the engine computes them today. They are
# not facts: a deliberate model change must update them, and its commit must say why.

PINS = {
    "peak_funding_gap_usd": 482777585793.1532,
    "gw_online_end": 18.957479671362435,
    "nvidia_revenue_from_lab_usd": 217856542913.7486,
    "amd_vested_shares": 64e6,
    "revenue_2025_usd": 13349927907.45,
}


def test_default_scenario_headline_pins() -> None:
    ds = simulate(default_scenario(), seed=20251017).dataset.isel(path=0)
    got = {
        "peak_funding_gap_usd": float(ds.lab_funding_gap.max()),
        "gw_online_end": float(ds.lab_gw_online.isel(quarter=-1)),
        "nvidia_revenue_from_lab_usd": float(ds.revenue_from_lab.sel(entity="NVIDIA").sum()),
        "amd_vested_shares": float(ds.tranche_vested_shares.isel(quarter=-1).sum()),
        "revenue_2025_usd": float(ds.lab_revenue.sel(quarter=QUARTERS[:4]).sum()),
    }
    assert got == pytest.approx(PINS, rel=1e-9)
