"""Property tests of the engine: invariants over many parameter values at once.

Each hypothesis example is one engine call: the parameter values under test go in as
per-path ``overrides`` of ``compile_inputs``, one value per path, so a batch of values
costs a few milliseconds and paths can be compared with each other.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from computeloop import default_scenario
from computeloop.engine import compile_inputs, run_engine
from computeloop.errors import InputError
from computeloop.scenario.model import Scenario

from .test_engine import CHECKS, edit, engine_run

SETTINGS = settings(max_examples=25, deadline=None)
LAB = "entities[0]"
RPP = f"{LAB}.users.revenue_per_payer_month_usd"
ENTERPRISE = f"{LAB}.users.enterprise_revenue_q_start"
RAISE_CAP = f"{LAB}.funding.max_new_funding_q_usd"
CHIP_VENDORS = ["NVIDIA", "AMD", "Broadcom"]


def deal_field(s: Scenario, deal: str, name: str) -> str:
    index = [d.name for d in s.deals].index(deal)
    return f"deals[{index}].{name}"


def central(s: Scenario, path: str) -> float:
    return dict(s.quantities())[path].value


@cache
def monotone_base(policy: str, allocation: str, long_lived: bool = False) -> Scenario:
    """The default scenario, with the AMD warrant shares kept rather than sold.

    Sold warrant shares break monotonicity legitimately: a richer lab reaches an AMD
    GW milestone a quarter earlier, sells at that quarter's lower share price, and so
    receives less than a poorer lab that vests later (about $0.3B in the default).
    ``long_lived``: hardware and halls outlive the axis, so nothing taken goes offline
    before the end (otherwise GW taken earlier also retire earlier).
    """
    s = default_scenario()
    changes: dict[str, Any] = {
        "policy.on_shortfall": policy,
        "policy.allocation": allocation,
        deal_field(s, "amd-warrant", "holder_sells_on_vesting"): False,
    }
    if long_lived:
        for name in ("nvidia-10gw", "amd-6gw", "broadcom-10gw"):
            changes[deal_field(s, name, "useful_life_quarters")] = 40.0
        changes[deal_field(s, "stargate", "term_quarters")] = 40.0
    return edit(s, changes)


def assert_non_decreasing(values: np.ndarray, what: str) -> None:
    """Non-decreasing along axis 0 (paths in increasing order of the lever), up to dust."""
    steps = np.diff(values, axis=0)
    dust = 1e-9 * max(1.0, float(np.abs(values).max()))
    assert (steps >= -dust).all(), f"{what} falls by {-steps.min():.4g} between paths"


levels = st.lists(st.floats(0.2, 3.0), min_size=2, max_size=12).map(sorted)
policies = st.sampled_from(["defer", "cancel"])
allocations = st.sampled_from(["pro_rata", "in_order"])


@SETTINGS
@given(scales=levels, policy=policies, allocation=allocations)
def test_more_revenue_never_means_fewer_gw_delivered(
    scales: list[float], policy: str, allocation: str
) -> None:
    s = monotone_base(policy, allocation)
    k = np.array(scales)
    overrides = {RPP: central(s, RPP) * k, ENTERPRISE: central(s, ENTERPRISE) * k}
    ds, _ = engine_run(s, k.size, overrides)
    cumulative = ds.gw_delivered.sum("deal").cumsum("quarter").values  # (path, quarter)
    assert_non_decreasing(cumulative, "cumulative GW delivered")


@SETTINGS
@given(scales=levels, policy=policies, allocation=allocations)
def test_more_revenue_never_means_fewer_gw_online_at_the_end(
    scales: list[float], policy: str, allocation: str
) -> None:
    s = monotone_base(policy, allocation, long_lived=True)
    k = np.array(scales)
    overrides = {RPP: central(s, RPP) * k, ENTERPRISE: central(s, ENTERPRISE) * k}
    ds, _ = engine_run(s, k.size, overrides)
    assert_non_decreasing(ds.lab_gw_online.isel(quarter=-1).values, "GW online at the end")


@SETTINGS
@given(caps=st.lists(st.floats(0.0, 80e9), min_size=2, max_size=12).map(sorted), policy=policies)
def test_more_new_capital_never_means_fewer_gw_or_less_vendor_revenue(
    caps: list[float], policy: str
) -> None:
    s = monotone_base(policy, "pro_rata")
    ds, _ = engine_run(s, len(caps), {RAISE_CAP: np.array(caps)})
    per_deal = ds.gw_delivered.cumsum("quarter").isel(quarter=-1).values  # (path, deal)
    for j, name in enumerate(ds.deal.values):
        assert_non_decreasing(per_deal[:, j], f"GW delivered under {name}")
    vendor_revenue = ds.revenue_from_lab.sel(entity=CHIP_VENDORS).sum(["quarter", "entity"])
    assert_non_decreasing(vendor_revenue.values, "chip vendors' revenue from the lab")


@SETTINGS
@given(scales=levels, policy=policies)
def test_a_lab_with_ample_capital_takes_every_gw_on_schedule(
    scales: list[float], policy: str
) -> None:
    s = edit(default_scenario(), {RAISE_CAP: 1e13, "policy.on_shortfall": policy})
    k = np.array(scales)
    overrides = {RPP: central(s, RPP) * k, ENTERPRISE: central(s, ENTERPRISE) * k}
    ds, x = engine_run(s, k.size, overrides)
    for j, d in enumerate(x.deals):
        np.testing.assert_allclose(
            ds.gw_delivered.isel(deal=j).values, np.broadcast_to(d.schedule, (k.size, 32))
        )


# --- random scenarios: every assumption drawn from its own range ------------------------


@cache
def assumption_ranges() -> dict[str, tuple[float, float]]:
    """Each assumption of the default scenario that the engine can vary across paths."""
    s = default_scenario()
    out: dict[str, tuple[float, float]] = {}
    for path, qty in s.quantities():
        p = qty.provenance
        if p is None or p.low is None or p.high is None:
            continue
        try:
            compile_inputs(s, 1, {path: np.array([qty.value])})
        except InputError:  # structural (whole quarters) or unused by the engine
            continue
        out[path] = (p.low, p.high)
    return out


@cache
def extremes() -> dict[str, tuple[float, float]]:
    """Wider than the scenario's ranges: zero revenue and capital, free chips, a 0% lease."""
    s = default_scenario()
    amd = [e.name for e in s.entities].index("AMD")
    return {
        f"{LAB}.cash_usd": (0.0, 1e12),
        RAISE_CAP: (0.0, 1e12),
        f"{LAB}.users.weekly_users_start": (1.0, 5e9),
        f"{LAB}.users.users_growth_q": (-0.5, 2.0),
        ENTERPRISE: (0.0, 1e11),
        f"{LAB}.revenue_per_gw_year_usd": (1e6, 1e11),
        f"{LAB}.valuation_revenue_multiple": (0.0, 100.0),
        "policy.min_cash_usd": (0.0, 1e11),
        deal_field(s, "nvidia-10gw", "chip_usd_per_gw"): (0.0, 1e11),
        deal_field(s, "nvidia-10gw", "other_usd_per_gw"): (0.0, 1e11),
        deal_field(s, "nvidia-10gw", "lease_rate_annual"): (0.0, 0.5),
        deal_field(s, "nvidia-investment", "max_usd"): (0.0, 1e12),
        deal_field(s, "amd-6gw", "binding_gw"): (0.0, 6.0),
        f"entities[{amd}].share_price_drift_annual": (-0.9, 1.0),
    }


@st.composite
def draws(draw: st.DrawFn, ranges: dict[str, tuple[float, float]]) -> dict[str, np.ndarray]:
    """One value per path for every quantity in ``ranges``."""
    paths = draw(st.integers(1, 8))
    return {
        path: np.array(draw(st.lists(st.floats(lo, hi), min_size=paths, max_size=paths)))
        for path, (lo, hi) in ranges.items()
    }


def test_random_scenarios_vary_many_assumptions() -> None:
    assert len(assumption_ranges()) >= 30


@SETTINGS
@given(overrides=draws(assumption_ranges()), policy=policies, allocation=allocations)
def test_accounting_identities_hold_across_the_assumption_ranges(
    overrides: dict[str, np.ndarray], policy: str, allocation: str
) -> None:
    s = edit(default_scenario(), {"policy.on_shortfall": policy, "policy.allocation": allocation})
    ds, x = engine_run(s, len(next(iter(overrides.values()))), overrides)
    for check in CHECKS.values():
        check(ds, x)


@SETTINGS
@given(overrides=draws(extremes()), policy=policies)
def test_no_nan_or_inf_anywhere_even_at_extremes(
    overrides: dict[str, np.ndarray], policy: str
) -> None:
    s = edit(default_scenario(), {"policy.on_shortfall": policy})
    ds, x = engine_run(s, len(next(iter(overrides.values()))), overrides)
    for name, var in ds.data_vars.items():
        assert np.isfinite(var.values).all(), f"{name} is not finite"
    for check in CHECKS.values():
        check(ds, x)


@SETTINGS
@given(overrides=draws(assumption_ranges()), pick=st.integers(0, 7))
def test_a_path_of_a_batch_equals_a_run_of_that_path_alone(
    overrides: dict[str, np.ndarray], pick: int
) -> None:
    s = default_scenario()
    paths = len(next(iter(overrides.values())))
    i = pick % paths
    batch = run_engine(compile_inputs(s, paths, overrides))
    alone = run_engine(compile_inputs(s, 1, {k: v[i : i + 1] for k, v in overrides.items()}))
    for group in ("lab", "deal", "entity"):
        for name, arr in getattr(batch, group).items():
            np.testing.assert_array_equal(arr[i], getattr(alone, group)[name][0], err_msg=name)
    np.testing.assert_array_equal(batch.tranche_vested[i], alone.tranche_vested[0])
