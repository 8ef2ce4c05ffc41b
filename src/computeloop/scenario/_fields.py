"""Field helper: every scenario field states its unit and meaning once."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from computeloop.scenario.quantity import Quantity


def field(description: str, unit: str = "", default: Any = ..., **kw: Any) -> Any:
    """A pydantic ``Field`` carrying a unit, read back by the docs generator."""
    if isinstance(default, float):  # quantity defaults are floats; int fields keep ints
        default = Quantity(value=default)
    extra: dict[str, Any] = {"unit": unit} if unit else {}
    return Field(default, description=description, json_schema_extra=extra, **kw)
