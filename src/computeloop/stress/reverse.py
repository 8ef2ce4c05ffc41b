"""Reverse stress test: the smallest shock along one axis that makes an outcome happen.

The shock size ``x`` runs along an axis (``deployment_cut``, ``revenue_shortfall``,
``revenue_growth``, ``missed_payment`` from 0 to 1; ``delay`` in whole quarters). An
outcome is a measure of one entity with a threshold (its loss passes a share of its
annual revenue or of its equity, or it defaults in the clearing). With
``g(x) = measure(x) - threshold``:

1. ``g`` is evaluated on a grid of the axis (``GRID_POINTS`` evenly spaced sizes; every
   whole quarter for ``delay``), because the measure need not be monotone in the shock
   (a larger cut can leave a vendor a smaller loss), so testing only the largest shock
   can miss a break at a smaller one;
2. the first grid point with ``g >= 0`` brackets the answer with the point before it;
3. bisection within that bracket keeps ``g(lo) < 0 <= g(hi)`` until ``hi - lo <= tol``,
   and the answer is ``hi``: the forward stress at the answer reaches the threshold, and
   at ``answer - tol`` it does not.

The result reports the grid and whether the measure is monotone (non-decreasing) along
it; when it is not, a shock beyond the answer may fall back below the threshold, and the
grid can miss a crossing narrower than its spacing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

import numpy as np

from computeloop.errors import InputError
from computeloop.scenario.model import Scenario
from computeloop.scenario.stress import SIZE_RANGE, StressScenario, StressShock
from computeloop.scenario.timeaxis import Quarter
from computeloop.stress.network import node_names
from computeloop.stress.run import StressResult, run_stress
from computeloop.stress.shocks import DEFAULT_PRESET_START, parse_quarter

GRID_POINTS = 21
"""Grid points scanned along a share axis (spacing 0.05 on 0-1)."""

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
    """The smallest shock size that makes the outcome happen (``None`` if no grid point
    does), with the final bracket ``(size - tolerance or less, size)``, the measure at both
    ends, the grid scanned, whether the measure is monotone along it, and the grid sizes
    beyond the answer at which it falls back below the threshold."""

    entity: str
    axis: str
    measure: str
    threshold: float
    size: float | None
    tolerance: float
    bracket: tuple[float, float]
    value_at_size: float | None
    evaluations: int
    start: str = DEFAULT_PRESET_START
    value_below: float | None = None
    grid: tuple[float, ...] = ()
    grid_values: tuple[float, ...] = ()
    monotone: bool = True
    falls_below_at: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready result (keys in docs/stress.md)."""
        return {
            "entity": self.entity,
            "axis": self.axis,
            "measure": self.measure,
            "threshold": self.threshold,
            "start": self.start,
            "size": self.size,
            "tolerance": self.tolerance,
            "bracket": list(self.bracket),
            "value_at_size": self.value_at_size,
            "value_below": self.value_below,
            "monotone": self.monotone,
            "falls_below_at": list(self.falls_below_at),
            "grid": {"size": list(self.grid), "value": list(self.grid_values)},
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
    grid_points: int = GRID_POINTS,
    cache: dict[float, StressResult] | None = None,
) -> ReverseResult:
    """Smallest shock along ``axis`` at which ``measure`` of ``entity`` reaches ``threshold``.

    ``cache`` (size -> forward stress result) lets several entities share the runs of one
    axis, start and deal list.

    >>> from computeloop import default_scenario
    >>> r = reverse_stress(default_scenario(), "NVIDIA", threshold=0.2, tol=1e-3)
    >>> 0 < r.size < 1
    True
    """
    _check(scenario, entity, axis, measure, threshold, tol)
    if not 3 <= grid_points <= 1001:
        raise InputError(f"grid points: must be from 3 to 1001, got {grid_points!r}")
    q = parse_quarter(start or DEFAULT_PRESET_START)
    runs = {} if cache is None else cache
    count = 0

    def g(x: float) -> float:
        nonlocal count
        if x not in runs:
            count += 1
            runs[x] = run_stress(scenario, stress_at(axis, x, q, deals or []))
        return measure_of(runs[x], entity, measure) - threshold

    lo, hi = SIZE_RANGE[axis][:2]
    if axis == "delay":
        hi = float(min(hi, scenario.time.n))
        grid = [float(k) for k in range(int(lo), int(hi) + 1)]
    else:
        grid = [round(float(v), 12) for v in np.linspace(lo, hi, grid_points)]
    values = [g(x) for x in grid]
    measured = tuple(v + threshold for v in values)
    scale = max(1.0, max(abs(v) for v in measured))
    monotone = all(b >= a - 1e-9 * scale for a, b in pairwise(measured))
    step = 1.0 if axis == "delay" else tol

    def result(
        size: float | None,
        tolerance: float,
        bracket: tuple[float, float],
        value: float | None,
        below: float | None = None,
    ) -> ReverseResult:
        return ReverseResult(
            entity=entity,
            axis=axis,
            measure=measure,
            threshold=threshold,
            size=size,
            tolerance=tolerance,
            bracket=bracket,
            value_at_size=value,
            evaluations=count,
            start=str(q),
            value_below=below,
            grid=tuple(grid),
            grid_values=measured,
            monotone=monotone,
            falls_below_at=tuple(
                x
                for x, v in zip(grid, values, strict=True)
                if v < 0 and size is not None and x > size
            ),
        )

    first = next((k for k, v in enumerate(values) if v >= 0), None)
    if first is None:
        return result(None, step, (lo, hi), None)
    if first == 0:
        return result(lo, 0.0, (lo, lo), measured[0])
    a, b = _bisect(g, grid[first - 1], grid[first], step)
    value_b, value_a = g(b) + threshold, g(a) + threshold
    return result(b, step, (a, b), value_b, value_a)


def _bisect(g: Callable[[float], float], lo: float, hi: float, tol: float) -> tuple[float, float]:
    """Bisection keeping ``g(lo) < 0 <= g(hi)`` until ``hi - lo <= tol``; whole steps
    when ``tol >= 1``. Returns the final ``(lo, hi)``."""
    while hi - lo > tol * (1.0 + 1e-12):
        mid = round((lo + hi) / 2.0, 12)
        if tol >= 1.0:
            mid = float(int(mid))
            if mid <= lo:
                break
        if g(mid) >= 0:
            hi = mid
        else:
            lo = mid
    return lo, hi


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
    if measure == "default" and threshold > 1:
        raise InputError(
            f"threshold: a default is 0 or 1 on each path, so the threshold for it must be "
            f"from 0 to 1, got {threshold!r}"
        )
    if not 0 < tol < 0.5:
        raise InputError(f"tolerance: must be between 0 and 0.5, got {tol!r}")
