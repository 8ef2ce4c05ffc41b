"""Risk metrics of Monte Carlo runs: analytic benchmarks, standard errors, JSON shape.

On N(0, 1) samples the closed forms are: p5 = -1.645, p95 = 1.645, p50 = 0 and CVaR95 =
phi(1.645) / 0.05 = 2.063 (Acerbi and Tasche (2002), *J. Banking & Finance* 26(7)); a
sample quantile at level q has sampling sd sqrt(q (1 - q) / N) / phi(z_q) (Serfling
(1980), *Approximation Theorems of Mathematical Statistics*, sec. 2.3). Seeds are fixed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from computeloop import default_scenario
from computeloop.analysis.risk import describe, probability, risk_metrics
from computeloop.api import summarize_monte_carlo
from computeloop.montecarlo import BAND_QUANTILES, monte_carlo
from helpers import edit

Z95 = float(stats.norm.ppf(0.95))
CVAR95 = float(stats.norm.pdf(Z95)) / 0.05
TRUTH = {"mean": 0.0, "p5": -Z95, "p50": 0.0, "p95": Z95, "cvar95": CVAR95}
ESTIMATES = ("mean", "p5", "p50", "p95", "cvar95")


def quantile_sd(level: float, n: int) -> float:
    z = float(stats.norm.ppf(level))
    return math.sqrt(level * (1 - level) / n) / float(stats.norm.pdf(z))


# --- describe and probability on synthetic data ------------------------------------------


def test_describe_of_normal_samples_matches_the_closed_forms() -> None:
    n = 100_000
    d = describe(np.random.default_rng(20251017).standard_normal(n))
    true_sd = {
        "mean": 1 / math.sqrt(n),
        "p5": quantile_sd(0.05, n),
        "p50": quantile_sd(0.5, n),
        "p95": quantile_sd(0.95, n),
        "cvar95": d["cvar95_stderr"],  # no simple closed form; checked below
    }
    for key in ESTIMATES:
        assert abs(d[key] - TRUTH[key]) < 3 * true_sd[key], (key, d[key])


def test_describe_stderrs_agree_with_the_true_sampling_sd() -> None:
    n, repeats = 8192, 200
    runs = [describe(np.random.default_rng(seed).standard_normal(n)) for seed in range(repeats)]
    for key in ESTIMATES:
        spread = np.std([r[key] for r in runs], ddof=1)
        reported = np.mean([r[f"{key}_stderr"] for r in runs])
        assert reported == pytest.approx(spread, rel=0.3), key
    assert np.mean([r["p5_stderr"] for r in runs]) == pytest.approx(quantile_sd(0.05, n), rel=0.3)


def test_describe_mean_stderr_is_sd_over_root_n() -> None:
    x = np.arange(100.0)
    d = describe(x)
    assert d["mean"] == 49.5
    assert d["mean_stderr"] == pytest.approx(x.std(ddof=1) / 10.0, rel=1e-12)


def test_cvar95_is_the_mean_of_the_largest_5_percent() -> None:
    x = np.arange(1.0, 1001.0)  # p95 = 950.05; the 50 values above it average 975.5
    assert describe(x)["cvar95"] == pytest.approx(975.5)


@pytest.mark.parametrize(("hits", "n"), [(3, 10), (0, 50), (50, 50), (123, 4096)])
def test_probability_stderr_is_binomial(hits: int, n: int) -> None:
    event = np.zeros(n, dtype=bool)
    event[:hits] = True
    out = probability(event)
    p = hits / n
    assert out == {"p": p, "p_stderr": pytest.approx(math.sqrt(p * (1 - p) / n), abs=1e-15)}


# --- the JSON of a Monte Carlo run -------------------------------------------------------

PATHS = 3000


@pytest.fixture(scope="module")
def mc():
    return monte_carlo(default_scenario(), paths=PATHS, seed=17)


@pytest.fixture(scope="module")
def summary(mc) -> dict[str, Any]:
    return summarize_monte_carlo(mc)


def dicts(obj: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping in the JSON with its dotted location."""
    if isinstance(obj, dict):
        yield where, obj
        for k, v in obj.items():
            yield from dicts(v, f"{where}.{k}" if where else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from dicts(v, f"{where}[{i}]")


def test_every_estimate_has_its_stderr(summary) -> None:
    seen: dict[str, int] = {}
    for where, d in dicts(summary["metrics"]):
        for key in ("mean", "p", "ratio", "p5", "p50", "p95", "cvar95"):
            if key in d:
                seen[key] = seen.get(key, 0) + 1
                stderr = d.get(f"{key}_stderr")
                assert isinstance(stderr, float), f"{where}.{key}_stderr"
                assert math.isfinite(stderr) and stderr >= 0, f"{where}.{key}_stderr"
    assert set(seen) == {"mean", "p", "ratio", "p5", "p50", "p95", "cvar95"}
    assert seen["mean"] > 20 and seen["p"] > 5


def test_every_numeric_estimate_has_a_stderr_sibling(summary) -> None:
    inputs = {"revenue_from_lab_planned_usd", "headline_value_usd", "shares"}  # not estimates
    missing = [
        f"{where}.{k}"
        for where, d in dicts(summary["metrics"])
        for k, v in d.items()
        if isinstance(v, float) and not k.endswith("_stderr") and k not in inputs
        if f"{k}_stderr" not in d
    ]
    assert missing == []


def test_probability_stderrs_in_the_json_are_binomial(summary) -> None:
    count = 0
    for where, d in dicts(summary["metrics"]):
        if "p" in d:
            p = d["p"]
            assert d["p_stderr"] == pytest.approx(math.sqrt(p * (1 - p) / PATHS)), where
            count += 1
    assert count > 5


def test_the_json_agrees_with_the_per_path_summary(mc, summary) -> None:
    lab = summary["metrics"]["lab"]
    gap = mc.summary.peak_funding_gap_usd.values
    assert lab["prob_needs_new_funding"]["p"] == float((gap > 0).mean())
    assert lab["peak_funding_gap_usd"]["mean"] == pytest.approx(gap.mean(), rel=1e-12)
    assert lab["gw_online_end"]["p50"] == pytest.approx(
        float(np.quantile(mc.summary.gw_online_end.values, 0.5)), rel=1e-12
    )
    assert risk_metrics(mc) == summary["metrics"]


def test_quantile_bands_are_ordered_in_every_quarter(summary) -> None:
    bands = summary["bands"]
    levels = [f"p{round(q * 100)}" for q in BAND_QUANTILES]
    assert levels == ["p5", "p25", "p50", "p75", "p95"]
    series = [k for k in bands if k != "quarter"]
    assert sorted(series) == ["cash", "fcf", "funding_gap", "gw_online", "revenue"]
    for name in series:
        table = np.array([bands[name][q] for q in levels])  # (5, quarters)
        assert table.shape == (5, len(bands["quarter"])), name
        assert np.all(np.diff(table, axis=0) >= 0), name


# --- more demand uncertainty, wider outcomes ---------------------------------------------


def _spread(x: np.ndarray) -> float:
    lo, hi = np.quantile(x, [0.05, 0.95])
    return float(hi - lo)


def test_more_demand_uncertainty_widens_revenue_and_gw_outcomes() -> None:
    # Static uncertainty switched off (bare numbers), so the spread is the demand factor's.
    # In the default scenario the absolute p5-p95 spread of revenue does NOT widen: the
    # capacity cap turns the mean-one demand shock into a fall in revenue proportional to
    # its level, which outweighs the extra dispersion (see the report to the lead).
    s = default_scenario()
    quiet = {path: q.value for path, q in s.quantities() if q.provenance is not None}
    spreads = {}
    for loading in (0.1, 0.5):
        scenario = edit(s, {**quiet, "market.lab_demand_loading": loading})
        ds = monte_carlo(scenario, paths=4096, seed=3).summary
        spreads[loading] = (_spread(ds.revenue_total_usd.values), _spread(ds.gw_online_end.values))
    assert spreads[0.5][0] > 2 * spreads[0.1][0]
    assert spreads[0.5][1] > 2 * spreads[0.1][1]


def test_cvar_counts_exactly_the_worst_share_even_with_ties_at_the_quantile() -> None:
    """A tranche that vests on 2% of paths: the worst 5% hold every payoff and 3% zeros."""
    from computeloop.analysis.risk import _cvar

    x = np.zeros(10_000)
    x[:200] = 7.4e9
    assert _cvar(x) == pytest.approx(x.mean() / 0.05)


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=20, max_size=300),
    st.sampled_from([0.9, 0.95, 0.99]),
)
def test_cvar_lies_between_the_quantile_and_the_maximum(values: list[float], level: float) -> None:
    from computeloop.analysis.risk import _cvar

    x = np.array(values)
    c = _cvar(x, level)
    assert np.quantile(x, level, method="lower") - 1e-6 <= c <= x.max() + 1e-6
    assert c >= x.mean() - 1e-6
