"""Shared fixtures: the default scenario as text and data, edited copies on disk, the CLI.

``write_scenario`` is the way to get a bad (or changed) scenario file::

    path = write_scenario({"deals[3].schedule[0].gw": -1.0})      # set a field
    path = write_scenario({"deals[1].vendor": ...})                # remove a field (Ellipsis)
    path = write_scenario(lambda data: data["deals"].pop(4))       # any other change
    path = write_scenario(text="meta: [unclosed\\n")                # verbatim text or bytes
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from computeloop.cli import app
from computeloop.scenario.loader import embedded_text, read_yaml
from helpers import set_path

Edits = Mapping[str, Any] | Callable[[dict[str, Any]], Any]
"""Field path -> new value (``...`` removes it), or a function that changes the data in place."""


class _Dumper(yaml.SafeDumper):
    """Quotes strings such as '35e9' that the scenario loader would read back as floats."""


_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d[\d_]*)?(?:\.\d*)?[eE][-+]?\d+$"),
    list("-+0123456789."),
)


@cache
def _default_data() -> dict[str, Any]:
    data: dict[str, Any] = read_yaml(embedded_text(), "default")
    return data


@pytest.fixture(scope="session")
def default_yaml() -> str:
    """The commented YAML text of the default scenario (what ``computeloop init`` writes)."""
    return embedded_text()


@pytest.fixture
def default_data() -> dict[str, Any]:
    """A fresh, editable copy of the default scenario as plain data."""
    return copy.deepcopy(_default_data())


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write the default scenario, edited, to ``tmp_path`` and return the file's path."""

    def write(
        edits: Edits | None = None, *, text: str | bytes | None = None, name: str = "scenario.yaml"
    ) -> Path:
        path = tmp_path / name
        if text is not None:
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")
            return path
        data = copy.deepcopy(_default_data())
        if callable(edits):
            edits(data)
        else:
            for field_path, value in (edits or {}).items():
                set_path(data, field_path, value)
        path.write_text(
            yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        return path

    return write


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run ``computeloop ARGS...`` in process.

    The result keeps stdout and stderr apart (``.stdout``, ``.stderr``; ``.output`` has
    both); an exception other than an exit is in ``.exception``, not raised.
    """
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(app, [str(a) for a in args])

    return invoke


@pytest.fixture(autouse=True)
def _run_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI runs in tests record into a throw-away store, never the user's."""
    monkeypatch.setenv("COMPUTELOOP_STORE", str(tmp_path_factory.mktemp("store") / "runs.duckdb"))
