"""Run a stress: baseline and stressed engine runs on the same paths, then losses.

A deterministic stress is one path at central values. A Monte Carlo stress draws the
paths of ``monte_carlo(scenario, paths=N, seed=S)`` (same blocks of random numbers),
runs the baseline and the stressed scenario on each block, and keeps only running sums,
so memory is bounded by one block whatever ``N``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from computeloop.analysis.metrics import clean_json
from computeloop.engine import compile_inputs, run_engine
from computeloop.errors import InputError
from computeloop.montecarlo import BLOCK, check_seed, normalize_seed
from computeloop.montecarlo.runner import draw_normals, paths_from_normals
from computeloop.sampling.market import draw_count, market_shocks, shocks_start_index
from computeloop.sampling.static import StaticPlan, static_plan
from computeloop.scenario.model import Scenario
from computeloop.scenario.stress import StressScenario
from computeloop.stress.industry import (
    RANGES,
    IndustryAssumptions,
    factor_from_normals,
    industry_paths,
)
from computeloop.stress.losses import CHANNELS, ClearingAssumptions, Run, path_losses
from computeloop.stress.network import node_names
from computeloop.stress.report import stress_json
from computeloop.stress.shocks import Applied, apply_stress, shock_inputs

F = NDArray[np.float64]
MAX_PATHS = 1_000_000


@dataclass
class _Sums:
    """Running means and sums of squared deviations of per-path arrays, merged block by
    block (Chan, Golub and LeVeque's pairwise update), so no large sums cancel."""

    n: int = 0
    m: dict[str, F] = field(default_factory=dict)
    m2: dict[str, F] = field(default_factory=dict)

    def add(self, arrays: dict[str, F]) -> None:
        nb = next(iter(arrays.values())).shape[0]
        total = self.n + nb
        for k, a in arrays.items():
            a = np.asarray(a, dtype=np.float64)
            mb = a.mean(axis=0)
            m2b = ((a - mb) ** 2).sum(axis=0)
            if not self.n:
                self.m[k], self.m2[k] = mb, m2b
                continue
            delta = mb - self.m[k]
            self.m[k] = self.m[k] + delta * nb / total
            self.m2[k] = self.m2[k] + m2b + delta * delta * self.n * nb / total
        self.n = total

    def mean(self) -> dict[str, F]:
        return dict(self.m)

    def stderr(self) -> dict[str, F]:
        return {k: np.sqrt(v / max(self.n - 1, 1) / self.n) for k, v in self.m2.items()}


@dataclass(frozen=True)
class StressResult:
    """Means (and, for Monte Carlo, standard errors) of every per-path stress output."""

    scenario: Scenario
    applied: Applied
    paths: int
    seed: int | None
    mean: dict[str, F]
    stderr: dict[str, F] | None
    industry: IndustryAssumptions
    clearing: ClearingAssumptions

    def loss(self, entity: str, channel: str = "total") -> float:
        """Mean loss of ``entity`` through ``channel`` (or in total), USD."""
        return float(self.mean[f"loss_{channel}"][node_names(self.scenario).index(entity)])

    def loss_share_of_revenue(self, entity: str) -> float | None:
        """Total loss over the entity's annual revenue (None if it reports none)."""
        rev = self.scenario.entity(entity).revenue_annual_usd.value
        return self.loss(entity) / rev if rev > 0 else None

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready summary (keys in docs/stress.md)."""
        out: dict[str, Any] = clean_json(stress_json(self))
        return out


def run_stress(
    scenario: Scenario,
    stress: StressScenario,
    *,
    paths: int = 1,
    seed: int | None = None,
    industry: IndustryAssumptions | None = None,
    clearing: ClearingAssumptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> StressResult:
    """Run ``stress`` against the baseline: deterministic (``paths=1``) or Monte Carlo.

    >>> from computeloop import default_scenario
    >>> from computeloop.stress.shocks import preset
    >>> r = run_stress(default_scenario(), preset("lab-cut-50"))
    >>> r.loss("NVIDIA") > 0
    True
    """
    if isinstance(paths, bool) or not isinstance(paths, int) or not 1 <= paths <= MAX_PATHS:
        raise InputError(f"paths: must be a whole number from 1 to {MAX_PATHS:,}, got {paths!r}")
    check_seed(seed)
    ia = industry or IndustryAssumptions.from_scenario(scenario)
    _check_assumptions(ia)
    ca = clearing or ClearingAssumptions()
    if not (0.0 <= ca.alpha <= 1.0 and 0.0 <= ca.beta <= 1.0):
        raise InputError(f"alpha and beta: must be from 0 to 1, got {ca.alpha}, {ca.beta}")
    ap = apply_stress(scenario, stress)
    sums = _Sums()
    if paths == 1:
        xb = compile_inputs(scenario)
        xs = shock_inputs(scenario, ap, compile_inputs(ap.scenario))
        sums.add(_outputs(scenario, ap, (xb, run_engine(xb)), (xs, run_engine(xs)), None, ia, ca))
        return StressResult(scenario, ap, 1, seed, sums.mean(), None, ia, ca)
    seed_ = normalize_seed(seed)
    plan = static_plan(scenario)
    f_start = shocks_start_index(scenario)
    for first in range(0, -(-paths // BLOCK)):
        n = min(BLOCK, paths - first * BLOCK)
        normals = draw_normals(scenario, plan, seed_, first, n)
        base = paths_from_normals(scenario, plan, normals)
        stressed = stressed_paths(scenario, ap, plan, normals)
        factor = factor_from_normals(scenario, normals, f_start)
        sums.add(_outputs(scenario, ap, base, stressed, factor, ia, ca))
        if progress:
            progress(sums.n, paths)
    return StressResult(scenario, ap, paths, seed_, sums.mean(), sums.stderr(), ia, ca)


def stressed_paths(s: Scenario, ap: Applied, plan: StaticPlan, normals: F) -> Run:
    """The stressed scenario on the paths ``normals`` define: the same draws and market
    paths as ``paths_from_normals(s, plan, normals)`` gives the baseline, then the shocks.
    """
    n_market = draw_count(s)
    shocks = market_shocks(ap.scenario, normals[:, :n_market])
    x = compile_inputs(ap.scenario, normals.shape[0], plan.draw(normals[:, n_market:]), shocks)
    x = shock_inputs(s, ap, x)
    return x, run_engine(x)


def _outputs(
    s: Scenario,
    ap: Applied,
    base: Run,
    stressed: Run,
    factor: F | None,
    ia: IndustryAssumptions,
    ca: ClearingAssumptions,
) -> dict[str, F]:
    out = path_losses(s, ap, base, stressed, ca)
    out.update(industry_paths(s, ap.start, base, stressed, factor, ia))
    return out


def _check_assumptions(a: IndustryAssumptions) -> None:
    for name, (lo, hi) in RANGES.items():
        v = getattr(a, name)
        if not lo <= v <= hi:
            raise InputError(f"{name}: must be from {lo:g} to {hi:g}, got {v!r}")


__all__ = ["CHANNELS", "StressResult", "run_stress", "stressed_paths"]
