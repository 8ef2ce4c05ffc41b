"""`computeloop run --store`, `runs list|show|diff|export` in process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("duckdb")

ASSUMPTION = "entities[0].users.paying_share_end"


def ok_json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def run_ids(cli: Any, db: Path) -> list[str]:
    return [r["run_id"] for r in ok_json(cli("runs", "list", "--store", db, "--json"))["runs"]]


def test_diff_names_the_one_changed_assumption_and_the_metrics_that_moved(
    cli: Any, write_scenario: Any, tmp_path: Path
) -> None:
    db = tmp_path / "runs.duckdb"
    base = write_scenario(name="base.yaml")
    changed = write_scenario({f"{ASSUMPTION}.value": 0.15}, name="changed.yaml")
    for path in (base, changed):
        assert cli("run", path, "--store", db, "--json").exit_code == 0
    new, old = run_ids(cli, db)
    d = ok_json(cli("runs", "diff", old, new, "--store", db, "--json"))
    assert d["inputs"] == [{"path": ASSUMPTION, "a": 0.1, "b": 0.15}]
    assert d["settings"] == [] and d["same_inputs"] is False
    moved = {m["key"]: m for m in d["metrics"]}
    revenue = moved["metrics.lab.revenue_total_usd"]
    assert revenue["b"] > revenue["a"] and revenue["change"] == revenue["b"] - revenue["a"]
    assert "metrics.vendors.NVIDIA.revenue_from_lab_planned_usd" not in moved  # contract terms
    text = cli("runs", "diff", old[:18], new[:18], "--store", db)
    assert text.exit_code == 0, text.output
    assert ASSUMPTION in text.stdout and "lab.revenue_total_usd" in text.stdout


def test_run_records_settings_and_the_file_as_written(
    cli: Any, write_scenario: Any, tmp_path: Path
) -> None:
    db = tmp_path / "runs.duckdb"
    path = write_scenario()
    result = cli("run", path, "--paths", "4096", "--seed", "9", "--store", db)
    assert result.exit_code == 0, result.output
    (run_id,) = run_ids(cli, db)
    assert f"recorded as run {run_id}" in result.stdout
    shown = ok_json(cli("runs", "show", run_id, "--store", db, "--json"))
    assert (shown["kind"], shown["seed"], shown["paths"]) == ("run", 9, 4096)
    assert shown["scenario_text"] == path.read_text(encoding="utf-8")
    assert shown["metrics"]["metrics.lab.prob_needs_new_funding.p"] is not None
    assert set(shown["bands"]) == {"quarter", "gw_online", "revenue", "cash", "funding_gap", "fcf"}
    text = cli("runs", "show", run_id, "--store", db)
    assert text.exit_code == 0 and "▁" in text.stdout


def test_no_store_records_nothing_and_the_env_var_sets_the_default(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "env.duckdb"
    monkeypatch.setenv("COMPUTELOOP_STORE", str(db))
    assert cli("run", "--no-store").exit_code == 0
    assert not db.exists()
    assert cli("run", "--json").exit_code == 0
    listed = ok_json(cli("runs", "list", "--json"))
    assert listed["store"] == str(db) and len(listed["runs"]) == 1


def test_a_store_that_cannot_be_written_warns_but_the_run_succeeds(
    cli: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("run", "--store", blocker / "runs.duckdb")
    assert result.exit_code == 0
    assert "peak funding gap" in result.stdout
    assert result.stderr.startswith("warning: run not recorded: store: cannot create")


def test_runs_commands_reject_bad_ids_and_formats(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    assert cli("run", "--store", db, "--json").exit_code == 0
    (run_id,) = run_ids(cli, db)
    bad = cli("runs", "show", "zzz", "--store", db, "--json")
    assert bad.exit_code == 2
    assert json.loads(bad.stdout)["errors"] == [f"run id: no run 'zzz' in the store {db}"]
    out = tmp_path / "x.xlsx"
    bad = cli("runs", "export", run_id, "--format", "xlsx", "--out", out, "--store", db)
    assert bad.exit_code == 2 and "format: must be one of" in bad.stderr
    assert not out.exists()
    good = ok_json(
        cli("runs", "export", run_id, "--format", "csv", "--out", tmp_path / "x.csv",
            "--store", db, "--json")
    )  # fmt: skip
    assert good["bytes"] == (tmp_path / "x.csv").stat().st_size


def test_stress_and_valuation_settings_are_shown_and_compared(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    for preset in ("lab-cut-25", "missed-lease-payment"):
        assert cli("stress", "--preset", preset, "--store", db, "--json").exit_code == 0
    missed, cut = run_ids(cli, db)
    d = ok_json(cli("runs", "diff", cut, missed, "--store", db, "--json"))
    settings = {c["name"]: (c["a"], c["b"]) for c in d["settings"]}
    assert settings["stress.name"] == ("lab-cut-25", "missed-lease-payment")
    assert settings["stress.shocks[0].kind"] == ("deployment_cut", "missed_payment")
    assert settings["stress.shocks[0].size"] == (0.25, 1.0)
    assert not any(m["key"].startswith("stress.") for m in d["metrics"])  # settings, not metrics
    text = cli("runs", "diff", cut, missed, "--store", db)
    assert "run setting: stress.name" in text.stdout and "missed-lease-payment" in text.stdout
    assert "e+0" not in text.stdout  # dollars with units, never 2.999e+08
    assert "$3.2B" in text.stdout  # Oracle's unpaid lease payments
    shown = cli("runs", "show", cut, "--store", db)
    assert shown.exit_code == 0, shown.output
    assert "lab-cut-25" in shown.stdout and "stress.shocks[0].size" in shown.stdout
    assert "losses_usd.total" in shown.stdout and "entities.AMD" in shown.stdout
    assert "e+0" not in shown.stdout
    as_json = ok_json(cli("runs", "show", cut, "--store", db, "--json"))
    assert as_json["settings"]["stress"]["name"] == "lab-cut-25"
    for rate in ("0.04", "0.05"):
        args = ("value", "--paths", "1000", "--seed", "1", "--rate", rate)
        assert cli(*args, "--store", db, "--json").exit_code == 0
    high, low = run_ids(cli, db)[:2]
    d = ok_json(cli("runs", "diff", low, high, "--store", db, "--json"))
    assert {c["name"]: (c["a"], c["b"]) for c in d["settings"]} == {"rate": (0.04, 0.05)}
    shown = cli("runs", "show", high, "--store", db)
    assert "hurdle_monitoring" in shown.stdout and "fair_value_usd" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "foo"], "error: kind: must be one of ['run', 'value', 'stress', 'report']"),
        (["--limit", "-1"], "error: limit: must be a whole number >= 1, got -1"),
        (["--limit", "0"], "error: limit: must be a whole number >= 1, got 0"),
    ],
)
def test_runs_list_rejects_bad_filters(
    cli: Any, tmp_path: Path, args: list[str], message: str
) -> None:
    db = tmp_path / "runs.duckdb"
    assert cli("run", "--store", db, "--json").exit_code == 0
    result = cli("runs", "list", *args, "--store", db)
    assert result.exit_code == 2 and result.stderr.startswith(message), result.output


@pytest.mark.parametrize(
    "command",
    [["list"], ["show", "abc"], ["diff", "abc", "def"], ["export", "abc", "--format", "csv"]],
)
def test_runs_commands_name_a_missing_store(cli: Any, tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "typo" / "path.duckdb"
    extra = ["--out", str(tmp_path / "x.csv")] if command[0] == "export" else []
    result = cli("runs", *command, *extra, "--store", db)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: store: {db} does not exist"), result.stderr
    assert not db.parent.exists()


def test_runs_list_never_cuts_run_ids(cli: Any, write_scenario: Any, tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    long_name = "a-scenario-with-a-rather-long-name-" * 2 + "0123456789"  # 80, the most
    path = write_scenario({"meta.name": long_name})
    args = ("--paths", "4096", "--seed", "12345678901234")  # a wide seed column too
    assert cli("run", path, *args, "--store", db, "--json").exit_code == 0
    (run_id,) = run_ids(cli, db)
    listed = cli("runs", "list", "--store", db)
    assert listed.exit_code == 0, listed.output
    assert run_id in listed.stdout  # whole, on one line, at 120 columns
    assert "…" not in listed.stdout  # the scenario name wraps instead


def test_a_reports_optional_sections_are_run_settings(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    out = tmp_path / "r.html"
    for extra in ([], ["--stress", "lab-cut-25"]):
        result = cli("report", "--paths", "1", "--out", out, *extra, "--store", db, "--json")
        assert result.exit_code == 0, result.output
    stressed, plain = run_ids(cli, db)
    d = ok_json(cli("runs", "diff", plain, stressed, "--store", db, "--json"))
    assert d["settings"] == [{"name": "report_sections.stress[0]", "a": None, "b": "lab-cut-25"}]
