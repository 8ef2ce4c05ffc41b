"""Reverse stress test: the smallest shock along one axis that makes an outcome happen.

The shock size ``x`` runs along an axis (``deployment_cut``, ``revenue_shortfall``,
``revenue_growth``, ``missed_payment`` from 0 to 1; ``delay`` in whole quarters). An
outcome is a measure of one entity with a threshold (its loss passes a share of its
annual revenue or of its equity, or it defaults in the clearing). With
``g(x) = measure(x) - threshold``, the answer is found by bracketing: ``g(lo) < 0`` at
no shock, ``g(hi) >= 0`` at the largest, then bisection (Brent's method,
``scipy.optimize.brentq``, for continuous measures; plain bisection for defaults and
for delays) to the tolerance reported. Measures that are not monotone in the shock
give the smallest root found by the bracket, and the result says so through
``bracket``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from scipy.optimize import brentq

from computeloop.errors import InputError
from computeloop.scenario.model import Scenario
from computeloop.scenario.stress import SIZE_RANGE, StressScenario, StressShock
from computeloop.scenario.timeaxis import Quarter
from computeloop.stress.network import node_names
from computeloop.stress.run import StressResult, run_stress
from computeloop.stress.shocks import DEFAULT_PRESET_START, parse_quarter

Measure = Literal["loss_share_of_revenue", "loss_share_of_equity", "default"]
MEASURES: tuple[str, ...] = ("loss_share_of_revenue", "loss_share_of_equity", "default")
AXES: tuple[str, ...] = (
    "deployment_cut",
    "revenue_shortfall",
    "revenue_growth",
    "missed_payment",
    "delay",
)


@dataclass(frozen=True)
class ReverseResult:
    """The smallest shock size that makes the outcome happen (``None`` if even the
    largest does not), with the bracket searched and the tolerance on ``size``."""

    entity: str
    axis: str
    measure: str
    threshold: float
    size: float | None
    tolerance: float
    bracket: tuple[float, float]
    value_at_size: float | None
    evaluations: int

    def to_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "axis": self.axis,
            "measure": self.measure,
            "threshold": self.threshold,
            "size": self.size,
            "tolerance": self.tolerance,
            "bracket": list(self.bracket),
            "value_at_size": self.value_at_size,
            "evaluations": self.evaluations,
            "found": self.size is not None,
        }


def measure_of(r: StressResult, entity: str, measure: str) -> float:
    """The outcome measure of one entity in a stress result."""
    s = r.scenario
    if measure == "default":
        return float(r.mean["defaulted"][node_names(s).index(entity)])
    ent = s.entity(entity)
    denom = (
        ent.revenue_annual_usd.value
        if measure == "loss_share_of_revenue"
        else ent.book_equity_usd.value
    )
    if denom <= 0:
        what = "revenue_annual_usd" if measure == "loss_share_of_revenue" else "book_equity_usd"
        raise InputError(f"entity {entity!r}: {measure} needs {what} > 0 in the scenario")
    return r.loss(entity) / denom


def stress_at(axis: str, size: float, start: Quarter, deals: list[str]) -> StressScenario:
    """The one-shock stress of ``size`` along ``axis``."""
    data: dict[str, Any] = {"kind": axis, "size": size, "start": start}
    if axis in ("deployment_cut", "delay") and deals:
        data["deals"] = deals
    return StressScenario(
        name=f"reverse-{axis}", title=f"{axis} of {size:g}", shocks=[StressShock(**data)]
    )


def reverse_stress(
    scenario: Scenario,
    entity: str,
    *,
    axis: str = "deployment_cut",
    measure: str = "loss_share_of_revenue",
    threshold: float = 0.2,
    start: str | Quarter | None = None,
    deals: list[str] | None = None,
    tol: float = 1e-4,
) -> ReverseResult:
    """Smallest shock along ``axis`` at which ``measure`` of ``entity`` reaches ``threshold``.

    >>> from computeloop import default_scenario
    >>> r = reverse_stress(default_scenario(), "NVIDIA", threshold=0.2, tol=1e-3)
    >>> 0 < r.size < 1
    True
    """
    _check(scenario, entity, axis, measure, threshold, tol)
    q = parse_quarter(start or DEFAULT_PRESET_START)
    count = 0

    def g(x: float) -> float:
        nonlocal count
        count += 1
        r = run_stress(scenario, stress_at(axis, x, q, deals or []))
        return measure_of(r, entity, measure) - threshold

    lo, hi = SIZE_RANGE[axis][:2]
    if axis == "delay":
        hi = float(min(hi, scenario.time.n))
    g_lo, g_hi = g(lo), g(hi)
    if g_lo >= 0:
        return ReverseResult(
            entity, axis, measure, threshold, lo, 0.0, (lo, hi), g_lo + threshold, count
        )
    if g_hi < 0:
        step = 1.0 if axis == "delay" else tol
        return ReverseResult(entity, axis, measure, threshold, None, step, (lo, hi), None, count)
    if measure == "default" or axis == "delay":
        x, tol_used = _bisect(g, lo, hi, 1.0 if axis == "delay" else tol)
    else:
        x = float(brentq(g, lo, hi, xtol=tol))
        tol_used = tol
        if g(x) < 0:  # brentq may stop just below the root; report the side that breaks
            x = min(x + tol, hi)
    value = g(x) + threshold
    return ReverseResult(entity, axis, measure, threshold, x, tol_used, (lo, hi), value, count)


def _bisect(g: Callable[[float], float], lo: float, hi: float, tol: float) -> tuple[float, float]:
    """Bisection keeping ``g(lo) < 0 <= g(hi)``; whole steps when ``tol >= 1``."""
    while hi - lo > tol:
        mid = (lo + hi) / 2.0
        if tol >= 1.0:
            mid = float(int(mid))
            if mid <= lo:
                break
        if g(mid) >= 0:
            hi = mid
        else:
            lo = mid
    return hi, tol


def _check(s: Scenario, entity: str, axis: str, measure: str, threshold: float, tol: float) -> None:
    if axis not in AXES:
        raise InputError(f"axis: unknown {axis!r}; choose one of {list(AXES)}")
    if measure not in MEASURES:
        raise InputError(f"outcome measure: unknown {measure!r}; choose one of {list(MEASURES)}")
    if entity not in node_names(s):
        raise InputError(f"entity: unknown {entity!r}; known: {node_names(s)}")
    if measure != "default" and entity not in {e.name for e in s.entities}:
        raise InputError(f"entity {entity!r}: {measure} needs a scenario entity")
    if not (threshold > 0 and threshold < 1e6):
        raise InputError(f"threshold: must be > 0, got {threshold!r}")
    if not 0 < tol < 0.5:
        raise InputError(f"tolerance: must be between 0 and 0.5, got {tol!r}")
