"""The docs: generated scenario reference in sync, every field and metric documented."""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typer.main import get_command

from computeloop import default_scenario, simulate, summarize
from computeloop.cli import app
from computeloop.docs import (
    BEGIN,
    END,
    generated_block,
    is_up_to_date,
    main,
    reference,
    split_markers,
    write_reference,
)
from computeloop.errors import InputError
from computeloop.scenario import Scenario
from computeloop.scenario.loader import embedded_text, parse_scenario, read_yaml
from computeloop.scenario.quantity import Quantity

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCENARIO_DOC = DOCS / "scenario-format.md"
CLI_DOC = DOCS / "cli.md"


def test_scenario_reference_is_up_to_date() -> None:
    _, current, _ = split_markers(SCENARIO_DOC.read_text(encoding="utf-8"), str(SCENARIO_DOC))
    expected = generated_block()
    diff = "".join(
        list(difflib.unified_diff(current.splitlines(True), expected.splitlines(True), n=1))[:40]
    )
    assert current == expected, (
        f"docs/scenario-format.md: the generated reference differs from the schema; "
        f"run `make docs` to regenerate it.\n{diff}"
    )


def test_reference_is_deterministic() -> None:
    assert reference() == reference()


# --- every field of every model --------------------------------------------------------------


def _models(tp: Any) -> Iterator[type[BaseModel]]:
    """Every pydantic model in a type annotation, found independently of the generator."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp is not Quantity:
            yield tp
        return
    for arg in typing.get_args(tp):
        yield from _models(arg)


def _all_models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [Scenario]
    while todo:
        model = todo.pop()
        if model not in seen:
            seen.append(model)
            for info in model.model_fields.values():
                todo.extend(_models(info.annotation))
    return seen


@cache
def _tables() -> dict[str, list[list[str]]]:
    """Model name -> rows of its tables: (field path, type, unit, default, allowed, text)."""
    out: dict[str, list[list[str]]] = {}
    current = ""
    for line in reference().splitlines():
        heading = re.match(r"^### .*\((\w+)\)$", line)
        if heading:
            current = heading.group(1)
            out.setdefault(current, [])
        elif current and line.startswith("| `"):
            out[current].append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return out


def test_schema_has_the_expected_models() -> None:
    names = {m.__name__ for m in _all_models()}
    assert {"Scenario", "Lab", "CostLine", "GWTranche", "WarrantTranche", "BuilderShare"} <= names
    assert len(names) >= 20


@pytest.mark.parametrize("model", _all_models(), ids=lambda m: m.__name__)
def test_every_field_of_every_model_is_documented(model: type[BaseModel]) -> None:
    rows = _tables().get(model.__name__)
    assert rows, f"no section for {model.__name__} in the generated reference"
    documented = {row[0].strip("`").rsplit(".", 1)[-1] for row in rows}
    missing = sorted(set(model.model_fields) - documented)
    assert missing == [], f"{model.__name__}: fields missing from the reference: {missing}"


def _row(path: str) -> list[str]:
    rows = [r for rows in _tables().values() for r in rows if r[0] == f"`{path}`"]
    assert rows, f"no row for {path}"
    return rows[0]


def test_reference_reads_units_defaults_and_ranges_from_the_schema() -> None:
    assert _row("deals[].tranches[].price_hurdle_usd")[1:5] == [
        "number",
        "USD/share",
        "`0`",
        ">= 0",
    ]
    assert _row("deals[].lead_time_quarters")[1:5] == [
        "whole number of quarters",
        "quarters",
        "`2`",
        "a whole number >= 0 and <= 400",
    ]
    assert _row("policy.on_shortfall")[4] == "`defer` or `cancel`"
    assert _row("entities[].users.paying_share_end")[3:5] == ["required", ">= 0 and <= 1"]
    assert _row("entities[].share_price_drift_annual")[4] == "> -1 and <= 10"
    assert _row("deals[].schedule")[1:5] == ["list of GWTranche", "", "required", "at least 1 item"]
    assert _row("meta.hkd_per_usd")[3] == "not set"
    assert _row("deals[].type")[3] == "required"


def test_every_union_member_has_its_own_section() -> None:
    text = reference()
    for tag, value in [
        ("kind", "lab"),
        ("kind", "chip_vendor"),
        ("kind", "builder"),
        ("kind", "investor"),
        ("type", "compute_commitment"),
        ("type", "equity_investment"),
        ("type", "warrant"),
        ("type", "capacity_contract"),
    ]:
        assert f"with `{tag}: {value}`" in text


# --- writing and checking a file's generated section -----------------------------------------


def test_write_then_check_round_trip(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"# Title\n\nhand-written\n\n{BEGIN}\nstale\n{END}\n\nafter\n", encoding="utf-8")
    assert not is_up_to_date(doc)
    assert write_reference(doc) is True
    assert is_up_to_date(doc)
    assert write_reference(doc) is False
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nhand-written\n\n" + BEGIN + "\n")
    assert text.endswith(END + "\n\nafter\n")
    assert main(["--check", str(doc)]) == 0


def test_check_reports_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"{BEGIN}\nstale\n{END}\n", encoding="utf-8")
    assert main(["--check", str(doc)]) == 1
    assert "make docs" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text", ["no markers\n", f"{END}\n{BEGIN}\n", f"{BEGIN}\n{BEGIN}\n{END}\n", f"{BEGIN}\n"]
)
def test_missing_or_misplaced_markers_are_an_input_error(text: str) -> None:
    with pytest.raises(InputError, match="BEGIN GENERATED REFERENCE"):
        split_markers(text, "doc.md")


def test_cli_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--write", str(tmp_path / "absent.md")]) == 2
    assert "cannot read" in capsys.readouterr().err


# --- the worked example in docs/scenario-format.md -------------------------------------------


def _example(label: str) -> str:
    text = SCENARIO_DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {label} -->\n```yaml\n(.*?)```", text, re.S)
    assert found, f"no YAML block after '<!-- example: {label} -->' in {SCENARIO_DOC.name}"
    return found.group(1)


def test_worked_example_validates() -> None:
    text = embedded_text()
    before, after = text.split("\ndeals:\n")
    text = f"{before}\n{_example('entity')}\ndeals:\n{after.rstrip()}\n\n{_example('deal')}"
    scenario = parse_scenario(read_yaml(text, "example"), "example")
    assert scenario.entity("Amazon").kind == "builder"
    assert scenario.deal("aws-38b").type == "capacity_contract"
    metrics = summarize(simulate(scenario))["metrics"]
    assert metrics["deals"]["aws-38b"]["gw_contracted"] == pytest.approx(0.5)
    assert "Amazon" in metrics["builders"]


# --- docs/cli.md -----------------------------------------------------------------------------


def _run_json_mentions() -> list[str]:
    """What docs/cli.md must mention for each key of ``computeloop run --json``."""
    summary = summarize(simulate(default_scenario()))
    m = summary["metrics"]
    keys = set(summary) | set(summary["horizon"]) | set(summary["series"]) | set(m["lab"])
    groups = {f"metrics.{group}" for group in m}
    for group in ("vendors", "builders", "warrants", "stranded", "deals"):
        assert m[group], f"metrics.{group} is empty for the default scenario"
        groups.add(f"metrics.{group}.<name>")
        for per_name in m[group].values():
            keys |= set(per_name)
    for warrant in m["warrants"].values():
        for tranche in warrant["tranches"]:
            keys |= set(tranche)
    return sorted(f"`{k}`" for k in keys) + sorted(f"`{g}" for g in groups)


@pytest.mark.parametrize("mention", _run_json_mentions())
def test_every_run_json_key_is_documented(mention: str) -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    assert mention in text, f"docs/cli.md does not mention {mention}"


def test_every_command_and_option_is_documented() -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    group = get_command(app)
    commands = getattr(group, "commands", {})
    assert set(commands) == {
        "run", "reconcile", "deals", "validate", "init",
        "value", "stress", "reverse-stress", "report", "runs",
    }  # fmt: skip
    for name, command in commands.items():
        assert f"## `computeloop {name}`" in text
        for param in command.params:
            for opt in (*param.opts, *param.secondary_opts):
                if opt.startswith("--") and opt != "--help":
                    assert opt in text, f"docs/cli.md: `computeloop {name}` option {opt}"


@pytest.mark.parametrize("code", ["0", "1", "2", "70"])
def test_exit_codes_are_documented(code: str) -> None:
    assert f"| {code} |" in CLI_DOC.read_text(encoding="utf-8")


def test_docs_name_no_local_paths() -> None:
    for doc in (SCENARIO_DOC, CLI_DOC):
        text = doc.read_text(encoding="utf-8")
        assert not re.search(r"/(work|home|tmp|Users)/", text), f"{doc.name} names a local path"
