"""Summary metrics: exact semantics on synthetic arrays, and consistency with the dataset."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
import xarray as xr

from computeloop import default_scenario, simulate, summarize
from computeloop.analysis.metrics import (
    breakeven_quarter,
    lab_metrics,
    stranded_metrics,
    vendor_metrics,
    warrant_metrics,
)
from computeloop.api import with_policy
from computeloop.engine import compile_inputs, run_engine
from computeloop.results import Results, build_results
from computeloop.scenario.model import Scenario
from helpers import edit

QUARTERS = ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"]


def deal_index(s: Scenario, name: str) -> int:
    return [d.name for d in s.deals].index(name)


@cache
def default_run() -> Results:
    return simulate(default_scenario())


def fcf(*rows: list[float]) -> xr.DataArray:
    return xr.DataArray(
        np.array(rows, dtype=float),
        dims=("path", "quarter"),
        coords={"quarter": QUARTERS[: len(rows[0])]},
    )


class TestBreakevenQuarter:
    @pytest.mark.parametrize(
        ("row", "expected"),
        [
            ([1, 2, 3, 4, 5, 6], "2025Q1"),  # never negative: breakeven from the start
            ([-1, -2, 3, 4, 5, 6], "2025Q3"),
            ([-1, 2, -3, 4, 5, 6], "2025Q4"),  # dips again: counts from after the last dip
            ([-1, 0, 0, 1, 1, 1], "2025Q2"),  # zero is not a loss
            ([0, 0, 0, 0, 0, 0], "2025Q1"),
            ([-5, -4, -3, -2, -1, 0], "2026Q2"),  # only the last quarter
            ([1, 2, 3, 4, 5, -1], None),  # negative at the horizon: not within it
            ([-1, -1, -1, -1, -1, -1], None),
        ],
    )
    def test_first_quarter_from_which_fcf_stays_non_negative(
        self, row: list[float], expected: str | None
    ) -> None:
        assert breakeven_quarter(fcf(row)) == [expected]

    def test_each_path_is_judged_on_its_own(self) -> None:
        got = breakeven_quarter(fcf([-1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, -1], [1, 1, 1, -1, 1, 1]))
        assert got == ["2025Q2", None, "2026Q1"]

    def test_lab_metrics_report_the_most_common_breakeven_over_paths(self) -> None:
        r = default_run()
        one = r.dataset.isel(path=0)
        data = xr.concat([one] * 3, dim="path").assign_coords(path=np.arange(3))
        rows = np.ones((3, one.sizes["quarter"]))
        rows[:, 0] = -1.0  # all three lose money in the first quarter
        rows[2, -1] = -1.0  # and one of them again at the horizon
        data["lab_fcf"] = (("path", "quarter"), rows)
        assert lab_metrics(Results(data, r.scenario))["breakeven_quarter"] == "2025Q2"


class TestLabMetrics:
    def test_headline_lab_metrics_are_reductions_of_the_dataset(self) -> None:
        r = default_run()
        ds = r.dataset.isel(path=0)
        m = lab_metrics(r)
        assert m["gw_online_end"] == float(ds.lab_gw_online[-1])
        assert m["gw_delivered_total"] == pytest.approx(float(ds.gw_delivered.sum()), rel=1e-12)
        assert m["peak_funding_gap_usd"] == float(ds.lab_funding_gap.max())
        assert m["cash_end_usd"] == float(ds.lab_cash[-1])
        assert m["quarters_cash_negative"] == float((ds.lab_cash < 0).sum())
        by_year = m["revenue_by_year_usd"]
        assert list(by_year) == [str(y) for y in range(2025, 2033)]
        assert sum(by_year.values()) == pytest.approx(m["revenue_total_usd"], rel=1e-12)
        assert by_year["2025"] == pytest.approx(float(ds.lab_revenue[:4].sum()), rel=1e-12)

    def test_external_funding_counts_every_outside_source_once(self) -> None:
        r = default_run()
        ds = r.dataset.isel(path=0)
        inflows = (
            ds.lab_committed_funding
            + ds.lab_new_funding
            + ds.lab_vendor_investment_in
            + ds.lab_warrant_proceeds
        ).sum()
        debt_drawn = ds.lab_debt[-1] - r.scenario.lab.debt_usd.value
        got = lab_metrics(r)["cumulative_external_funding_usd"]
        assert got == pytest.approx(float(inflows + debt_drawn), rel=1e-12)

    def test_metrics_average_per_path_values_over_paths(self) -> None:
        s = default_scenario()
        caps = np.array([10e9, 40e9])
        x = compile_inputs(s, 2, {"entities[0].funding.max_new_funding_q_usd": caps})
        r = build_results(run_engine(x), s, None, "defer")
        online_end = r.dataset.lab_gw_online.isel(quarter=-1).values
        assert online_end[0] < online_end[1]  # the paths differ
        assert lab_metrics(r)["gw_online_end"] == pytest.approx(online_end.mean(), rel=1e-12)


class TestVendorMetrics:
    def test_nvidia_circularity_is_investment_per_gw_over_chip_price(self) -> None:
        # While the $100B cap is not reached, NVIDIA puts in $10B per GW and sells $35B.
        m = vendor_metrics(default_run())["NVIDIA"]
        assert m["investment_in_lab_usd"] < 100e9, "precondition: the cap is not hit"
        assert m["circularity_ratio"] == pytest.approx(10 / 35, rel=1e-12)

    def test_circularity_falls_once_the_investment_cap_binds(self) -> None:
        s = default_scenario()
        capped = edit(s, {f"deals[{deal_index(s, 'nvidia-investment')}].max_usd": 20e9})
        m = vendor_metrics(simulate(capped))["NVIDIA"]
        assert m["investment_in_lab_usd"] == pytest.approx(20e9, rel=1e-12)
        assert m["circularity_ratio"] == pytest.approx(20e9 / m["revenue_from_lab_usd"])
        assert m["circularity_ratio"] < 10 / 35

    def test_amd_circularity_is_warrant_value_over_revenue(self) -> None:
        r = default_run()
        sel = r.dataset.sel(entity="AMD", path=0)
        m = vendor_metrics(r)["AMD"]
        ratio = float(sel.warrant_value_given.sum() / sel.revenue_from_lab.sum())
        assert m["circularity_ratio"] == pytest.approx(ratio, rel=1e-12)
        assert m["warrant_value_given_usd"] > 0

    def test_planned_revenue_is_contracted_gw_times_chip_price(self) -> None:
        m = vendor_metrics(default_run())
        planned = {"NVIDIA": 10 * 35e9, "AMD": 6 * 15e9, "Broadcom": 10 * 10e9}
        for vendor, usd in planned.items():
            assert m[vendor]["revenue_from_lab_planned_usd"] == pytest.approx(usd, rel=1e-12)
            shortfall = usd - m[vendor]["revenue_from_lab_usd"]
            assert m[vendor]["revenue_shortfall_usd"] == pytest.approx(max(shortfall, 0.0))

    def test_a_vendor_with_no_revenue_has_no_ratio_rather_than_nan(self) -> None:
        s = default_scenario()
        broadcom = deal_index(s, "broadcom-10gw")
        starved = edit(
            with_policy(s, "cancel"),
            {
                f"deals[{broadcom}].binding_gw": 0.0,
                "entities[0].funding.max_new_funding_q_usd": 0.0,
            },
        )
        summary = summarize(simulate(starved))
        vendors = summary["metrics"]["vendors"]
        assert vendors["Broadcom"]["revenue_from_lab_usd"] == 0.0
        assert vendors["Broadcom"]["circularity_ratio"] is None
        json.dumps(summary, allow_nan=False)  # standard JSON: no NaN or Infinity


class TestWarrantAndStrandedMetrics:
    def test_amd_warrant_metrics(self) -> None:
        r = default_run()
        m = warrant_metrics(r)["amd-warrant"]
        vested = float(r.dataset.tranche_vested_shares.isel(path=0, quarter=-1).sum())
        assert m["vested_shares"] == vested
        assert m["vested_share_of_total"] == pytest.approx(vested / 160e6, rel=1e-12)
        assert m["dilution"] == pytest.approx(vested / (1.62e9 + vested), rel=1e-12)
        # As announced: 160M shares at the as-of price of $232.10.
        assert m["headline_value_usd"] == pytest.approx(160e6 * 232.10, rel=1e-12)
        first = m["tranches"][0]
        assert first["vesting_probability"] == 1.0
        delivered = r.dataset.gw_delivered.sel(deal="amd-6gw", path=0).cumsum("quarter")
        reached = str(delivered.quarter[int(np.argmax(delivered.values >= 1.0 - 1e-9))].values)
        assert first["vesting_quarter"] == reached

    def test_stranded_custom_silicon_is_written_down_net_of_resale(self) -> None:
        r = simulate(with_policy(default_scenario(), "cancel"))
        sel = r.dataset.isel(path=0, quarter=-1)
        stranded_gw = float(sel.gw_stranded.sel(deal="broadcom-10gw"))
        assert stranded_gw > 0, "precondition: the lab cancels Broadcom GW already made"
        # $10B per GW at a 60% margin costs $4B to make; 5% comes back on resale.
        expected = stranded_gw * 10e9 * (1 - 0.60) * (1 - 0.05)
        m = stranded_metrics(r)["Broadcom"]
        assert m["usd"] == pytest.approx(expected, rel=1e-9)
        assert m["at_risk_usd"] == pytest.approx(float(sel.inventory_usd.sel(entity="Broadcom")))


def test_summary_is_standard_json_with_run_provenance() -> None:
    r = simulate(default_scenario(), seed=3)
    summary = summarize(r)
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["seed"] == 3
    assert summary["paths"] == 1 and summary["policy"] == "defer"
    assert summary["scenario_hash"] == default_scenario().content_hash()
    assert summary["horizon"] == {"start": "2025Q1", "end": "2032Q4"}
    assert summarize(simulate(default_scenario()))["seed"] is None
