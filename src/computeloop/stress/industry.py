"""The AI-chip industry layer: supply planned a lead time ahead, demand that turns, glut.

Quarter by quarter, in dollars of chips at list price:

- **Demand** ``D_t = R_t + B_t``: the rest of the market ``R_t`` (the vendors' other
  revenue, growing at ``rest_of_market_growth_annual`` and, in Monte Carlo runs, moved
  by the scenario's AI-demand factor ``f_t`` with loading ``b``:
  ``R_t = R_0 (1 + g)^(t/4) exp(b f_t - b^2 var(f_t) / 2)``), plus the lab's purchases
  ``B_t`` (chips delivered in the run).
- **Supply** ``S_t`` is decided ``L`` quarters earlier (``L`` = the chip deals' lead
  time): the rest of the market as forecast then,
  ``E[R_t | f_(t-L)] = R_0 (1 + g)^(t/4) exp(b phi^L f_(t-L) - b^2 phi^(2L) var(f_(t-L))/2)``,
  plus the lab's contracted deliveries as known then (the original schedule before the
  shock, the shocked one after).
- **Gap** ``S_t - D_t`` (positive: more made than bought) and the **glut**, the stock
  of unsold chips ``I_t = max(0, I_(t-1) + S_t - D_t)`` (deliveries the lab defers are
  drawn from it later). The **price index** clears what is on offer with constant
  demand elasticity ``epsilon``: ``P_t = ((I_(t-1) + S_t) / D_t)^(-1 / epsilon)``
  (1 = list price). Capacity decisions lag, so a cut turns into glut for ``L`` quarters
  before supply adjusts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from computeloop.engine.core import EngineOutput
from computeloop.engine.inputs import EngineInputs
from computeloop.scenario.model import Scenario

F = NDArray[np.float64]


@dataclass(frozen=True)
class IndustryAssumptions:
    """Numbers of the industry layer that no source pins down (value, low, high).

    Stress runs take them from the scenario (``industry:`` and
    ``market.rest_of_market_loading``); the defaults here are the schema's defaults.
    """

    price_elasticity: float = 1.5
    """Demand elasticity of AI-chip prices; assumption, range 0.5-3 (a glut of 10% of
    demand lowers prices by about 6%, between 3% and 17%)."""
    rest_of_market_growth_annual: float = 0.25
    """Growth of the vendors' other AI-chip demand; assumption, range 0-0.5."""
    rest_of_market_loading: float = 0.2
    """Loading of the rest of the market on the AI-demand factor; range 0-0.4."""

    @classmethod
    def from_scenario(cls, s: Scenario) -> IndustryAssumptions:
        """The scenario's ``industry`` and ``market.rest_of_market_loading`` values."""
        return cls(
            price_elasticity=s.industry.price_elasticity.value,
            rest_of_market_growth_annual=s.industry.rest_of_market_growth_annual.value,
            rest_of_market_loading=s.market.rest_of_market_loading.value,
        )


RANGES = {
    "price_elasticity": (0.5, 3.0),
    "rest_of_market_growth_annual": (0.0, 0.5),
    "rest_of_market_loading": (0.0, 0.4),
}


def lab_chip_schedule(x: EngineInputs) -> F:
    """Contracted chip dollars due per quarter under the deals as compiled, ``(P, T)``."""
    out = np.zeros((x.paths, x.quarters))
    for d in x.deals:
        if d.kind == "compute":
            out += d.schedule[None, :] * d.chip_per_gw[:, None]
    return out


def industry_paths(
    s: Scenario,
    start: int,
    base: tuple[EngineInputs, EngineOutput],
    stressed: tuple[EngineInputs, EngineOutput],
    factor: F | None,
    a: IndustryAssumptions,
) -> dict[str, F]:
    """Per path and quarter: supply, demand, gap, inventory (glut), glut share and price
    index, for the stressed run and (prefixed ``baseline_``) the baseline, each ``(P, T)``."""
    xb, ob = base
    xs, os_ = stressed
    P, T = xb.paths, xb.quarters
    vendors = [i for i, e in enumerate(s.entities) if e.kind == "chip_vendor"]
    r0 = sum(s.entities[i].revenue_annual_usd.value for i in vendors) / 4.0
    leads = [d.lead for d in xb.deals if d.kind == "compute"]
    L = round(float(np.mean(leads))) if leads else 2
    t = np.arange(T, dtype=np.float64)
    trend = r0 * (1.0 + a.rest_of_market_growth_annual) ** (t / 4.0)
    actual, forecast = _rest_of_market(s, trend, factor, P, L, a.rest_of_market_loading)
    planned_base = lab_chip_schedule(xb)
    planned_stress = lab_chip_schedule(xs)
    known = np.arange(T) - L >= start  # decided after the shock was known
    planned = np.where(known[None, :], planned_stress, planned_base)
    out = {}
    for tag, plan, o in (("", planned, os_), ("baseline_", planned_base, ob)):
        lab = o.entity["revenue_from_lab"][:, :, vendors].sum(axis=2)
        demand = actual + lab
        supply = forecast + plan
        inventory, available = _carry(supply, demand)
        out[f"{tag}supply_usd"] = supply
        out[f"{tag}demand_usd"] = demand
        out[f"{tag}gap_usd"] = supply - demand
        out[f"{tag}inventory_usd"] = inventory
        out[f"{tag}price_index"] = (np.maximum(available, 1.0) / np.maximum(demand, 1.0)) ** (
            -1.0 / a.price_elasticity
        )
    out["glut_share"] = out["inventory_usd"] / np.maximum(out["demand_usd"], 1.0)
    return out


def _carry(supply: F, demand: F) -> tuple[F, F]:
    """Unsold chips carried from quarter to quarter (a glut is a stock, and deliveries the
    lab deferred are drawn from it later), and what is on offer each quarter."""
    inventory = np.zeros_like(supply)
    available = np.zeros_like(supply)
    prev = np.zeros(supply.shape[0])
    for t in range(supply.shape[1]):
        available[:, t] = prev + supply[:, t]
        prev = np.maximum(available[:, t] - demand[:, t], 0.0)
        inventory[:, t] = prev
    return inventory, available


def _rest_of_market(
    s: Scenario, trend: F, factor: F | None, P: int, L: int, b: float
) -> tuple[F, F]:
    """Actual and forecast (``L`` quarters ahead) rest-of-market demand, ``(P, T)``."""
    if factor is None or b == 0.0:
        flat = np.broadcast_to(trend, (P, trend.size)).copy()
        return flat, flat.copy()
    phi = s.market.factor_persistence.value
    var = _factor_variance(factor.shape[1], phi, factor)
    actual = trend * np.exp(b * factor - 0.5 * b * b * var)
    lagged = np.zeros_like(factor)
    lagged[:, L:] = factor[:, :-L] if L else factor
    lag_var = np.zeros_like(var)
    lag_var[L:] = var[:-L] if L else var
    k = b * phi**L
    forecast = trend * np.exp(k * lagged - 0.5 * k * k * lag_var)
    return actual, forecast


def _factor_variance(T: int, phi: float, factor: F) -> F:
    """Variance of the unit-variance AR(1) factor per quarter (0 before it starts)."""
    started = np.any(factor != 0.0, axis=0)
    var = np.zeros(T)
    prev = 0.0
    for t in range(T):
        if started[t]:
            prev = phi * phi * prev + (1.0 - phi * phi)
        var[t] = prev
    return var


def factor_from_normals(s: Scenario, normals: F, start: int) -> F:
    """The AI-demand factor's AR(1) path from the market model's innovations (the first
    ``T`` columns of a Monte Carlo run's normals), as ``sampling.market`` builds it."""
    T = s.time.n
    phi = s.market.factor_persistence.value
    eps = normals[:, :T]
    f = np.zeros_like(eps)
    prev = np.zeros(eps.shape[0])
    scale = np.sqrt(1.0 - phi * phi)
    for t in range(start, T):
        prev = phi * prev + scale * eps[:, t]
        f[:, t] = prev
    return f
