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
    "value_warrants",
    "with_policy",
]

WARRANT_VALUE_PATHS = 100_000
"""Most paths of a Monte Carlo run on which ``value_warrants`` values the warrants."""


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


def value_warrants(mc: MonteCarloResults, max_paths: int = WARRANT_VALUE_PATHS) -> dict[str, Any]:
    """Fair value, vesting odds and dilution of each warrant, on the run's own paths.

    The valuation reruns the full engine on the first ``min(mc.paths, max_paths)``
    paths of the run (same seed, so the same draws), so a very large run is valued on
    a bounded prefix; each warrant's ``paths`` says how many. Keys as in
    ``computeloop value --json`` under ``warrants`` (docs/valuation.md).

    >>> from computeloop import default_scenario
    >>> from computeloop.montecarlo import monte_carlo
    >>> v = value_warrants(monte_carlo(default_scenario(), paths=500, seed=1))
    >>> sorted(v), v["amd-warrant"]["paths"]
    (['amd-warrant'], 500)
    """
    from computeloop.valuation import warrant_summary

    n = min(mc.paths, max_paths)
    by_name = warrant_summary(mc.scenario, paths=n, seed=mc.seed)
    return {name: {"paths": n, **w} for name, w in by_name.items()}
