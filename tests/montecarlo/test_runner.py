"""Monte Carlo runs: reproducible per path, independent of chunking and workers."""

from __future__ import annotations

import numpy as np
import pytest

from computeloop import default_scenario, simulate
from computeloop.analysis.risk import risk_metrics
from computeloop.errors import InputError
from computeloop.montecarlo import BLOCK, monte_carlo
from helpers import edit


@pytest.fixture(scope="module")
def base():
    return monte_carlo(default_scenario(), paths=3 * BLOCK + 123, seed=11, chunk_paths=BLOCK)


def _same(a, b) -> None:
    for name in a.summary.data_vars:
        np.testing.assert_array_equal(a.summary[name].values, b.summary[name].values, err_msg=name)


def test_per_path_results_do_not_depend_on_chunk_size(base) -> None:
    other = monte_carlo(default_scenario(), paths=3 * BLOCK + 123, seed=11, chunk_paths=2 * BLOCK)
    _same(base, other)
    np.testing.assert_array_equal(base.bands.revenue.values, other.bands.revenue.values)


@pytest.mark.parametrize(("workers", "chunk"), [(2, BLOCK), (3, 2 * BLOCK)])
def test_per_path_results_do_not_depend_on_workers(base, workers: int, chunk: int) -> None:
    """Threads with the compiled engine, processes without it."""
    other = monte_carlo(
        default_scenario(), paths=3 * BLOCK + 123, seed=11, chunk_paths=chunk, workers=workers
    )
    _same(base, other)
    for name in base.bands.data_vars:
        np.testing.assert_array_equal(base.bands[name].values, other.bands[name].values)


@pytest.mark.slow
def test_worker_processes_give_the_same_results(base, monkeypatch) -> None:
    """Without numba, workers are spawned processes (sent the scenario once each)."""
    monkeypatch.setenv("COMPUTELOOP_NO_NUMBA", "1")
    other = monte_carlo(
        default_scenario(), paths=3 * BLOCK + 123, seed=11, chunk_paths=BLOCK, workers=2
    )
    _same(base, other)


def test_progress_is_reported_in_order_up_to_the_total() -> None:
    seen: list[tuple[int, int]] = []
    monte_carlo(
        default_scenario(),
        paths=2 * BLOCK + 9,
        seed=2,
        workers=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(BLOCK, 2 * BLOCK + 9), (2 * BLOCK, 2 * BLOCK + 9), (2 * BLOCK + 9,) * 2]


def test_a_prefix_of_paths_is_the_same_whatever_the_total(base) -> None:
    short = monte_carlo(default_scenario(), paths=BLOCK + 5, seed=11)
    np.testing.assert_array_equal(
        short.summary.peak_funding_gap_usd.values,
        base.summary.peak_funding_gap_usd.values[: BLOCK + 5],
    )


def test_another_seed_gives_other_paths(base) -> None:
    other = monte_carlo(default_scenario(), paths=200, seed=12)
    assert not np.array_equal(
        other.summary.revenue_total_usd.values, base.summary.revenue_total_usd.values[:200]
    )


def test_without_uncertainty_every_path_is_the_deterministic_run() -> None:
    s = default_scenario()
    fixed = {p: q.value for p, q in s.quantities() if q.provenance is not None}
    fixed.update({"market.lab_demand_loading": 0.0})
    fixed.update({f"entities[{i}].share_price_volatility_annual": 0.0 for i in range(6)})
    quiet = edit(s, fixed)  # bare numbers: no assumption ranges, no volatility
    mc = monte_carlo(quiet, paths=50, seed=1)
    det = simulate(quiet).dataset
    assert np.allclose(mc.summary.peak_funding_gap_usd.values, float(det.lab_funding_gap.max()))
    assert np.allclose(mc.summary.gw_online_end.values, float(det.lab_gw_online[0, -1]))


def test_standard_errors_shrink_like_one_over_root_n() -> None:
    s = default_scenario()
    small = risk_metrics(monte_carlo(s, paths=2_000, seed=5))["lab"]["peak_funding_gap_usd"]
    large = risk_metrics(monte_carlo(s, paths=8_000, seed=5))["lab"]["peak_funding_gap_usd"]
    ratio = small["mean_stderr"] / large["mean_stderr"]
    assert ratio == pytest.approx(2.0, rel=0.15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"paths": 0}, "paths"),
        ({"paths": 10**12}, "paths"),
        ({"paths": 10, "seed": -1}, "seed"),
        ({"paths": 10, "chunk_paths": 10}, "chunk_paths"),
        ({"paths": 10, "workers": 0}, "workers"),
    ],
)
def test_bad_run_arguments_fail_before_any_work(kwargs, message) -> None:
    with pytest.raises(InputError, match=message):
        monte_carlo(default_scenario(), **kwargs)


def test_kept_series_agree_with_the_quantile_bands() -> None:
    mc = monte_carlo(default_scenario(), paths=2 * BLOCK, seed=3, keep_series=True)
    exact = mc.summary.series_funding_gap.values
    band = mc.bands.funding_gap.sel(quantile=0.95).values
    ranks = (exact <= band[None, :]).mean(axis=0)
    assert np.all(np.abs(ranks - 0.95) < 0.005)


def test_keeping_series_too_large_for_memory_is_refused() -> None:
    with pytest.raises(InputError, match="keep_series"):
        monte_carlo(default_scenario(), paths=40_000_000, seed=1, keep_series=True)
