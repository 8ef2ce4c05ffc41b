"""The public entry points that the CLI, report and dashboard are thin shells over."""

from __future__ import annotations

from typing import Any, Literal

from computeloop.analysis.metrics import JSON_SCHEMA_VERSION, clean_json, summarize
from computeloop.analysis.reconcile import ReconcileReport, reconcile_results
from computeloop.analysis.risk import bands_json, risk_metrics
from computeloop.engine import compile_inputs, run_engine
from computeloop.errors import InputError
from computeloop.montecarlo import MonteCarloResults, check_seed, monte_carlo
from computeloop.results import Results, build_results
from computeloop.scenario.model import Scenario

MAX_PATHS = 100_000
"""Largest path count held in memory at once (chunked runs are a later addition)."""

__all__ = [
    "monte_carlo",
    "reconcile",
    "simulate",
    "summarize",
    "summarize_monte_carlo",
    "with_policy",
]


def with_policy(scenario: Scenario, on_shortfall: Literal["defer", "cancel"]) -> Scenario:
    """A copy of ``scenario`` with another shortfall policy.

    >>> from computeloop import default_scenario
    >>> with_policy(default_scenario(), "cancel").policy.on_shortfall
    'cancel'
    """
    policy = scenario.policy.model_copy(update={"on_shortfall": on_shortfall})
    return scenario.model_copy(update={"policy": policy})


def simulate(scenario: Scenario, *, paths: int = 1, seed: int | None = None) -> Results:
    """Run the engine on ``paths`` paths and label the output.

    Every input is at its central value, so all paths are equal; the path axis is
    where Monte Carlo samples go. ``seed`` is recorded in the results.

    >>> from computeloop import default_scenario
    >>> r = simulate(default_scenario())
    >>> r.dataset.sizes["quarter"]
    32
    """
    _check_run_args(paths, seed)
    out = run_engine(compile_inputs(scenario, paths))
    return build_results(out, scenario, seed, scenario.policy.on_shortfall)


def _check_run_args(paths: Any, seed: Any) -> None:
    if isinstance(paths, bool) or not isinstance(paths, int) or not 1 <= paths <= MAX_PATHS:
        raise InputError(f"paths: must be a whole number from 1 to {MAX_PATHS:,}, got {paths!r}")
    check_seed(seed)


def summarize_monte_carlo(mc: MonteCarloResults) -> dict[str, Any]:
    """The JSON-ready summary of a Monte Carlo run: risk metrics with standard errors."""
    s = mc.scenario
    out: dict[str, Any] = clean_json(
        {
            "schema_version": JSON_SCHEMA_VERSION,
            "scenario": s.meta.name,
            "scenario_hash": mc.summary.attrs["scenario_hash"],
            "computeloop_version": mc.summary.attrs["computeloop_version"],
            "seed": mc.seed,
            "paths": mc.paths,
            "policy": s.policy.on_shortfall,
            "horizon": {"start": str(s.time.start), "end": str(s.time.end)},
            "metrics": risk_metrics(mc),
            "bands": bands_json(mc),
        }
    )
    return out


def reconcile(scenario: Scenario) -> ReconcileReport:
    """Every figure of the source article next to the model's value.

    >>> from computeloop import default_scenario
    >>> reconcile(default_scenario()).all_pass
    True
    """
    return reconcile_results(simulate(scenario))
