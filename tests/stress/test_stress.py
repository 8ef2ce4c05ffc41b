"""Stress runs on the default scenario: channels, presets, Monte Carlo, reverse stress."""

from __future__ import annotations

import numpy as np
import pytest

from computeloop import default_scenario
from computeloop.errors import InputError
from computeloop.scenario.stress import StressScenario, StressShock
from computeloop.scenario.timeaxis import Quarter
from computeloop.stress import (
    PRESET_NAMES,
    custom_stress,
    parse_shock,
    preset,
    reverse_stress,
    run_stress,
)
from computeloop.stress.network import edges, to_networkx, to_xarray
from computeloop.stress.reverse import measure_of, stress_at

VENDORS = ("NVIDIA", "AMD", "Broadcom")


@pytest.fixture(scope="module")
def cut50() -> dict:
    return run_stress(default_scenario(), preset("lab-cut-50")).to_json()


def test_lab_cut_50_traces_each_loss_to_its_channel(cut50: dict) -> None:
    ents = cut50["entities"]
    for name in (*VENDORS, "Oracle", "SoftBank"):
        assert ents[name]["losses_usd"]["total"] > 0, name
        assert ents[name]["losses_usd"]["revenue"] > 0, name
    assert ents["NVIDIA"]["losses_usd"]["inventory"] > 0
    assert ents["AMD"]["losses_usd"]["inventory"] > 0
    assert ents["Broadcom"]["losses_usd"]["stranded_custom"] > 0  # custom silicon
    assert ents["Broadcom"]["losses_usd"]["inventory"] == 0
    assert ents["Oracle"]["losses_usd"]["idle_capacity"] > 0
    for row in ents.values():
        lo = row["losses_usd"]
        assert lo["total"] == pytest.approx(sum(v for k, v in lo.items() if k != "total"))
    assert cut50["glut"]["peak_extra_glut_usd"] > 0
    assert cut50["glut"]["min_price_index"] < 1


def test_lab_cut_50_regression_pins(cut50: dict) -> None:
    """Seeded regression pins (deterministic run), rel. tolerance 1e-6."""
    ents = cut50["entities"]
    # NVIDIA: $35B/GW of chips at a 73% margin; 0.5 GW in production when cut, written
    # down to half of its $9.45B/GW cost.
    assert ents["NVIDIA"]["losses_usd"]["inventory"] == pytest.approx(0.5 * 35e9 * 0.27 * 0.5)
    # Broadcom: 0.5 GW of custom racks at $4B/GW cost, 5% resale.
    assert ents["Broadcom"]["losses_usd"]["stranded_custom"] == pytest.approx(0.5 * 4e9 * 0.95)
    # Oracle: 65% of 1.5 GW of halls under construction at $50B/GW, 30% not re-let.
    assert ents["Oracle"]["losses_usd"]["idle_capacity"] == pytest.approx(0.65 * 1.5 * 50e9 * 0.3)
    assert ents["NVIDIA"]["losses_usd"]["total"] == pytest.approx(1.990e10, rel=1e-3)


def test_larger_cut_never_lowers_a_vendor_loss() -> None:
    s = default_scenario()
    totals = [
        [run_stress(s, preset(n)).loss(v) for v in (*VENDORS, "Oracle", "SoftBank")]
        for n in ("lab-cut-25", "lab-cut-50", "lab-cut-100")
    ]
    assert np.all(np.diff(np.array(totals), axis=0) >= -1e-3)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_runs(name: str) -> None:
    j = run_stress(default_scenario(), preset(name)).to_json()
    assert j["stress"]["name"] == name
    assert set(j["entities"]) >= {"OpenAI", *VENDORS, "Oracle", "GPU lessors"}


def test_missed_lease_payment_goes_unpaid() -> None:
    j = run_stress(default_scenario(), preset("missed-lease-payment")).to_json()
    ents = j["entities"]
    assert ents["GPU lessors"]["losses_usd"]["unpaid"] > 0
    assert ents["Oracle"]["losses_usd"]["unpaid"] > 0
    assert ents["OpenAI"]["default_probability"] == 1.0
    # SoftBank (no cash of its own in the scenario) then misses its interest: a second
    # default round, and the builders' lenders are short.
    assert j["defaults"]["entities"] == ["OpenAI", "SoftBank"]
    assert j["defaults"]["baseline_entities"] == []
    assert j["rounds"]["clearing"] == 2
    assert ents["builder lenders"]["losses_usd"]["unpaid"] > 0


def test_amd_price_fall_stops_the_warrant_and_its_funding() -> None:
    r = run_stress(default_scenario(), preset("amd-price-50"))
    assert r.loss("AMD", "warrant") < 0  # fewer shares vest: less dilution
    assert r.loss("OpenAI", "warrant") > 0  # the lab loses the sale proceeds


def test_monte_carlo_stress_is_reproducible_with_stderrs() -> None:
    s = default_scenario()
    a = run_stress(s, preset("lab-cut-50"), paths=64, seed=5).to_json()
    b = run_stress(s, preset("lab-cut-50"), paths=64, seed=5).to_json()
    assert a == b
    nv = a["entities"]["NVIDIA"]
    assert nv["losses_usd"]["total_stderr"] > 0
    assert "loss_share_of_revenue_stderr" in nv
    assert len(a["industry"]["price_index_stderr"]) == s.time.n


def test_zero_shock_loses_nothing_on_the_same_paths() -> None:
    """Baseline and stressed runs share every draw: a zero shock changes no loss."""
    st = custom_stress([parse_shock("deployment_cut:0@2027Q1")])
    j = run_stress(default_scenario(), st, paths=40, seed=2).to_json()
    for row in j["entities"].values():
        assert row["losses_usd"]["total"] == pytest.approx(0.0, abs=1e-3)


def test_reverse_stress_checked_by_the_forward_stress() -> None:
    s = default_scenario()
    start = Quarter.parse("2027Q1")
    for vendor in VENDORS:
        r = reverse_stress(s, vendor, threshold=0.2, tol=1e-4)
        assert r.size is not None and 0 < r.size < 1
        at = run_stress(s, stress_at("deployment_cut", r.size, start, []))
        below = run_stress(s, stress_at("deployment_cut", r.size - 2 * r.tolerance, start, []))
        assert measure_of(at, vendor, "loss_share_of_revenue") >= 0.2 - 1e-9
        assert measure_of(below, vendor, "loss_share_of_revenue") < 0.2
        assert r.value_at_size == pytest.approx(measure_of(at, vendor, "loss_share_of_revenue"))


def test_reverse_stress_finds_the_builder_default() -> None:
    """SoftBank (no cash in the scenario) cannot pay its interest once the lab leaves
    enough of one quarter's bills unpaid; checked by the forward stress either side."""
    s = default_scenario()
    r = reverse_stress(s, "SoftBank", axis="missed_payment", measure="default", tol=1e-3)
    assert r.size is not None and 0 < r.size < 1
    q = Quarter.parse("2027Q1")
    at = run_stress(s, stress_at("missed_payment", r.size, q, []))
    below = run_stress(s, stress_at("missed_payment", r.size - r.tolerance, q, []))
    assert measure_of(at, "SoftBank", "default") == 1.0
    assert measure_of(below, "SoftBank", "default") == 0.0


def test_reverse_stress_reports_when_nothing_breaks() -> None:
    r = reverse_stress(default_scenario(), "NVIDIA", threshold=50.0)
    assert r.size is None and r.to_json()["found"] is False


def test_user_defined_shocks() -> None:
    s = default_scenario()
    st = custom_stress([parse_shock("deployment_cut:1@2027Q1,deals=nvidia-10gw")])
    r = run_stress(s, st)
    # Only NVIDIA's deal is cut; AMD is hit second-hand (the lab loses NVIDIA's equity
    # tranches, which were funding part of everything else), but far less.
    assert r.loss("NVIDIA") > 3 * abs(r.loss("AMD"))
    assert r.to_json()["stranded"]["built_ahead_gw"] == {"nvidia-10gw": 1.0}


@pytest.mark.parametrize(
    "spec, message",
    [
        ("cut:0.5", "unknown kind"),
        ("deployment_cut:half", "must be a number"),
        ("deployment_cut:1.5", "0 to 1"),
        ("delay:2.5", "whole number"),
        ("share_price:0.5", "entity"),
        ("deployment_cut:0.5,color=red", "bad option"),
        ("nonsense", "expected KIND:SIZE"),
    ],
)
def test_malformed_shock_specs(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_shock(spec)


def test_shock_outside_the_horizon_and_unknown_deal() -> None:
    s = default_scenario()
    with pytest.raises(InputError, match="outside the time axis"):
        run_stress(s, custom_stress([parse_shock("deployment_cut:0.5@2040Q1")]))
    with pytest.raises(InputError, match="unknown or non-delivering deal"):
        run_stress(s, custom_stress([parse_shock("delay:2,deals=nope")]))
    with pytest.raises(InputError, match="paths"):
        run_stress(s, preset("lab-cut-50"), paths=0)


def test_exposure_network_exports() -> None:
    from computeloop.engine import compile_inputs, run_engine

    s = default_scenario()
    x = compile_inputs(s)
    df = edges(s, x, run_engine(x))
    assert {"purchase", "lease", "rent", "debt", "equity_stake", "revenue_dependence"} <= set(
        df["kind"]
    )
    g = to_networkx(df, s)
    assert g.has_edge("OpenAI", "Oracle", key="rent")
    assert g.has_edge("NVIDIA", "OpenAI", key="equity_stake")
    assert g.nodes["builder lenders"]["kind"] == "outside"
    da = to_xarray(df, s.time.labels())
    assert da.sizes["quarter"] == s.time.n


def test_stress_defined_in_the_scenario() -> None:
    s = default_scenario()
    st = StressScenario(
        name="walkaway",
        shocks=[StressShock(kind="deployment_cut", size=1.0, deals=["nvidia-10gw"])],
    )
    s2 = s.model_validate({**s.model_dump(mode="json"), "stresses": [st.model_dump(mode="json")]})
    from computeloop.stress import find_stress

    assert find_stress(s2, "walkaway").shocks[0].deals == ["nvidia-10gw"]
    with pytest.raises(InputError, match="unknown name"):
        find_stress(s2, "nope")


def test_industry_glut_and_price_move_together(cut50: dict) -> None:
    ind = cut50["industry"]
    inv = np.array(ind["inventory_usd"])
    price = np.array(ind["price_index"])
    supply, demand = np.array(ind["supply_usd"]), np.array(ind["demand_usd"])
    assert np.all(inv >= 0)
    # what is on offer (last quarter's stock + supply) above demand <=> price below 1
    offer = np.concatenate([[0.0], inv[:-1]]) + supply
    assert np.all((offer > demand * (1 + 1e-9)) == (price < 1 - 1e-12))
    # before anything is shocked or delivered, supply meets demand at list price
    assert price[0] == pytest.approx(1.0)
    np.testing.assert_allclose(np.array(ind["gap_usd"]), supply - demand)


def test_networkx_edges_carry_amounts_per_quarter() -> None:
    from computeloop.engine import compile_inputs, run_engine

    s = default_scenario()
    x = compile_inputs(s)
    out = run_engine(x)
    g = to_networkx(edges(s, x, out), s)
    rent = g.edges["OpenAI", "Oracle", "rent"]
    assert rent["unit"] == "USD"
    assert rent["total"] == pytest.approx(out.entity["revenue_from_lab"][0, :, 4].sum())
    dep = g.edges["NVIDIA", "OpenAI", "revenue_dependence"]
    assert dep["unit"] == "share" and all(0 <= v <= 1 for v in dep["amounts"].values())
