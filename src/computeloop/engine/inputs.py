"""Compile a validated scenario into flat arrays for the engine.

Every scalar becomes an array of shape ``(paths,)``: a deterministic run fills
it with the central value; a Monte Carlo run passes sampled values through
``overrides``, keyed by the quantity's field path (``Scenario.quantities()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from computeloop.errors import InputError
from computeloop.scenario.deals import (
    CapacityContract,
    ComputeCommitment,
    EquityInvestment,
    Warrant,
)
from computeloop.scenario.entities import CostLine, Lab
from computeloop.scenario.model import Scenario
from computeloop.scenario.quantity import Quantity

F = NDArray[np.float64]


class _Values:
    """Looks up each quantity's per-path values: an override, else its central value."""

    def __init__(self, scenario: Scenario, paths: int, overrides: Mapping[str, F]) -> None:
        self.paths = paths
        self.overrides = overrides
        self.used: set[str] = set()
        self.seen: set[str] = set()
        self.by_id: dict[int, str] = {}
        known: set[str] = set()
        for path, qty in scenario.quantities():
            known.add(path)
            if id(qty) in self.by_id and (path in overrides or self.by_id[id(qty)] in overrides):
                # One object at two places (built in Python): an override would hit both.
                raise InputError(
                    f"override {path!r}: the same Quantity object is also used at "
                    f"{self.by_id[id(qty)]!r}; give each field its own object"
                )
            self.by_id.setdefault(id(qty), path)
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InputError(f"overrides name no quantity of the scenario: {unknown}")

    def __call__(self, qty: Quantity) -> F:
        path = self.by_id.get(id(qty))
        if path is not None:
            self.seen.add(path)
        if path is not None and path in self.overrides:
            self.used.add(path)
            arr = np.asarray(self.overrides[path], dtype=np.float64)
            try:
                return np.broadcast_to(arr, (self.paths,)).copy()
            except ValueError:
                raise InputError(
                    f"override {path!r}: needs one value or {self.paths} values, "
                    f"got shape {arr.shape}"
                ) from None
        return np.full(self.paths, qty.value)

    def seen_paths(self) -> frozenset[str]:
        return frozenset(self.seen)

    def check_all_used(self) -> None:
        """Overrides of quantities that set the structure (schedules, terms) are refused."""
        unused = sorted(set(self.overrides) - self.used)
        if unused:
            raise InputError(
                f"overrides cannot vary these across paths: they set the structure of the "
                f"run (GW schedules, whole numbers of quarters) or the engine does not use "
                f"them: {unused}"
            )


@dataclass(frozen=True)
class MarketShocks:
    """Per-path random paths from the market model, as multipliers on the central paths.

    ``demand``: (P, T) multiplier on the lab's demand revenue; ``share_price``: (P, T, E)
    multiplier on each entity's deterministic share-price path. Ones give the central run.
    """

    demand: F
    share_price: F


@dataclass(frozen=True)
class CostInputs:
    fixed: F  # (P, T) fixed part per quarter
    share_of_revenue: F  # (P,)
    cash_share: F  # (P,)


@dataclass(frozen=True)
class DeliveringDeal:
    """A deal that brings GW online: a compute commitment or a capacity contract."""

    name: str
    kind: str  # "compute" or "capacity"
    counterparties: tuple[tuple[int, float], ...]  # (entity index, share) receiving revenue
    schedule: F  # (T,) contracted GW due per quarter
    total_gw: float
    binding_gw: F  # (P,)
    lead: int  # production / build lead time in quarters
    life: int  # quarters a delivered GW stays online
    upfront_per_gw: F  # (P,) cash paid by the lab in the delivery quarter
    periodic_per_gw: F  # (P,) cash per quarter afterwards (lease instalment or rent)
    periodic_quarters: int  # how many quarters the periodic payment lasts
    expense_per_gw_q: F  # (P,) P&L expense per GW per quarter
    expense_quarters: int  # how many quarters the expense lasts
    chip_per_gw: F  # (P,) vendor revenue per GW delivered (0 for capacity)
    unit_cost_per_gw: F  # (P,) production cost (chips) or capex (capacity) per GW
    recovery: F  # (P,) share of unit cost recovered if stranded
    debt_share: F  # (P,) share of unit cost debt-financed (capacity only)

    @property
    def lifetime_cost(self) -> F:
        """Everything one GW commits the lab to pay: upfront plus all periodic payments."""
        out: F = self.upfront_per_gw + self.periodic_quarters * self.periodic_per_gw
        return out


@dataclass(frozen=True)
class InvestmentInputs:
    name: str
    investor: int
    trigger: int  # index into delivering deals
    usd_per_gw: F
    max_usd: F


@dataclass(frozen=True)
class WarrantInputs:
    name: str
    issuer: int
    trigger: int
    strike: F
    shares: F  # (P, K) per tranche
    gw_milestone: F  # (P, K)
    hurdle: F  # (P, K)
    expiry: int  # last quarter index in which vesting is possible
    sell: bool


@dataclass(frozen=True)
class EngineInputs:
    paths: int
    quarters: int
    entity_names: tuple[str, ...]
    lab: int
    # lab revenue drivers, all (P, T)
    users: F
    paying_share: F
    revenue_per_payer_q: F
    enterprise: F
    revenue_per_gw_q: F  # (P,)
    gw_base: F  # (P,)
    costs: tuple[CostInputs, ...]
    research_line: int
    one_off_pl: F  # (P, T)
    one_off_cash: F  # (P, T)
    # lab funding
    cash0: F
    debt0: F
    committed: F  # (P, T)
    raise_cap: F  # (P,)
    debt_capacity: F
    lab_rate_q: F
    valuation_multiple: F
    # policy
    cancel: bool
    pro_rata: bool
    lookahead_q: int
    min_cash: F
    deals: tuple[DeliveringDeal, ...]
    investments: tuple[InvestmentInputs, ...]
    warrants: tuple[WarrantInputs, ...]
    # entity market data (P, E) and (P, T, E)
    share_price: F  # (P, T, E)
    demand_shock: F  # (P, T) multiplier on demand revenue
    shares0: F  # (P, E)
    gross_margin: F  # (P, E)
    notes: dict[str, str] = field(default_factory=dict)


def growth_path(start: F, growth: F, decay: F, quarters: int) -> F:
    """x_0 = start; x_{t+1} = x_t * (1 + growth * decay**t). Shape (P, T)."""
    t = np.arange(quarters - 1, dtype=np.float64)
    rates = growth[:, None] * decay[:, None] ** t[None, :]
    factors = np.concatenate([np.ones((start.size, 1)), np.cumprod(1.0 + rates, axis=1)], axis=1)
    out: F = start[:, None] * factors
    return out


def annuity_factor(rate_q: F, n: int) -> F:
    """Payment per unit of principal for an n-quarter annuity at quarterly rate ``rate_q``."""
    safe = np.where(np.abs(rate_q) < 1e-12, 1.0, rate_q)
    factor = safe / (1.0 - (1.0 + safe) ** (-n))
    out: F = np.where(np.abs(rate_q) < 1e-12, 1.0 / n, factor)
    return out


def compile_inputs(
    scenario: Scenario,
    paths: int = 1,
    overrides: Mapping[str, F] | None = None,
    shocks: MarketShocks | None = None,
) -> EngineInputs:
    """Flatten a scenario into per-path arrays.

    ``overrides`` maps quantity paths to per-path values (sampled inputs); ``shocks``
    carries the market model's random paths. Without either, every path is central.
    """
    v = _Values(scenario, paths, overrides or {})
    inputs = _compile(scenario, v, shocks)
    v.check_all_used()
    return inputs


def vectorized_paths(scenario: Scenario) -> frozenset[str]:
    """Paths of the quantities the engine reads per path: the ones that may vary."""
    v = _Values(scenario, 1, {})
    _compile(scenario, v, None)
    return v.seen_paths()


def _compile(scenario: Scenario, v: _Values, shocks: MarketShocks | None) -> EngineInputs:
    paths = v.paths
    T = scenario.time.n
    names = tuple(e.name for e in scenario.entities)
    lab = scenario.lab
    deals = _delivering(scenario, v, names)
    index = {d.name: i for i, d in enumerate(deals)}
    return EngineInputs(
        paths=paths,
        quarters=T,
        entity_names=names,
        lab=names.index(lab.name),
        **_lab_inputs(scenario, lab, v),
        cancel=scenario.policy.on_shortfall == "cancel",
        pro_rata=scenario.policy.allocation == "pro_rata",
        lookahead_q=int(scenario.policy.lookahead_quarters.value),
        min_cash=v(scenario.policy.min_cash_usd),
        deals=deals,
        investments=tuple(
            InvestmentInputs(
                d.name,
                names.index(d.investor),
                index[d.trigger_deal],
                v(d.usd_per_gw),
                v(d.max_usd),
            )
            for d in scenario.deals_of(EquityInvestment)
        ),
        warrants=tuple(_warrant(scenario, d, v, names, index) for d in scenario.deals_of(Warrant)),
        **_market(scenario, v, shocks),
    )


def _lab_inputs(s: Scenario, lab: Lab, v: _Values) -> dict[str, Any]:
    T = s.time.n
    u = lab.users
    ramp_start = s.time.index(u.paying_share_ramp_start) if u.paying_share_ramp_start else 0
    t = np.arange(T, dtype=np.float64)
    progress = np.clip(
        (t - ramp_start + 1) / max(u.paying_share_ramp_quarters.value, 1.0), 0.0, 1.0
    )
    share0, share1 = v(u.paying_share_start), v(u.paying_share_end)
    one_pl = np.zeros((v.paths, T))
    one_cash = np.zeros((v.paths, T))
    for item in lab.costs.one_offs:
        i = s.time.index(item.quarter)
        if 0 <= i < T:
            one_pl[:, i] += v(item.usd)
            if item.cash:
                one_cash[:, i] += v(item.usd)
    committed = np.zeros((v.paths, T))
    for inflow in lab.funding.committed:
        committed[:, s.time.index(inflow.quarter)] += v(inflow.usd)
    lines = (lab.costs.research, lab.costs.serving_admin, lab.costs.sales_marketing)
    return {
        "users": growth_path(
            v(u.weekly_users_start), v(u.users_growth_q), v(u.users_growth_decay), T
        ),
        "paying_share": share0[:, None] + (share1 - share0)[:, None] * progress[None, :],
        "revenue_per_payer_q": 3.0
        * growth_path(
            v(u.revenue_per_payer_month_usd),
            v(u.revenue_per_payer_growth_q),
            v(u.revenue_per_payer_growth_decay),
            T,
        ),
        "enterprise": growth_path(
            v(u.enterprise_revenue_q_start),
            v(u.enterprise_growth_q),
            v(u.enterprise_growth_decay),
            T,
        ),
        "revenue_per_gw_q": v(lab.revenue_per_gw_year_usd) / 4.0,
        "gw_base": v(lab.compute_online_gw),
        "costs": tuple(_cost(c, v, T) for c in lines),
        "research_line": 0,
        "one_off_pl": one_pl,
        "one_off_cash": one_cash,
        "cash0": v(lab.cash_usd),
        "debt0": v(lab.debt_usd),
        "committed": committed,
        "raise_cap": v(lab.funding.max_new_funding_q_usd),
        "debt_capacity": v(lab.funding.debt_capacity_usd),
        "lab_rate_q": v(lab.funding.interest_rate_annual) / 4.0,
        "valuation_multiple": v(lab.valuation_revenue_multiple),
    }


def _cost(c: CostLine, v: _Values, T: int) -> CostInputs:
    return CostInputs(
        fixed=growth_path(v(c.fixed_q_usd), v(c.fixed_growth_q), v(c.fixed_growth_decay), T),
        share_of_revenue=v(c.share_of_revenue),
        cash_share=v(c.cash_share),
    )


def _schedule(s: Scenario, d: ComputeCommitment | CapacityContract) -> F:
    out = np.zeros(s.time.n)
    for tr in d.schedule:
        out[s.time.index(tr.quarter)] += tr.gw.value
    return out


def _delivering(s: Scenario, v: _Values, names: tuple[str, ...]) -> tuple[DeliveringDeal, ...]:
    out: list[DeliveringDeal] = []
    zeros = np.zeros(v.paths)
    for d in s.deals:
        if isinstance(d, ComputeCommitment):
            chip, other = v(d.chip_usd_per_gw), v(d.other_usd_per_gw)
            vendor = s.entity(d.vendor)
            margin = v(vendor.gross_margin) if vendor.kind == "chip_vendor" else zeros
            life = int(d.useful_life_quarters.value)
            if d.financing == "lease":
                n = int(d.lease_quarters.value)
                pay = (chip + other) * annuity_factor(v(d.lease_rate_annual) / 4.0, n)
                upfront, periodic, expense, n_exp = zeros, pay, pay, n
            else:
                upfront, periodic, n = chip + other, zeros, 0
                expense, n_exp = (chip + other) / life, life
            out.append(
                DeliveringDeal(
                    d.name,
                    "compute",
                    ((names.index(d.vendor), 1.0),),
                    _schedule(s, d),
                    d.total_gw,
                    v(d.binding_gw),
                    int(d.lead_time_quarters.value),
                    life,
                    upfront,
                    periodic,
                    n,
                    expense,
                    n_exp,
                    chip,
                    chip * (1.0 - margin),
                    v(d.resale_fraction),
                    zeros,
                )
            )
        elif isinstance(d, CapacityContract):
            rent_q = v(d.rent_usd_per_gw_year) / 4.0
            term = int(d.term_quarters.value)
            shares = tuple((names.index(b.entity), b.share.value) for b in d.builders)
            out.append(
                DeliveringDeal(
                    d.name,
                    "capacity",
                    shares,
                    _schedule(s, d),
                    d.total_gw,
                    v(d.binding_gw),
                    int(d.build_lead_quarters.value),
                    term,
                    zeros,
                    rent_q,
                    term,
                    rent_q,
                    term,
                    zeros,
                    v(d.capex_usd_per_gw),
                    v(d.relet_fraction),
                    v(d.debt_financed_share),
                )
            )
    return tuple(out)


def _warrant(
    s: Scenario, d: Warrant, v: _Values, names: tuple[str, ...], index: dict[str, int]
) -> WarrantInputs:
    return WarrantInputs(
        name=d.name,
        issuer=names.index(d.issuer),
        trigger=index[d.trigger_deal],
        strike=v(d.strike_usd),
        # Tranche sizes must add up to the warrant's total, so they never vary per path.
        shares=np.tile([t.shares.value for t in d.tranches], (v.paths, 1)).astype(np.float64),
        gw_milestone=np.stack([v(t.gw_milestone) for t in d.tranches], axis=1),
        hurdle=np.stack([v(t.price_hurdle_usd) for t in d.tranches], axis=1),
        expiry=min(s.time.index(d.expiry), s.time.n - 1),
        sell=d.holder_sells_on_vesting,
    )


def _market(s: Scenario, v: _Values, shocks: MarketShocks | None) -> dict[str, Any]:
    T, E = s.time.n, len(s.entities)
    price = np.zeros((v.paths, T, E))
    shares0 = np.zeros((v.paths, E))
    margin = np.zeros((v.paths, E))
    t = np.arange(T, dtype=np.float64)
    for j, e in enumerate(s.entities):
        shares0[:, j] = v(e.shares_outstanding)
        if e.kind == "chip_vendor":
            margin[:, j] = v(e.gross_margin)
        if e.share_price_quarter is not None:
            years = (t - s.time.index(e.share_price_quarter)) / 4.0
            drift = v(e.share_price_drift_annual)
            price[:, :, j] = (
                v(e.share_price_usd)[:, None] * (1.0 + drift[:, None]) ** years[None, :]
            )
    demand = np.ones((v.paths, T))
    if shocks is not None:
        price = price * _shaped(shocks.share_price, price.shape, "share_price")
        demand = _shaped(shocks.demand, demand.shape, "demand")
    return {
        "share_price": price,
        "shares0": shares0,
        "gross_margin": margin,
        "demand_shock": demand,
    }


def _shaped(arr: F, shape: tuple[int, ...], name: str) -> F:
    if arr.shape != shape:
        raise InputError(f"market shocks {name}: expected shape {shape}, got {arr.shape}")
    return np.asarray(arr, dtype=np.float64)
