"""The CLI in process: every command, its JSON, its exit codes, and clean errors on bad input.

Exit codes: 0 ok, 1 a reconciliation check failed, 2 bad input (one `error:` line per
problem on stderr, never a traceback, never a partial output file).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from computeloop import __version__, default_scenario
from computeloop.scenario.loader import embedded_text
from helpers import case

DEAL_NAMES = [d.name for d in default_scenario().deals]
VENDORS = ["NVIDIA", "AMD", "Broadcom"]
STRANDED = ["NVIDIA", "AMD", "Broadcom", "Oracle", "SoftBank"]
RUN_KEYS = [
    "scenario",
    "seed",
    "paths",
    "metrics.lab.peak_funding_gap_usd",
    "metrics.lab.breakeven_quarter",
    "metrics.lab.gw_online_end",
    "metrics.lab.cumulative_external_funding_usd",
    *(
        f"metrics.vendors.{v}.{key}"
        for v in VENDORS
        for key in ("revenue_from_lab_usd", "investment_in_lab_usd", "circularity_ratio")
    ),
    "metrics.warrants.amd-warrant.vested_shares",
    "metrics.warrants.amd-warrant.value_usd",
    *(f"metrics.stranded.{name}.usd" for name in STRANDED),
]


def ok_json(result: Any, exit_code: int = 0) -> Any:
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


def dig(obj: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        obj = obj[key]
    return obj


def assert_input_error(result: Any, *fragments: str) -> None:
    """Exit 2, every stderr line an `error:` line, no traceback, each fragment in the errors."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines
    assert all(line.startswith("error: ") for line in lines), lines
    for fragment in fragments:
        assert fragment in result.stderr


# --- run -----------------------------------------------------------------------------------


def test_run_prints_a_summary(cli) -> None:
    result = cli("run")
    assert result.exit_code == 0, result.output
    assert "OpenAI" in result.stdout
    assert "peak funding gap" in result.stdout
    assert result.stderr == ""


def test_run_json_has_the_documented_keys(cli) -> None:
    summary = ok_json(cli("run", "--json"))
    missing = []
    for key in RUN_KEYS:
        try:
            dig(summary, key)
        except (KeyError, TypeError):
            missing.append(key)
    assert missing == []
    assert (summary["scenario"], summary["seed"], summary["paths"]) == ("openai-2025-10", None, 1)
    lab = summary["metrics"]["lab"]
    assert lab["peak_funding_gap_usd"] > 0
    assert lab["breakeven_quarter"] is None or re.fullmatch(
        r"\d{4}Q[1-4]", lab["breakeven_quarter"]
    )
    assert summary["metrics"]["warrants"]["amd-warrant"]["vested_shares"] <= 160e6


def test_run_json_records_the_seed(cli) -> None:
    assert ok_json(cli("run", "--json", "--seed", "7"))["seed"] == 7


def test_run_on_a_file_matches_the_embedded_scenario(cli, write_scenario) -> None:
    from_file = ok_json(cli("run", write_scenario(), "--json"))
    embedded = ok_json(cli("run", "--json"))
    assert from_file == embedded


def test_run_policy_cancel_differs_from_defer(cli) -> None:
    defer = ok_json(cli("run", "--json", "--policy", "defer"))
    cancel = ok_json(cli("run", "--json", "--policy", "cancel"))
    assert (defer["policy"], cancel["policy"]) == ("defer", "cancel")
    lab_d, lab_c = defer["metrics"]["lab"], cancel["metrics"]["lab"]
    assert lab_d["gw_cancelled_end"] == 0 < lab_d["gw_deferred_end"]
    assert lab_c["gw_deferred_end"] == 0 < lab_c["gw_cancelled_end"]
    assert lab_c["gw_online_end"] < lab_d["gw_online_end"]
    stranded_d = [v["usd"] for v in defer["metrics"]["stranded"].values()]
    stranded_c = [v["usd"] for v in cancel["metrics"]["stranded"].values()]
    assert all(v == 0 for v in stranded_d)
    assert any(v > 0 for v in stranded_c)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--seed", "-1"], ["seed: must be a non-negative whole number, got -1"]),
        (["no-such-scenario"], ["no scenario file 'no-such-scenario'"]),
    ],
)
def test_run_rejects_bad_arguments(cli, args: list[str], fragments: list[str]) -> None:
    result = cli("run", *args)
    assert_input_error(result, *fragments)
    assert result.stdout == ""


def test_run_rejects_an_unknown_policy(cli) -> None:
    result = cli("run", "--policy", "panic")
    assert result.exit_code == 2
    assert "'panic' is not one of 'defer', 'cancel'" in result.stderr
    assert "Traceback" not in result.output


# --- reconcile -----------------------------------------------------------------------------


def test_reconcile_passes_on_the_default(cli) -> None:
    report = ok_json(cli("reconcile", "--json"))
    assert report["scenario"] == "openai-2025-10"
    assert report["all_pass"] is True
    assert report["passed"] == report["total"] == len(report["checks"]) > 0
    assert [c["id"] for c in report["checks"] if not c["pass"]] == []
    for check in report["checks"]:
        assert {"id", "figure", "article", "model", "rule", "pass"} <= check.keys()
    text = cli("reconcile")
    assert text.exit_code == 0, text.output
    assert f"{report['total']}/{report['total']} pass" in text.stdout


def test_reconcile_rules_state_their_tolerance(cli) -> None:
    rules = {c["id"]: c["rule"] for c in ok_json(cli("reconcile", "--json"))["checks"]}
    assert rules["amd.share_price"] == "within 0.1%"


def test_reconcile_fails_on_a_changed_figure(cli, write_scenario) -> None:
    tranches = {f"deals[4].tranches[{k}].shares": 30e6 for k in range(5)}
    path = write_scenario({"deals[4].shares": 150e6, **tranches})
    report = ok_json(cli("reconcile", path, "--json"), exit_code=1)
    assert report["all_pass"] is False
    checks = {c["id"]: c for c in report["checks"]}
    assert checks["amd.warrant_shares"]["pass"] is False
    assert (checks["amd.warrant_shares"]["article"], checks["amd.warrant_shares"]["model"]) == (
        160e6,
        150e6,
    )
    assert checks["amd.gw"]["pass"] is True
    assert report["passed"] < report["total"]
    text = cli("reconcile", path)
    assert text.exit_code == 1
    assert "FAIL" in text.stdout


# --- deals ---------------------------------------------------------------------------------


def test_deals_lists_every_deal(cli) -> None:
    result = cli("deals")
    assert result.exit_code == 0, result.output
    for name in DEAL_NAMES:
        assert name in result.stdout
    assert "fact: article-2025-10-17" in result.stdout


def test_deals_json(cli) -> None:
    out = ok_json(cli("deals", "--json"))
    assert out["scenario"] == "openai-2025-10"
    assert [d["name"] for d in out["deals"]] == DEAL_NAMES
    nvidia = out["deals"][DEAL_NAMES.index("nvidia-10gw")]
    assert nvidia["type"] == "compute_commitment"
    assert nvidia["chip_usd_per_gw"]["value"] == 35e9
    assert nvidia["chip_usd_per_gw"]["provenance"]["kind"] == "fact"


# --- validate ------------------------------------------------------------------------------


def test_validate_ok(cli, write_scenario) -> None:
    path = write_scenario()
    result = cli("validate", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok: {path}: scenario 'openai-2025-10', 6 entities, 6 deals")


def test_validate_ok_json(cli, write_scenario) -> None:
    path = write_scenario()
    info = ok_json(cli("validate", path, "--json"))
    assert info["ok"] is True
    assert (info["file"], info["entities"], info["deals"]) == (str(path), 6, 6)
    assert sum(info["provenance"].values()) == len(list(default_scenario().quantities()))


# Each row: how to make the bad path from `write_scenario`, and what stderr must say.
BAD_DATE_TEXT = embedded_text().replace("as_of: 2025-10-17", "as_of: 2025-13-01")

BAD_FILES = [
    case("negative GW", lambda write: write({"deals[3].schedule[0].gw": -1.0}),
         "deals[3].schedule[0].gw: must be > 0 and <= 1000, got -1"),
    case("unknown field", lambda write: write({"deals[1].colour": "red"}),
         "deals[1]: unknown field 'colour'"),
    case("unknown entity", lambda write: write({"deals[3].vendor": "Intel"}),
         "deals[3].vendor: unknown entity 'Intel'"),
    case("empty file", lambda write: write(text=""), "<top level>: the scenario is empty"),
    case("invalid YAML", lambda write: write(text="meta: [unclosed\n"),
         "line 2, column 1: invalid YAML"),
    case("duplicate key", lambda write: write(text="time: {start: 2025Q1}\ntime: {}\n"),
         "duplicate key 'time'"),
    case("not UTF-8", lambda write: write(text=b"meta: caf\xe9\n"), "not a UTF-8 text file"),
    case("impossible date", lambda write: write(text=BAD_DATE_TEXT),
         "meta.as_of: input should be a valid date"),
    case("missing file", lambda write: write().with_name("missing.yaml"), "no scenario file"),
    case("a directory", lambda write: write().parent, "is a directory, not a scenario file"),
    case("list as a key", lambda write: write(text="? [a, b]\n: 1\n"), "invalid YAML"),
    case("control character", lambda write: write(text="meta: a\x00b\n"), "invalid YAML"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "message"), BAD_FILES)
def test_validate_reports_a_bad_file(cli, write_scenario, make, message: str) -> None:
    path = make(write_scenario)
    result = cli("validate", path)
    assert_input_error(result, str(path), message)
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


TWO_PROBLEMS = {"deals[3].schedule[0].gw": -1.0, "physical.pue": 0}


@pytest.mark.parametrize("command", ["run", "reconcile", "deals", "validate"])
def test_every_command_reports_bad_input_the_same_way(cli, write_scenario, command: str) -> None:
    path = write_scenario(TWO_PROBLEMS)
    result = cli(command, path)
    assert_input_error(result)
    assert result.stderr.splitlines() == [
        f"error: physical.pue: must be > 0, got 0 ({path})",
        f"error: deals[3].schedule[0].gw: must be > 0 and <= 1000, got -1 ({path})",
    ]
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["run", "reconcile", "deals", "validate"])
def test_json_mode_reports_bad_input_as_json(cli, write_scenario, command: str) -> None:
    path = write_scenario(TWO_PROBLEMS)
    out = ok_json(cli(command, path, "--json"), exit_code=2)
    assert out == {
        "ok": False,
        "errors": [
            f"physical.pue: must be > 0, got 0 ({path})",
            f"deals[3].schedule[0].gw: must be > 0 and <= 1000, got -1 ({path})",
        ],
    }


def test_validate_json_on_a_missing_file(cli, tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    out = ok_json(cli("validate", path, "--json"), exit_code=2)
    assert out["ok"] is False
    [error] = out["errors"]
    assert f"no scenario file '{path}'" in error


# --- init ----------------------------------------------------------------------------------


def test_init_writes_the_default_into_a_new_directory(cli, tmp_path: Path, default_yaml) -> None:
    target = tmp_path / "new" / "dir"
    result = cli("init", target)
    assert result.exit_code == 0, result.output
    assert [p.name for p in target.iterdir()] == ["openai-2025-10.yaml"]
    assert (target / "openai-2025-10.yaml").read_text(encoding="utf-8") == default_yaml
    assert f"wrote {target / 'openai-2025-10.yaml'}" in result.stdout


def test_init_writes_a_file_with_the_usual_permissions(cli, tmp_path: Path) -> None:
    """Like any file the user creates: 0666 less the umask, not the temp file's 0600."""
    old = os.umask(0o022)
    try:
        assert cli("init", tmp_path).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "openai-2025-10.yaml").stat().st_mode) == 0o644


def test_init_refuses_to_overwrite(cli, tmp_path: Path) -> None:
    existing = tmp_path / "openai-2025-10.yaml"
    existing.write_text("mine\n")
    result = cli("init", tmp_path)
    assert_input_error(result, f"{existing} exists; pass --force to overwrite it")
    assert existing.read_text() == "mine\n"
    assert list(tmp_path.iterdir()) == [existing]


def test_init_force_overwrites(cli, tmp_path: Path, default_yaml) -> None:
    existing = tmp_path / "openai-2025-10.yaml"
    existing.write_text("mine\n")
    result = cli("init", tmp_path, "--force")
    assert result.exit_code == 0, result.output
    assert existing.read_text(encoding="utf-8") == default_yaml
    assert list(tmp_path.iterdir()) == [existing]


def test_init_into_a_file_fails_cleanly(cli, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = cli("init", blocker)
    assert_input_error(result, f"cannot write {blocker / 'openai-2025-10.yaml'}")
    assert list(tmp_path.iterdir()) == [blocker]


# --- the app itself ------------------------------------------------------------------------


def test_version(cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"computeloop {__version__}\n"


def test_unknown_command(cli) -> None:
    result = cli("frobnicate")
    assert result.exit_code != 0
    assert "No such command 'frobnicate'" in result.output
    assert "Traceback" not in result.output


def test_a_failure_while_importing_the_cli_is_an_internal_error(tmp_path: Path) -> None:
    """Exit 70 and two lines on stderr, never a raw traceback, even before the app loads."""
    code = (
        "import sys; sys.modules['computeloop.cli'] = None\n"  # makes the import fail
        "from computeloop._entry import main; main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "COMPUTELOOP_DEBUG"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 70
    assert done.stderr.startswith("internal error: ModuleNotFoundError")
    assert "Traceback" not in done.stderr
