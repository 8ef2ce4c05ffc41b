"""An optional compiled engine for Monte Carlo runs: per-path summaries without full outputs.

:func:`run_summaries` gives exactly what ``path_summaries(x, run_engine(x))`` and
``band_rows(run_engine(x))`` give (:mod:`computeloop.montecarlo.summaries`), but runs
as one compiled (Numba) function: quarters outside, simple loops over paths inside
(which LLVM vectorizes), state in small ``(deal, path)`` scratch arrays, and only
those numbers kept: no ``(paths, quarters, deals)`` output arrays are built. Every
floating-point operation is the one :mod:`computeloop.engine.core` performs, in the
same order, so the results are bit-identical (tested on variants that take every branch). Sums that
NumPy would do pairwise (more than eight terms along a contiguous axis) are not
reproduced, so scenarios with more than eight deals, capacity or compute deals, or
tranches in one warrant, and runs of a single path, fall back to the NumPy engine, as
does everything when Numba is not installed or ``COMPUTELOOP_NO_NUMBA`` is set.

The kernel is compiled on first use and cached on disk (``cache=True``), so later
processes load it instead of compiling; it releases the GIL, so threads run blocks of
paths in parallel.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from computeloop.engine.inputs import EngineInputs

F = NDArray[np.float64]

numba: Any
try:  # pragma: no cover - depends on the environment
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    numba = None
    HAVE_NUMBA = False

MAX_TERMS = 8
"""Largest number of terms NumPy adds one after another (pairwise from 9 on)."""

SCALARS = (
    "peak_funding_gap_usd",
    "funding_gap_end_usd",
    "breakeven_index",
    "gw_online_end",
    "gw_delivered_total",
    "gw_deferred_end",
    "gw_cancelled_end",
    "revenue_total_usd",
    "cumulative_external_funding_usd",
    "min_cash_usd",
)
ENTITY_SUMS = (
    "revenue_from_lab_usd",
    "investment_in_lab_usd",
    "warrant_value_given_usd",
    "stranded_usd",
    "at_risk_usd",
)
BANDS = ("gw_online", "revenue", "cash", "funding_gap", "fcf")
"""Same names and order as ``montecarlo.summaries.BAND_SERIES``."""

_compile_seconds: float | None = None


def enabled() -> bool:
    """Whether the compiled engine may be used (Numba present, not switched off)."""
    return HAVE_NUMBA and not os.environ.get("COMPUTELOOP_NO_NUMBA")


def supports(x: EngineInputs) -> bool:
    """Whether :func:`run_summaries` reproduces the NumPy engine for these inputs exactly.

    Not for a single path: NumPy then sums a path's quarters pairwise (the quarter axis
    is contiguous), where with two paths or more it adds them one after another.
    """
    if not enabled() or x.paths < 2:
        return False
    J = len(x.deals)
    rent = sum(d.kind == "capacity" for d in x.deals)
    return (
        J <= MAX_TERMS
        and rent <= MAX_TERMS
        and J - rent <= MAX_TERMS
        and all(w.shares.shape[1] <= MAX_TERMS for w in x.warrants)
    )


def compile_seconds() -> float | None:
    """Seconds the first call in this process spent compiling or loading the kernel."""
    return _compile_seconds


def warm_up() -> float:
    """Compile (or load from the disk cache) the kernels now; returns the seconds it took.

    Without Numba there is nothing to compile and this returns 0.
    """
    if not enabled():
        return 0.0
    global _compile_seconds
    if _compile_seconds is None:
        t0 = time.perf_counter()
        _kernel_fn()(*_dummy_args())
        interp_uniform(np.zeros(1), np.array([0.0, 1.0]), np.array([0.0, 1.0]))
        _compile_seconds = time.perf_counter() - t0
    return _compile_seconds


def run_summaries(x: EngineInputs) -> tuple[dict[str, F], dict[str, F]]:
    """Per-path summaries and band rows of ``x``, as the NumPy engine would give them.

    Returns ``(summaries, bands)``: the first has the keys, order and shapes of
    ``path_summaries``, the second those of ``band_rows`` (each ``(paths, quarters)``).
    """
    warm_up()
    P, T, E = x.paths, x.quarters, len(x.entity_names)
    K = sum(w.shares.shape[1] for w in x.warrants)
    year_end = np.arange(3, T, 4, dtype=np.int64)
    scal = np.empty((len(SCALARS), P))
    year = np.empty((P, year_end.size))
    ent = np.empty((len(ENTITY_SUMS), P, E))
    tr = np.empty((3, P, K))
    bands = np.empty((len(BANDS), T, P))
    _kernel_fn()(*_args(x), year_end, scal, year, ent, tr, bands)
    out: dict[str, F] = {name: scal[k] for k, name in enumerate(SCALARS[:4])}
    out["gw_online_year_end"] = year
    out.update({name: scal[k] for k, name in enumerate(SCALARS) if k >= 4})
    out.update({name: ent[k] for k, name in enumerate(ENTITY_SUMS)})
    out.update(tranche_vested=tr[0], tranche_vest_index=tr[1], tranche_value_usd=tr[2])
    return out, {name: bands[k].T for k, name in enumerate(BANDS)}


def _args(x: EngineInputs) -> tuple[Any, ...]:
    """The kernel's inputs: ``x`` packed into a few contiguous arrays."""
    P, T = x.paths, x.quarters
    J, W = len(x.deals), len(x.warrants)
    K = sum(w.shares.shape[1] for w in x.warrants)
    lab_pt = np.stack(  # (7, T, P): quarter-major, paths contiguous
        [
            x.users.T,
            x.paying_share.T,
            x.revenue_per_payer_q.T,
            x.enterprise.T,
            x.one_off_cash.T,
            x.committed.T,
            x.demand_shock.T,
        ]
    )
    lab_p = np.stack(
        [
            x.revenue_per_gw_q,
            x.gw_base,
            x.cash0,
            x.debt0,
            x.raise_cap,
            x.debt_capacity,
            x.lab_rate_q,
            x.valuation_multiple,
            x.min_cash,
        ]
    )
    C = len(x.costs)
    cost_fixed = np.stack([c.fixed.T for c in x.costs]) if C else np.zeros((0, T, P))
    cost_sor = np.stack([c.share_of_revenue for c in x.costs]) if C else np.zeros((0, P))
    cost_cash = np.stack([c.cash_share for c in x.costs]) if C else np.zeros((0, P))
    deal_p = np.zeros((7, J, P))
    deal_i = np.zeros((J, 4), dtype=np.int64)
    total_gw = np.zeros(J)
    schedule = np.zeros((J, T))
    plan_cum = np.zeros((J, T + 1))
    cp: list[tuple[int, int, float]] = []
    for j, d in enumerate(x.deals):
        deal_p[:, j] = (
            d.binding_gw,
            d.upfront_per_gw,
            d.periodic_per_gw,
            d.expense_per_gw_q,
            d.chip_per_gw,
            d.unit_cost_per_gw,
            d.recovery,
        )
        deal_i[j] = (d.kind == "capacity", d.lead, d.life, d.periodic_quarters)
        total_gw[j] = d.total_gw
        schedule[j] = d.schedule
        plan_cum[j] = np.concatenate([np.cumsum(d.schedule), [d.total_gw]])
        cp.extend((j, e, share) for e, share in d.counterparties)
    cp_i = np.array([[j, e] for j, e, _ in cp], dtype=np.int64).reshape(-1, 2)
    cp_share = np.array([sh for _, _, sh in cp], dtype=np.float64)
    n_inv = len(x.investments)
    inv_i = np.array([[i.investor, i.trigger] for i in x.investments], dtype=np.int64)
    inv_p = np.zeros((2, n_inv, P))
    for i, inv in enumerate(x.investments):
        inv_p[0, i], inv_p[1, i] = inv.usd_per_gw, inv.max_usd
    w_i = np.zeros((W, 5), dtype=np.int64)
    w_end = np.zeros(W + 1, dtype=np.int64)
    strike = np.zeros((W, P))
    k0 = 0
    for i, w in enumerate(x.warrants):
        w_i[i] = (w.issuer, w.trigger, w.expiry, w.sell, k0)
        strike[i] = w.strike
        k0 += w.shares.shape[1]
        w_end[i + 1] = k0
    tranche = np.zeros((3, K, P))
    w_price = np.zeros((W, T, P))
    if W:
        tranche[0] = np.concatenate([w.shares for w in x.warrants], axis=1).T
        tranche[1] = np.concatenate([w.gw_milestone for w in x.warrants], axis=1).T
        tranche[2] = np.concatenate([w.hurdle for w in x.warrants], axis=1).T
        for i, w in enumerate(x.warrants):
            w_price[i] = x.share_price[:, :, w.issuer].T
    return (
        lab_pt,
        lab_p,
        cost_fixed,
        cost_sor,
        cost_cash,
        int(x.lookahead_q),
        bool(x.cancel),
        bool(x.pro_rata),
        deal_p,
        deal_i,
        total_gw,
        schedule,
        plan_cum,
        cp_i,
        cp_share,
        inv_i.reshape(n_inv, 2),
        inv_p,
        w_i,
        w_end,
        strike,
        tranche,
        w_price,
    )


def _dummy_args() -> tuple[Any, ...]:
    """Arguments of the kernel's types for one path, one quarter and no deals."""
    z = np.zeros
    i8 = np.int64
    return (
        z((7, 1, 1)),  # lab_pt
        z((9, 1)),  # lab_p
        z((0, 1, 1)),  # cost_fixed
        z((0, 1)),  # cost_sor
        z((0, 1)),  # cost_cash
        0,  # lookahead
        False,  # cancel
        False,  # pro_rata
        z((7, 0, 1)),  # deal_p
        z((0, 4), dtype=i8),  # deal_i
        z(0),  # total_gw
        z((0, 1)),  # schedule
        z((0, 2)),  # plan_cum
        z((0, 2), dtype=i8),  # cp_i
        z(0),  # cp_share
        z((0, 2), dtype=i8),  # inv_i
        z((2, 0, 1)),  # inv_p
        z((0, 5), dtype=i8),  # w_i
        z(1, dtype=i8),  # w_end
        z((0, 1)),  # strike
        z((3, 0, 1)),  # tranche
        z((0, 1, 1)),  # w_price
        z(0, dtype=i8),  # year_end
        z((len(SCALARS), 1)),  # scal
        z((1, 0)),  # year
        z((len(ENTITY_SUMS), 1, 1)),  # ent
        z((3, 1, 0)),  # tr
        z((len(BANDS), 1, 1)),  # bands (5, T, P)
    )


_KERNEL: Any = None


def _kernel_fn() -> Any:
    global _KERNEL
    if _KERNEL is None:
        if not HAVE_NUMBA:  # pragma: no cover
            raise RuntimeError("the compiled engine needs numba")
        _KERNEL = numba.njit(cache=True, nogil=True, error_model="numpy")(_kernel)
    return _KERNEL


def _mx(a: float, b: float) -> float:
    """``np.maximum`` of two floats: ``a`` if ``a >= b`` or ``a`` is NaN, else ``b``."""
    r = a if a >= b else b
    return a if a != a else r


def _mn(a: float, b: float) -> float:
    """``np.minimum`` of two floats: ``a`` if ``a <= b`` or ``a`` is NaN, else ``b``."""
    r = a if a <= b else b
    return a if a != a else r


if HAVE_NUMBA:  # pragma: no branch
    _mx = numba.njit(inline="always", cache=True)(_mx)
    _mn = numba.njit(inline="always", cache=True)(_mn)


def _kernel(
    lab_pt: Any,
    lab_p: Any,
    cost_fixed: Any,
    cost_sor: Any,
    cost_cash: Any,
    lookahead: int,
    cancel: bool,
    pro_rata: bool,
    deal_p: Any,
    deal_i: Any,
    total_gw: Any,
    schedule: Any,
    plan_cum: Any,
    cp_i: Any,
    cp_share: Any,
    inv_i: Any,
    inv_p: Any,
    w_i: Any,
    w_end: Any,
    strike: Any,
    tranche: Any,
    w_price: Any,
    year_end: Any,
    scal: Any,
    year: Any,
    ent: Any,
    tr: Any,
    bands: Any,
) -> None:
    """``engine.core._quarter`` for every quarter, with the paths in the inner loops.

    As in the NumPy engine, each step runs over all paths before the next (so the inner
    loops are simple and vectorize); state lives in ``(deal, path)`` scratch arrays.
    Layouts: ``lab_pt`` (7, T, P), ``cost_fixed`` (C, T, P), ``tranche`` (3, K, P),
    ``w_price`` (W, T, P): the issuer's share price per warrant; ``bands`` (5, T, P).
    """
    T = lab_pt.shape[1]
    P = lab_pt.shape[2]
    C = cost_fixed.shape[0]
    J = deal_i.shape[0]
    E = ent.shape[2]
    NI = inv_i.shape[0]
    W = w_i.shape[0]
    K = tranche.shape[1]
    NCP = cp_i.shape[0]
    cp_lo = np.zeros(J, dtype=np.int64)
    cp_hi = np.zeros(J, dtype=np.int64)
    for c in range(NCP - 1, -1, -1):
        cp_lo[cp_i[c, 0]] = c
    for c in range(NCP):
        cp_hi[cp_i[c, 0]] = c + 1
    rev_per_gw = lab_p[0]
    gw_base = lab_p[1]
    debt0 = lab_p[3]
    raise_cap = lab_p[4]
    debt_cap = lab_p[5]
    rate_q = lab_p[6]
    min_cash = lab_p[8]
    cash = lab_p[2].copy()
    debt = debt0.copy()
    new_raised = np.zeros(P)
    online = np.zeros(P)
    resources = np.empty(P)
    for p in range(P):
        resources[p] = cash[p] + _mx(debt_cap[p] - debt[p], 0.0) - min_cash[p]
    backlog = np.zeros((J, P))
    delivered = np.zeros((J, P))
    cancelled = np.zeros((J, P))
    produced = np.zeros((J, P))
    binding_left = deal_p[0].copy()
    unit = np.empty((J, P))
    for j in range(J):
        for p in range(P):
            unit[j, p] = deal_p[1, j, p] + deal_i[j, 3] * deal_p[2, j, p]
    future_pay = np.zeros((T + 1, J, P))
    hist = np.zeros((T, J, P))
    invested = np.zeros((NI, P))
    vested = np.zeros((K, P), dtype=np.bool_)
    first_vest = np.full((K, P), -1, dtype=np.int64)
    due = np.empty((J, P))
    binding = np.empty((J, P))
    taken = np.empty((J, P))
    priced = np.empty((J, P))
    rev_lab = np.zeros((E, P))
    inv_lab = np.zeros((E, P))
    wv = np.zeros((E, P))
    rev_lab_t = np.empty((E, P))
    inv_t = np.empty((E, P))
    wv_t = np.empty((E, P))
    strand_t = np.zeros((E, P))
    risk_t = np.zeros((E, P))
    idle_t = np.zeros((E, P))
    revenue = np.empty(P)
    opex_cash = np.empty(P)
    rent_due = np.empty(P)
    lease_due = np.empty(P)
    interest = np.empty(P)
    operating = np.empty(P)
    cash_pre = np.empty(P)
    budget = np.empty(P)
    spent = np.empty(P)
    need = np.empty(P)
    fraction = np.empty(P)
    pay_now = np.empty(P)
    invest_in = np.empty(P)
    proceeds = np.empty(P)
    n_new = np.empty(P)
    peak_gap = np.empty(P)
    min_c = np.empty(P)
    revenue_total = np.empty(P)
    ext = np.empty(P)
    delivered_total = np.zeros(P)
    last_neg = np.full(P, -1, dtype=np.int64)
    gap = np.zeros(P)
    fcf = np.zeros(P)
    for t in range(T):
        # _operations
        for p in range(P):
            gw_online = gw_base[p] + online[p]
            payers = lab_pt[0, t, p] * lab_pt[1, t, p]
            demand = (payers * lab_pt[2, t, p] + lab_pt[3, t, p]) * lab_pt[6, t, p]
            revenue[p] = _mn(demand, gw_online * rev_per_gw[p])
        for c in range(C):
            if c == 0:
                for p in range(P):
                    line = cost_fixed[c, t, p] + cost_sor[c, p] * revenue[p]
                    opex_cash[p] = cost_cash[c, p] * line
            else:
                for p in range(P):
                    line = cost_fixed[c, t, p] + cost_sor[c, p] * revenue[p]
                    opex_cash[p] = opex_cash[p] + cost_cash[c, p] * line
        if C == 0:
            opex_cash[:] = 0.0
        # payments due on GW taken earlier
        rent_due[:] = 0.0
        lease_due[:] = 0.0
        for j in range(J):
            if deal_i[j, 0] == 1:
                for p in range(P):
                    rent_due[p] = rent_due[p] + future_pay[t, j, p]
            else:
                for p in range(P):
                    lease_due[p] = lease_due[p] + future_pay[t, j, p]
        for p in range(P):
            interest[p] = debt[p] * rate_q[p]
            operating[p] = revenue[p] - opex_cash[p] - lab_pt[4, t, p]
            committed_t = lab_pt[5, t, p]
            cash_pre[p] = (
                cash[p] + operating[p] + committed_t - lease_due[p] - rent_due[p] - interest[p]
            )
            resources[p] = resources[p] + (operating[p] + committed_t)
            spent[p] = 0.0
        # _budget: lifetime cost of the GW already taken
        for j in range(J):
            for p in range(P):
                spent[p] = spent[p] + unit[j, p] * delivered[j, p]
        for p in range(P):
            ahead = lookahead * operating[p] + (t + 1 + lookahead) * raise_cap[p]
            budget[p] = resources[p] + ahead - spent[p]
            spent[p] = 0.0
        # _produce
        for j in range(J):
            plan = plan_cum[j, min(t + deal_i[j, 1], T)]
            for p in range(P):
                target = _mn(plan, total_gw[j] - cancelled[j, p])
                produced[j, p] = _mx(produced[j, p], target)
        # _allocate
        if J > 0:
            for j in range(J):
                sched = schedule[j, t]
                for p in range(P):
                    d = backlog[j, p] + sched
                    b = _mn(d, binding_left[j, p])
                    due[j, p] = d
                    binding[j, p] = b
                    spent[p] += b * unit[j, p]
            for p in range(P):
                budget[p] = budget[p] - spent[p]
            for j in range(J):
                for p in range(P):
                    room = due[j, p] - binding[j, p]
                    free = unit[j, p] <= 0
                    taken[j, p] = binding[j, p] + (room if free else 0.0)
                    priced[j, p] = 0.0 if free else room
            if pro_rata:
                need[:] = 0.0
                for j in range(J):
                    for p in range(P):
                        need[p] += priced[j, p] * unit[j, p]
                for p in range(P):
                    f = budget[p] / (need[p] if need[p] > 0 else 1.0)
                    fraction[p] = _mn(_mx(f, 0.0), 1.0)
                for j in range(J):
                    for p in range(P):
                        taken[j, p] = taken[j, p] + priced[j, p] * fraction[p]
            else:
                for j in range(J):
                    for p in range(P):
                        u = unit[j, p]
                        share = budget[p] / (1.0 if u <= 0 else u)
                        afford = _mn(_mx(share, 0.0), priced[j, p])
                        taken[j, p] = taken[j, p] + afford
                        budget[p] = budget[p] - afford * u
            for j in range(J):
                for p in range(P):
                    binding_left[j, p] = binding_left[j, p] - binding[j, p]
                    unfunded = due[j, p] - taken[j, p]
                    if cancel:
                        cancelled[j, p] = cancelled[j, p] + unfunded
                        backlog[j, p] = 0.0
                    else:
                        backlog[j, p] = unfunded
        # _deliver and _book_deal
        pay_now[:] = 0.0
        rev_lab_t[:, :] = 0.0
        inv_t[:, :] = 0.0
        wv_t[:, :] = 0.0
        for j in range(J):
            for p in range(P):
                g = taken[j, p]
                delivered[j, p] = delivered[j, p] + g
                pay_now[p] = pay_now[p] + g * deal_p[1, j, p]
                hist[t, j, p] = g
                delivered_total[p] += g
            for s in range(t + 1, min(t + 1 + deal_i[j, 3], T + 1)):
                for p in range(P):
                    future_pay[s, j, p] = future_pay[s, j, p] + taken[j, p] * deal_p[2, j, p]
            if deal_i[j, 0] == 0:
                for c in range(cp_lo[j], cp_hi[j]):
                    e = cp_i[c, 1]
                    sh = cp_share[c]
                    for p in range(P):
                        rev_lab_t[e, p] = rev_lab_t[e, p] + sh * taken[j, p] * deal_p[4, j, p]
            if t == T - 1:  # stock positions: only the last quarter's are kept
                for c in range(cp_lo[j], cp_hi[j]):
                    e = cp_i[c, 1]
                    sh = cp_share[c]
                    for p in range(P):
                        stranded = _mx(0.0, produced[j, p] - (total_gw[j] - cancelled[j, p]))
                        waiting = _mx(produced[j, p] - delivered[j, p] - stranded, 0.0)
                        ucost = deal_p[5, j, p]
                        if deal_i[j, 0] == 0:
                            risk_t[e, p] = risk_t[e, p] + sh * waiting * ucost
                        else:
                            idle_t[e, p] = idle_t[e, p] + sh * waiting * ucost
                        strand_t[e, p] = strand_t[e, p] + sh * stranded * ucost * (
                            1.0 - deal_p[6, j, p]
                        )
        # _pay_builders
        for j in range(J):
            if deal_i[j, 0] == 1:
                for c in range(cp_lo[j], cp_hi[j]):
                    e = cp_i[c, 1]
                    sh = cp_share[c]
                    for p in range(P):
                        rev_lab_t[e, p] = rev_lab_t[e, p] + sh * future_pay[t, j, p]
        # _invest
        invest_in[:] = 0.0
        for i in range(NI):
            who = inv_i[i, 0]
            trig = inv_i[i, 1]
            for p in range(P):
                pay = _mn(taken[trig, p] * inv_p[0, i, p], inv_p[1, i, p] - invested[i, p])
                pay = _mx(pay, 0.0)
                invested[i, p] = invested[i, p] + pay
                inv_t[who, p] = inv_t[who, p] + pay
                invest_in[p] = invest_in[p] + pay
        # _vest
        proceeds[:] = 0.0
        for w in range(W):
            issuer = w_i[w, 0]
            if t <= w_i[w, 2]:
                trig = w_i[w, 1]
                n_new[:] = 0.0
                for k in range(w_i[w, 4], w_end[w + 1]):
                    for p in range(P):
                        new = (
                            (not vested[k, p])
                            and delivered[trig, p] >= tranche[1, k, p] - 1e-9
                            and w_price[w, t, p] >= tranche[2, k, p]
                        )
                        vested[k, p] = vested[k, p] or new
                        n_new[p] = n_new[p] + (tranche[0, k, p] if new else tranche[0, k, p] * 0.0)
                for p in range(P):
                    value = n_new[p] * _mx(w_price[w, t, p] - strike[w, p], 0.0)
                    wv_t[issuer, p] = wv_t[issuer, p] + value
                    if w_i[w, 3] == 1:
                        proceeds[p] = proceeds[p] + value
            for k in range(w_i[w, 4], w_end[w + 1]):
                for p in range(P):
                    if first_vest[k, p] < 0 and vested[k, p] and tranche[0, k, p] > 0:
                        first_vest[k, p] = t
        # _finance, _age and this quarter's reductions
        for p in range(P):
            resources[p] = resources[p] + (invest_in[p] + proceeds[p])
            cash_in = cash_pre[p] - pay_now[p] + invest_in[p] + proceeds[p]
            need_c = _mx(0.0, min_cash[p] - cash_in)
            draw = _mn(need_c, _mx(debt_cap[p] - debt[p], 0.0))
            cap = _mx((t + 1) * raise_cap[p] - new_raised[p], 0.0)
            raise_ = _mn(need_c - draw, cap)
            debt[p] = debt[p] + draw
            new_raised[p] = new_raised[p] + raise_
            c_end = cash_in + draw + raise_
            cash[p] = c_end
            g_end = new_raised[p] + _mx(0.0, min_cash[p] - c_end)
            gap[p] = g_end
            f = operating[p] - lease_due[p] - rent_due[p] - interest[p] - pay_now[p]
            fcf[p] = f
            flows = lab_pt[5, t, p] + raise_ + invest_in[p] + proceeds[p]
            if t == 0:
                ext[p] = flows
                revenue_total[p] = revenue[p]
                peak_gap[p] = g_end
                min_c[p] = c_end
            else:
                ext[p] = ext[p] + flows
                revenue_total[p] = revenue_total[p] + revenue[p]
                peak_gap[p] = _mx(peak_gap[p], g_end)
                min_c[p] = _mn(min_c[p], c_end)
            if f < 0:
                last_neg[p] = t
            bands[1, t, p] = revenue[p]
            bands[2, t, p] = c_end
            bands[3, t, p] = g_end
            bands[4, t, p] = f
        for j in range(J):
            life = deal_i[j, 2]
            for p in range(P):
                online[p] = online[p] + hist[t, j, p]
            if t - life >= 0:
                for p in range(P):
                    online[p] = online[p] - hist[t - life, j, p]
        for p in range(P):
            bands[0, t, p] = gw_base[p] + online[p]
        for e in range(E):
            if t == 0:
                for p in range(P):
                    rev_lab[e, p] = rev_lab_t[e, p]
                    inv_lab[e, p] = inv_t[e, p]
                    wv[e, p] = wv_t[e, p]
            else:
                for p in range(P):
                    rev_lab[e, p] = rev_lab[e, p] + rev_lab_t[e, p]
                    inv_lab[e, p] = inv_lab[e, p] + inv_t[e, p]
                    wv[e, p] = wv[e, p] + wv_t[e, p]
    # per-path summaries
    for p in range(P):
        scal[0, p] = peak_gap[p]
        scal[1, p] = gap[p]
        scal[2, p] = np.nan if fcf[p] < 0 else float(last_neg[p] + 1)
        scal[3, p] = bands[0, T - 1, p]
        scal[4, p] = delivered_total[p]
        scal[7, p] = revenue_total[p]
        scal[8, p] = ext[p] + (debt[p] - debt0[p])
        scal[9, p] = min_c[p]
        scal[5, p] = 0.0
        scal[6, p] = 0.0
    for j in range(J):
        for p in range(P):
            if j == 0:
                scal[5, p] = backlog[j, p]
                scal[6, p] = cancelled[j, p]
            else:
                scal[5, p] = scal[5, p] + backlog[j, p]
                scal[6, p] = scal[6, p] + cancelled[j, p]
    for p in range(P):
        for y in range(year_end.shape[0]):
            year[p, y] = bands[0, year_end[y], p]
        for e in range(E):
            ent[0, p, e] = rev_lab[e, p]
            ent[1, p, e] = inv_lab[e, p]
            ent[2, p, e] = wv[e, p]
            ent[3, p, e] = strand_t[e, p]
            ent[4, p, e] = risk_t[e, p] + idle_t[e, p]
        for w in range(W):
            for k in range(w_i[w, 4], w_end[w + 1]):
                got = vested[k, p] and tranche[0, k, p] > 0
                tr[0, p, k] = 1.0 if got else 0.0
                fv = first_vest[k, p]
                if fv >= 0:
                    tr[1, p, k] = float(fv)
                    price = w_price[w, fv, p]
                    tr[2, p, k] = tranche[0, k, p] * _mx(price - strike[w, p], 0.0)
                else:
                    tr[1, p, k] = np.nan
                    tr[2, p, k] = 0.0


def interp_uniform(x: F, xp: F, fp: F) -> F:
    """``np.interp(x, xp, fp)``, bit for bit, for an evenly spaced increasing ``xp``.

    The segment of each ``x`` is found from its offset on the grid (then checked against
    the grid points) instead of NumPy's binary search; the interpolation formula and its
    edge cases are NumPy's. Falls back to ``np.interp`` without Numba.

    >>> xp = np.linspace(0.0, 1.0, 11)
    >>> x = np.array([-1.0, 0.0, 0.25, 0.3, 1.0, 2.0])
    >>> bool(np.array_equal(interp_uniform(x, xp, xp**2), np.interp(x, xp, xp**2)))
    True
    """
    if not enabled() or xp.size < 2:
        out: F = np.interp(x, xp, fp)
        return out
    global _INTERP
    if _INTERP is None:
        _INTERP = numba.njit(cache=True, nogil=True, error_model="numpy")(_interp)
    res = np.empty(x.shape)
    _INTERP(
        np.ascontiguousarray(x, dtype=np.float64).ravel(),
        np.ascontiguousarray(xp, dtype=np.float64),
        np.ascontiguousarray(fp, dtype=np.float64),
        res.reshape(-1),
    )
    return res


_INTERP: Any = None


def _interp(x: Any, xp: Any, fp: Any, out: Any) -> None:
    n = xp.shape[0]
    step = (xp[n - 1] - xp[0]) / (n - 1)
    for i in range(x.shape[0]):
        xv = x[i]
        if xv != xv:
            out[i] = xv
            continue
        if xv < xp[0]:
            out[i] = fp[0]
            continue
        if xv >= xp[n - 1]:
            out[i] = fp[n - 1]
            continue
        j = int((xv - xp[0]) / step)
        j = min(max(j, 0), n - 2)
        while j > 0 and xp[j] > xv:
            j -= 1
        while j < n - 2 and xp[j + 1] <= xv:
            j += 1
        if xp[j] == xv:
            out[i] = fp[j]
            continue
        slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
        r = slope * (xv - xp[j]) + fp[j]
        if r != r:
            r = slope * (xv - xp[j + 1]) + fp[j + 1]
            if r != r and fp[j] == fp[j + 1]:
                r = fp[j]
        out[i] = r
