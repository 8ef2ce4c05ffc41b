"""Run-to-run diff: which inputs changed, and how each metric moved.

Inputs are compared field by field on the validated scenarios (canonical JSON), so a
changed number is named by its scenario path (``entities[0].users.users_growth_q``),
with its provenance and distribution compared too; deals and entities are matched by
name, so adding one deal does not make every later deal look changed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from computeloop.store.db import RunRow

REL_TOL = 1e-9
_QUANTITY_KEYS = {"value", "provenance", "dist", "fixed"}


def _is_quantity(x: Any) -> bool:
    return isinstance(x, dict) and set(x) == _QUANTITY_KEYS


def _named(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) and "name" in i for i in items)


def input_changes(a: Any, b: Any, path: str = "") -> list[dict[str, Any]]:
    """Field-by-field differences between two scenarios' plain data.

    >>> q = {"value": 1.0, "provenance": None, "dist": None, "fixed": False}
    >>> for c in input_changes({"policy": {"on_shortfall": "defer"}, "x": q},
    ...                        {"policy": {"on_shortfall": "cancel"}, "x": {**q, "value": 2.0}}):
    ...     print(c)
    {'path': 'policy.on_shortfall', 'a': 'defer', 'b': 'cancel'}
    {'path': 'x', 'a': 1.0, 'b': 2.0}
    """
    if _is_quantity(a) and _is_quantity(b):
        out = [] if a["value"] == b["value"] else [{"path": path, "a": a["value"], "b": b["value"]}]
        for k in ("provenance", "dist", "fixed"):
            if a[k] != b[k]:
                out.append({"path": f"{path}.{k}", "a": a[k], "b": b[k]})
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{k}" if path else str(k)
            out += input_changes(a.get(k), b.get(k), sub)
        return out
    if _named(a) and _named(b):
        return _named_list_changes(a, b, path)
    if isinstance(a, list) and isinstance(b, list):
        out = []
        for i in range(max(len(a), len(b))):
            ai = a[i] if i < len(a) else None
            bi = b[i] if i < len(b) else None
            out += input_changes(ai, bi, f"{path}[{i}]")
        return out
    if a == b:
        return []
    return [{"path": path, "a": _plain(a), "b": _plain(b)}]


def _plain(x: Any) -> Any:
    """A quantity's value rather than its whole record, where one side is missing."""
    return x["value"] if _is_quantity(x) else x


def _named_list_changes(a: list[Any], b: list[Any], path: str) -> list[dict[str, Any]]:
    index_a = {item["name"]: i for i, item in enumerate(a)}
    out: list[dict[str, Any]] = []
    for j, item in enumerate(b):
        i = index_a.get(item["name"])
        if i is None:
            out.append({"path": f"{path}[{j}]", "a": None, "b": f"added {item['name']!r}"})
        else:
            out += input_changes(a[i], item, f"{path}[{j}]")
    names_b = {item["name"] for item in b}
    for i, item in enumerate(a):
        if item["name"] not in names_b:
            out.append({"path": f"{path}[{i}]", "a": f"removed {item['name']!r}", "b": None})
    return out


def _moved(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is not b
    return abs(b - a) > REL_TOL * max(abs(a), abs(b), 1e-12)


def metric_changes(
    a: Mapping[str, float | None], b: Mapping[str, float | None]
) -> tuple[list[dict[str, Any]], int]:
    """Metrics that moved (largest relative move first) and how many did not.

    Where both runs carry a Monte Carlo standard error (``KEY_stderr``), ``z`` is the
    change over their combined standard error: beyond about 3 the move is unlikely to
    be Monte Carlo noise.
    """
    moved: list[dict[str, Any]] = []
    still = 0
    for key in [k for k in a if k in b and not k.endswith("_stderr")]:
        va, vb = a[key], b[key]
        if not _moved(va, vb):
            still += 1
            continue
        entry: dict[str, Any] = {"key": key, "a": va, "b": vb, "change": None, "rel_change": None}
        if va is not None and vb is not None:
            entry["change"] = vb - va
            entry["rel_change"] = (vb - va) / abs(va) if va else None
            entry["z"] = _z(vb - va, a.get(f"{key}_stderr"), b.get(f"{key}_stderr"))
        moved.append(entry)
    moved.sort(key=lambda e: -abs(e["rel_change"]) if e["rel_change"] is not None else -math.inf)
    return moved, still


def _z(change: float, sa: float | None, sb: float | None) -> float | None:
    if sa is None or sb is None:
        return None
    se = math.hypot(sa, sb)
    return change / se if se > 0 else None


def _settings(r: RunRow) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "scenario": r.scenario,
        "seed": r.seed,
        "paths": r.paths,
        "computeloop_version": r.version,
        **r.settings(),
    }


def compare(
    a: RunRow, am: Mapping[str, float | None], b: RunRow, bm: Mapping[str, float | None]
) -> dict[str, Any]:
    """The JSON-ready diff of run ``a`` to run ``b`` (documented in docs/report.md)."""
    settings = [
        {"name": c["path"], "a": c["a"], "b": c["b"]}
        for c in input_changes(_settings(a), _settings(b))
    ]
    inputs = input_changes(json.loads(a.scenario_json), json.loads(b.scenario_json))
    moved, unchanged = metric_changes(am, bm)
    return {
        "a": a.to_json(),
        "b": b.to_json(),
        "same_inputs": a.scenario_hash == b.scenario_hash,
        "inputs": inputs,
        "settings": settings,
        "metrics": moved,
        "metrics_unchanged": unchanged,
        "metrics_only_in_a": [k for k in am if k not in bm],
        "metrics_only_in_b": [k for k in bm if k not in am],
    }
