"""Valuation: instruments are data, engines value them (closed forms and Monte Carlo).

- :mod:`~computeloop.valuation.instruments`: textbook instruments as frozen data;
- :mod:`~computeloop.valuation.closed_form`: their closed-form engines, looked up by
  type through :func:`price` (:mod:`~computeloop.valuation.registry`);
- :mod:`~computeloop.valuation.monte_carlo`: the engine for the scenario's own deal
  instruments (warrant tranches, equity tranches) on the scenario's Monte Carlo paths.

>>> from computeloop import default_scenario
>>> out = value_scenario(default_scenario(), paths=64, seed=1)
>>> out["warrants"]["amd-warrant"]["headline_value_usd"] / 1e9
37.136
"""

from __future__ import annotations

from typing import Any, Literal

from computeloop.montecarlo import MonteCarloResults
from computeloop.scenario.model import Scenario
from computeloop.valuation.instruments import (
    BarrierOption,
    DigitalOption,
    DilutedWarrant,
    EuropeanOption,
    Market,
    OneTouch,
)
from computeloop.valuation.monte_carlo import RATE, Settings, simulate_claims
from computeloop.valuation.registry import engine_for, price
from computeloop.valuation.summary import summarize_claims, warrants_json

__all__ = [
    "RATE",
    "BarrierOption",
    "DigitalOption",
    "DilutedWarrant",
    "EuropeanOption",
    "Market",
    "OneTouch",
    "Settings",
    "engine_for",
    "price",
    "simulate_claims",
    "value_scenario",
    "warrant_summary",
]


def value_scenario(
    scenario: Scenario,
    paths: int,
    seed: int | None = None,
    antithetic: bool = False,
    *,
    rate: float = RATE,
    measure: Literal["risk_neutral", "scenario"] = "risk_neutral",
    hurdle: Literal["close", "touch"] = "close",
) -> dict[str, Any]:
    """Value every warrant and equity investment of ``scenario``; JSON-ready.

    Fair values are in dollars at the valuation quarter (the issuer's price date), with
    p5/p50/p95 over paths and a standard error for every estimate (docs/valuation.md).
    Fair values use the martingale control variates; ``antithetic`` adds mirrored
    paths (measured gain on the whole warrant: none at equal time; see the benchmark).
    """
    settings = Settings(rate=rate, measure=measure, hurdle=hurdle, antithetic=antithetic)
    return summarize_claims(simulate_claims(scenario, paths=paths, seed=seed, settings=settings))


def warrant_summary(
    source: MonteCarloResults | Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    antithetic: bool = False,
) -> dict[str, Any]:
    """The ``warrants.<name>.*`` figures: fair value, vesting odds, dilution, headline.

    Given a Monte Carlo run, it values the warrants on that run's very paths (same
    scenario, seed and path count; this runs the engine on them once more); given a
    scenario, on ``paths`` paths (default 10,000) with ``seed``.
    """
    sd: int | None
    if isinstance(source, MonteCarloResults):
        s, n, sd = source.scenario, source.paths, source.seed
    else:
        s, n, sd = source, paths or 10_000, seed
    settings = Settings(antithetic=antithetic)
    claims = simulate_claims(s, paths=n, seed=sd, settings=settings)
    return warrants_json(claims)
