"""Field helper: every scenario field states its unit and meaning once."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from computeloop.scenario.quantity import Quantity


def field(description: str, unit: str = "", default: Any = ..., **kw: Any) -> Any:
    """A pydantic ``Field`` carrying a unit, read back by the docs generator."""
    extra: dict[str, Any] = {"unit": unit} if unit else {}
    if isinstance(default, float):
        # A fresh object per model instance: each field keeps its own identity.
        value = default
        return Field(
            default_factory=lambda: Quantity(value=value),
            description=description,
            json_schema_extra=extra,
            **kw,
        )
    return Field(default, description=description, json_schema_extra=extra, **kw)
