"""`computeloop value` in process: JSON keys and standard errors, tables, bad input.

Exit codes: 0 ok, 2 bad input (one `error:` line on stderr, no traceback).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from computeloop import default_scenario, monte_carlo
from computeloop.valuation import value_scenario, warrant_summary
from helpers import case

PATHS = "1024"
# Every key named in docs/valuation.md, "JSON".
KEYS = [
    "schema_version",
    "scenario",
    "seed",
    "paths",
    "antithetic",
    "measure",
    "hurdle_monitoring",
    "rate",
    *(
        f"warrants.amd-warrant.{k}"
        for k in (
            "issuer",
            "holder",
            "shares",
            "strike_usd",
            "valuation_quarter",
            "share_price_usd",
            "headline_value_usd",
            "fair_value_usd.mean",
            "fair_value_usd.p95_stderr",
            "fair_value_over_headline.ratio",
            "vested_shares.mean",
            "all_tranches_vest_probability.p",
            "issuer_dilution.mean",
            "revenue_from_holder_pv_usd.mean",
            "vendor_financed_share.ratio",
            "vendor_financed_share.ratio_stderr",
            "variance_reduction",
        )
    ),
    *(
        f"warrants.amd-warrant.tranches.{i}.{k}"
        for i in range(5)
        for k in (
            "shares",
            "gw_milestone",
            "price_hurdle_usd",
            "headline_value_usd",
            "fair_value_usd.mean",
            "fair_value_usd.p5",
            "fair_value_usd.p50",
            "vesting_probability.p",
            "expected_vesting_years",
            "expected_vesting_years_stderr",
            "expected_vesting_quarter",
            "issuer_dilution.mean",
            "variance_reduction",
        )
    ),
    *(
        f"equity_investments.nvidia-investment.{k}"
        for k in (
            "headline_value_usd",
            "paid_in_pv_usd.mean",
            "stake_value_pv_usd.mean",
            "net_value_usd.mean",
            "fully_paid_probability.p",
            "expected_years_to_full",
            "vendor_financed_share.ratio",
        )
    ),
]
ESTIMATES = ("mean", "p", "ratio", "p5", "p50", "p95", "expected_vesting_years")


def dig(obj: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        obj = obj[int(key)] if isinstance(obj, list) else obj[key]
    return obj


def estimates(obj: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any], str]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ESTIMATES or k == "expected_years_to_full":
                yield where, obj, k
            yield from estimates(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from estimates(v, f"{where}.{i}")


@pytest.fixture(scope="module")
def value_json() -> Any:
    from typer.testing import CliRunner

    from computeloop.cli.common import app

    result = CliRunner().invoke(app, ["value", "--paths", PATHS, "--seed", "7", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("key", KEYS)
def test_json_has_documented_key(value_json: Any, key: str) -> None:
    dig(value_json, key)


def test_every_estimate_has_a_standard_error(value_json: Any) -> None:
    found = list(estimates(value_json))
    assert len(found) > 50
    for where, obj, k in found:
        assert f"{k}_stderr" in obj, f"{where}.{k}"


def test_json_figures_are_the_library_figures(value_json: Any) -> None:
    lib = value_scenario(default_scenario(), paths=int(PATHS), seed=7)
    assert value_json["warrants"] == lib["warrants"]
    assert value_json["warrants"]["amd-warrant"]["headline_value_usd"] == 37.136e9


def test_table_shows_tranches_and_headline(cli: Any) -> None:
    result = cli("value", "--paths", "512", "--seed", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "amd-warrant" in out and "$37.1B" in out and "fair value" in out
    assert "nvidia-investment" in out
    for k in range(1, 6):
        assert f"{k}: 32.00M" in out


def test_warrant_summary_runs_on_the_monte_carlo_paths() -> None:
    s = default_scenario()
    mc = monte_carlo(s, paths=256, seed=4)
    got = warrant_summary(mc)
    plain = value_scenario(s, paths=256, seed=4, antithetic=False)
    assert got == plain["warrants"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        case("zero paths", ["--paths", "0"], "paths"),
        case("one path", ["--paths", "1"], "at least 2"),
        case("negative seed", ["--seed", "-1"], "seed"),
        case("unknown scenario", ["no-such-scenario"], "no-such-scenario"),
        case("bad hurdle", ["--hurdle", "sometimes"], "hurdle"),
        case("bad measure", ["--measure", "physical"], "measure"),
        case("bad rate", ["--rate", "7"], "rate"),
    ],
)
def test_bad_input_exits_2(cli: Any, args: list[str], message: str) -> None:
    result = cli("value", *args, "--paths", "16") if "--paths" not in args else cli("value", *args)
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr and message in result.stderr
    assert "Traceback" not in result.output
    as_json = cli("value", *args, "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["ok"] is False


def test_scenario_without_warrants_values_the_equity_tranches(
    cli: Any, write_scenario: Any
) -> None:
    path = write_scenario(lambda data: data["deals"].pop(4))  # the AMD warrant
    out = json.loads(cli("value", path, "--paths", "64", "--seed", "1", "--json").stdout)
    assert out["warrants"] == {}
    assert out["equity_investments"]["nvidia-investment"]["paid_in_pv_usd"]["mean"] > 0
