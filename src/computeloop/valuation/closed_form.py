"""Closed-form prices under geometric Brownian motion, with a continuous dividend yield.

Notation follows Haug, *The Complete Guide to Option Pricing Formulas*, 2nd ed. (2007):
spot ``S``, strike ``X``, time to expiry ``T`` in years, rate ``r`` and dividend yield
``q`` (continuously compounded), cost of carry ``b = r - q``, volatility ``sigma``.
Each function cites the formula it implements; the tests check them against the
published examples and, where no table exists, against QuantLib.
"""

from __future__ import annotations

import math

from scipy.special import ndtr

from computeloop.errors import InputError
from computeloop.valuation.instruments import (
    BarrierOption,
    DigitalOption,
    DilutedWarrant,
    EuropeanOption,
    Market,
    OneTouch,
)


def _n(x: float) -> float:
    return float(ndtr(x))


def _d1_d2(m: Market, strike: float, t: float) -> tuple[float, float]:
    v = m.volatility * math.sqrt(t)
    d1 = (math.log(m.spot / strike) + (m.carry + 0.5 * m.volatility**2) * t) / v
    return d1, d1 - v


def bsm(m: Market, kind: str, strike: float, t: float) -> float:
    """Black-Scholes-Merton price of a European call or put with dividend yield.

    Merton (1973); Hull, *Options, Futures, and Other Derivatives*, 8th ed., sec. 15.8
    and 17.4; Haug (2007) sec. 1.1.6 (generalised with cost of carry ``b``).

    >>> round(bsm(Market(42.0, 0.10, 0.20), "call", 40.0, 0.5), 2)  # Hull, Example 15.6
    4.76
    """
    disc, carry = math.exp(-m.rate * t), math.exp((m.carry - m.rate) * t)
    if strike <= 0.0:
        return m.spot * carry if kind == "call" else 0.0
    d1, d2 = _d1_d2(m, strike, t)
    if kind == "call":
        return m.spot * carry * _n(d1) - strike * disc * _n(d2)
    return strike * disc * _n(-d2) - m.spot * carry * _n(-d1)


def european(m: Market, o: EuropeanOption) -> float:
    """A :class:`EuropeanOption` by :func:`bsm`."""
    return bsm(m, o.kind, o.strike, o.expiry_years)


def diluted_warrant(m: Market, w: DilutedWarrant, tol: float = 1e-12) -> float:
    """Value of one warrant when exercise issues new shares.

    With ``N`` shares and ``M`` warrants, a warrant is ``N / (N + M)`` calls on the
    equity per share ``V / N`` (Hull 8th ed., sec. 15.10). If the spot already reflects
    the warrants (``priced_in``), ``V / N = S + (M / N) W`` and ``W`` solves the fixed
    point ``W = N / (N + M) * C(S + (M / N) W)`` (Galai and Schneller, *J. Finance* 33,
    1978; Schulz and Trautmann, 1994); the map is a contraction with factor at most
    ``M / (N + M)``, so plain iteration converges. Otherwise the spot is the pre-issue
    price and ``W = N / (N + M) * C(S)``.

    >>> m = Market(40.0, 0.03, 0.30)
    >>> round(diluted_warrant(m, DilutedWarrant(60.0, 5.0, 1e6, 2e5, priced_in=False)), 2)
    5.87
    """
    n, k = w.shares, w.warrants
    factor = n / (n + k)

    def call(spot: float) -> float:
        return bsm(
            Market(spot, m.rate, m.volatility, m.dividend_yield), "call", w.strike, w.expiry_years
        )

    if not w.priced_in:
        return factor * call(m.spot)
    value = factor * call(m.spot)
    for _ in range(10_000):
        new = factor * call(m.spot + k / n * value)
        if abs(new - value) <= tol * max(1.0, abs(new)):
            return new
        value = new
    raise InputError("diluted_warrant: the fixed point did not converge")  # pragma: no cover


def _barrier_terms(m: Market, b: BarrierOption, phi: float, eta: float) -> dict[str, float]:
    """The six building blocks A-F of Reiner and Rubinstein (1991), as in Haug sec. 4.17.1."""
    s, x, h, t, r, k = m.spot, b.strike, b.barrier, b.expiry_years, m.rate, b.rebate
    sig = m.volatility
    vt = sig * math.sqrt(t)
    mu = (m.carry - 0.5 * sig * sig) / (sig * sig)
    lam = math.sqrt(mu * mu + 2.0 * r / (sig * sig))
    x1 = math.log(s / x) / vt + (1 + mu) * vt if x > 0 else math.inf
    x2 = math.log(s / h) / vt + (1 + mu) * vt
    y1 = math.log(h * h / (s * x)) / vt + (1 + mu) * vt if x > 0 else math.inf
    y2 = math.log(h / s) / vt + (1 + mu) * vt
    z = math.log(h / s) / vt + lam * vt
    fwd = s * math.exp((m.carry - r) * t)
    disc = x * math.exp(-r * t)
    hs = h / s
    return {
        "A": phi * fwd * _n(phi * x1) - phi * disc * _n(phi * x1 - phi * vt),
        "B": phi * fwd * _n(phi * x2) - phi * disc * _n(phi * x2 - phi * vt),
        "C": phi * fwd * hs ** (2 * (mu + 1)) * _n(eta * y1)
        - phi * disc * hs ** (2 * mu) * _n(eta * y1 - eta * vt),
        "D": phi * fwd * hs ** (2 * (mu + 1)) * _n(eta * y2)
        - phi * disc * hs ** (2 * mu) * _n(eta * y2 - eta * vt),
        "E": k
        * math.exp(-r * t)
        * (_n(eta * x2 - eta * vt) - hs ** (2 * mu) * _n(eta * y2 - eta * vt)),
        "F": k
        * (hs ** (mu + lam) * _n(eta * z) + hs ** (mu - lam) * _n(eta * z - 2 * eta * lam * vt)),
    }


# (kind, direction, knock, strike above barrier) -> signed sum of the blocks A-F.
_BARRIER_SUMS: dict[tuple[str, str, str, bool], str] = {
    ("call", "down", "in", True): "C+E",
    ("call", "down", "in", False): "A-B+D+E",
    ("call", "up", "in", True): "A+E",
    ("call", "up", "in", False): "B-C+D+E",
    ("put", "down", "in", True): "B-C+D+E",
    ("put", "down", "in", False): "A+E",
    ("put", "up", "in", True): "A-B+D+E",
    ("put", "up", "in", False): "C+E",
    ("call", "down", "out", True): "A-C+F",
    ("call", "down", "out", False): "B-D+F",
    ("call", "up", "out", True): "F",
    ("call", "up", "out", False): "A-B+C-D+F",
    ("put", "down", "out", True): "A-B+C-D+F",
    ("put", "down", "out", False): "F",
    ("put", "up", "out", True): "B-D+F",
    ("put", "up", "out", False): "A-C+F",
}


def _signed_sum(expr: str, terms: dict[str, float]) -> float:
    total, sign = 0.0, 1.0
    for ch in expr:
        if ch in "+-":
            sign = 1.0 if ch == "+" else -1.0
        else:
            total += sign * terms[ch]
    return total


def barrier(m: Market, b: BarrierOption) -> float:
    """Single-barrier option with rebate, continuously monitored.

    Merton (1973) for the down-and-out call; Reiner and Rubinstein, "Breaking down the
    barriers", *Risk* 4(8), 1991; formulas and table of Haug (2007) sec. 4.17.1 (Table
    4-13). An out-option's rebate is paid at the hit, an in-option's at expiry if the
    barrier was never touched. A barrier already breached: the in-option is the vanilla
    option, the out-option is worth its rebate.

    >>> m = Market(100.0, 0.08, 0.25, dividend_yield=0.04)
    >>> round(barrier(m, BarrierOption("call", "down", "out", 90.0, 95.0, 0.5, 3.0)), 4)
    9.0246
    """
    breached = m.spot <= b.barrier if b.direction == "down" else m.spot >= b.barrier
    if breached:
        return bsm(m, b.kind, b.strike, b.expiry_years) if b.knock == "in" else b.rebate
    phi = 1.0 if b.kind == "call" else -1.0
    eta = 1.0 if b.direction == "down" else -1.0
    expr = _BARRIER_SUMS[(b.kind, b.direction, b.knock, b.strike > b.barrier)]
    return max(_signed_sum(expr, _barrier_terms(m, b, phi, eta)), 0.0)


def digital(m: Market, d: DigitalOption) -> float:
    """Cash-or-nothing (Reiner and Rubinstein 1991b) or asset-or-nothing (Cox and
    Rubinstein 1985) call or put; Haug (2007) sec. 4.19.1-4.19.2.

    >>> m = Market(100.0, 0.06, 0.35, dividend_yield=0.06)
    >>> round(digital(m, DigitalOption("put", "cash", 80.0, 0.75, cash=10.0)), 4)  # Haug
    2.671
    """
    d1, d2 = _d1_d2(m, d.strike, d.expiry_years)
    sign = 1.0 if d.kind == "call" else -1.0
    t = d.expiry_years
    if d.pays == "cash":
        return d.cash * math.exp(-m.rate * t) * _n(sign * d2)
    return m.spot * math.exp(-m.dividend_yield * t) * _n(sign * d1)


def gbm_mean(spot: float, drift: float, t: float) -> float:
    """``E[S_T] = S_0 exp(mu T)`` for ``dS = mu S dt + sigma S dW`` (Hull 8th ed., sec. 14.3).

    >>> round(gbm_mean(100.0, 0.1, 1.0), 4)
    110.5171
    """
    return spot * math.exp(drift * t)


def gbm_variance(spot: float, drift: float, vol: float, t: float) -> float:
    """``Var[S_T] = S_0^2 exp(2 mu T) (exp(sigma^2 T) - 1)`` (Hull 8th ed., eq. 14.4).

    >>> round(gbm_variance(100.0, 0.0, 0.2, 1.0), 4)
    408.1077
    """
    return spot * spot * math.exp(2 * drift * t) * math.expm1(vol * vol * t)


def touch_probability(spot: float, level: float, drift: float, vol: float, t: float) -> float:
    """Probability that a GBM touches ``level`` by ``T`` (continuous monitoring).

    With ``nu = mu - sigma^2 / 2`` and ``h = ln(level / S_0)``, the running maximum (or
    minimum) of a Brownian motion with drift gives, for ``h > 0``,
    ``N((-h + nu T) / (sigma sqrt T)) + exp(2 nu h / sigma^2) N((-h - nu T) / (sigma sqrt T))``
    (Harrison, *Brownian Motion and Stochastic Flow Systems*, 1985, sec. 1.8; Shreve,
    *Stochastic Calculus for Finance II*, 2004, sec. 7.2.2), and the mirror image for
    ``h < 0``.

    >>> round(touch_probability(100.0, 100.0, 0.05, 0.3, 1.0), 1)
    1.0
    >>> round(touch_probability(100.0, 120.0, 0.0, 0.2, 1.0), 4)
    0.3296
    """
    h = math.log(level / spot)
    if h == 0.0:
        return 1.0
    nu = drift - 0.5 * vol * vol
    vt = vol * math.sqrt(t)
    sign = 1.0 if h > 0 else -1.0
    first = _n(sign * (-h + nu * t) / vt)
    second = math.exp(2 * nu * h / (vol * vol)) * _n(sign * (-h - nu * t) / vt)
    return min(first + second, 1.0)


def one_touch(m: Market, o: OneTouch) -> float:
    """Cash paid if the spot touches the barrier: at the hit (Reiner and Rubinstein's
    rebate term ``F``; Haug 2007 sec. 4.19.5, "cash-or-nothing at hit") or at expiry
    (``cash * exp(-r T) * P(touch)`` under the risk-neutral drift ``b``).

    >>> m = Market(100.0, 0.05, 0.2)
    >>> round(one_touch(m, OneTouch(100.0, 1.0, cash=2.0)), 6)
    2.0
    """
    if o.barrier == m.spot:
        return o.cash if o.paid_at == "hit" else o.cash * math.exp(-m.rate * o.expiry_years)
    if o.paid_at == "expiry":
        p = touch_probability(m.spot, o.barrier, m.carry, m.volatility, o.expiry_years)
        return o.cash * math.exp(-m.rate * o.expiry_years) * p
    down = o.barrier < m.spot
    eta = 1.0 if down else -1.0
    b = BarrierOption(
        "call", "down" if down else "up", "out", m.spot, o.barrier, o.expiry_years, o.cash
    )
    return _barrier_terms(m, b, 1.0, eta)["F"]
