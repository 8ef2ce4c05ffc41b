"""The Monte Carlo engine for the deal instruments: warrant tranches and equity tranches.

It runs on the paths of the scenario's own Monte Carlo (``draw_normals`` and
``paths_from_normals``): path ``i`` is path ``i`` of ``monte_carlo(s, paths, seed)``,
so the AI-demand factor moves GW deployment and share prices together, and the lab's
funding feedback (deferred GW, warrant-share sales) is the engine's. With antithetic
variates each path is paired with the one its negated normals give.

Per warrant tranche and path the engine computes the probability ``w_t`` that the
tranche vests in quarter ``t`` and the payoff there, ``D(t) (S_t - K)`` per share
(exercise at the strike; ``D`` discounts at ``rate`` to the valuation quarter, the
quarter of the issuer's observed share price). Vesting needs the cumulative GW of the
trigger deal at the milestone AND the price hurdle, by the warrant's expiry:

- ``hurdle="close"``: both hold at the same quarter end (the engine's own rule);
- ``hurdle="touch"``: the price has touched the hurdle at any time so far. Between
  quarter ends the log price is a Brownian bridge, which crosses ``ln H`` with
  probability ``exp(-2 ln(H/S_a) ln(H/S_b) / (sigma^2 dt))`` (Glasserman 2003,
  sec. 6.4; Beaglehole, Dybvig and Zhou, *FAJ* 1997); the engine averages over the
  crossing analytically (conditional Monte Carlo), which is exact for continuous
  monitoring. A hurdle touched inside a quarter is credited at the quarter end: with
  no dividends the discounted share price is a martingale, so this is unbiased.

``measure="risk_neutral"`` (default) replaces the issuer's central drift by the rate:
``S_t = S_0 exp(r tau_t) M_t`` with the scenario's mean-one GBM multiplier ``M``. The
change of drift can be carried by the issuer's idiosyncratic shock, so the AI-demand
factor and the GW deployment it drives keep their law: an equivalent martingale
measure that puts no price on GW risk. ``measure="scenario"`` keeps the scenario's
prices (the engine's vesting rule then reproduces the engine's vesting exactly).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from computeloop.engine.core import EngineOutput
from computeloop.engine.inputs import EngineInputs, InvestmentInputs, WarrantInputs
from computeloop.errors import InputError
from computeloop.montecarlo import BLOCK, check_paths, normalize_seed
from computeloop.montecarlo.runner import draw_normals, paths_from_normals
from computeloop.sampling.market import draw_count, market_shocks, shocks_start_index
from computeloop.sampling.static import StaticPlan, static_plan
from computeloop.scenario.deals import EquityInvestment, Warrant
from computeloop.scenario.model import Scenario

F = NDArray[np.float64]

MIN_PATHS = 2
"""Fewest paths a valuation accepts: one path has no average and no standard error."""
DT = 0.25
RATE = 0.04
"""Assumption: continuously compounded risk-free rate, about the 2025 US Treasury
yields for 1 to 5 years (range 0.03-0.05)."""


@dataclass(frozen=True)
class Settings:
    """How the deal instruments are valued (see the module docstring)."""

    rate: float = RATE
    measure: Literal["risk_neutral", "scenario"] = "risk_neutral"
    hurdle: Literal["close", "touch"] = "close"
    antithetic: bool = False
    chunk_paths: int = BLOCK

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and -0.05 <= self.rate <= 0.5):
            raise InputError(f"rate: must be a number from -0.05 to 0.5, got {self.rate!r}")
        if self.measure not in ("risk_neutral", "scenario"):
            raise InputError(f"measure: must be 'risk_neutral' or 'scenario', got {self.measure!r}")
        if self.hurdle not in ("close", "touch"):
            raise InputError(f"hurdle: must be 'close' or 'touch', got {self.hurdle!r}")


@dataclass
class WarrantClaims:
    """Per-path results of one warrant, each shaped ``(units, m, K)`` or ``(units, m)``."""

    name: str
    value: list[F] = field(default_factory=list)  # PV of each tranche
    prob: list[F] = field(default_factory=list)  # probability of vesting by expiry
    years: list[F] = field(default_factory=list)  # E[years to vesting; vested]
    dilution: list[F] = field(default_factory=list)  # expected vested / post-issue shares
    revenue_pv: list[F] = field(default_factory=list)  # PV of issuer's revenue from the lab
    controls: list[F] = field(default_factory=list)  # D(t) S_t - S_0: mean zero (risk-neutral)


@dataclass
class InvestmentClaims:
    """Per-path results of one equity investment, each shaped ``(units, m)``."""

    name: str
    paid_pv: list[F] = field(default_factory=list)
    stake_pv: list[F] = field(default_factory=list)
    full: list[F] = field(default_factory=list)  # 1 if the whole amount was paid in
    years: list[F] = field(default_factory=list)  # years to the last payment (if full)
    revenue_pv: list[F] = field(default_factory=list)


@dataclass(frozen=True)
class Claims:
    """Everything the summaries need, per path (lists hold one array per chunk)."""

    scenario: Scenario
    seed: int
    paths: int
    settings: Settings
    warrants: dict[str, WarrantClaims]
    investments: dict[str, InvestmentClaims]

    def warrant(self, name: str, key: str) -> F:
        """Concatenated per-path array ``key`` of warrant ``name``."""
        return np.concatenate(getattr(self.warrants[name], key), axis=0)

    def investment(self, name: str, key: str) -> F:
        """Concatenated per-path array ``key`` of equity investment ``name``."""
        return np.concatenate(getattr(self.investments[name], key), axis=0)


def valuation_index(s: Scenario, issuer: str) -> int:
    """Quarter index of the valuation date: where the issuer's price is observed."""
    q = s.entity(issuer).share_price_quarter
    if q is None:
        return max(shocks_start_index(s) - 1, 0)
    return min(max(s.time.index(q), 0), s.time.n - 1)


def simulate_claims(
    s: Scenario,
    *,
    paths: int,
    seed: int | None,
    settings: Settings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Claims:
    """Per-path values of every warrant and equity investment of ``s``.

    ``paths`` engine paths; with antithetic variates they are ``ceil(paths / 2)``
    pairs, the first of each pair being that path of ``monte_carlo(s, paths, seed)``.
    """
    settings = settings or Settings()
    check_paths(paths, max(settings.chunk_paths, BLOCK), 1)
    if paths < MIN_PATHS:
        raise InputError(
            f"paths: a valuation averages over paths and needs at least {MIN_PATHS}, got {paths}"
        )
    seed = normalize_seed(seed)
    plan = static_plan(s)
    units = (paths + 1) // 2 if settings.antithetic else paths
    claims = Claims(
        s,
        seed,
        units * (2 if settings.antithetic else 1),
        settings,
        {w.name: WarrantClaims(w.name) for w in s.deals_of(Warrant)},
        {d.name: InvestmentClaims(d.name) for d in s.deals_of(EquityInvestment)},
    )
    done = 0
    for normals in _chunks(s, plan, seed, units, settings.chunk_paths):
        sides = [normals, -normals] if settings.antithetic else [normals]
        done += normals.shape[0] * len(sides)
        if progress is not None:
            progress(done, claims.paths)
        parts = [_side(s, plan, z, settings) for z in sides]
        for key, arrays in parts[0].items():
            name, what = key
            stacked = np.stack([arrays, *(p[key] for p in parts[1:])], axis=1)
            target = claims.warrants.get(name) or claims.investments[name]
            getattr(target, what).append(stacked)
    return claims


def _chunks(s: Scenario, plan: StaticPlan, seed: int, units: int, chunk_paths: int) -> Iterator[F]:
    per = max(1, chunk_paths // BLOCK)
    blocks = -(-units // BLOCK)
    for first in range(0, blocks, per):
        n = min(per * BLOCK, units - first * BLOCK)
        yield draw_normals(s, plan, seed, first, n)


def _side(s: Scenario, plan: StaticPlan, normals: F, st: Settings) -> dict[tuple[str, str], F]:
    x, out = paths_from_normals(s, plan, normals)
    multipliers: F | None = None
    if st.measure == "risk_neutral":
        multipliers = market_shocks(s, normals[:, : draw_count(s)]).share_price
    res: dict[tuple[str, str], F] = {}
    for wi in x.warrants:
        prices = _issuer_prices(s, x, wi.issuer, multipliers, st.rate)
        res.update(_warrant(s, x, out, wi, prices, st))
    for inv in x.investments:
        res.update(_investment(s, x, out, inv, st.rate))
    return res


def _years(s: Scenario, t0: int) -> F:
    out: F = (np.arange(s.time.n, dtype=np.float64) - t0) * DT
    return out


def _discount(s: Scenario, t0: int, rate: float) -> F:
    out: F = np.exp(-rate * np.maximum(_years(s, t0), 0.0))
    return out


def _issuer_prices(s: Scenario, x: EngineInputs, e: int, multipliers: F | None, rate: float) -> F:
    """Issuer share prices (P, T) under the chosen measure."""
    if multipliers is None:
        prices: F = x.share_price[:, :, e]
        return prices
    t0 = valuation_index(s, x.entity_names[e])
    s0 = x.share_price[:, t0, e]
    out: F = s0[:, None] * np.exp(rate * _years(s, t0))[None, :] * multipliers[:, :, e]
    return out


def _touch_steps(s: Scenario, prices: F, hurdle: F, vol: float, first: int) -> F:
    """Per quarter, the probability that the price touches ``hurdle`` (P, T) in it.

    Quarters before ``first`` (no shocks) check the quarter-end price only; later ones
    add the Brownian-bridge crossing probability between consecutive quarter ends.
    """
    at_end = prices >= hurdle[:, None]
    p = at_end.astype(np.float64)
    if vol <= 0 or first >= s.time.n:
        return p
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # masked below
        log_h = np.log(np.maximum(hurdle, 1e-300))[:, None]
        gap = log_h - np.log(prices)  # > 0 below the hurdle
        cross = np.exp(-2.0 * gap[:, :-1] * gap[:, 1:] / (vol * vol * DT))
    bridge = np.where(at_end[:, 1:] | at_end[:, :-1], 1.0, cross)
    p[:, first:] = np.maximum(p[:, first:], bridge[:, first - 1 :])
    return p


def _vest_weights(met: F, p_touch: F, expiry: int, hurdle: str) -> F:
    """Probability of vesting in each quarter (P, T), given the GW milestone and price."""
    P, T = met.shape
    live = np.arange(T) <= expiry
    if hurdle == "close":
        cond = (met > 0) & (p_touch >= 1.0) & live[None, :]
        first = np.argmax(cond, axis=1)
        w = np.zeros((P, T))
        got = cond.any(axis=1)
        w[np.arange(P)[got], first[got]] = 1.0
        return w
    touched = 1.0 - np.cumprod(1.0 - p_touch, axis=1)
    by = met * touched
    if expiry < T - 1:
        by[:, expiry + 1 :] = by[:, [expiry]]
    out: F = np.diff(by, axis=1, prepend=0.0)
    return out


def _warrant(
    s: Scenario,
    x: EngineInputs,
    out: EngineOutput,
    wi: WarrantInputs,
    prices: F,
    st: Settings,
) -> dict[tuple[str, str], F]:
    issuer = x.entity_names[wi.issuer]
    t0 = valuation_index(s, issuer)
    disc = _discount(s, t0, st.rate)
    ent = s.entity(issuer)
    first = max(shocks_start_index(s), t0 + 1)
    gw_cum = np.cumsum(out.deal["gw_delivered"][:, :, wi.trigger], axis=1)
    pay = disc[None, :] * np.maximum(prices - wi.strike[:, None], 0.0)
    years = np.maximum(_years(s, t0), 0.0)
    K = wi.shares.shape[1]
    value, prob, when = (np.zeros((x.paths, K)) for _ in range(3))
    for k in range(K):
        met = (gw_cum >= wi.gw_milestone[:, k, None] - 1e-9).astype(np.float64)
        if st.hurdle == "close":
            p_touch = (prices >= wi.hurdle[:, k, None]).astype(np.float64)
        else:
            p_touch = _touch_steps(
                s, prices, wi.hurdle[:, k], ent.share_price_volatility_annual.value, first
            )
        w = _vest_weights(met, p_touch, wi.expiry, st.hurdle)
        value[:, k] = wi.shares[:, k] * (w * pay).sum(axis=1)
        prob[:, k] = w.sum(axis=1)
        when[:, k] = (w * years[None, :]).sum(axis=1)
    vested = wi.shares * prob
    post = x.shares0[:, wi.issuer][:, None] + vested.sum(axis=1, keepdims=True)
    revenue = out.entity["revenue_from_lab"][:, :, wi.issuer]
    span = slice(t0 + 1, wi.expiry + 1)
    if st.measure == "risk_neutral":
        # Martingale controls: with no dividends the discounted price has mean S_0.
        controls = prices[:, span] * disc[None, span] - prices[:, [t0]]
    else:
        controls = np.zeros((x.paths, 0))
    return {
        (wi.name, "controls"): controls,
        (wi.name, "value"): value,
        (wi.name, "prob"): prob,
        (wi.name, "years"): when,
        (wi.name, "dilution"): vested / np.maximum(post, 1.0),
        (wi.name, "revenue_pv"): _future_pv(revenue, disc, t0),
    }


def _future_pv(flows: F, disc: F, t0: int) -> F:
    out: F = (flows[:, t0:] * disc[None, t0:]).sum(axis=1)
    return out


def _investment(
    s: Scenario, x: EngineInputs, out: EngineOutput, inv: InvestmentInputs, rate: float
) -> dict[tuple[str, str], F]:
    """Equity paid per GW delivered, the stake it buys at the lab's valuation, marked at
    the horizon's valuation; all discounted to the valuation quarter."""
    t0 = max(shocks_start_index(s) - 1, 0)
    disc = _discount(s, t0, rate)
    cum_gw = np.cumsum(out.deal["gw_delivered"][:, :, inv.trigger], axis=1)
    cum_pay = np.minimum(cum_gw * inv.usd_per_gw[:, None], inv.max_usd[:, None])
    pay = np.diff(cum_pay, axis=1, prepend=0.0)
    valuation = np.maximum(out.lab["valuation"], 1.0)
    stake = (pay / (valuation + pay)).sum(axis=1)
    full = cum_pay[:, -1] >= inv.max_usd * (1 - 1e-9)
    last = np.argmax(cum_pay >= inv.max_usd[:, None] * (1 - 1e-9), axis=1)
    years = np.where(full, np.maximum((last - t0) * DT, 0.0), 0.0)
    revenue = out.entity["revenue_from_lab"][:, :, inv.investor]
    return {
        (inv.name, "paid_pv"): _future_pv(pay, disc, t0),
        (inv.name, "stake_pv"): stake * valuation[:, -1] * disc[-1],
        (inv.name, "full"): full.astype(np.float64),
        (inv.name, "years"): years,
        (inv.name, "revenue_pv"): _future_pv(revenue, disc, t0),
    }
