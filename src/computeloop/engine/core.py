"""The quarterly engine: pure, vectorized over paths, no I/O.

One Python loop runs over quarters (and, inside it, over the handful of deals);
every operation inside acts on whole ``(paths,)`` arrays. The funding feedback
lives here: each quarter the lab takes only the GW it can fund under its
policy, and what it does not take slips (or is cancelled), which in the same
quarter lowers vendor revenue, investment tranches and warrant vesting, and
leaves vendor inventory, custom silicon and builder capacity waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from computeloop.engine.inputs import DeliveringDeal, EngineInputs

F = NDArray[np.float64]

LAB_VARS = (
    "users",
    "payers",
    "revenue_demand",
    "revenue_capacity",
    "revenue",
    "opex",
    "opex_cash",
    "research_cost",
    "compute_payments",
    "rent",
    "interest",
    "one_off",
    "net_income",
    "fcf",
    "cash",
    "debt",
    "committed_funding",
    "new_funding",
    "vendor_investment_in",
    "warrant_proceeds",
    "funding_gap",
    "gw_online",
    "valuation",
)
DEAL_VARS = (
    "gw_due",
    "gw_delivered",
    "gw_backlog",
    "gw_cancelled",
    "gw_produced",
    "gw_inventory",
    "gw_stranded",
    "lab_payment",
)
ENTITY_VARS = (
    "revenue_from_lab",
    "investment_in_lab",
    "warrant_value_given",
    "inventory_usd",
    "stranded_usd",
    "idle_capacity_usd",
    "deal_capex",
    "deal_debt",
    "share_price",
    "shares_outstanding",
    "stake_in_lab_usd",
)


@dataclass(frozen=True)
class EngineOutput:
    """Raw arrays: lab (P, T), deal (P, T, J), entity (P, T, E), tranche (P, T, K)."""

    lab: dict[str, F]
    deal: dict[str, F]
    entity: dict[str, F]
    tranche_vested: F
    deal_names: tuple[str, ...]
    tranche_names: tuple[str, ...]
    tranche_warrant: tuple[str, ...]


class _State:
    """Mutable per-run state, all arrays over paths."""

    def __init__(self, x: EngineInputs) -> None:
        P, J = x.paths, len(x.deals)
        self.cash = x.cash0.copy()
        self.debt = x.debt0.copy()
        self.backlog = np.zeros((P, J))
        self.delivered = np.zeros((P, J))
        self.cancelled = np.zeros((P, J))
        self.produced = np.zeros((P, J))
        self.binding_left = (
            np.stack([d.binding_gw for d in x.deals], axis=1) if J else np.zeros((P, 0))
        )
        self.future_pay = np.zeros((P, x.quarters + 1, J))  # lease instalments committed
        self.lease_expense = np.zeros((P, x.quarters + 1))
        self.own_expense = np.zeros(P)  # depreciation per quarter of owned hardware
        self.rent_q = np.zeros(P)
        self.invested = np.zeros((P, len(x.investments)))
        self.stake_frac = np.zeros((P, len(x.entity_names)))
        self.new_raised = np.zeros(P)
        self.shares = x.shares0.copy()
        self.builder_debt = np.zeros((P, len(x.entity_names)))
        self.vested = [np.zeros(w.shares.shape, dtype=bool) for w in x.warrants]


def run_engine(x: EngineInputs) -> EngineOutput:
    """Simulate every quarter for every path at once."""
    P, T, J, E = x.paths, x.quarters, len(x.deals), len(x.entity_names)
    lab = {k: np.zeros((P, T)) for k in LAB_VARS}
    deal = {k: np.zeros((P, T, J)) for k in DEAL_VARS}
    ent = {k: np.zeros((P, T, E)) for k in ENTITY_VARS}
    K = sum(w.shares.shape[1] for w in x.warrants)
    vested_out = np.zeros((P, T, K))
    st = _State(x)
    plan_cum = [np.concatenate([np.cumsum(d.schedule), [d.total_gw]]) for d in x.deals]
    for t in range(T):
        _quarter(x, st, t, plan_cum, lab, deal, ent, vested_out)
    names = tuple(f"{w.name}#{k + 1}" for w in x.warrants for k in range(w.shares.shape[1]))
    owners = tuple(w.name for w in x.warrants for _ in range(w.shares.shape[1]))
    return EngineOutput(lab, deal, ent, vested_out, tuple(d.name for d in x.deals), names, owners)


def _quarter(
    x: EngineInputs,
    st: _State,
    t: int,
    plan_cum: list[F],
    lab: dict[str, F],
    deal: dict[str, F],
    ent: dict[str, F],
    vested_out: F,
) -> None:
    gw_online = x.gw_base + _online(x, t, deal)
    op = _operations(x, st, t, gw_online)
    lease_due_deal = st.future_pay[:, t, :]
    lease_due = lease_due_deal.sum(axis=1)
    rent_due, interest = st.rent_q.copy(), st.debt * x.lab_rate_q
    fixed = lease_due + rent_due + interest
    cash_pre = st.cash + op["revenue"] - op["opex_cash"] - fixed - x.one_off_cash[:, t]
    cash_pre = cash_pre + x.committed[:, t]
    burn = np.maximum(0.0, op["opex_cash"] + fixed - op["revenue"])
    # Over the coverage window the lab must fund its net burn from cash, credit and
    # what it can raise; whatever is left funds new GW.
    window = max(x.coverage_q, 1)
    budget = (
        cash_pre
        - x.min_cash
        + (x.debt_capacity - st.debt).clip(0)
        + window * x.raise_cap
        - x.coverage_q * burn
    )
    _produce(x, st, t, plan_cum)
    taken = _allocate(x, st, t, budget)
    pay_now = _deliver(x, st, t, taken, deal, ent)
    deal["lab_payment"][:, t, :] += lease_due_deal
    invest_in = _invest(x, st, t, taken, ent, op["revenue"])
    proceeds = _vest(x, st, t, ent, vested_out)
    _finance(x, st, t, cash_pre - pay_now + invest_in + proceeds, lab)
    for k, val in op.items():
        lab[k][:, t] = val
    lab["compute_payments"][:, t] = lease_due + pay_now
    lab["rent"][:, t] = rent_due
    lab["interest"][:, t] = interest
    lab["one_off"][:, t] = x.one_off_pl[:, t]
    lab["committed_funding"][:, t] = x.committed[:, t]
    lab["vendor_investment_in"][:, t] = invest_in
    lab["warrant_proceeds"][:, t] = proceeds
    lab["gw_online"][:, t] = x.gw_base + _online(x, t + 1, deal)  # at the quarter's end
    lab["fcf"][:, t] = op["revenue"] - op["opex_cash"] - fixed - pay_now - x.one_off_cash[:, t]
    expense = st.lease_expense[:, t] + st.own_expense + rent_due + interest
    lab["net_income"][:, t] = op["revenue"] - op["opex"] - expense - x.one_off_pl[:, t]
    lab["valuation"][:, t] = x.valuation_multiple * 4.0 * op["revenue"]
    ent["share_price"][:, t, :] = x.share_price[:, t, :]
    ent["shares_outstanding"][:, t, :] = st.shares
    ent["stake_in_lab_usd"][:, t, :] = st.stake_frac * lab["valuation"][:, t][:, None]
    ent["deal_debt"][:, t, :] = st.builder_debt


def _online(x: EngineInputs, t: int, deal: dict[str, F]) -> F:
    """GW delivered before quarter t and still within their useful life."""
    total = np.zeros(x.paths)
    for j, d in enumerate(x.deals):
        total += deal["gw_delivered"][:, max(0, t - d.life) : t, j].sum(axis=1)
    return total


def _operations(x: EngineInputs, st: _State, t: int, gw_online: F) -> dict[str, F]:
    payers = x.users[:, t] * x.paying_share[:, t]
    demand = payers * x.revenue_per_payer_q[:, t] + x.enterprise[:, t]
    capacity = gw_online * x.revenue_per_gw_q
    revenue = np.minimum(demand, capacity)
    lines = [c.fixed[:, t] + c.share_of_revenue * revenue for c in x.costs]
    return {
        "users": x.users[:, t],
        "payers": payers,
        "revenue_demand": demand,
        "revenue_capacity": capacity,
        "revenue": revenue,
        "opex": np.sum(lines, axis=0),
        "opex_cash": np.sum(
            [c.cash_share * ln for c, ln in zip(x.costs, lines, strict=True)], axis=0
        ),
        "research_cost": lines[x.research_line],
    }


def _produce(x: EngineInputs, st: _State, t: int, plan_cum: list[F]) -> None:
    """Vendors produce (builders build) to the contract a lead time ahead, less cancellations."""
    for j, d in enumerate(x.deals):
        ahead = plan_cum[j][min(t + d.lead, x.quarters)]
        target = np.minimum(ahead, d.total_gw - st.cancelled[:, j])
        st.produced[:, j] = np.maximum(st.produced[:, j], target)


def _allocate(x: EngineInputs, st: _State, t: int, budget: F) -> F:
    """GW taken per deal this quarter: binding GW always, the rest while the budget lasts."""
    P, J = x.paths, len(x.deals)
    due = (
        st.backlog + np.array([d.schedule[t] for d in x.deals])[None, :] if J else np.zeros((P, 0))
    )
    binding = np.minimum(due, st.binding_left)
    unit = np.stack([_unit_need(x, st, j, d) for j, d in enumerate(x.deals)], axis=1) if J else due
    budget = budget - (binding * unit).sum(axis=1)
    taken = binding.copy()
    for j in range(J):
        room = due[:, j] - binding[:, j]
        free = unit[:, j] <= 0
        afford = np.where(free, room, np.clip(budget / np.where(free, 1.0, unit[:, j]), 0.0, room))
        taken[:, j] += afford
        budget = budget - afford * unit[:, j]
    st.binding_left -= binding
    unfunded = due - taken
    if x.cancel:
        st.cancelled += unfunded
        st.backlog = np.zeros_like(unfunded)
    else:
        st.backlog = unfunded
    return taken


def _unit_need(x: EngineInputs, st: _State, j: int, d: DeliveringDeal) -> F:
    """Funding a GW of deal ``j`` needs now: upfront cash less tied investment, plus coverage."""
    tied = np.zeros(x.paths)
    for i, inv in enumerate(x.investments):
        if inv.trigger == j:
            tied += np.where(st.invested[:, i] < inv.max_usd, inv.usd_per_gw, 0.0)
    return d.upfront_per_gw - tied + x.coverage_q * d.periodic_per_gw


def _deliver(
    x: EngineInputs, st: _State, t: int, taken: F, deal: dict[str, F], ent: dict[str, F]
) -> F:
    pay_now = np.zeros(x.paths)
    for j, d in enumerate(x.deals):
        g = taken[:, j]
        st.delivered[:, j] += g
        pay_now += g * d.upfront_per_gw
        if d.kind == "capacity":
            st.rent_q += g * d.periodic_per_gw
        else:
            end = min(t + 1 + d.periodic_quarters, x.quarters + 1)
            st.future_pay[:, t + 1 : end, j] += (g * d.periodic_per_gw)[:, None]
            st.lease_expense[:, t + 1 : end] += (g * d.expense_per_gw_q)[:, None]
            if d.upfront_per_gw.any():
                st.own_expense += g * d.expense_per_gw_q
        _book_deal(x, st, t, j, d, g, deal, ent)
    return pay_now


def _book_deal(
    x: EngineInputs,
    st: _State,
    t: int,
    j: int,
    d: DeliveringDeal,
    g: F,
    deal: dict[str, F],
    ent: dict[str, F],
) -> None:
    prev_produced = deal["gw_produced"][:, t - 1, j] if t else np.zeros(x.paths)
    stranded = np.maximum(0.0, st.produced[:, j] - (d.total_gw - st.cancelled[:, j]))
    waiting = st.produced[:, j] - st.delivered[:, j] - stranded
    deal["gw_due"][:, t, j] = d.schedule[t]
    deal["gw_delivered"][:, t, j] = g
    deal["gw_backlog"][:, t, j] = st.backlog[:, j]
    deal["gw_cancelled"][:, t, j] = st.cancelled[:, j]
    deal["gw_produced"][:, t, j] = st.produced[:, j]
    deal["gw_inventory"][:, t, j] = waiting
    deal["gw_stranded"][:, t, j] = stranded
    before = st.delivered[:, j] - g  # capacity pays rent from the quarter after take-up
    deal["lab_payment"][:, t, j] = g * d.upfront_per_gw + (
        before * d.periodic_per_gw if d.kind == "capacity" else 0.0
    )
    built = st.produced[:, j] - prev_produced
    for e, share in d.counterparties:
        if d.kind == "compute":
            ent["revenue_from_lab"][:, t, e] += share * g * d.chip_per_gw
            ent["inventory_usd"][:, t, e] += share * waiting * d.unit_cost_per_gw
        else:
            ent["revenue_from_lab"][:, t, e] += share * before * d.periodic_per_gw
            ent["idle_capacity_usd"][:, t, e] += share * waiting * d.unit_cost_per_gw
            ent["deal_capex"][:, t, e] += share * built * d.unit_cost_per_gw
            st.builder_debt[:, e] += share * built * d.unit_cost_per_gw * d.debt_share
        ent["stranded_usd"][:, t, e] += share * stranded * d.unit_cost_per_gw * (1.0 - d.recovery)


def _invest(x: EngineInputs, st: _State, t: int, taken: F, ent: dict[str, F], revenue: F) -> F:
    total = np.zeros(x.paths)
    valuation = np.maximum(x.valuation_multiple * 4.0 * revenue, 1.0)
    for i, inv in enumerate(x.investments):
        pay = np.minimum(taken[:, inv.trigger] * inv.usd_per_gw, inv.max_usd - st.invested[:, i])
        pay = np.maximum(pay, 0.0)
        st.invested[:, i] += pay
        st.stake_frac[:, inv.investor] += pay / (valuation + pay)
        ent["investment_in_lab"][:, t, inv.investor] += pay
        total += pay
    return total


def _vest(x: EngineInputs, st: _State, t: int, ent: dict[str, F], vested_out: F) -> F:
    proceeds = np.zeros(x.paths)
    k0 = 0
    for w, vested in zip(x.warrants, st.vested, strict=True):
        price = x.share_price[:, t, w.issuer]
        k = w.shares.shape[1]
        if t <= w.expiry:
            gw = st.delivered[:, w.trigger][:, None]
            new = ~vested & (gw >= w.gw_milestone - 1e-9) & (price[:, None] >= w.hurdle)
            vested |= new
            n_new = (w.shares * new).sum(axis=1)
            value = n_new * np.maximum(price - w.strike, 0.0)
            st.shares[:, w.issuer] += n_new
            ent["warrant_value_given"][:, t, w.issuer] += value
            if w.sell:
                proceeds += value
        vested_out[:, t, k0 : k0 + k] = vested * w.shares
        k0 += k
    return proceeds


def _finance(x: EngineInputs, st: _State, t: int, cash: F, lab: dict[str, F]) -> None:
    """Top cash back up to the buffer: credit line first, then new capital up to the cap."""
    need = np.maximum(0.0, x.min_cash - cash)
    draw = np.minimum(need, (x.debt_capacity - st.debt).clip(0))
    raise_ = np.minimum(need - draw, x.raise_cap)
    st.debt += draw
    st.new_raised += raise_
    st.cash = cash + draw + raise_
    lab["cash"][:, t] = st.cash
    lab["debt"][:, t] = st.debt
    lab["new_funding"][:, t] = raise_
    lab["funding_gap"][:, t] = st.new_raised + np.maximum(0.0, x.min_cash - st.cash)
