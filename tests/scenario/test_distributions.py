"""Distributions: sampled moments against closed forms, quantiles, truncation, validation.

Monte Carlo checks draw 200,000 values from a seeded Generator and allow 3 standard
errors: the mean within 3 sqrt(var / n), the variance within 3 sqrt((m4 - var^2) / n)
(m4: the sample's fourth central moment), a proportion p within 3 sqrt(p (1 - p) / n).
Seeds are fixed, so each check is a deterministic pin that would fail by chance with
probability about 0.3% for a fresh seed.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from computeloop.scenario.distributions import (
    Discrete,
    Distribution,
    Empirical,
    Interval,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
    default_for_assumption,
    mean,
    median,
    ppf,
    sample,
    variance,
)
from helpers import case

N = 200_000
ADAPTER: TypeAdapter[Distribution] = TypeAdapter(Distribution)
DATA = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]

CASES: dict[str, Distribution] = {
    "normal": Normal(mean=5, sd=2),
    "lognormal": LogNormal(median=10, sigma=0.5),
    "uniform": Uniform(low=-1, high=3),
    "triangular": Triangular(low=0, mode=1, high=4),
    "triangular-mode-at-low": Triangular(low=0, mode=0, high=1),
    "pert": Pert(low=8, mode=10, high=20),
    "pert-lambda-2": Pert(low=8, mode=10, high=20, lam=2),
    "discrete": Discrete(values=[5, 1, 2], weights=[1, 2, 1]),
    "empirical": Empirical(samples=DATA),
    "interval-lognormal": Interval(p5=2, p95=50),
    "interval-normal": Interval(p5=-1, p95=3, shape="normal"),
    "normal-truncated": Normal(mean=0, sd=1, min=0),
    "lognormal-truncated": LogNormal(median=10, sigma=0.5, min=8, max=14),
    "pert-truncated": Pert(low=8, mode=10, high=20, max=12),
    "discrete-truncated": Discrete(values=[1, 2, 3, 4], weights=[1, 0, 2, 1], max=3.5),
    "empirical-truncated": Empirical(samples=DATA, min=1.5, max=5.5),
    "interval-truncated": Interval(p5=2, p95=50, max=30),
}
TRUNCATED = [name for name, d in CASES.items() if d.min is not None or d.max is not None]


def draws(dist: Distribution, seed: int = 20251017) -> np.ndarray:
    return sample(dist, np.random.default_rng(seed), N)


def bounds(dist: Distribution) -> tuple[float, float]:
    lo = -math.inf if dist.min is None else dist.min
    return lo, math.inf if dist.max is None else dist.max


# --- sampled moments against the analytic ones ----------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_sample_mean_and_variance_within_3_standard_errors(name: str) -> None:
    dist = CASES[name]
    x = draws(dist)
    m, v = mean(dist), variance(dist)
    assert abs(x.mean() - m) <= 3 * math.sqrt(v / N)
    m4 = np.mean((x - x.mean()) ** 4)
    assert abs(x.var(ddof=1) - v) <= 3 * math.sqrt((m4 - v**2) / N)


def test_closed_forms() -> None:
    assert mean(CASES["pert"]) == pytest.approx((8 + 4 * 10 + 20) / 6)  # Vose: (a + 4m + b) / 6
    assert mean(Triangular(low=0, mode=1, high=4)) == pytest.approx(5 / 3)
    assert variance(Normal(mean=5, sd=2)) == pytest.approx(4)
    assert mean(LogNormal(median=10, sigma=0.5)) == pytest.approx(10 * math.exp(0.125))
    assert mean(Discrete(values=[5, 1, 2], weights=[1, 2, 1])) == pytest.approx(9 / 4)
    # a mixture of uniforms on consecutive order statistics, each of weight 1/(n - 1)
    assert mean(Empirical(samples=[0, 1, 3])) == pytest.approx((0.5 + 2) / 2)
    assert variance(Empirical(samples=[0, 2])) == pytest.approx(4 / 12)


def test_sample_uses_one_uniform_per_draw() -> None:
    dist = CASES["pert"]
    rng = np.random.default_rng(7)
    expected = ppf(dist, np.random.default_rng(7).random(5))
    assert np.array_equal(sample(dist, rng, 5), expected)
    assert rng.random() == np.random.default_rng(7).random(6)[-1]


# --- quantiles ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_ppf_is_monotone_in_u(name: str) -> None:
    x = ppf(CASES[name], np.linspace(1e-9, 1 - 1e-9, 10_001))
    assert np.all(np.diff(x) >= 0)
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize("shape", ["lognormal", "normal"])
def test_interval_hits_its_p5_and_p95(shape: Literal["lognormal", "normal"]) -> None:
    dist = Interval(p5=2, p95=50, shape=shape)
    assert ppf(dist, [0.05, 0.95]) == pytest.approx([2, 50], rel=1e-12)
    x = draws(dist)
    tol = 3 * math.sqrt(0.05 * 0.95 / N)
    assert np.mean(x < 2) == pytest.approx(0.05, abs=tol)
    assert np.mean(x > 50) == pytest.approx(0.05, abs=tol)


def test_empirical_reproduces_its_sample_quantiles() -> None:
    dist = CASES["empirical"]
    q = np.linspace(0, 1, 101)
    assert ppf(dist, q) == pytest.approx(np.quantile(DATA, q), rel=1e-12)
    order_stats = ppf(dist, np.arange(len(DATA)) / (len(DATA) - 1))
    assert order_stats == pytest.approx(np.sort(DATA), rel=1e-12)


def test_discrete_frequencies_match_weights_within_3_sigma_per_cell() -> None:
    x = draws(CASES["discrete"])
    for value, p in [(1, 0.5), (2, 0.25), (5, 0.25)]:
        assert np.mean(x == value) == pytest.approx(p, abs=3 * math.sqrt(p * (1 - p) / N))
    assert set(np.unique(x)) == {1.0, 2.0, 5.0}


@pytest.mark.parametrize(
    ("dist", "expected"),
    [
        case("normal", Normal(mean=5, sd=2), 5.0),
        case("lognormal", LogNormal(median=10, sigma=0.5), 10.0),
        case("interval", Interval(p5=1, p95=100), 10.0),
        case("pert", Pert(low=0, mode=5, high=10), 5.0),
        case("discrete-lower-median", Discrete(values=[2, 1], weights=[1, 1]), 1.0),
        case("discrete", Discrete(values=[1, 2, 3], weights=[1, 1, 3]), 3.0),
        case("empirical", Empirical(samples=DATA), float(np.median(DATA))),
        case("truncated", Normal(mean=0, sd=1, min=0), stats.truncnorm(0, np.inf).median()),
    ],
)
def test_median(dist: Distribution, expected: float) -> None:
    assert median(dist) == pytest.approx(expected, rel=1e-12)


# --- truncation -----------------------------------------------------------------------


@pytest.mark.parametrize("name", TRUNCATED)
def test_truncation_respects_bounds(name: str) -> None:
    dist = CASES[name]
    lo, hi = bounds(dist)
    for x in (draws(dist), ppf(dist, [0.0, 1e-15, 0.5, 1 - 1e-15, 1.0])):
        assert np.all((x >= lo) & (x <= hi))


def test_truncated_normal_matches_scipy_truncnorm() -> None:
    dist = Normal(mean=1, sd=2, min=0, max=4)
    ref = stats.truncnorm((0 - 1) / 2, (4 - 1) / 2, loc=1, scale=2)
    assert mean(dist) == pytest.approx(ref.mean(), rel=1e-9)
    assert variance(dist) == pytest.approx(ref.var(), rel=1e-9)
    u = np.linspace(0.01, 0.99, 99)
    assert ppf(dist, u) == pytest.approx(ref.ppf(u), rel=1e-9)


def test_truncated_lognormal_matches_its_closed_form() -> None:
    mu, s, a, b = math.log(10), 0.5, 8.0, 14.0
    phi = stats.norm.cdf
    lo, hi = (math.log(a) - mu) / s, (math.log(b) - mu) / s
    expected = math.exp(mu + s * s / 2) * (phi(hi - s) - phi(lo - s)) / (phi(hi) - phi(lo))
    assert mean(CASES["lognormal-truncated"]) == pytest.approx(expected, rel=1e-9)


def test_truncated_uniform_is_the_narrower_uniform() -> None:
    dist = Uniform(low=0, high=10, min=2, max=5)
    assert mean(dist) == pytest.approx(3.5)
    assert variance(dist) == pytest.approx(9 / 12)
    assert ppf(dist, [0.5]).tolist() == [3.5]


def test_truncated_discrete_renormalises_the_kept_weights() -> None:
    x = draws(CASES["discrete-truncated"])  # keeps 1 (weight 1) and 3 (weight 2)
    assert set(np.unique(x)) == {1.0, 3.0}
    assert np.mean(x == 3) == pytest.approx(2 / 3, abs=3 * math.sqrt(2 / 9 / N))


# --- defaults for assumptions -----------------------------------------------------------


def test_default_for_assumption_is_pert_on_the_range() -> None:
    assert default_for_assumption(10e9, 8e9, 20e9) == Pert(low=8e9, mode=10e9, high=20e9)
    assert default_for_assumption(8.0, 8.0, 20.0) == Pert(low=8, mode=8, high=20)
    assert default_for_assumption(5.0, 5.0, 5.0) is None


def test_default_for_assumption_rejects_a_value_outside_its_range() -> None:
    with pytest.raises(ValueError, match=re.escape("mode (30) must lie within")):
        default_for_assumption(30.0, 8.0, 20.0)
    with pytest.raises(ValueError, match=re.escape("value 4 lies outside its range [5, 5]")):
        default_for_assumption(4.0, 5.0, 5.0)


# --- parsing and validation -------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_plain_data_round_trip(name: str) -> None:
    dist = CASES[name]
    assert ADAPTER.validate_python(dist.model_dump(by_alias=True, exclude_none=True)) == dist


def test_pert_shape_is_written_lambda() -> None:
    dist = ADAPTER.validate_python({"type": "pert", "low": 0, "mode": 1, "high": 3, "lambda": 2})
    assert isinstance(dist, Pert)
    assert dist.lam == 2


INF, NAN = math.inf, math.nan
NORMAL = {"type": "normal", "mean": 0, "sd": 1}
LOGNORMAL = {"type": "lognormal", "median": 1, "sigma": 1}
THREE_POINT = {"low": 0, "mode": 1, "high": 4}
DISCRETE = {"type": "discrete", "values": [1, 2], "weights": [1, 1]}
EMPTY = "leaves no probability mass"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        case("sd-negative", {**NORMAL, "sd": -1}, "sd must be > 0, got -1"),
        case("sd-zero", {**NORMAL, "sd": 0}, "sd must be > 0, got 0"),
        case("mean-inf", {**NORMAL, "mean": INF}, "mean must be a finite number, got inf"),
        case("mean-nan", {**NORMAL, "mean": NAN}, "mean must be a finite number, got nan"),
        case("mean-bool", {**NORMAL, "mean": True}, "Input should be a valid number"),
        case("mean-text", {**NORMAL, "mean": "1"}, "Input should be a valid number"),
        case("median-zero", {**LOGNORMAL, "median": 0}, "median must be > 0, got 0"),
        case("sigma-negative", {**LOGNORMAL, "sigma": -0.5}, "sigma must be > 0, got -0.5"),
        case(
            "uniform-reversed",
            {"type": "uniform", "low": 2, "high": 1},
            "high (1) must be above low (2)",
        ),
        case(
            "uniform-empty",
            {"type": "uniform", "low": 1, "high": 1},
            "high (1) must be above low (1)",
        ),
        case(
            "triangle-mode",
            {"type": "triangular", **THREE_POINT, "mode": 5},
            "mode (5) must lie within [low, high] = [0, 4]",
        ),
        case(
            "triangle-flat",
            {"type": "triangular", "low": 1, "mode": 1, "high": 1},
            "high (1) must be above low (1)",
        ),
        case(
            "pert-mode",
            {"type": "pert", **THREE_POINT, "mode": -1},
            "mode (-1) must lie within [low, high] = [0, 4]",
        ),
        case(
            "pert-lambda", {"type": "pert", **THREE_POINT, "lambda": 0}, "lambda must be > 0, got 0"
        ),
        case(
            "pert-lambda-inf",
            {"type": "pert", **THREE_POINT, "lambda": INF},
            "lambda must be a finite number, got inf",
        ),
        case(
            "discrete-empty", {**DISCRETE, "values": [], "weights": []}, "values must not be empty"
        ),
        case(
            "discrete-lengths",
            {**DISCRETE, "weights": [1]},
            "weights must have one entry per value: got 1 weights for 2 values",
        ),
        case(
            "discrete-negative",
            {**DISCRETE, "weights": [1, -1]},
            "weights must be >= 0, got -1 at index 1",
        ),
        case(
            "discrete-zero-sum",
            {**DISCRETE, "weights": [0, 0]},
            "weights must have a positive sum, got 0",
        ),
        case(
            "discrete-inf",
            {**DISCRETE, "values": [1, INF]},
            "values must be a finite number, got inf",
        ),
        case(
            "empirical-one",
            {"type": "empirical", "samples": [1]},
            "samples must hold at least 2 values, got 1",
        ),
        case(
            "empirical-nan",
            {"type": "empirical", "samples": [1, NAN]},
            "samples must be a finite number, got nan",
        ),
        case(
            "interval-reversed",
            {"type": "interval", "p5": 20, "p95": 10},
            "p95 (10) must be above p5 (20)",
        ),
        case(
            "interval-log-p5",
            {"type": "interval", "p5": 0, "p95": 10},
            "p5 must be > 0 for a lognormal interval, got 0",
        ),
        case(
            "interval-shape",
            {"type": "interval", "p5": 1, "p95": 10, "shape": "beta"},
            "Input should be 'lognormal' or 'normal'",
        ),
        case("trunc-reversed", {**NORMAL, "min": 2, "max": 1}, "max (1) must be above min (2)"),
        case("trunc-equal", {**NORMAL, "min": 1, "max": 1}, "max (1) must be above min (1)"),
        case("trunc-inf", {**NORMAL, "min": -INF}, "min must be a finite number, got -inf"),
        case("trunc-lognormal", {**LOGNORMAL, "max": -1}, f"truncation to [-inf, -1] {EMPTY}"),
        case(
            "trunc-uniform",
            {"type": "uniform", "low": 0, "high": 1, "min": 1},
            f"truncation to [1, inf] {EMPTY}",
        ),
        case("trunc-far-tail", {**NORMAL, "min": 50}, f"truncation to [50, inf] {EMPTY}"),
        case(
            "trunc-discrete",
            {**DISCRETE, "weights": [1, 0], "min": 1.5},
            f"truncation to [1.5, inf] {EMPTY}",
        ),
        case(
            "trunc-empirical",
            {"type": "empirical", "samples": [1, 2], "min": 2},
            f"truncation to [2, inf] {EMPTY}",
        ),
        case(
            "unknown-type", {"type": "gamma", "shape": 2}, "does not match any of the expected tags"
        ),
        case("unknown-field", {**NORMAL, "mode": 0}, "Extra inputs are not permitted"),
    ],
)
def test_validation_errors_state_the_rule_and_the_bad_value(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        ADAPTER.validate_python(data)


def test_the_interval_form_also_reads_inside_dist() -> None:
    """`dist: {p5, p95}` (no type) means the 90% interval, as written on the number."""
    from computeloop.scenario.quantity import Quantity

    qa = TypeAdapter(Quantity)
    inside = qa.validate_python({"dist": {"p5": 0.5, "p95": 0.6}})
    outside = qa.validate_python({"p5": 0.5, "p95": 0.6})
    assert inside.dist == outside.dist == Interval(p5=0.5, p95=0.6)
    assert inside.value == pytest.approx(math.sqrt(0.5 * 0.6))  # the lognormal's median
