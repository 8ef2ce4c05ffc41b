"""Risk metrics of a Monte Carlo run, each with its Monte Carlo standard error.

Means and probabilities use the usual ``sd / sqrt(N)``; quantiles, CVaR and ratios
use batch means over ``BATCHES`` interleaved batches of paths (path ``i`` in batch
``i mod BATCHES``): the spread of the statistic across batches over ``sqrt(BATCHES)``
(Glasserman 2003, sec. 1.1; Asmussen and Glynn 2007, ch. IV.5). In the JSON every
estimate ``x`` comes with ``x_stderr``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from computeloop.montecarlo import BAND_QUANTILES, MonteCarloResults
from computeloop.scenario.deals import Warrant

F = NDArray[np.float64]
BATCHES = 32
Stat = Callable[[F], float]


def _batched_stderr(x: F, stat: Stat) -> float:
    n = x.shape[0]
    if n < 2 * BATCHES:
        return math.nan
    values = [stat(x[b::BATCHES]) for b in range(BATCHES)]
    return float(np.std(values, ddof=1) / math.sqrt(BATCHES))


def _cvar(x: F, level: float = 0.95) -> float:
    """Mean of the worst (largest) ``1 - level`` of outcomes (Acerbi and Tasche, 2002).

    Exactly that share of the paths counts, the boundary path with a fractional
    weight, so outcomes tied at the quantile are not all averaged in (a spike at zero
    with a few large values is common: a tranche that rarely vests).

    >>> _cvar(np.array([0.0] * 96 + [10.0, 20.0, 30.0, 40.0]))
    20.0
    >>> _cvar(np.arange(1.0, 41.0))  # the worst 2 of 40: 40 and 39
    39.5
    """
    n = x.shape[0]
    m = round((1.0 - level) * n, 9)
    k = int(np.floor(m))
    if n == 0:
        return math.nan
    if k == 0:
        return float(x.max())
    top = np.partition(x, n - k - 1 if k < n else 0)
    worst = top[n - k :]
    total = float(worst.sum())
    frac = m - k
    if frac > 0 and k < n:
        total += frac * float(top[n - k - 1])
    return float(total / m)


def describe(x: F) -> dict[str, float]:
    """Mean, p5/p50/p95 and CVaR95 of a per-path quantity, with standard errors."""
    n = x.shape[0]
    out = {
        "mean": float(x.mean()),
        "mean_stderr": float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
    }
    for q in (5, 50, 95):
        stat = _quantile_stat(q / 100)
        out[f"p{q}"] = stat(x)
        out[f"p{q}_stderr"] = _batched_stderr(x, stat)
    out["cvar95"] = _cvar(x)
    out["cvar95_stderr"] = _batched_stderr(x, _cvar)
    return out


def _quantile_stat(level: float) -> Stat:
    def stat(v: F) -> float:
        return float(np.quantile(v, level))

    return stat


def probability(event: NDArray[np.bool_]) -> dict[str, float]:
    p = float(event.mean())
    n = event.shape[0]
    return {"p": p, "p_stderr": math.sqrt(p * (1 - p) / n) if n > 1 else math.nan}


def _ratio(num: F, den: F) -> dict[str, float]:
    def stat(idx: F) -> float:
        d = float(den[idx.astype(int)].sum())
        return float(num[idx.astype(int)].sum()) / d if d > 0 else math.nan

    idx = np.arange(num.shape[0], dtype=np.float64)
    return {"ratio": stat(idx), "ratio_stderr": _batched_stderr(idx, stat)}


def risk_metrics(mc: MonteCarloResults) -> dict[str, Any]:
    """The JSON-ready risk summary of a Monte Carlo run (see docs/cli.md)."""
    return {
        "lab": _lab(mc),
        "vendors": _vendors(mc),
        "warrants": _warrants(mc),
        "stranded": _stranded(mc),
    }


def _lab(mc: MonteCarloResults) -> dict[str, Any]:
    ds = mc.summary
    gap = ds.peak_funding_gap_usd.values
    be = ds.breakeven_index.values
    quarters = mc.summary.attrs["quarters"]
    within = ~np.isnan(be)
    median_be = quarters[int(np.nanmedian(be))] if within.mean() >= 0.5 else None
    return {
        "prob_needs_new_funding": probability(gap > 0),
        "peak_funding_gap_usd": describe(gap),
        "breakeven": {"within_horizon": probability(within), "median_quarter": median_be},
        "gw_online_end": describe(ds.gw_online_end.values),
        "gw_online_by_year": {
            str(y): describe(ds.gw_online_year_end.sel(year=y).values) for y in ds.year.values
        },
        "cumulative_external_funding_usd": describe(ds.cumulative_external_funding_usd.values),
        "prob_cash_below_zero": probability(ds.min_cash_usd.values < 0),
    }


def _vendors(mc: MonteCarloResults) -> dict[str, Any]:
    ds, s = mc.summary, mc.scenario
    out: dict[str, Any] = {}
    for e in s.entities:
        if e.kind != "chip_vendor":
            continue
        rev = ds.revenue_from_lab_usd.sel(entity=e.name).values
        money_in = (ds.investment_in_lab_usd + ds.warrant_value_given_usd).sel(entity=e.name).values
        planned = s.planned_chip_revenue(e.name)
        shortfall = np.maximum(planned - rev, 0.0)
        out[e.name] = {
            "revenue_from_lab_usd": describe(rev),
            "revenue_from_lab_planned_usd": planned,
            "revenue_shortfall_usd": _with_var95(describe(shortfall)),
            "investment_in_lab_usd": describe(ds.investment_in_lab_usd.sel(entity=e.name).values),
            "circularity_ratio": _ratio(money_in, rev),
        }
    return out


def _with_var95(d: dict[str, float]) -> dict[str, float]:
    """VaR95 of a loss is its 95th percentile."""
    return {**d, "var95": d["p95"], "var95_stderr": d["p95_stderr"]}


def _warrants(mc: MonteCarloResults) -> dict[str, Any]:
    ds, s = mc.summary, mc.scenario
    quarters = ds.attrs["quarters"]
    out: dict[str, Any] = {}
    for w in s.deals_of(Warrant):
        sel = ds.sel(tranche=ds.tranche_warrant == w.name)
        shares = np.array([t.shares.value for t in w.tranches])
        vested = sel.tranche_vested.values  # (P, K)
        issuer = s.entity(w.issuer)
        headline = w.shares.value * issuer.share_price_usd.value
        out[w.name] = {
            "vested_shares": describe(vested @ shares),
            "value_usd": describe(sel.tranche_value_usd.values.sum(axis=1)),
            "headline_value_usd": headline,
            "tranches": [
                {
                    "shares": float(shares[k]),
                    "vesting_probability": probability(vested[:, k] > 0),
                    "median_vesting_quarter": _median_quarter(
                        sel.tranche_vest_index.values[:, k], quarters
                    ),
                    "value_usd": describe(sel.tranche_value_usd.values[:, k]),
                }
                for k in range(len(w.tranches))
            ],
        }
    return out


def _median_quarter(index: F, quarters: list[str]) -> str | None:
    got = index[~np.isnan(index)]
    return quarters[int(np.median(got))] if got.size else None


def _stranded(mc: MonteCarloResults) -> dict[str, Any]:
    ds, s = mc.summary, mc.scenario
    return {
        e.name: {
            "usd": describe(ds.stranded_usd.sel(entity=e.name).values),
            "at_risk_usd": describe(ds.at_risk_usd.sel(entity=e.name).values),
        }
        for e in s.entities
        if e.kind in ("chip_vendor", "builder")
    }


def bands_json(mc: MonteCarloResults) -> dict[str, Any]:
    """Fan-chart quantiles per quarter for the main lab series."""
    b = mc.bands
    out: dict[str, Any] = {"quarter": list(b.quarter.values)}
    for name in b.data_vars:
        out[str(name)] = {
            f"p{round(q * 100)}": [float(v) for v in b[name].sel(quantile=q).values]
            for q in BAND_QUANTILES
        }
    return out
