"""`computeloop run --paths N` in process: JSON keys, reproducibility, bad options, tables.

Exit codes: 0 ok, 2 bad input (one `error:` line per problem on stderr, no traceback).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from computeloop.montecarlo import BLOCK
from helpers import case

VENDORS = ["NVIDIA", "AMD", "Broadcom"]
STRANDED = ["NVIDIA", "AMD", "Broadcom", "Oracle", "SoftBank"]
SUMMARY = ["mean", "p5", "p50", "p95", "cvar95"]
BAND_SERIES = ["gw_online", "revenue", "cash", "funding_gap", "fcf"]
# Every key named in docs/cli.md, "Monte Carlo runs".
MC_KEYS = [
    "schema_version",
    "scenario",
    "scenario_hash",
    "computeloop_version",
    "seed",
    "paths",
    "policy",
    "horizon.start",
    "horizon.end",
    *(f"metrics.lab.prob_needs_new_funding.{k}" for k in ("p", "p_stderr")),
    *(
        f"metrics.lab.{m}.{k}{s}"
        for m in ("peak_funding_gap_usd", "gw_online_end", "cumulative_external_funding_usd")
        for k in SUMMARY
        for s in ("", "_stderr")
    ),
    *(f"metrics.lab.gw_online_by_year.{y}.mean" for y in range(2025, 2033)),
    "metrics.lab.breakeven.within_horizon.p",
    "metrics.lab.breakeven.median_quarter",
    "metrics.lab.prob_cash_below_zero.p",
    *(
        f"metrics.vendors.{v}.{k}"
        for v in VENDORS
        for k in (
            "revenue_from_lab_usd.mean",
            "revenue_from_lab_planned_usd",
            "revenue_shortfall_usd.p95",
            "revenue_shortfall_usd.var95",
            "investment_in_lab_usd.mean",
            "circularity_ratio.ratio",
            "circularity_ratio.ratio_stderr",
        )
    ),
    *(
        f"metrics.warrants.amd-warrant.{k}"
        for k in ("vested_shares.mean", "value_usd.mean", "headline_value_usd")
    ),
    *(
        f"metrics.warrants.amd-warrant.tranches.{i}.{k}"
        for i in range(5)
        for k in ("vesting_probability.p", "median_vesting_quarter", "value_usd.mean")
    ),
    *(f"metrics.stranded.{e}.{k}.mean" for e in STRANDED for k in ("usd", "at_risk_usd")),
    "bands.quarter",
    "warrants.amd-warrant.paths",
    "warrants.amd-warrant.headline_value_usd",
    *(f"warrants.amd-warrant.fair_value_usd.{k}" for k in ("mean", "mean_stderr", "p5", "p95")),
    *(f"warrants.amd-warrant.tranches.{i}.vesting_probability.p" for i in range(5)),
    *(f"bands.{s}.{q}" for s in BAND_SERIES for q in ("p5", "p25", "p50", "p75", "p95")),
]


def ok_json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def dig(obj: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        obj = obj[int(key)] if isinstance(obj, list) else obj[key]
    return obj


def assert_input_error(result: Any, pattern: str) -> None:
    """Exit 2, one `error:` line on stderr matching ``pattern``, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert re.search(pattern, lines[0]), lines[0]


@pytest.fixture(scope="module")
def run_3000() -> dict[str, Any]:
    from typer.testing import CliRunner

    from computeloop.cli import app

    result = CliRunner().invoke(app, ["run", "--paths", "3000", "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    return {"stdout": result.stdout, "stderr": result.stderr}


def test_run_paths_json_has_the_documented_keys(run_3000) -> None:
    out = json.loads(run_3000["stdout"])
    missing = []
    for key in MC_KEYS:
        try:
            dig(out, key)
        except (KeyError, IndexError, TypeError):
            missing.append(key)
    assert missing == []
    assert (out["seed"], out["paths"], out["policy"]) == (1, 3000, "defer")
    assert (out["scenario"], out["schema_version"]) == ("openai-2025-10", 1)
    assert len(out["bands"]["quarter"]) == len(out["bands"]["revenue"]["p50"]) == 32


def test_run_paths_json_is_only_json_on_stdout(run_3000) -> None:
    assert run_3000["stdout"].lstrip().startswith("{")
    assert "Traceback" not in run_3000["stderr"]


def test_the_same_seed_gives_the_same_json(cli, run_3000) -> None:
    again = cli("run", "--paths", "3000", "--seed", "1", "--json")
    assert again.exit_code == 0, again.output
    assert again.stdout == run_3000["stdout"]


def test_another_seed_gives_other_numbers(cli, run_3000) -> None:
    other = ok_json(cli("run", "--paths", "3000", "--seed", "2", "--json"))
    first = json.loads(run_3000["stdout"])
    assert other["seed"] == 2
    assert other["metrics"]["lab"]["gw_online_end"] != first["metrics"]["lab"]["gw_online_end"]


def test_chunk_size_does_not_change_the_json(cli) -> None:
    paths = str(2 * BLOCK + 100)  # three blocks: two chunks of 4096, or a chunk of 8192 and one
    small = cli("run", "--paths", paths, "--seed", "5", "--chunk-paths", "4096", "--json")
    large = cli("run", "--paths", paths, "--seed", "5", "--chunk-paths", "8192", "--json")
    assert small.exit_code == large.exit_code == 0, small.output + large.output
    assert small.stdout == large.stdout
    assert json.loads(small.stdout)["paths"] == 2 * BLOCK + 100


BAD_OPTIONS = [
    case("paths-zero", ["--paths", "0"], r"\bpaths: .*got 0$"),
    case("paths-negative", ["--paths", "-5"], r"\bpaths: .*got -5$"),
    case("paths-too-many", ["--paths", "10000000000"], r"\bpaths: .*50,000,000.*10000000000"),
    case("seed-negative", ["--seed", "-1"], r"\bseed: must be a non-negative whole number"),
    case(
        "seed-negative-monte-carlo",
        ["--paths", "100", "--seed", "-1"],
        r"\bseed: must be a non-negative whole number, got -1$",
    ),
    case(
        "chunk-paths-small", ["--paths", "100", "--chunk-paths", "100"], r"chunk[_-]paths: .*100$"
    ),
    case("workers-zero", ["--paths", "100", "--workers", "0"], r"\bworkers: .*got 0$"),
]


@pytest.mark.parametrize(("args", "pattern"), BAD_OPTIONS)
def test_bad_run_options_exit_2_with_one_error_line(cli, args: list[str], pattern: str) -> None:
    result = cli("run", *args)
    assert_input_error(result, pattern)
    assert result.stdout == ""


def test_bad_run_options_in_json_mode_also_report_json(cli) -> None:
    result = cli("run", "--paths", "0", "--json")
    assert_input_error(result, r"\bpaths: ")
    out = json.loads(result.stdout)
    assert out["ok"] is False and len(out["errors"]) == 1 and "paths" in out["errors"][0]


def test_a_dist_on_a_structural_number_is_a_clean_error(cli, write_scenario) -> None:
    spec = {"value": 1.0, "dist": {"type": "uniform", "low": 0.5, "high": 1.5}}
    path = write_scenario({"deals[1].schedule[1].gw": spec})
    result = cli("run", path, "--paths", "100", "--seed", "1")
    assert_input_error(result, r"^error: deals\[1\]\.schedule\[1\]\.gw: cannot vary across paths")
    assert str(path) in result.stderr  # the message names the file


def test_validate_refuses_what_a_monte_carlo_run_would_refuse(cli, write_scenario) -> None:
    """A correlation on a number that never varies fails `validate`, not just `run`."""
    corr = [{"a": "entities[0].revenue_2024_usd", "b": "entities[0].cash_usd", "rho": 0.5}]
    path = write_scenario({"correlations": corr})
    result = cli("validate", path)
    assert_input_error(result, r"^error: correlations\[0\]: .*do not vary")
    assert str(path) in result.stderr


def test_a_small_run_still_prints_valid_json(cli) -> None:
    out = ok_json(cli("run", "--paths", "10", "--seed", "1", "--json"))
    assert out["paths"] == 10
    assert out["metrics"]["lab"]["gw_online_end"]["p5_stderr"] is None


def test_run_paths_prints_monte_carlo_tables(cli) -> None:
    result = cli("run", "--paths", "500", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "Monte Carlo" in result.stdout and "500 paths, seed 3" in result.stdout
    assert "tranche 1" in result.stdout
    assert "Traceback" not in result.output


def test_run_warrant_values_are_those_of_value_on_the_same_paths(run_3000) -> None:
    """`run --paths N --seed S` values the warrants on exactly the paths `value` uses."""
    from typer.testing import CliRunner

    from computeloop.cli import app

    run_w = json.loads(run_3000["stdout"])["warrants"]["amd-warrant"]
    res = CliRunner().invoke(app, ["value", "--paths", "3000", "--seed", "1", "--json"])
    val_w = ok_json(res)["warrants"]["amd-warrant"]
    assert run_w["paths"] == 3000
    assert run_w["fair_value_usd"] == val_w["fair_value_usd"]
    assert [t["vesting_probability"] for t in run_w["tranches"]] == [
        t["vesting_probability"] for t in val_w["tranches"]
    ]
    # The fair value is far below the intrinsic headline of all 160M shares.
    assert run_w["fair_value_usd"]["mean"] < 0.8 * run_w["headline_value_usd"]
