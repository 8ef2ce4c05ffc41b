"""The deal-instrument Monte Carlo engine against closed forms, the engine, and theory.

Closed-form checks are within three Monte Carlo standard errors (Glasserman 2003,
sec. 1.1: the estimate is asymptotically normal, so a correct engine fails such a
check about 0.3% of the time; seeds are fixed, so the tests are deterministic).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pytest

from computeloop import default_scenario
from computeloop.engine.inputs import compile_inputs
from computeloop.montecarlo.runner import draw_normals, paths_from_normals
from computeloop.sampling.static import static_plan
from computeloop.scenario.model import Scenario
from computeloop.valuation import BarrierOption, Market, OneTouch, price, stats, value_scenario
from computeloop.valuation.monte_carlo import Claims, Settings, simulate_claims
from helpers import edit

AMD = 2  # entities[2]
WARRANT = 4  # deals[4] is amd-warrant
SHARES = 32e6
S0 = 232.10
HURDLES = (300.0, 350.0, 400.0, 500.0, 600.0)
T_YEARS = 5.0  # valuation quarter 2025Q4 to expiry 2030Q4


def _terms(milestones: tuple[float, ...], hurdles: tuple[float, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, (m, h) in enumerate(zip(milestones, hurdles, strict=True)):
        out[f"deals[{WARRANT}].tranches[{k}].gw_milestone"] = m
        out[f"deals[{WARRANT}].tranches[{k}].price_hurdle_usd"] = h
        out[f"deals[{WARRANT}].tranches[{k}].shares"] = SHARES
    return out


def _pv_per_share(c: Claims, k: int) -> np.ndarray:
    """Per unit (path or antithetic pair): tranche k's value per share."""
    out: np.ndarray = c.warrant("amd-warrant", "value")[..., k].mean(axis=1) / SHARES
    return out


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.shape[0]))


@pytest.fixture(scope="module")
def price_only() -> Claims:
    """Every tranche with no GW milestone: only the price hurdle, touched."""
    s = edit(default_scenario(), _terms((0.0,) * 5, HURDLES))
    return simulate_claims(s, paths=8192, seed=5, settings=Settings(hurdle="touch"))


@pytest.mark.parametrize("k", range(5))
def test_price_hurdle_only_is_an_up_and_in_call(price_only: Claims, k: int) -> None:
    """With no milestone, a tranche pays S - K once the price touches H: an up-and-in
    call with strike K = $0.01 (Reiner-Rubinstein, Haug 2007 sec. 4.17.1), and also
    (H - K) times a one-touch paid at the hit; within 3 standard errors."""
    m = Market(S0, 0.04, 0.60)
    est, se = _mean_se(_pv_per_share(price_only, k))
    closed = price(BarrierOption("call", "up", "in", 0.01, HURDLES[k], T_YEARS), m)
    touch = (HURDLES[k] - 0.01) * price(OneTouch(HURDLES[k], T_YEARS), m)
    assert closed == pytest.approx(touch, rel=1e-4)
    assert abs(est - closed) < 3 * se, (est, closed, se)
    # The control-variate estimate (what `value` reports) is unbiased too.
    controls = price_only.warrant("amd-warrant", "controls")
    cv = stats.controlled_mean(price_only.warrant("amd-warrant", "value")[..., k], controls)
    assert abs(cv["mean"] / SHARES - closed) < 3 * cv["mean_stderr"] / SHARES
    assert cv["mean_stderr"] < se * SHARES


def test_close_monitoring_vests_less_than_touch(price_only: Claims) -> None:
    """Quarter-end closes above H imply a touch, never the reverse."""
    s = price_only.scenario
    close = simulate_claims(s, paths=price_only.paths, seed=5, settings=Settings(hurdle="close"))
    touch_p = price_only.warrant("amd-warrant", "prob")
    assert np.all(close.warrant("amd-warrant", "prob") <= touch_p + 1e-12)


def test_milestone_only_is_probability_times_forward() -> None:
    """With no hurdle, an issuer price independent of the lab (factor correlation 0) and
    no warrant-share sales feeding the lab's budget, a tranche is worth the milestone
    probability times the share's forward value, discounted: ``P(vest) S_0`` less the
    strike (paired estimate, within 3 standard errors)."""
    changes = _terms((1.0, 2.0, 3.5, 5.0, 6.0), (0.0,) * 5)
    changes[f"entities[{AMD}].share_price_factor_correlation"] = 0.0
    changes[f"deals[{WARRANT}].holder_sells_on_vesting"] = False
    s = edit(default_scenario(), changes)
    c = simulate_claims(s, paths=8192, seed=11, settings=Settings(antithetic=False))
    value = c.warrant("amd-warrant", "value")[:, 0, :] / SHARES
    prob = c.warrant("amd-warrant", "prob")[:, 0, :]
    for k in range(5):
        est, se = _mean_se(value[:, k])
        p = float(prob[:, k].mean())
        expected = p * (S0 - 0.01)
        assert abs(est - expected) < 3 * se, (k, est, expected, se)
    assert 0.05 < prob[:, 2].mean() < 0.95  # a milestone that is genuinely uncertain


def test_scenario_measure_close_reproduces_the_engine() -> None:
    """Under the scenario's own prices, the close-above rule is the engine's vesting."""
    s = default_scenario()
    plan = static_plan(s)
    x, out = paths_from_normals(s, plan, draw_normals(s, plan, 3, 0, 512))
    c = simulate_claims(
        s, paths=512, seed=3, settings=Settings(measure="scenario", antithetic=False)
    )
    engine_vested = (out.tranche_vested[:, -1, :] > 0).astype(float)
    assert np.array_equal(c.warrant("amd-warrant", "prob")[:, 0, :], engine_vested)
    assert x.paths == 512


def test_antithetic_pairs_are_mirrored_paths() -> None:
    """Pair i is path i of the plain run and the path its negated normals give."""
    s = default_scenario()
    plain = simulate_claims(s, paths=64, seed=9, settings=Settings(antithetic=False))
    anti = simulate_claims(s, paths=64, seed=9, settings=Settings(antithetic=True))
    a = anti.warrant("amd-warrant", "value")
    np.testing.assert_array_equal(a[:, 0, :], plain.warrant("amd-warrant", "value")[:32, 0, :])
    assert anti.paths == 64


def test_variance_reduction_is_measured_and_helps() -> None:
    """Measured gains, not assumed: antithetic pairs help the 1 GW tranche; the martingale
    controls help it a great deal (it vests at a known quarter, where the control is
    the payoff) and the whole warrant still several times."""
    out = value_scenario(default_scenario(), paths=4096, seed=2, antithetic=True)
    w = out["warrants"]["amd-warrant"]
    t1 = w["tranches"][0]["variance_reduction"]
    assert t1["antithetic"] > 1.5 and t1["total"] > 20
    assert w["variance_reduction"]["total"] > 2


def test_control_variate_estimate_agrees_with_the_plain_mean() -> None:
    """Same paths, two estimators of one mean: they differ by less than 3 plain s.e."""
    c = simulate_claims(default_scenario(), paths=4096, seed=8)
    assert not c.settings.antithetic
    value = c.warrant("amd-warrant", "value").sum(axis=2)
    plain = stats.mean(value)
    cv = stats.controlled_mean(value, c.warrant("amd-warrant", "controls"))
    assert abs(cv["mean"] - plain["mean"]) < 3 * plain["mean_stderr"]
    assert cv["mean_stderr"] < plain["mean_stderr"]


def test_controlled_mean_on_a_known_linear_model() -> None:
    """y = 2 + 3 c1 - c2 + noise with mean-zero controls: the estimate is within 3 s.e.
    of 2, and the gain is close to Var(y) / Var(noise)."""
    rng = np.random.default_rng(0)
    c = rng.standard_normal((20_000, 1, 2))
    noise = 0.1 * rng.standard_normal((20_000, 1))
    y = 2.0 + 3.0 * c[..., 0] - c[..., 1] + noise
    got = stats.controlled_mean(y, c)
    assert abs(got["mean"] - 2.0) < 3 * got["mean_stderr"]
    assert got["gain"] == pytest.approx(10.01 / 0.01, rel=0.05)


# ---- direction: theory says which way the figures move ---------------------------


def _claims(s: Scenario, hurdle: Literal["close", "touch"] = "close", paths: int = 4096) -> Claims:
    # Common random numbers: the edits below change no random column, so path i sees
    # the same normals in both runs and the paired difference is precise.
    return simulate_claims(s, paths=paths, seed=3, settings=Settings(hurdle=hurdle))


def _paired(a: Claims, b: Claims, key: str) -> tuple[np.ndarray, np.ndarray]:
    d = b.warrant("amd-warrant", key).mean(axis=1) - a.warrant("amd-warrant", key).mean(axis=1)
    return d.mean(axis=0), d.std(axis=0, ddof=1) / math.sqrt(d.shape[0])


@pytest.mark.parametrize("hurdle", ["close", "touch"])
def test_higher_share_price_volatility_raises_the_warrant_value(
    hurdle: Literal["close", "touch"],
) -> None:
    """The tranches are up-and-in claims with a near-zero strike: their value
    ``S_0 Q^S(touch)`` rises with volatility. With touch monitoring the vesting odds of
    the tranches with a hurdle above the spot rise too (the touch probability of a GBM
    rises with its volatility)."""
    key = f"entities[{AMD}].share_price_volatility_annual"
    low = _claims(edit(default_scenario(), {key: 0.4}), hurdle)
    high = _claims(edit(default_scenario(), {key: 0.8}), hurdle)
    diff, se = _paired(low, high, "value")
    assert diff.sum() > 3 * math.sqrt((se**2).sum())  # conservative: ignores covariance
    if hurdle == "touch":
        dp, sp = _paired(low, high, "prob")
        assert np.all(dp[1:4] > 3 * sp[1:4]), (dp, sp)


GROWTH = (
    "users_growth_decay",
    "revenue_per_payer_growth_q",
    "revenue_per_payer_growth_decay",
    "enterprise_growth_q",
    "enterprise_growth_decay",
    "paying_share_end",
)


def _growth_uncertainty(scale: float) -> Scenario:
    """The default scenario with the ranges of the lab's revenue-growth drivers scaled."""
    data = default_scenario().model_dump(mode="json")
    users = data["entities"][0]["users"]
    for key in GROWTH:
        prov, v = users[key]["provenance"], users[key]["value"]
        prov["low"], prov["high"] = v - (v - prov["low"]) * scale, v + (prov["high"] - v) * scale
    from computeloop import parse_scenario

    return parse_scenario(data)


def test_central_path_reaches_two_gw_but_not_three_and_a_half_by_expiry() -> None:
    """The premise of the next test: the central path's AMD GW at the warrant's expiry."""
    s = default_scenario()
    from computeloop.engine import run_engine

    out = run_engine(compile_inputs(s))
    j = out.deal_names.index("amd-6gw")
    expiry = s.time.index(s.deal("amd-warrant").expiry)  # type: ignore[union-attr]
    gw = float(out.deal["gw_delivered"][0, : expiry + 1, j].sum())
    assert 2.0 < gw < 3.5


@pytest.mark.parametrize("hurdle", ["close", "touch"])
def test_more_revenue_growth_uncertainty_moves_milestone_odds_like_digitals(
    hurdle: Literal["close", "touch"],
) -> None:
    """A GW milestone is a digital on the lab's deployment. Wider revenue-growth
    uncertainty lowers the odds of a milestone the central path reaches before expiry
    (2 GW) and raises those of milestones it misses (3.5 and 5 GW), as more variance
    does for in- and out-of-the-money digitals."""
    narrow = _claims(_growth_uncertainty(0.25), hurdle, 16384)
    wide = _claims(_growth_uncertainty(1.6), hurdle, 16384)
    dp, sp = _paired(narrow, wide, "prob")
    assert dp[1] < -3 * sp[1], (dp, sp)
    assert np.all(dp[2:4] > 3 * sp[2:4]), (dp, sp)
    dv, sv = _paired(narrow, wide, "value")
    assert dv[1] < -3 * sv[1] and dv[3] > 3 * sv[3], (dv, sv)


def test_regression_pin_default_scenario() -> None:
    """Seeded pin: 1,024 paths, seed 2025 (update only with a reason)."""
    out = value_scenario(default_scenario(), paths=1024, seed=2025)
    w = out["warrants"]["amd-warrant"]
    assert w["headline_value_usd"] == 37.136e9
    assert w["fair_value_usd"]["mean"] == pytest.approx(PIN_FAIR_VALUE, rel=1e-6)
    assert w["tranches"][0]["vesting_probability"]["p"] == pytest.approx(PIN_P1, abs=1e-12)


PIN_FAIR_VALUE = 15231617348.93192
PIN_P1 = 0.9765625
