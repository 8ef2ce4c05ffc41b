"""`computeloop stress` and `computeloop reverse-stress` in process.

Exit codes: 0 ok, 2 bad input (an `error:` line on stderr, no traceback).
"""

from __future__ import annotations

import json

import pytest

from computeloop.stress import PRESET_NAMES


def test_stress_preset_json(cli) -> None:
    res = cli("stress", "--preset", "lab-cut-50", "--json")
    assert res.exit_code == 0, res.output
    j = json.loads(res.stdout)
    for key in ("entities", "defaults", "rounds", "stranded", "glut", "industry", "start"):
        assert key in j
    nv = j["entities"]["NVIDIA"]["losses_usd"]
    assert nv["revenue"] > 0 and nv["inventory"] > 0
    assert j["start"] == "2027Q1"


def test_stress_table(cli) -> None:
    res = cli("stress", "--preset", "lab-cut-50")
    assert res.exit_code == 0, res.output
    for word in ("NVIDIA", "AMD", "Broadcom", "Oracle", "stranded", "price index"):
        assert word in res.stdout


def test_stress_shock_and_paths(cli) -> None:
    res = cli(
        "stress",
        "--shock",
        "revenue_shortfall:0.3@2027Q1",
        "--paths",
        "40",
        "--seed",
        "3",
        "--json",
    )
    assert res.exit_code == 0, res.output
    j = json.loads(res.stdout)
    assert j["paths"] == 40 and j["seed"] == 3
    assert "total_stderr" in j["entities"]["NVIDIA"]["losses_usd"]


def test_default_costs_deepen_the_missed_payment(cli) -> None:
    plain = json.loads(cli("stress", "--preset", "missed-lease-payment", "--json").stdout)
    costly = json.loads(
        cli(
            "stress",
            "--preset",
            "missed-lease-payment",
            "--alpha",
            "0.5",
            "--beta",
            "0.5",
            "--json",
        ).stdout
    )
    lenders = "builder lenders"
    assert (
        costly["entities"][lenders]["losses_usd"]["unpaid"]
        >= plain["entities"][lenders]["losses_usd"]["unpaid"]
    )
    assert costly["assumptions"]["alpha"] == 0.5


def test_help_lists_presets(cli) -> None:
    res = cli("stress", "--help")
    text = " ".join(res.stdout.split()).replace("- ", "-")  # undo line wrapping
    assert all(name in text for name in PRESET_NAMES)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--preset", "lab-cut-75"), "lab-cut-50"),
        (("--shock", "deployment_cut:2"), "0 to 1"),
        (("--shock", "cut"), "expected KIND:SIZE"),
        ((), "exactly one of --preset"),
        (("--preset", "lab-cut-50", "--shock", "delay:1"), "exactly one of --preset"),
        (("--preset", "lab-cut-50", "--paths", "0"), "paths"),
        (("--preset", "lab-cut-50", "--start", "2050Q1"), "outside the time axis"),
        (("--preset", "lab-cut-50", "--start", "soon"), "start"),
        (("--shock", "delay:1", "--start", "soon"), "--start"),
        (("--shock", "delay:1@soon"), "start"),
        (("--preset", "lab-cut-50", "--alpha", "2"), "alpha"),
    ],
)
def test_bad_input_exits_2(cli, args: tuple[str, ...], message: str) -> None:
    res = cli("stress", *args)
    assert res.exit_code == 2, res.output
    assert message in res.stderr
    assert "Traceback" not in res.output


def test_reverse_stress_json(cli) -> None:
    res = cli("reverse-stress", "--entity", "Broadcom", "--tol", "0.001", "--json")
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout)["results"][0]
    assert r["entity"] == "Broadcom" and r["found"] and r["tolerance"] == 0.001
    assert r["value_at_size"] >= 0.2 - 1e-9


@pytest.mark.parametrize(
    "args, message",
    [
        (("--axis", "sideways"), "axis"),
        (("--outcome", "vibes"), "outcome measure"),
        (("--entity", "Nobody"), "unknown"),
        (("--threshold", "-1"), "threshold"),
    ],
)
def test_reverse_stress_bad_input(cli, args: tuple[str, ...], message: str) -> None:
    res = cli("reverse-stress", *args)
    assert res.exit_code == 2, res.output
    assert message in res.stderr


def test_scenario_stress_with_unknown_deal_is_located(cli, write_scenario) -> None:
    path = write_scenario(
        {"stresses": [{"name": "x", "shocks": [{"kind": "delay", "size": 2, "deals": ["nope"]}]}]}
    )
    res = cli("stress", path, "--preset", "x")
    assert res.exit_code == 2
    assert "stresses[0].shocks[0].deals[0]" in res.stderr


def test_scenario_stress_runs(cli, write_scenario) -> None:
    path = write_scenario(
        {
            "stresses": [
                {"name": "slip", "shocks": [{"kind": "delay", "size": 2, "start": "2027Q1"}]}
            ]
        }
    )
    res = cli("stress", path, "--preset", "slip", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["stress"]["name"] == "slip"
