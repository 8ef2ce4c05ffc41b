"""computeloop: stress-test the AI compute build-out.

The public API: load or build a scenario, simulate it, analyse the results.

>>> from computeloop import default_scenario, simulate
>>> results = simulate(default_scenario())
>>> round(float(results.lab("revenue").sel(quarter=["2025Q1", "2025Q2"]).sum()) / 1e9, 1)
4.3
"""

__version__ = "0.1.0"

from computeloop.api import monte_carlo, reconcile, simulate, summarize
from computeloop.errors import ComputeloopError, ScenarioError
from computeloop.scenario import (
    Scenario,
    default_scenario,
    load_scenario,
    parse_scenario,
)

__all__ = [
    "ComputeloopError",
    "Scenario",
    "ScenarioError",
    "__version__",
    "default_scenario",
    "load_scenario",
    "monte_carlo",
    "parse_scenario",
    "reconcile",
    "simulate",
    "summarize",
]
