"""Flatten scenario objects into (field, value, unit, provenance) rows for display."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from computeloop.scenario.quantity import Quantity


@dataclass(frozen=True)
class Term:
    path: str
    value: Any  # float for quantities, else str
    unit: str
    quantity: Quantity | None


def unit_of(model: type[BaseModel], name: str) -> str:
    extra = model.model_fields[name].json_schema_extra
    return str(extra.get("unit", "")) if isinstance(extra, dict) else ""


def terms(obj: BaseModel, prefix: str = "") -> list[Term]:
    """Every leaf field of ``obj`` in declaration order, lists expanded."""
    out: list[Term] = []
    for name in type(obj).model_fields:
        val = getattr(obj, name)
        path = f"{prefix}{name}"
        out.extend(_leaf(val, path, unit_of(type(obj), name)))
    return out


def _leaf(val: Any, path: str, unit: str) -> list[Term]:
    if isinstance(val, Quantity):
        return [Term(path, val.value, unit, val)]
    if isinstance(val, BaseModel):
        return terms(val, path + ".")
    if isinstance(val, list):
        rows: list[Term] = []
        for i, item in enumerate(val):
            rows.extend(_leaf(item, f"{path}[{i}]", unit))
        return rows
    if val is None:
        return []
    return [Term(path, str(val), unit, None)]
