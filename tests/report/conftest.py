"""The default scenario's report, written once per test session through the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from computeloop.cli import app

REPORT_PATHS = 4096
REPORT_SEED = 11


@dataclass(frozen=True)
class Written:
    html: Path
    png_dir: Path
    info: dict[str, Any]


@pytest.fixture(scope="session")
def written_report(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """`computeloop report --paths 4096 --seed 11 --png DIR --stress lab-cut-50 --json`."""
    root = tmp_path_factory.mktemp("report")
    html, png = root / "report.html", root / "png"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--paths",
            str(REPORT_PATHS),
            "--seed",
            str(REPORT_SEED),
            "--out",
            str(html),
            "--png",
            str(png),
            "--stress",
            "lab-cut-50",
            "--no-store",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    return Written(html, png, json.loads(result.stdout))
