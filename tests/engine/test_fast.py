"""The compiled Monte Carlo engine equals the NumPy engine, bit for bit.

``engine.fast.run_summaries`` must give exactly ``path_summaries`` and ``band_rows`` of
``engine.core.run_engine`` (tolerance: zero; every float operation is done in the same
order, so any difference is a bug). Checked on a few thousand Monte Carlo paths of the
default scenario and of variants that take every branch of the quarter: defer and
cancel, pro-rata and in-order allocation, owned and leased chips, warrants vesting and
sold or kept, capacity contracts, binding GW and funding shortfalls.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computeloop import default_scenario
from computeloop.engine import fast
from computeloop.engine.core import run_engine
from computeloop.montecarlo import BLOCK, monte_carlo
from computeloop.montecarlo.runner import draw_normals, inputs_from_normals, summarise
from computeloop.montecarlo.summaries import band_rows, path_summaries
from computeloop.sampling.static import static_plan
from helpers import case, edit

pytestmark = pytest.mark.skipif(not fast.enabled(), reason="numba is not installed")

PATHS = 2500
TIGHT = {"entities[0].funding.max_new_funding_q_usd": 2e9}  # funding runs short
VARIANTS = [
    case("default", {}),
    case("cancel", {"policy.on_shortfall": "cancel", **TIGHT}),
    case("defer-tight", TIGHT),
    case("in-order", {"policy.allocation": "in_order", **TIGHT}),
    case("in-order-cancel", {"policy.allocation": "in_order", "policy.on_shortfall": "cancel"}),
    case("warrant-kept", {"deals[4].holder_sells_on_vesting": False}),
    case("owned-chips", {"deals[1].financing": "own", "deals[3].financing": "own"}),
    case("binding", {"deals[1].binding_gw": 3.0, "deals[5].binding_gw": 2.0, **TIGHT}),
    case("short-lookahead", {"policy.lookahead_quarters": 0, "entities[0].cash_usd": 1e9}),
]


def _both(changes: dict[str, object], seed: int = 17) -> tuple[dict, dict, dict, dict]:
    s = edit(default_scenario(), changes) if changes else default_scenario()
    plan = static_plan(s)
    x = inputs_from_normals(s, plan, draw_normals(s, plan, seed, 0, PATHS))
    assert fast.supports(x)
    out = run_engine(x)
    got, got_bands = fast.run_summaries(x)
    return path_summaries(x, out), band_rows(out), got, got_bands


@pytest.mark.parametrize("changes", VARIANTS)
def test_compiled_summaries_equal_the_numpy_engine(changes: dict[str, object]) -> None:
    ref, ref_bands, got, got_bands = _both(changes)
    assert list(got) == list(ref)
    for name, arr in ref.items():
        assert got[name].shape == arr.shape, name
        np.testing.assert_array_equal(got[name], arr, err_msg=name)
    assert list(got_bands) == list(ref_bands)
    for name, arr in ref_bands.items():
        np.testing.assert_array_equal(got_bands[name], arr, err_msg=name)


def test_the_variants_take_every_branch() -> None:
    """Guards the test above: each variant really exercises what it is named for."""
    ref, *_ = _both({"policy.on_shortfall": "cancel", **TIGHT})
    assert (ref["gw_cancelled_end"] > 0).mean() > 0.5
    ref, *_ = _both(TIGHT)
    assert (ref["gw_deferred_end"] > 0).mean() > 0.5
    assert (ref["cumulative_external_funding_usd"] > 0).all()
    ref, *_ = _both({})
    vested = ref["tranche_vested"]
    assert 0 < vested.mean() < 1  # some tranches vest, some do not
    assert np.isnan(ref["tranche_vest_index"]).any()
    assert (ref["warrant_value_given_usd"] > 0).any()
    assert (ref["stranded_usd"] > 0).any() or (ref["at_risk_usd"] > 0).any()
    assert np.isnan(ref["breakeven_index"]).any() and not np.isnan(ref["breakeven_index"]).all()


@pytest.mark.parametrize("extra", [300, 1], ids=["partial-block", "one-path-block"])
def test_monte_carlo_is_the_same_with_and_without_the_compiled_engine(
    monkeypatch, extra: int
) -> None:
    """Including a last block of one path, which the NumPy engine runs (NumPy sums one
    path's quarters pairwise, two or more paths' one after another)."""
    s = default_scenario()
    compiled = monte_carlo(s, paths=BLOCK + extra, seed=4)
    monkeypatch.setenv("COMPUTELOOP_NO_NUMBA", "1")
    assert not fast.enabled()
    plain = monte_carlo(s, paths=BLOCK + extra, seed=4)
    for name in plain.summary.data_vars:
        np.testing.assert_array_equal(
            compiled.summary[name].values, plain.summary[name].values, err_msg=name
        )
    for name in plain.bands.data_vars:
        np.testing.assert_array_equal(compiled.bands[name].values, plain.bands[name].values)


def test_summarise_falls_back_to_numpy_when_switched_off(monkeypatch) -> None:
    s = default_scenario()
    plan = static_plan(s)
    x = inputs_from_normals(s, plan, draw_normals(s, plan, 1, 0, 50))
    monkeypatch.setenv("COMPUTELOOP_NO_NUMBA", "1")
    assert not fast.supports(x)
    summaries, bands = summarise(x)
    np.testing.assert_array_equal(summaries["revenue_total_usd"], bands["revenue"].sum(axis=1))


def test_the_compiled_kernel_is_cached_on_disk_for_other_processes() -> None:
    """A fresh process loads the kernel instead of compiling it (a compile takes seconds;
    loading is checked through numba's own record of where the code came from)."""
    code = (
        "from computeloop.engine import fast; fast.warm_up(); "
        "k = fast._kernel_fn(); print(len(k.stats.cache_hits), len(k.stats.cache_misses))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    hits, misses = (int(v) for v in res.stdout.split())
    assert hits >= 1
    assert misses == 0


@pytest.mark.parametrize("paths", [2, 3, 17])
def test_a_few_paths_give_the_numpy_engines_summaries(paths: int) -> None:
    s = default_scenario()
    plan = static_plan(s)
    x = inputs_from_normals(s, plan, draw_normals(s, plan, 8, 0, paths))
    assert fast.supports(x)
    ref = path_summaries(x, run_engine(x))
    got, _ = fast.run_summaries(x)
    for name, arr in ref.items():
        np.testing.assert_array_equal(got[name], arr, err_msg=name)


def test_one_path_is_left_to_numpy() -> None:
    s = default_scenario()
    plan = static_plan(s)
    x = inputs_from_normals(s, plan, draw_normals(s, plan, 8, 0, 1))
    assert not fast.supports(x)


def test_scenarios_beyond_sequential_sums_fall_back_to_numpy(monkeypatch) -> None:
    """More deals (or tranches) than NumPy adds one by one: the NumPy engine runs."""
    s = default_scenario()
    plan = static_plan(s)
    x = inputs_from_normals(s, plan, draw_normals(s, plan, 1, 0, 50))
    assert fast.supports(x)
    monkeypatch.setattr(fast, "MAX_TERMS", len(x.deals) - 1)
    assert not fast.supports(x)
    called = []
    monkeypatch.setattr(fast, "run_summaries", lambda x: called.append(x))
    summaries, _ = summarise(x)
    assert not called
    assert summaries["peak_funding_gap_usd"].shape == (50,)


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(
        st.one_of(
            st.floats(-40.0, 40.0),
            st.sampled_from([-30.0, 30.0, 0.0, float("nan"), float("inf"), -float("inf")]),
        ),
        min_size=1,
        max_size=60,
    ),
    n=st.integers(2, 50),
    seed=st.integers(0, 2**32 - 1),
)
def test_uniform_grid_interpolation_is_numpys(x: list[float], n: int, seed: int) -> None:
    xp = np.linspace(-30.0, 30.0, n)
    fp = np.sort(np.random.default_rng(seed).normal(size=n))
    xs = np.array(x + list(xp) + list(np.nextafter(xp, 99.0)) + list(np.nextafter(xp, -99.0)))
    np.testing.assert_array_equal(fast.interp_uniform(xs, xp, fp), np.interp(xs, xp, fp))
