"""Losses per entity and channel: a stressed run compared with the baseline, per path.

Channels (each a loss in USD over the horizon; negative = a gain):

- ``revenue``: profit lost on revenue from the lab: chip vendors at their gross margin,
  builders at their ``rent_margin``, the lab at its contribution margin (one less the
  cost lines' shares of revenue);
- ``inventory``: merchant chips in production for GW the lab then cut (due within the
  deal's lead time of the shock), written down to their resale value, plus the engine's
  extra write-down of chips produced for GW it cancelled;
- ``stranded_custom``: the same for custom silicon (resale near zero);
- ``idle_capacity``: data-centre capacity being built for GW the lab then cut, written
  down by one less its re-let fraction, plus the engine's extra write-down;
- ``stake``: the fall in an investor's stake in the lab net of money it did not have to
  invest (value at the end less money put in);
- ``warrant``: for an issuer, the change in the value of warrant shares given (less
  dilution is a gain); for the lab, warrant-sale proceeds lost;
- ``unpaid``: obligations not paid to the node when obligations are cleared
  (Eisenberg-Noe / Rogers-Veraart), beyond what would go unpaid in the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from computeloop.engine.core import EngineOutput
from computeloop.engine.inputs import EngineInputs
from computeloop.scenario.deals import ComputeCommitment
from computeloop.scenario.entities import Builder
from computeloop.scenario.model import Scenario
from computeloop.stress.clearing import clear
from computeloop.stress.debtrank import debtrank
from computeloop.stress.network import LENDERS, LESSORS, node_names
from computeloop.stress.shocks import Applied

F = NDArray[np.float64]
CHANNELS = (
    "revenue",
    "inventory",
    "stranded_custom",
    "idle_capacity",
    "stake",
    "warrant",
    "unpaid",
)


@dataclass(frozen=True)
class ClearingAssumptions:
    """Numbers of the clearing step that no source pins down."""

    builder_debt_rate_annual: float = 0.06
    """Interest on the builders' deal debt; assumption, range 0.045-0.09 (project loans
    and investment-grade bonds)."""
    builder_amortisation_quarters: float = 0.0
    """0 (default): deal debt is refinanced and only interest is due within the horizon;
    otherwise the quarters over which it is repaid in equal parts (project loans matched
    to leases: 20-80). With the default scenario's 5-year rent term at $10B/GW-yr, rent
    barely repays $50B/GW of capex, so repaying within the horizon puts both builders in
    default even in the baseline."""
    alpha: float = 1.0
    """Rogers-Veraart: share of external assets a defaulting node realises (1 = none lost)."""
    beta: float = 1.0
    """Rogers-Veraart: share of what it is paid that a defaulting node passes on."""


Run = tuple[EngineInputs, EngineOutput]


def path_losses(
    s: Scenario, ap: Applied, base: Run, stressed: Run, ca: ClearingAssumptions
) -> dict[str, F]:
    """Per-path arrays: ``loss_<channel>`` (P, N) over the nodes of ``node_names(s)``,
    clearing and DebtRank outcomes, stranded and idle capacity."""
    xb, ob = base
    os_ = stressed[1]
    P, E = xb.paths, len(s.entities)
    N = len(node_names(s))
    loss = {c: np.zeros((P, N)) for c in CHANNELS}
    _revenue(s, xb, ob, os_, loss["revenue"])
    _write_downs(s, ap, xb, ob, os_, loss)
    ent_b, ent_s = ob.entity, os_.entity
    invested_b = ent_b["investment_in_lab"].sum(axis=1)
    invested_s = ent_s["investment_in_lab"].sum(axis=1)
    stake_b = ent_b["stake_in_lab_usd"][:, -1, :] - invested_b
    stake_s = ent_s["stake_in_lab_usd"][:, -1, :] - invested_s
    loss["stake"][:, :E] = stake_b - stake_s
    given = ent_s["warrant_value_given"].sum(axis=1) - ent_b["warrant_value_given"].sum(axis=1)
    loss["warrant"][:, :E] = given
    loss["warrant"][:, xb.lab] = ob.lab["warrant_proceeds"].sum(axis=1) - os_.lab[
        "warrant_proceeds"
    ].sum(axis=1)
    out = {f"loss_{c}": v for c, v in loss.items()}
    out.update(_clearing(s, ap, base, stressed, ca, loss["unpaid"]))
    total = sum(loss.values(), start=np.zeros((P, N)))
    out["loss_total"] = total
    out.update(_debtrank(s, ap, stressed, total))
    out["idle_capacity_end_usd"] = ent_s["idle_capacity_usd"][:, -1, :]
    out["baseline_idle_capacity_end_usd"] = ent_b["idle_capacity_usd"][:, -1, :]
    out["inventory_end_usd"] = ent_s["inventory_usd"][:, -1, :]
    out["baseline_inventory_end_usd"] = ent_b["inventory_usd"][:, -1, :]
    out["gw_delivered"] = os_.deal["gw_delivered"].sum(axis=1)
    out["baseline_gw_delivered"] = ob.deal["gw_delivered"].sum(axis=1)
    return out


def _revenue(s: Scenario, xb: EngineInputs, ob: EngineOutput, os_: EngineOutput, out: F) -> None:
    lost = ob.entity["revenue_from_lab"].sum(axis=1) - os_.entity["revenue_from_lab"].sum(axis=1)
    for e, ent in enumerate(s.entities):
        if ent.kind == "chip_vendor":
            out[:, e] = lost[:, e] * xb.gross_margin[:, e]
        elif isinstance(ent, Builder):
            out[:, e] = lost[:, e] * ent.rent_margin.value
    margin = 1.0 - sum((c.share_of_revenue for c in xb.costs), start=np.zeros(xb.paths))
    lab_lost = ob.lab["revenue"].sum(axis=1) - os_.lab["revenue"].sum(axis=1)
    out[:, xb.lab] = lab_lost * margin


def _write_downs(
    s: Scenario,
    ap: Applied,
    xb: EngineInputs,
    ob: EngineOutput,
    os_: EngineOutput,
    loss: dict[str, F],
) -> None:
    custom = {d.name: d.custom_silicon for d in s.deals_of(ComputeCommitment)}
    for j, d in enumerate(xb.deals):
        engine_extra = os_.deal["gw_stranded"][:, -1, j] - ob.deal["gw_stranded"][:, -1, j]
        gw = ap.built_ahead_gw.get(d.name, 0.0) + engine_extra
        usd = gw * d.unit_cost_per_gw * (1.0 - d.recovery)
        if d.kind == "capacity":
            channel = "idle_capacity"
        else:
            channel = "stranded_custom" if custom.get(d.name) else "inventory"
        for e, share in d.counterparties:
            loss[channel][:, e] += share * usd


def obligations(
    s: Scenario, ap: Applied, run: Run, ca: ClearingAssumptions, missed: bool
) -> tuple[F, F]:
    """Per quarter from the shock to the horizon's end: liabilities (P, Q, N, N) and what
    the lab can pay of its own (P, Q). The lab owes its lease instalments (to the GPU
    lessors), purchases (to vendors) and rent (to builders) and pays them less any
    shortfall the engine left unfunded and any bill the shock skips; builders owe
    interest (and, if set, principal) on their deal debt, including the debt behind
    capacity built for cut GW."""
    x, o = run
    P, N, t0 = x.paths, len(node_names(s)), ap.start
    names = node_names(s)
    lessors, lenders = names.index(LESSORS), names.index(LENDERS)
    Q = x.quarters - t0
    L = np.zeros((P, Q, N, N))
    bills = np.zeros((P, Q))
    for j, d in enumerate(x.deals):
        pay = o.deal["lab_payment"][:, t0:, j]
        bills += pay
        if d.kind == "compute":
            L[:, :, x.lab, lessors if d.periodic_quarters else d.counterparties[0][0]] += pay
        else:
            for e, share in d.counterparties:
                L[:, :, x.lab, e] += share * pay
    debt = o.entity["deal_debt"][:, t0:, :].copy()
    for d in x.deals:
        if d.kind == "capacity":
            idle_debt = ap.built_ahead_gw.get(d.name, 0.0) * d.unit_cost_per_gw * d.debt_share
            for e, share in d.counterparties:
                debt[:, :, e] += share * idle_debt[:, None]
    term = ca.builder_amortisation_quarters
    rate = ca.builder_debt_rate_annual / 4.0 + (1.0 / term if term else 0.0)
    for e, ent in enumerate(s.entities):
        if isinstance(ent, Builder):
            L[:, :, e, lenders] = debt[:, :, e] * rate
    short = np.maximum(0.0, -o.lab["cash"])
    unfunded = np.diff(short, axis=1, prepend=0.0)[:, t0:].clip(0.0)
    skipped = bills * ap.missed[None, t0:] if missed else 0.0
    lab_assets = np.maximum(0.0, bills - unfunded - skipped)
    return L, lab_assets


def clear_quarters(
    s: Scenario, lab: int, L: F, lab_assets: F, ca: ClearingAssumptions
) -> dict[str, F]:
    """Clear each quarter in turn; builders carry their cash (start: ``cash_usd``) from
    one quarter to the next, so a missed rent payment hurts when it is missed."""
    P, Q, N, _ = L.shape
    cash = np.zeros((P, N))
    for e, ent in enumerate(s.entities):
        if isinstance(ent, Builder):
            cash[:, e] = ent.cash_usd.value
    received = np.zeros((P, N))
    owed = np.zeros((P, N))
    paid = np.zeros((P, N))
    defaulted = np.zeros((P, N), dtype=bool)
    rounds = np.zeros(P)
    for q in range(Q):
        assets = cash.copy()
        assets[:, lab] = lab_assets[:, q]
        c = clear(L[:, q], assets, alpha=ca.alpha, beta=ca.beta)
        received += c.received
        owed += L[:, q].sum(axis=1)
        paid += c.payments
        defaulted |= c.defaulted
        rounds = np.maximum(rounds, c.rounds)
        cash = np.where(np.arange(N) == lab, 0.0, np.maximum(assets + c.received - c.payments, 0.0))
    total = L.sum(axis=(1, 3))
    ratio = np.where(total > 0, paid / np.where(total > 0, total, 1.0), 1.0)
    return {
        "shortfall": owed - received,
        "defaulted": defaulted,
        "ratio": ratio,
        "rounds": rounds,
    }


def _clearing(
    s: Scenario, ap: Applied, base: Run, stressed: Run, ca: ClearingAssumptions, unpaid: F
) -> dict[str, F]:
    lab = base[0].lab
    cs = clear_quarters(s, lab, *obligations(s, ap, stressed, ca, missed=True), ca)
    cb = clear_quarters(s, lab, *obligations(s, ap, base, ca, missed=False), ca)
    unpaid += cs["shortfall"] - cb["shortfall"]
    return {
        "defaulted": cs["defaulted"].astype(np.float64),
        "baseline_defaulted": cb["defaulted"].astype(np.float64),
        "payment_ratio": cs["ratio"],
        "clearing_rounds": cs["rounds"].astype(np.float64),
    }


def _debtrank(s: Scenario, ap: Applied, stressed: Run, total: F) -> dict[str, F]:
    """DebtRank (Battiston et al. 2012) among the entities: initial distress = direct
    loss / book equity; exposures = stakes in the lab, rent owed by the lab, and a
    year of gross profit from the lab (revenue dependence)."""
    x, o = stressed
    E, t0 = len(s.entities), ap.start
    equity = np.array([e.book_equity_usd.value for e in s.entities])
    A = np.zeros((x.paths, E, E))
    A[:, :, x.lab] += o.entity["stake_in_lab_usd"][:, -1, :]
    year = slice(t0, min(t0 + 4, x.quarters))
    ahead = o.entity["revenue_from_lab"][:, year, :].sum(axis=1)
    for e, ent in enumerate(s.entities):
        margin = x.gross_margin[:, e] if ent.kind == "chip_vendor" else 1.0
        A[:, e, x.lab] += ahead[:, e] * margin
    A[:, x.lab, x.lab] = 0.0
    safe = np.where(equity > 0, equity, 1.0)
    h0 = np.where(equity > 0, np.clip(total[:, :E] / safe, 0.0, 1.0), 0.0)
    r = debtrank(A, equity, h0, weights=np.maximum(equity, 1.0))
    return {
        "debtrank_h0": r.h0,
        "debtrank_h": r.h,
        "debtrank_rounds": r.rounds.astype(np.float64),
        "debtrank": r.debtrank,
        "second_round_usd": (r.h - r.h0) * equity[None, :],
    }
