"""The JSON form of a stress result (keys documented in docs/stress.md)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from computeloop import __version__
from computeloop.analysis.metrics import JSON_SCHEMA_VERSION
from computeloop.stress.losses import CHANNELS
from computeloop.stress.network import node_names

if TYPE_CHECKING:
    from computeloop.stress.run import StressResult


NOISE = 1e-9
"""Relative size below which a difference of two runs is floating-point noise: amounts
smaller than ``NOISE`` times the scenario's money scale are reported as 0."""


def money_scale(r: StressResult) -> float:
    """The scale of the money amounts in a stress: the largest entity revenue or book
    equity, or the largest loss, whichever is greater (at least 1 USD)."""
    s = r.scenario
    sizes = [1.0]
    sizes += [abs(e.revenue_annual_usd.value) for e in s.entities]
    sizes += [abs(e.book_equity_usd.value) for e in s.entities]
    sizes += [float(np.max(np.abs(r.mean[f"loss_{c}"]))) for c in CHANNELS]
    return max(sizes)


def denoise(x: float, scale: float) -> float:
    """``x``, or 0.0 when it is floating-point noise against ``scale``.

    >>> denoise(6.1e-05, 3e11), denoise(2.5e6, 3e11)
    (0.0, 2500000.0)
    """
    return 0.0 if abs(x) <= NOISE * scale else x


def _ratio(x: float) -> float:
    """A share that cannot pass 0 or 1, with noise at either end snapped to it."""
    if abs(x - 1.0) <= NOISE:
        return 1.0
    if abs(x) <= NOISE:
        return 0.0
    return min(max(x, 0.0), 1.0)


def _est(
    out: dict[str, Any],
    key: str,
    r: StressResult,
    name: str,
    idx: Any,
    clean: Any = None,
) -> None:
    """``out[key]`` = the mean (through ``clean`` if given); with Monte Carlo,
    ``out[key + '_stderr']`` too."""
    value = float(np.asarray(r.mean[name])[idx])
    out[key] = clean(value) if clean is not None else value
    if r.stderr is not None:
        out[f"{key}_stderr"] = float(np.asarray(r.stderr[name])[idx])


def stress_json(r: StressResult) -> dict[str, Any]:
    """Assemble the summary: losses per entity by channel, defaults, rounds, stranded
    capacity, glut and the price path."""
    s = r.scenario
    q = s.time.labels()
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "scenario": s.meta.name,
        "scenario_hash": s.content_hash(),
        "computeloop_version": __version__,
        "seed": r.seed,
        "paths": r.paths,
        "stress": {
            "name": r.applied.stress.name,
            "title": r.applied.stress.title,
            "shocks": [sh.model_dump(mode="json") for sh in r.applied.stress.shocks],
        },
        "start": q[r.applied.start],
        "entities": _entities(r),
        "defaults": _defaults(r),
        "rounds": _rounds(r),
        "stranded": _stranded(r),
        "glut": _glut(r),
        "industry": _industry(r),
        "assumptions": {
            **dataclasses.asdict(r.industry),
            **dataclasses.asdict(r.clearing),
        },
    }


def _entities(r: StressResult) -> dict[str, Any]:
    s = r.scenario
    kinds = {e.name: e for e in s.entities}
    scale = money_scale(r)

    def clean(x: float) -> float:
        return denoise(x, scale)

    out: dict[str, Any] = {}
    for i, name in enumerate(node_names(s)):
        ent = kinds.get(name)
        row: dict[str, Any] = {"kind": ent.kind if ent else "outside"}
        losses: dict[str, Any] = {}
        for c in (*CHANNELS, "total"):
            _est(losses, c, r, f"loss_{c}", i, clean)
        row["losses_usd"] = losses
        total = losses["total"]
        rev = ent.revenue_annual_usd.value if ent else 0.0
        eq = ent.book_equity_usd.value if ent else 0.0
        row["revenue_annual_usd"] = rev or None
        row["book_equity_usd"] = eq or None
        row["loss_share_of_revenue"] = total / rev if rev > 0 else None
        row["loss_share_of_equity"] = total / eq if eq > 0 else None
        if r.stderr is not None:
            se = losses["total_stderr"]
            row["loss_share_of_revenue_stderr"] = se / rev if rev > 0 else None
            row["loss_share_of_equity_stderr"] = se / eq if eq > 0 else None
        _est(row, "default_probability", r, "defaulted", i, _ratio)
        _est(row, "payment_ratio", r, "payment_ratio", i, _ratio)
        if ent is not None:
            j = s.entities.index(ent)
            _est(row, "second_round_usd", r, "second_round_usd", j)
            _est(row, "debtrank_h0", r, "debtrank_h0", j)
            _est(row, "debtrank_h", r, "debtrank_h", j)
        out[name] = row
    return out


def _defaults(r: StressResult) -> dict[str, Any]:
    names = node_names(r.scenario)
    d = np.asarray(r.mean["defaulted"])
    b = np.asarray(r.mean["baseline_defaulted"])
    return {
        "entities": [n for n, p in zip(names, d, strict=True) if p >= 0.5],
        "baseline_entities": [n for n, p in zip(names, b, strict=True) if p >= 0.5],
        "probability": {n: float(p) for n, p in zip(names, d, strict=True) if p > 0},
    }


def _rounds(r: StressResult) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _est(out, "clearing", r, "clearing_rounds", ())
    _est(out, "debtrank", r, "debtrank_rounds", ())
    _est(out, "debtrank_system", r, "debtrank", ())
    return out


def _stranded(r: StressResult) -> dict[str, Any]:
    s = r.scenario
    deals = [d.name for d in s.deals if hasattr(d, "schedule")]
    out: dict[str, Any] = {"built_ahead_gw": dict(r.applied.built_ahead_gw)}
    for key in ("idle_capacity_end_usd", "inventory_end_usd"):
        block: dict[str, Any] = {}
        for j, e in enumerate(s.entities):
            if e.kind in ("chip_vendor", "builder"):
                row: dict[str, Any] = {}
                _est(row, "stress", r, key, j)
                _est(row, "baseline", r, f"baseline_{key}", j)
                block[e.name] = row
        out[key] = block
    gw: dict[str, Any] = {}
    for j, name in enumerate(deals):
        row = {}
        _est(row, "stress", r, "gw_delivered", j)
        _est(row, "baseline", r, "baseline_gw_delivered", j)
        gw[name] = row
    out["gw_delivered"] = gw
    return out


def _glut(r: StressResult) -> dict[str, Any]:
    inv = np.asarray(r.mean["inventory_usd"])
    base = np.asarray(r.mean["baseline_inventory_usd"])
    price = np.asarray(r.mean["price_index"])
    q = r.scenario.time.labels()
    extra = inv - base
    k = int(np.argmax(extra))
    scale = max(money_scale(r), float(np.max(np.abs(inv))), float(np.max(np.abs(base))))
    peak_extra = denoise(float(extra[k]), scale)
    return {
        "peak_glut_usd": float(inv.max()),
        "peak_glut_quarter": q[int(np.argmax(inv))],
        "peak_extra_glut_usd": max(peak_extra, 0.0),
        "peak_extra_glut_quarter": q[k] if peak_extra > 0 else None,
        "peak_glut_share": float(np.max(np.asarray(r.mean["glut_share"]))),
        "min_price_index": float(price.min()),
        "min_price_quarter": q[int(np.argmin(price))],
        "baseline_min_price_index": float(np.asarray(r.mean["baseline_price_index"]).min()),
    }


def _industry(r: StressResult) -> dict[str, Any]:
    out: dict[str, Any] = {"quarter": r.scenario.time.labels()}
    for key in (
        "supply_usd",
        "demand_usd",
        "gap_usd",
        "inventory_usd",
        "glut_share",
        "price_index",
        "baseline_gap_usd",
        "baseline_inventory_usd",
        "baseline_price_index",
    ):
        out[key] = [float(v) for v in np.asarray(r.mean[key])]
        if r.stderr is not None:
            out[f"{key}_stderr"] = [float(v) for v in np.asarray(r.stderr[key])]
    return out
