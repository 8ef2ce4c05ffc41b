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
        P, J, T = x.paths, len(x.deals), x.quarters
        self.cash = x.cash0.copy()
        self.debt = x.debt0.copy()
        self.backlog = np.zeros((P, J))
        self.delivered = np.zeros((P, J))
        self.cancelled = np.zeros((P, J))
        self.produced = np.zeros((P, J))
        self.binding_left = (
            np.stack([d.binding_gw for d in x.deals], axis=1) if J else np.zeros((P, 0))
        )
        # Time-major (quarter, deal, path): each quarter's slice is contiguous.
        self.future_pay = np.zeros((T + 1, J, P))  # lease instalments and rent committed
        self.future_expense = np.zeros((T + 1, P))  # lease, rent and depreciation expense
        self.invested = np.zeros((P, len(x.investments)))
        self.stake_frac = np.zeros((P, len(x.entity_names)))
        self.new_raised = np.zeros(P)
        self.shares = x.shares0.copy()
        self.builder_debt = np.zeros((P, len(x.entity_names)))
        self.online = np.zeros(P)  # GW delivered by the deals and still online
        # The funding plan's running total of resources received (see _budget).
        self.resources = x.cash0 + np.maximum(x.debt_capacity - x.debt0, 0.0) - x.min_cash
        self.vested = [np.zeros(w.shares.shape, dtype=bool) for w in x.warrants]


def run_engine(x: EngineInputs) -> EngineOutput:
    """Simulate every quarter for every path at once."""
    P, T, J, E = x.paths, x.quarters, len(x.deals), len(x.entity_names)
    # Built time-major (quarter, ..., path) so every per-quarter write is contiguous;
    # handed out as (path, quarter, ...) views.
    lab = {k: np.zeros((T, P)) for k in LAB_VARS}
    deal = {k: np.zeros((T, J, P)) for k in DEAL_VARS}
    ent = {k: np.zeros((T, E, P)) for k in ENTITY_VARS}
    K = sum(w.shares.shape[1] for w in x.warrants)
    vested_out = np.zeros((T, K, P))
    st = _State(x)
    plan_cum = [np.concatenate([np.cumsum(d.schedule), [d.total_gw]]) for d in x.deals]
    for t in range(T):
        _quarter(x, st, t, plan_cum, lab, deal, ent, vested_out)
    names = tuple(f"{w.name}#{k + 1}" for w in x.warrants for k in range(w.shares.shape[1]))
    owners = tuple(w.name for w in x.warrants for _ in range(w.shares.shape[1]))
    return EngineOutput(
        {k: v.T for k, v in lab.items()},
        {k: np.moveaxis(v, 2, 0) for k, v in deal.items()},
        {k: np.moveaxis(v, 2, 0) for k, v in ent.items()},
        np.moveaxis(vested_out, 2, 0),
        tuple(d.name for d in x.deals),
        names,
        owners,
    )


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
    gw_online = x.gw_base + st.online
    op = _operations(x, st, t, gw_online)
    due_now = st.future_pay[t].T  # (P, J): instalments and rent of GW taken earlier
    is_rent = np.array([d.kind == "capacity" for d in x.deals], dtype=bool)
    rent_due = due_now[:, is_rent].sum(axis=1)
    lease_due = due_now[:, ~is_rent].sum(axis=1)
    interest = st.debt * x.lab_rate_q
    operating = op["revenue"] - op["opex_cash"] - x.one_off_cash[:, t]
    cash_pre = st.cash + operating + x.committed[:, t] - lease_due - rent_due - interest
    budget = _budget(x, st, t, operating)
    _produce(x, st, t, plan_cum)
    taken = _allocate(x, st, t, budget)
    pay_now = _deliver(x, st, t, taken, deal, ent)
    deal["lab_payment"][t] += due_now.T
    _pay_builders(x, t, due_now, ent)
    invest_in = _invest(x, st, t, taken, ent, op["revenue"])
    proceeds = _vest(x, st, t, ent, vested_out)
    st.resources += invest_in + proceeds
    _finance(x, st, t, cash_pre - pay_now + invest_in + proceeds, lab)
    for k, val in op.items():
        lab[k][t] = val
    lab["compute_payments"][t] = lease_due + pay_now
    lab["rent"][t] = rent_due
    lab["interest"][t] = interest
    lab["one_off"][t] = x.one_off_pl[:, t]
    lab["committed_funding"][t] = x.committed[:, t]
    lab["vendor_investment_in"][t] = invest_in
    lab["warrant_proceeds"][t] = proceeds
    _age(x, st, t, deal)
    lab["gw_online"][t] = x.gw_base + st.online  # at the quarter's end
    lab["fcf"][t] = operating - lease_due - rent_due - interest - pay_now
    expense = st.future_expense[t] + interest
    lab["net_income"][t] = op["revenue"] - op["opex"] - expense - x.one_off_pl[:, t]
    lab["valuation"][t] = x.valuation_multiple * 4.0 * op["revenue"]
    ent["share_price"][t] = x.share_price[:, t, :].T
    ent["shares_outstanding"][t] = st.shares.T
    ent["stake_in_lab_usd"][t] = (st.stake_frac * lab["valuation"][t][:, None]).T
    ent["deal_debt"][t] = st.builder_debt.T


def _age(x: EngineInputs, st: _State, t: int, deal: dict[str, F]) -> None:
    """Roll GW online to the next quarter: add this quarter's deliveries, retire those
    delivered ``life`` quarters ago (end of useful life or of the lease term)."""
    for j, d in enumerate(x.deals):
        st.online += deal["gw_delivered"][t, j]
        if t - d.life >= 0:
            st.online -= deal["gw_delivered"][t - d.life, j]


def _operations(x: EngineInputs, st: _State, t: int, gw_online: F) -> dict[str, F]:
    payers = x.users[:, t] * x.paying_share[:, t]
    demand = (payers * x.revenue_per_payer_q[:, t] + x.enterprise[:, t]) * x.demand_shock[:, t]
    capacity = gw_online * x.revenue_per_gw_q
    revenue = np.minimum(demand, capacity)
    lines = [c.fixed[:, t] + c.share_of_revenue * revenue for c in x.costs]
    cash_lines = [c.cash_share * ln for c, ln in zip(x.costs, lines, strict=True)]
    return {
        "users": x.users[:, t],
        "payers": payers,
        "revenue_demand": demand,
        "revenue_capacity": capacity,
        "revenue": revenue,
        "opex": np.sum(lines, axis=0),
        "opex_cash": np.sum(cash_lines, axis=0),
        "research_cost": lines[x.research_line],
    }


def _budget(x: EngineInputs, st: _State, t: int, operating: F) -> F:
    """What the lab can still commit to new GW this quarter: its funding plan.

    Resources: cash at the start, the credit line, committed funding, operating cash
    flow so far, vendor money received so far, the operating cash flow of the next
    ``K = lookahead_quarters`` quarters at this quarter's rate, and new capital up to
    ``max_new_funding_q_usd`` for every quarter through ``t + K``, less the cash buffer.
    Commitments: the lifetime cost of every GW already taken (see ``lifetime_cost``).

    A GW weighs the same on every later budget, and every resource is counted once, so
    the plan is stock-flow consistent; and because resources only grow with revenue
    and with GW taken (vendor money), a lab with more revenue ends up with at least as
    many GW delivered by every quarter. One channel can reverse this by a sliver: when
    the lab sells warrant shares as they vest, a richer lab may vest a tranche earlier,
    at a lower share price, and so receive less for it.
    """
    st.resources += operating + x.committed[:, t]
    committed = sum(
        (d.lifetime_cost * st.delivered[:, j] for j, d in enumerate(x.deals)),
        start=np.zeros(x.paths),
    )
    ahead = x.lookahead_q * operating + (t + 1 + x.lookahead_q) * x.raise_cap
    budget: F = st.resources + ahead - committed
    return budget


def _produce(x: EngineInputs, st: _State, t: int, plan_cum: list[F]) -> None:
    """Vendors produce (builders build) to the contract a lead time ahead, less cancellations."""
    for j, d in enumerate(x.deals):
        ahead = plan_cum[j][min(t + d.lead, x.quarters)]
        target = np.minimum(ahead, d.total_gw - st.cancelled[:, j])
        st.produced[:, j] = np.maximum(st.produced[:, j], target)


def _allocate(x: EngineInputs, st: _State, t: int, budget: F) -> F:
    """GW taken per deal this quarter: binding GW always, the rest while the budget lasts."""
    P, J = x.paths, len(x.deals)
    if not J:
        return np.zeros((P, 0), dtype=np.float64)
    due = st.backlog + np.array([d.schedule[t] for d in x.deals])[None, :]
    binding = np.minimum(due, st.binding_left)
    unit = np.stack([d.lifetime_cost for d in x.deals], axis=1)
    budget = budget - (binding * unit).sum(axis=1)
    room = due - binding
    free = unit <= 0
    taken = binding + np.where(free, room, 0.0)
    priced = np.where(free, 0.0, room)
    if x.pro_rata:
        # Every deal gets the same fraction of what is due on it.
        need = (priced * unit).sum(axis=1)
        fraction = np.clip(budget / np.where(need > 0, need, 1.0), 0.0, 1.0)
        taken += priced * fraction[:, None]
    else:
        for j in range(J):
            share = budget / np.where(free[:, j], 1.0, unit[:, j])
            afford = np.clip(share, 0.0, priced[:, j])
            taken[:, j] += afford
            budget = budget - afford * unit[:, j]
    st.binding_left -= binding
    unfunded = due - taken
    if x.cancel:
        st.cancelled += unfunded
        st.backlog = np.zeros_like(unfunded)
    else:
        st.backlog = unfunded
    out: F = taken
    return out


def _deliver(
    x: EngineInputs, st: _State, t: int, taken: F, deal: dict[str, F], ent: dict[str, F]
) -> F:
    pay_now = np.zeros(x.paths)
    end = x.quarters + 1
    for j, d in enumerate(x.deals):
        g = taken[:, j]
        st.delivered[:, j] += g
        pay_now += g * d.upfront_per_gw
        # Periodic payments and expenses run from the quarter after delivery.
        st.future_pay[t + 1 : min(t + 1 + d.periodic_quarters, end), j] += (g * d.periodic_per_gw)[
            None, :
        ]
        st.future_expense[t + 1 : min(t + 1 + d.expense_quarters, end)] += (g * d.expense_per_gw_q)[
            None, :
        ]
        _book_deal(x, st, t, j, d, g, deal, ent)
    return pay_now


def _pay_builders(x: EngineInputs, t: int, due_now: F, ent: dict[str, F]) -> None:
    for j, d in enumerate(x.deals):
        if d.kind == "capacity":
            for e, share in d.counterparties:
                ent["revenue_from_lab"][t, e] += share * due_now[:, j]


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
    prev_produced = deal["gw_produced"][t - 1, j] if t else np.zeros(x.paths)
    stranded = np.maximum(0.0, st.produced[:, j] - (d.total_gw - st.cancelled[:, j]))
    waiting = np.maximum(st.produced[:, j] - st.delivered[:, j] - stranded, 0.0)
    deal["gw_due"][t, j] = d.schedule[t]
    deal["gw_delivered"][t, j] = g
    deal["gw_backlog"][t, j] = st.backlog[:, j]
    deal["gw_cancelled"][t, j] = st.cancelled[:, j]
    deal["gw_produced"][t, j] = st.produced[:, j]
    deal["gw_inventory"][t, j] = waiting
    deal["gw_stranded"][t, j] = stranded
    deal["lab_payment"][t, j] = g * d.upfront_per_gw
    built = st.produced[:, j] - prev_produced
    for e, share in d.counterparties:
        if d.kind == "compute":
            ent["revenue_from_lab"][t, e] += share * g * d.chip_per_gw
            ent["inventory_usd"][t, e] += share * waiting * d.unit_cost_per_gw
        else:
            ent["idle_capacity_usd"][t, e] += share * waiting * d.unit_cost_per_gw
            ent["deal_capex"][t, e] += share * built * d.unit_cost_per_gw
            st.builder_debt[:, e] += share * built * d.unit_cost_per_gw * d.debt_share
        ent["stranded_usd"][t, e] += share * stranded * d.unit_cost_per_gw * (1.0 - d.recovery)


def _invest(x: EngineInputs, st: _State, t: int, taken: F, ent: dict[str, F], revenue: F) -> F:
    total = np.zeros(x.paths)
    valuation = np.maximum(x.valuation_multiple * 4.0 * revenue, 1.0)
    for i, inv in enumerate(x.investments):
        pay = np.minimum(taken[:, inv.trigger] * inv.usd_per_gw, inv.max_usd - st.invested[:, i])
        pay = np.maximum(pay, 0.0)
        st.invested[:, i] += pay
        st.stake_frac[:, inv.investor] += pay / (valuation + pay)
        ent["investment_in_lab"][t, inv.investor] += pay
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
            ent["warrant_value_given"][t, w.issuer] += value
            if w.sell:
                proceeds += value
        vested_out[t, k0 : k0 + k] = (vested * w.shares).T
        k0 += k
    return proceeds


def _finance(x: EngineInputs, st: _State, t: int, cash: F, lab: dict[str, F]) -> None:
    """Top cash back up to the buffer: credit line first, then new capital.

    New capital is limited to ``max_new_funding_q_usd`` per quarter on average: capacity
    left unused in earlier quarters can be drawn later, as the funding plan assumes.
    """
    need = np.maximum(0.0, x.min_cash - cash)
    draw = np.minimum(need, (x.debt_capacity - st.debt).clip(0))
    capacity = np.maximum((t + 1) * x.raise_cap - st.new_raised, 0.0)
    raise_ = np.minimum(need - draw, capacity)
    st.debt += draw
    st.new_raised += raise_
    st.cash = cash + draw + raise_
    lab["cash"][t] = st.cash
    lab["debt"][t] = st.debt
    lab["new_funding"][t] = raise_
    lab["funding_gap"][t] = st.new_raised + np.maximum(0.0, x.min_cash - st.cash)
