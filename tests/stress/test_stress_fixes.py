"""Stress and reverse stress: one default start, refused shock keys, the grid-and-bisect
reverse search, and what the tables and JSON show.

The reverse-stress checks rerun the forward stress at the answer and one tolerance below
it (the definition of the answer, no published figure); the other figures are pinned on
the default scenario.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from computeloop import default_scenario
from computeloop.errors import InputError
from computeloop.scenario.stress import DEFAULT_START, StressShock
from computeloop.scenario.timeaxis import Quarter
from computeloop.stress import custom_stress, parse_shock, preset, reverse_stress, run_stress
from computeloop.stress.report import _ratio, denoise
from computeloop.stress.reverse import measure_of, stress_at

# --- 1. one default start --------------------------------------------------------------


def test_a_shock_without_a_quarter_starts_where_the_presets_do() -> None:
    s = default_scenario()
    bare = run_stress(s, custom_stress([parse_shock("deployment_cut:0.5")])).to_json()
    dated = run_stress(s, custom_stress([parse_shock("deployment_cut:0.5@2027Q1")])).to_json()
    assert DEFAULT_START == "2027Q1"
    assert (
        bare["start"] == dated["start"] == str(preset("lab-cut-50").shocks[0].start) == ("2027Q1")
    )
    for name, row in dated["entities"].items():
        assert bare["entities"][name]["losses_usd"] == row["losses_usd"], name


def test_reverse_answer_reproduced_by_stress_shock_without_quarter(cli) -> None:
    """The reported bug: reverse-stress gave NVIDIA 0.5258, but `stress --shock
    deployment_cut:0.5258` (no @QUARTER) started in 2026Q1 and gave 0.317."""
    rev = cli("reverse-stress", "--entity", "NVIDIA", "--json")
    assert rev.exit_code == 0, rev.output
    j = json.loads(rev.stdout)
    r = j["results"][0]
    assert j["start"] == r["start"] == "2027Q1"
    fwd = cli("stress", "--shock", f"deployment_cut:{r['size']!r}", "--json", "--no-store")
    assert fwd.exit_code == 0, fwd.output
    f = json.loads(fwd.stdout)
    assert f["start"] == "2027Q1"
    got = f["entities"]["NVIDIA"]["loss_share_of_revenue"]
    assert got == pytest.approx(r["value_at_size"], rel=1e-12)
    assert got >= 0.2


def test_scenario_stress_without_start_uses_the_default(cli, write_scenario) -> None:
    path = write_scenario(
        {"stresses": [{"name": "slip", "shocks": [{"kind": "delay", "size": 2}]}]}
    )
    res = cli("stress", path, "--preset", "slip", "--json", "--no-store")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["start"] == "2027Q1"


@pytest.mark.parametrize("command", ["stress", "reverse-stress"])
def test_help_shows_the_default_start_and_metavars(cli, command: str) -> None:
    res = cli(command, "--help")
    text = " ".join(res.stdout.split())
    assert "default 2027Q1" in text
    assert "list[str]" not in text
    if command == "stress":
        assert "--shock SPEC" in text and "1,000,000" in text


# --- 2. keys that do not apply are refused ---------------------------------------------


@pytest.mark.parametrize(
    "spec, words",
    [
        ("revenue_shortfall:0.3,deals=amd-6gw", ("'deals'", "revenue_shortfall", "only size")),
        ("revenue_shortfall:0.3,entity=AMD", ("'entity'", "revenue_shortfall", "only size")),
        ("delay:2,entity=AMD", ("'entity'", "delay", "takes deals")),
        ("deployment_cut:0.5,quarters=2", ("'quarters'", "deployment_cut", "takes deals")),
        ("missed_payment:1,deals=amd-6gw", ("'deals'", "missed_payment", "takes quarters")),
        ("share_price:0.5,deals=amd-6gw", ("'deals'", "share_price", "takes entity")),
    ],
)
def test_keys_that_do_not_apply_are_refused(cli, spec: str, words: tuple[str, ...]) -> None:
    with pytest.raises(InputError) as exc:
        parse_shock(spec)
    for w in words:
        assert w in str(exc.value)
    res = cli("stress", "--shock", spec, "--no-store")
    assert res.exit_code == 2, res.output
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.output
    assert all(w in res.stderr for w in words)


@pytest.mark.parametrize("entity", ["Broadcom", "OpenAI"])
def test_share_price_of_an_entity_without_one_is_refused(cli, entity: str) -> None:
    res = cli("stress", "--shock", f"share_price:0.5,entity={entity}", "--no-store")
    assert res.exit_code == 2, res.output
    assert f"'{entity}' has no share price" in res.stderr and "share_price" in res.stderr
    assert "['NVIDIA', 'AMD']" in res.stderr


def test_unknown_share_price_entity_is_refused(cli) -> None:
    res = cli("stress", "--shock", "share_price:0.5,entity=Nobody", "--no-store")
    assert res.exit_code == 2 and "unknown 'Nobody'" in res.stderr


@pytest.mark.parametrize(
    "shock, located",
    [
        ({"kind": "delay", "size": 2, "entity": "AMD"}, "'entity'|entity: does not apply to delay"),
        ({"kind": "revenue_shortfall", "size": 0.3, "deals": ["amd-6gw"]}, "deals"),
        ({"kind": "revenue_growth", "size": 0.3, "quarters": 3}, "quarters: does not apply"),
        ({"kind": "share_price", "size": 0.5, "entity": "Broadcom"}, "no share price"),
    ],
)
def test_scenario_stresses_refuse_keys_with_a_location(
    cli, write_scenario, shock: dict[str, Any], located: str
) -> None:
    path = write_scenario({"stresses": [{"name": "x", "shocks": [shock]}]})
    res = cli("stress", path, "--preset", "x", "--no-store")
    assert res.exit_code == 2, res.output
    assert "stresses[0].shocks[0]" in res.stderr or "stresses.0.shocks.0" in res.stderr
    assert any(part in res.stderr for part in located.split("|"))
    assert "Traceback" not in res.output


def test_a_dumped_scenario_with_stresses_loads_again() -> None:
    sh = StressShock(kind="deployment_cut", size=1.0, deals=["nvidia-10gw"])
    assert StressShock.model_validate(sh.model_dump(mode="json")) == sh


# --- 3. reverse stress: grid, first crossing, bisection ---------------------------------


def test_reverse_stress_finds_a_break_below_the_top_of_the_range() -> None:
    """AMD's loss share is 0.538 at a 0.8 cut but 0.46 at a full cut: the answer lies
    below 0.8, the forward stress reaches 0.5 there and not one tolerance below."""
    s = default_scenario()
    q = Quarter.parse("2027Q1")
    r = reverse_stress(s, "AMD", threshold=0.5, tol=1e-4)
    assert r.size is not None and 0.7 < r.size <= 0.8
    assert r.monotone is False and 0.85 in r.falls_below_at
    at = run_stress(s, stress_at("deployment_cut", r.size, q, []))
    below = run_stress(s, stress_at("deployment_cut", r.size - r.tolerance, q, []))
    assert measure_of(at, "AMD", "loss_share_of_revenue") >= 0.5
    assert measure_of(below, "AMD", "loss_share_of_revenue") < 0.5
    assert r.value_below is not None and r.value_below < 0.5 <= (r.value_at_size or 0)
    assert r.bracket[1] - r.bracket[0] <= r.tolerance
    j = r.to_json()
    assert len(j["grid"]["size"]) == len(j["grid"]["value"]) == 21
    assert j["grid"]["value"][16] == pytest.approx(0.538, abs=1e-3)  # the 0.8 cut


def test_reverse_stress_json_and_table_flag_non_monotone(cli) -> None:
    res = cli("reverse-stress", "--entity", "AMD", "--threshold", "0.5", "--json")
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout)["results"][0]
    assert r["found"] and r["monotone"] is False and r["start"] == "2027Q1"
    table = cli("reverse-stress", "--entity", "AMD", "--threshold", "0.5")
    text = " ".join(table.stdout.split())
    assert "not reached" not in text and "Not monotone" in text and "back below 0.5" in text


def test_delay_axis_scans_whole_quarters() -> None:
    r = reverse_stress(default_scenario(), "Oracle", axis="delay", threshold=0.05)
    assert r.size is not None and r.size == int(r.size) and r.tolerance == 1.0
    assert r.value_below is not None and r.value_below < 0.05 <= (r.value_at_size or 0)


def test_default_threshold_above_one_is_refused() -> None:
    with pytest.raises(InputError, match="threshold"):
        reverse_stress(default_scenario(), "SoftBank", measure="default", threshold=2.0)


# --- 4. what the output shows ------------------------------------------------------------


def test_table_says_path_not_paths(cli) -> None:
    res = cli("stress", "--preset", "lab-cut-50", "--no-store")
    assert res.exit_code == 0, res.output
    assert "(1 path)" in res.stdout and "path(s)" not in res.stdout
    mc = cli("stress", "--preset", "lab-cut-50", "--paths", "3", "--seed", "1", "--no-store")
    assert mc.exit_code == 0, mc.output
    assert "(3 paths)" in mc.stdout


def test_reverse_stress_default_outcome_in_words(cli) -> None:
    res = cli(
        "reverse-stress", "--axis", "missed_payment", "--outcome", "default", "--entity",
        "SoftBank", "--tol", "0.001",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "defaults in the clearing" in text and "default >=" not in text


def test_no_losses_and_no_glut_are_said_in_words(cli) -> None:
    res = cli("stress", "--shock", "delay:0", "--no-store")
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "no entity loses or gains anything" in text
    assert "peak extra glut none" in text.replace("│", "").replace("  ", " ")
    j = json.loads(cli("stress", "--shock", "delay:0", "--json", "--no-store").stdout)
    assert j["glut"]["peak_extra_glut_quarter"] is None
    assert j["glut"]["peak_extra_glut_usd"] == 0.0


@pytest.mark.parametrize(
    "spec", ["deployment_cut:2", "share_price:0.5", "delay:2.5", "missed_payment:1,quarters=0"]
)
def test_one_clean_message_per_problem(cli, spec: str) -> None:
    res = cli("stress", "--shock", spec, "--no-store")
    assert res.exit_code == 2
    assert "(size range" not in res.stderr and "shock: size" not in res.stderr
    assert res.stderr.count("shock ") == 1


def test_floating_point_noise_is_not_reported_as_a_loss(cli) -> None:
    """Under amd-price-50 the clearing leaves Oracle 6e-05 USD unpaid (relative 2e-16 of
    its obligations): noise, reported as 0; real losses are untouched."""
    j = json.loads(cli("stress", "--preset", "amd-price-50", "--json", "--no-store").stdout)
    assert j["entities"]["Oracle"]["losses_usd"]["unpaid"] == 0.0
    assert j["entities"]["Oracle"]["losses_usd"]["revenue"] > 1e8
    for row in j["entities"].values():
        assert 0.0 <= row["payment_ratio"] <= 1.0


def test_denoise_keeps_amounts_above_the_noise_level() -> None:
    assert denoise(6.1e-5, 3e11) == 0.0
    assert denoise(-250.0, 1e11) == -250.0  # 2.5e-9 relative: kept
    assert denoise(50.0, 1e11) == 0.0


def test_shares_snap_to_their_bounds() -> None:
    assert _ratio(0.9999999999999999) == 1.0
    assert _ratio(1e-17) == 0.0
    assert _ratio(0.995) == 0.995
