"""Static inputs of Monte Carlo runs: which numbers vary, how they are drawn and correlated.

Statistical checks allow 3 standard errors and use fixed seeds, so each is a deterministic
pin that a fresh seed would fail with probability about 0.3%. The standard error of a
sample Spearman correlation is ``(1 - rho^2) sqrt(1.06 / (n - 3))`` (Fieller, Hartley and
Pearson (1957), *Biometrika* 44: var(atanh r_s) ~ 1.06 / (n - 3)); of a proportion p,
``sqrt(p (1 - p) / n)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from computeloop import default_scenario
from computeloop.engine import EngineInputs
from computeloop.errors import ScenarioError
from computeloop.montecarlo import monte_carlo
from computeloop.sampling.static import static_plan
from computeloop.scenario.distributions import Pert
from computeloop.scenario.loader import load_scenario
from computeloop.scenario.model import Scenario
from helpers import case, edit

N_STAT = 20_000
GROWTH_DECAY = "entities[0].users.users_growth_decay"  # assumption 0.80 / 0.88 / 0.95
ENTERPRISE_GROWTH = "entities[0].users.enterprise_growth_q"  # assumption 0.3 / 0.7 / 1.0
REVENUE_PER_GW = "entities[0].revenue_per_gw_year_usd"  # assumption 6e9 / 12e9 / 20e9
INTEREST = "entities[0].funding.interest_rate_annual"  # assumption, used once
USERS_GROWTH = "entities[0].users.users_growth_q"  # derived: fixed unless given a dist
ONE_OFF = "entities[0].costs.one_offs[0].usd"  # derived; a cash one-off is used twice
ONE_OFF_CASH = "entities[0].costs.one_offs[0].cash"
BROADCOM_CHIP = "deals[5].chip_usd_per_gw"  # assumption; also sets the production cost
BROADCOM_MARGIN = "entities[3].gross_margin"  # assumption


def spearman_se(rho: float, n: int) -> float:
    return (1.0 - rho * rho) * math.sqrt(1.06 / (n - 3))


def proportion_se(p: float, n: int) -> float:
    return math.sqrt(p * (1.0 - p) / n)


Captured = tuple[dict[str, np.ndarray], list[EngineInputs]]


def run_capturing(mp: pytest.MonkeyPatch, scenario: Scenario, paths: int, seed: int) -> Captured:
    """Run a Monte Carlo, keeping what the runner fed the engine: overrides and inputs."""
    from computeloop.montecarlo import runner

    calls: list[tuple[dict[str, np.ndarray], EngineInputs]] = []
    real = runner.compile_inputs

    def spy(s: Scenario, n: int, overrides: Any = None, shocks: Any = None) -> EngineInputs:
        x = real(s, n, overrides, shocks)
        calls.append(({k: np.asarray(v) for k, v in (overrides or {}).items()}, x))
        return x

    mp.setattr(runner, "compile_inputs", spy)
    try:
        monte_carlo(scenario, paths=paths, seed=seed)
    finally:
        mp.setattr(runner, "compile_inputs", real)
    draws = {k: np.concatenate([c[0][k] for c in calls]) for k in calls[0][0]}
    return draws, [c[1] for c in calls]


@pytest.fixture
def capture(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Captured]:
    def run(scenario: Scenario, paths: int, seed: int = 1) -> Captured:
        return run_capturing(monkeypatch, scenario, paths, seed)

    return run


def plan_draws(s: Scenario, n: int = N_STAT, seed: int = 7) -> dict[str, np.ndarray]:
    plan = static_plan(s)
    return plan.draw(np.random.default_rng(seed).standard_normal((n, plan.columns)))


# --- which numbers vary ----------------------------------------------------------------


VARYING = {
    "assumption with a range": REVENUE_PER_GW,
    "assumption, lab policy": "policy.min_cash_usd",
    "assumption, deal term": "deals[0].rent_usd_per_gw_year",
    "assumption, warrant tranche": "deals[4].tranches[1].gw_milestone",
}
NOT_VARYING = {
    "fact": "deals[1].chip_usd_per_gw",
    "derived": USERS_GROWTH,
    "bare number": "entities[0].debt_usd",
    "bare zero": "entities[0].costs.research.share_of_revenue",
    "schedule GW (assumption)": "deals[1].schedule[1].gw",
    "whole quarters (assumption)": "deals[1].useful_life_quarters",
    "lookahead quarters (assumption)": "policy.lookahead_quarters",
    "ramp quarters (assumption)": "entities[0].users.paying_share_ramp_quarters",
}


@pytest.mark.parametrize("path", VARYING.values(), ids=VARYING.keys())
def test_an_assumption_with_a_range_varies(path: str) -> None:
    s = default_scenario()
    plan = static_plan(s)
    q = dict(s.quantities())[path]
    assert path in plan.paths
    assert plan.dists[plan.paths.index(path)] == Pert(
        low=q.provenance.low, mode=q.value, high=q.provenance.high
    )


@pytest.mark.parametrize("path", NOT_VARYING.values(), ids=NOT_VARYING.keys())
def test_facts_derived_bare_and_structural_numbers_do_not_vary(path: str) -> None:
    assert path not in static_plan(default_scenario()).paths


def test_fixed_true_keeps_an_assumption_at_its_value(capture) -> None:
    q = dict(default_scenario().quantities())[REVENUE_PER_GW]
    fixed = {"value": q.value, "assumption": "pinned", "low": 6e9, "high": 20e9, "fixed": True}
    s = edit(default_scenario(), {REVENUE_PER_GW: fixed})
    assert REVENUE_PER_GW not in static_plan(s).paths
    draws, inputs = capture(s, paths=50)
    assert REVENUE_PER_GW not in draws
    assert np.all(inputs[0].revenue_per_gw_q == q.value / 4.0)


@pytest.mark.parametrize(
    "path", [USERS_GROWTH, "deals[1].chip_usd_per_gw"], ids=["derived", "fact"]
)
def test_a_dist_makes_any_engine_number_vary(path: str) -> None:
    value = dict(default_scenario().quantities())[path].value
    dist = {"type": "uniform", "low": 0.5 * value, "high": 1.5 * value}
    s = edit(default_scenario(), {path: {"value": value, "dist": dist}})
    x = plan_draws(s, n=2000)[path]
    assert 0.5 * value <= x.min() < 0.55 * value and 1.45 * value < x.max() <= 1.5 * value


def test_a_dist_on_an_assumption_replaces_its_pert() -> None:
    dist = {"type": "uniform", "low": 7e9, "high": 9e9}
    s = edit(default_scenario(), {REVENUE_PER_GW: {"value": 8e9, "dist": dist}})
    x = plan_draws(s, n=2000)[REVENUE_PER_GW]
    assert x.min() >= 7e9 and x.max() <= 9e9


STRUCTURAL = {
    "schedule GW": ("deals[1].schedule[1].gw", 1.0),
    "lease quarters": ("deals[1].lease_quarters", 20.0),
    "useful life quarters": ("deals[3].useful_life_quarters", 24.0),
    "capacity term quarters": ("deals[0].term_quarters", 20.0),
    "policy lookahead quarters": ("policy.lookahead_quarters", 4.0),
    "builder share": ("deals[0].builders[0].share", 0.65),
}


@pytest.mark.parametrize(("path", "value"), STRUCTURAL.values(), ids=STRUCTURAL.keys())
def test_a_dist_on_a_structural_number_is_refused_naming_it(path: str, value: float) -> None:
    dist = {"type": "uniform", "low": 0.5 * value, "high": 1.5 * value}
    with pytest.raises(ScenarioError) as info:  # at load time, or when the run starts
        s = edit(default_scenario(), {path: {"value": value, "dist": dist}})
        monte_carlo(s, paths=10, seed=1)
    assert [p.location for p in info.value.problems] == [path]
    assert "cannot vary across paths" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "spec",
    [
        {"value": 0.1, "dist": {"type": "normal", "mean": 0.1, "sd": 0.5}},
        {"value": 0.1, "assumption": "wide", "low": -0.5, "high": 1.5},
    ],
    ids=["dist", "assumption-range"],
)
def test_draws_never_leave_the_fields_allowed_range(spec: dict[str, Any]) -> None:
    path = "entities[0].users.paying_share_end"  # a Fraction: must be in [0, 1]
    try:
        s = edit(default_scenario(), {path: spec})
    except ScenarioError as exc:  # refusing at load time is fine too
        assert path in str(exc)
        return
    x = plan_draws(s, n=5000)[path]
    assert x.min() >= 0.0 and x.max() <= 1.0


# --- one draw per path, used everywhere --------------------------------------------------


@pytest.fixture(scope="module")
def correlated() -> Scenario:
    """Default scenario, two assumptions rank-correlated at 0.7, a dist on a cash one-off."""
    return edit(
        default_scenario(),
        {
            "correlations": [{"a": GROWTH_DECAY, "b": ENTERPRISE_GROWTH, "rho": 0.7}],
            ONE_OFF: {"value": 5.7e9, "dist": {"type": "uniform", "low": 4e9, "high": 8e9}},
            ONE_OFF_CASH: True,
        },
    )


@pytest.fixture(scope="module")
def big_run(correlated: Scenario) -> Captured:
    """A 20,000-path run of ``correlated`` (several chunks), with what the engine got."""
    with pytest.MonkeyPatch.context() as mp:
        draws, inputs = run_capturing(mp, correlated, N_STAT, seed=2025)
    assert len(inputs) >= 2
    return draws, inputs


def _cat(inputs: list[EngineInputs], get: Callable[[EngineInputs], np.ndarray]) -> np.ndarray:
    return np.concatenate([get(x) for x in inputs], axis=0)


def test_each_varying_number_has_one_draw_per_path(big_run, correlated) -> None:
    draws, _ = big_run
    assert set(draws) == set(static_plan(correlated).paths)
    for path, x in draws.items():
        assert x.shape == (N_STAT,), path
        assert np.unique(x).size > N_STAT // 2, path  # continuous: (almost) all distinct


def test_the_engine_gets_exactly_the_sampled_values(big_run) -> None:
    draws, inputs = big_run
    np.testing.assert_array_equal(
        _cat(inputs, lambda x: x.revenue_per_gw_q), draws[REVENUE_PER_GW] / 4.0
    )
    np.testing.assert_array_equal(_cat(inputs, lambda x: x.min_cash), draws["policy.min_cash_usd"])
    np.testing.assert_array_equal(_cat(inputs, lambda x: x.lab_rate_q), draws[INTEREST] / 4.0)
    for k in range(5):  # tranche sizes must add up to the total: they never vary
        assert f"deals[4].tranches[{k}].shares" not in draws
        assert np.all(_cat(inputs, lambda x, k=k: x.warrants[0].shares[:, k]) == 32e6)


def test_a_number_used_in_two_places_gets_the_same_draw_in_both(big_run) -> None:
    draws, inputs = big_run
    one_off = draws[ONE_OFF]
    q2 = default_scenario().time.labels().index("2025Q2")
    np.testing.assert_array_equal(_cat(inputs, lambda x: x.one_off_pl[:, q2]), one_off)
    np.testing.assert_array_equal(_cat(inputs, lambda x: x.one_off_cash[:, q2]), one_off)
    chip = draws[BROADCOM_CHIP]
    broadcom = [x.deals[3] for x in inputs]
    assert broadcom[0].name == "broadcom-10gw"
    np.testing.assert_array_equal(np.concatenate([d.chip_per_gw for d in broadcom]), chip)
    np.testing.assert_allclose(
        np.concatenate([d.unit_cost_per_gw for d in broadcom]),
        chip * (1.0 - draws[BROADCOM_MARGIN]),
        rtol=1e-12,
    )


def test_assumption_draws_lie_in_their_range(big_run, correlated) -> None:
    quantities = dict(correlated.quantities())
    draws, _ = big_run
    checked = 0
    for path, x in draws.items():
        q = quantities[path]
        if q.dist is None:
            assert q.provenance.low <= x.min() and x.max() <= q.provenance.high, path
            checked += 1
    assert checked > 40


def test_assumption_draws_follow_pert_with_the_value_as_mode(big_run) -> None:
    x = big_run[0][REVENUE_PER_GW]
    low, mode, high = 6e9, 12e9, 20e9
    a, b = 1 + 4 * (mode - low) / (high - low), 1 + 4 * (high - mode) / (high - low)
    pert = stats.beta(a, b, loc=low, scale=high - low)
    assert abs(x.mean() - (low + 4 * mode + high) / 6) < 3 * x.std() / math.sqrt(x.size)
    below = float((x <= mode).mean())
    assert abs(below - pert.cdf(mode)) < 3 * proportion_se(pert.cdf(mode), x.size)
    assert stats.kstest(x, pert.cdf).pvalue > 0.001


# --- the interval shorthand --------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "median"), [("lognormal", 0.2), ("normal", 0.25)], ids=["lognormal", "normal"]
)
def test_interval_shorthand_in_a_file_gives_its_p5_and_p95(
    write_scenario, capture, shape: str, median: float
) -> None:
    path = write_scenario({USERS_GROWTH: {"p5": 0.1, "p95": 0.4, "shape": shape}})
    s = load_scenario(path)
    assert dict(s.quantities())[USERS_GROWTH].value == pytest.approx(median, rel=1e-12)
    n = 8192
    x = capture(s, paths=n, seed=4)[0][USERS_GROWTH]
    for level, bound in ((0.05, 0.1), (0.95, 0.4)):
        assert abs((x <= bound).mean() - level) < 3 * proportion_se(level, n), level


# --- rank correlations -------------------------------------------------------------------


def test_correlated_numbers_have_the_given_spearman_correlation(big_run) -> None:
    draws, _ = big_run
    r = stats.spearmanr(draws[GROWTH_DECAY], draws[ENTERPRISE_GROWTH]).statistic
    assert abs(r - 0.7) < 3 * spearman_se(0.7, N_STAT)


def test_numbers_without_a_correlation_stay_independent(big_run) -> None:
    draws, _ = big_run
    for other in (REVENUE_PER_GW, BROADCOM_CHIP):
        r = stats.spearmanr(draws[GROWTH_DECAY], draws[other]).statistic
        assert abs(r) < 3 * spearman_se(0.0, N_STAT), other


@pytest.mark.parametrize("rho", [-0.7, -0.3, 0.95])
def test_spearman_correlation_of_the_copula(rho: float) -> None:
    s = edit(
        default_scenario(),
        {"correlations": [{"a": REVENUE_PER_GW, "b": ENTERPRISE_GROWTH, "rho": rho}]},
    )
    draws = plan_draws(s)
    r = stats.spearmanr(draws[REVENUE_PER_GW], draws[ENTERPRISE_GROWTH]).statistic
    assert abs(r - rho) < 3 * spearman_se(rho, N_STAT)


def _corr(a: str, b: str, rho: Any) -> dict[str, Any]:
    return {"a": a, "b": b, "rho": rho}


A, B, C = GROWTH_DECAY, ENTERPRISE_GROWTH, REVENUE_PER_GW
BAD_CORRELATIONS = [
    case(
        "not-positive-definite",
        [_corr(A, B, -0.9), _corr(B, C, -0.9), _corr(A, C, -0.9)],
        "correlations",
        "not positive definite",
    ),
    case("unknown-path", [_corr(A, "entities[0].nope", 0.5)], "correlations[0].b", "nope"),
    case("self", [_corr(A, B, 0.2), _corr(C, C, 0.5)], "correlations[1]", "itself"),
    case(
        "duplicate-pair",
        [_corr(A, B, 0.5), _corr(B, A, 0.3)],
        "correlations[1]",
        "same pair as correlations[0]",
    ),
    case("rho-above-1", [_corr(A, B, 1.5)], "correlations[0].rho", "got 1.5"),
    case("rho-below-minus-1", [_corr(A, B, -1.01)], "correlations[0].rho", "got -1.01"),
    case("rho-not-a-number", [_corr(A, B, "high")], "correlations[0].rho", "'high'"),
]


@pytest.mark.parametrize(("correlations", "location", "fragment"), BAD_CORRELATIONS)
def test_bad_correlations_are_refused_when_the_file_loads(
    write_scenario, correlations: list[Any], location: str, fragment: str
) -> None:
    path = write_scenario({"correlations": correlations})
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert [p.location for p in info.value.problems] == [location]
    assert fragment in str(info.value)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("other", "edits"),
    [
        ("deals[1].chip_usd_per_gw", {}),  # a fact
        ("deals[1].schedule[1].gw", {}),  # an assumption, but structural
        (C, {C: {"value": 12e9, "assumption": "pinned", "low": 6e9, "high": 20e9, "fixed": True}}),
    ],
    ids=["fact", "structural", "fixed"],
)
def test_a_correlation_with_a_number_that_does_not_vary_is_refused_at_run_start(
    write_scenario, other: str, edits: dict[str, Any]
) -> None:
    corr = [_corr(A, B, 0.5), _corr(A, other, 0.3)]
    s = load_scenario(write_scenario({**edits, "correlations": corr}))  # loads fine
    with pytest.raises(ScenarioError) as info:
        monte_carlo(s, paths=10, seed=1)
    assert [p.location for p in info.value.problems] == ["correlations[1]"]
    assert other in str(info.value) and "do not vary" in str(info.value)


# --- bad distribution input in a file ----------------------------------------------------

Q = USERS_GROWTH
BAD_DISTS = [
    case(
        "negative-sd",
        {"value": 0.25, "dist": {"type": "normal", "mean": 0.25, "sd": -1}},
        "sd must be > 0, got -1",
    ),
    case(
        "negative-sd-no-value",
        {"dist": {"type": "normal", "mean": 0.25, "sd": -1}},
        "sd must be > 0, got -1",
    ),
    case("p95-below-p5", {"p5": 0.4, "p95": 0.1, "shape": "normal"}, "p95 (0.1) must be above p5"),
    case(
        "p95-below-p5-with-value",
        {"value": 0.25, "p5": 0.4, "p95": 0.1},
        "p95 (0.1) must be above p5 (0.4)",
    ),
    case("lognormal-p5-zero", {"p5": 0.0, "p95": 0.4}, "p5 must be > 0 for a lognormal interval"),
    case(
        "lognormal-p5-negative",
        {"value": 0.25, "p5": -0.1, "p95": 0.4},
        "p5 must be > 0 for a lognormal interval, got -0.1",
    ),
    case("unknown-type", {"value": 0.25, "dist": {"type": "gamma"}}, "unknown type 'gamma'"),
    case(
        "unknown-type-no-value",
        {"dist": {"type": "gamma"}},
        "unknown type 'gamma'",
    ),
    case(
        "truncation-without-mass",
        {"value": 0.25, "dist": {"type": "normal", "mean": 0, "sd": 1, "min": 50}},
        "leaves no probability mass",
    ),
    case(
        "truncation-without-mass-no-value",
        {"dist": {"type": "uniform", "low": 0, "high": 1, "min": 2, "max": 3}},
        "truncation to [2, 3] leaves no probability mass",
    ),
    case("missing-sd", {"value": 0.25, "dist": {"type": "normal", "mean": 0}}, "required"),
]


def _load_error(write_scenario: Callable[..., Path], spec: dict[str, Any]) -> ScenarioError:
    path = write_scenario({Q: spec})
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


@pytest.mark.parametrize(("spec", "fragment"), BAD_DISTS)
def test_bad_distribution_in_a_file_is_one_readable_line(
    write_scenario, spec: dict[str, Any], fragment: str
) -> None:
    exc = _load_error(write_scenario, spec)
    text = str(exc)
    assert len(exc.problems) == 1 and "\n" not in text, text
    assert text.startswith(Q) and "scenario.yaml" in text, text
    assert fragment in text, text


def _tag(reason: str) -> str:
    return f"the union tag leaks into the location (loader._render_loc): {reason}"


LOCATIONS = [
    case(
        "negative-sd",
        {"value": 0.25, "dist": {"type": "normal", "mean": 0.25, "sd": -1}},
        f"{Q}.dist",
    ),
    case(
        "negative-sd-no-value",
        {"dist": {"type": "normal", "mean": 0.25, "sd": -1}},
        f"{Q}.dist",
    ),
    case(
        "missing-sd",
        {"value": 0.25, "dist": {"type": "normal", "mean": 0}},
        f"{Q}.dist.sd",
    ),
    case(
        "truncation-without-mass",
        {"value": 0.25, "dist": {"type": "uniform", "low": 0, "high": 1, "min": 2, "max": 3}},
        f"{Q}.dist",
    ),
    case("unknown-type", {"value": 0.25, "dist": {"type": "gamma"}}, f"{Q}.dist.type"),
    case(
        "unknown-type-no-value",
        {"dist": {"type": "gamma"}},
        f"{Q}.dist.type",
    ),
    # The shorthand's p5/p95 become the number's `dist`, which is where errors point.
    case("p95-below-p5", {"p5": 0.4, "p95": 0.1}, f"{Q}.dist"),
    case(
        "p95-below-p5-with-value",
        {"value": 0.25, "p5": 0.4, "p95": 0.1},
        f"{Q}.dist",
    ),
    case("lognormal-p5-zero", {"p5": 0.0, "p95": 0.4}, f"{Q}.dist"),
]


@pytest.mark.parametrize(("spec", "location"), LOCATIONS)
def test_bad_distribution_location_is_the_field_path(
    write_scenario, spec: dict[str, Any], location: str
) -> None:
    exc = _load_error(write_scenario, spec)
    assert [p.location for p in exc.problems] == [location]


def test_an_unknown_key_in_a_dist_lists_the_distributions_fields(write_scenario) -> None:
    spec = {"value": 0.25, "dist": {"type": "normal", "mean": 0.25, "sd": 1, "scale": 2}}
    exc = _load_error(write_scenario, spec)
    assert [p.location for p in exc.problems] == [f"{Q}.dist"]
    assert "unknown field 'scale'" in str(exc)
    assert "'sd'" in str(exc) and "provenance" not in str(exc)
