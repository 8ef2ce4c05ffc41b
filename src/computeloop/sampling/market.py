"""The market model: one AI-demand factor, demand multipliers and share-price paths.

A quarterly AR(1) factor with unit stationary variance drives the lab's demand
(a mean-one lognormal multiplier) and, through each company's correlation with the
factor's innovations, a GBM for its share price (Glasserman, *Monte Carlo Methods in
Financial Engineering*, 2003, sec. 3.2: exact log-Euler steps of a GBM). Shocks start
in ``market.shocks_start`` (default: the quarter after ``meta.as_of``), so history the
scenario is calibrated to is not randomised.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from computeloop.engine import MarketShocks
from computeloop.scenario.model import Scenario
from computeloop.scenario.timeaxis import Quarter

F = NDArray[np.float64]


def shocks_start_index(s: Scenario) -> int:
    """Index of the first quarter with random shocks."""
    start = s.market.shocks_start or Quarter.parse(s.meta.as_of) + 1
    return min(max(s.time.index(start), 0), s.time.n)


def draw_count(s: Scenario) -> int:
    """Standard normals per path the market model consumes: factor plus one per entity."""
    return s.time.n * (1 + len(s.entities))


def market_shocks(s: Scenario, normals: F) -> MarketShocks:
    """Turn standard normals ``(P, T * (1 + E))`` into demand and share-price multipliers.

    Columns ``[0, T)`` are the factor's innovations, then ``T`` columns per entity in
    scenario order are its idiosyncratic shocks.
    """
    T, E = s.time.n, len(s.entities)
    P = normals.shape[0]
    eps = normals.reshape(P, 1 + E, T)
    start = shocks_start_index(s)
    phi = s.market.factor_persistence.value
    factor, var = _ar1(eps[:, 0, :], phi, start)
    b = s.market.lab_demand_loading.value
    demand = np.exp(b * factor - 0.5 * b * b * var)
    price = np.ones((P, T, E))
    for e, ent in enumerate(s.entities):
        sigma = ent.share_price_volatility_annual.value
        if sigma == 0 or ent.share_price_quarter is None:
            continue
        rho = ent.share_price_factor_correlation.value
        z = rho * eps[:, 0, :] + np.sqrt(1.0 - rho * rho) * eps[:, 1 + e, :]
        first = max(start, s.time.index(ent.share_price_quarter) + 1)
        price[:, :, e] = _gbm_multiplier(z, sigma, first)
    return MarketShocks(demand=demand, share_price=price)


def _ar1(eps: F, phi: float, start: int) -> tuple[F, F]:
    """Unit-variance AR(1) from ``start`` (0 before) and its variance per quarter."""
    P, T = eps.shape
    f = np.zeros((P, T))
    var = np.zeros(T)
    scale = np.sqrt(1.0 - phi * phi)
    prev = np.zeros(P)
    prev_var = 0.0
    for t in range(start, T):
        prev = phi * prev + scale * eps[:, t]
        prev_var = phi * phi * prev_var + scale * scale
        f[:, t] = prev
        var[t] = prev_var
    return f, var


def _gbm_multiplier(z: F, sigma: float, first: int) -> F:
    """Mean-one multiplier of a GBM with annual volatility ``sigma``, quarterly steps."""
    dt = 0.25
    steps = sigma * np.sqrt(dt) * z - 0.5 * sigma * sigma * dt
    steps[:, :first] = 0.0
    out: F = np.exp(np.cumsum(steps, axis=1))
    return out
