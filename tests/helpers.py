"""Helpers shared by the test modules (importable as ``helpers``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from _pytest.mark import ParameterSet

from computeloop import parse_scenario
from computeloop.scenario.model import Scenario

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def set_path(data: Any, path: str, value: Any) -> None:
    """Set, add or (``value=...``) remove the item at a path like ``deals[2].schedule[0].gw``.

    An index one past the end of a list appends to it.
    """
    steps: list[Any] = [int(index) if index else key for key, index in _STEP.findall(path)]
    parent = data
    for step in steps[:-1]:
        parent = parent[step]
    last = steps[-1]
    if value is ...:
        del parent[last]
    elif isinstance(parent, list) and last == len(parent):
        parent.append(value)
    else:
        parent[last] = value


def edit(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """A copy of ``scenario`` with fields (by path) set to bare values.

    A bare number drops the provenance, so a value may leave its assumption's range.
    """
    data = scenario.model_dump(mode="json")
    for path, value in changes.items():
        set_path(data, path, value)
    return parse_scenario(data)


def case(name: str, *values: object, bug: str | None = None) -> ParameterSet:
    """One row of a parametrize table; ``bug`` marks it as a known bug (strict xfail)."""
    marks = [pytest.mark.xfail(strict=True, reason=f"bug: {bug}")] if bug else []
    return pytest.param(*values, id=name, marks=marks)
