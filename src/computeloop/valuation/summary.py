"""The JSON-ready figures of a valuation: every Monte Carlo estimate ``x`` with ``x_stderr``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from computeloop import __version__
from computeloop.analysis.metrics import JSON_SCHEMA_VERSION, clean_json
from computeloop.scenario.deals import EquityInvestment, Warrant
from computeloop.scenario.model import Scenario
from computeloop.valuation import stats
from computeloop.valuation.monte_carlo import DT, Claims, valuation_index


def summarize_claims(c: Claims) -> dict[str, Any]:
    """The whole valuation: settings, warrants and equity investments."""
    s = c.scenario
    out = {
        "schema_version": JSON_SCHEMA_VERSION,
        "scenario": s.meta.name,
        "scenario_hash": s.content_hash(),
        "computeloop_version": __version__,
        "seed": c.seed,
        "paths": c.paths,
        "antithetic": c.settings.antithetic,
        "measure": c.settings.measure,
        "hurdle_monitoring": c.settings.hurdle,
        "rate": c.settings.rate,
        "warrants": warrants_json(c),
        "equity_investments": {d.name: _investment(c, d) for d in s.deals_of(EquityInvestment)},
    }
    result: dict[str, Any] = clean_json(out)
    return result


def warrants_json(c: Claims) -> dict[str, Any]:
    """Per warrant and tranche: fair value, vesting odds, timing, dilution, headline."""
    result: dict[str, Any] = clean_json(
        {w.name: _warrant(c, w) for w in c.scenario.deals_of(Warrant)}
    )
    return result


def _quarter_label(s: Scenario, t0: int, years: float) -> str | None:
    if not math.isfinite(years):
        return None
    idx = min(t0 + round(years / DT), s.time.n - 1)
    return s.time.labels()[idx]


def _warrant(c: Claims, w: Warrant) -> dict[str, Any]:
    s = c.scenario
    issuer = s.entity(w.issuer)
    t0 = valuation_index(s, w.issuer)
    value, prob = c.warrant(w.name, "value"), c.warrant(w.name, "prob")
    years, dil = c.warrant(w.name, "years"), c.warrant(w.name, "dilution")
    revenue = c.warrant(w.name, "revenue_pv")
    controls = c.warrant(w.name, "controls")
    spot = issuer.share_price_usd.value
    headline = w.headline_usd.value if w.headline_usd else w.shares.value * spot
    total = value.sum(axis=2)
    fair, gain = _fair(total, controls)
    vested = (prob * np.array([t.shares.value for t in w.tranches])).sum(axis=2)
    tranches = []
    for k, tr in enumerate(w.tranches):
        when = stats.ratio(years[..., k], prob[..., k])
        fair_k, gain_k = _fair(value[..., k], controls)
        tranches.append(
            {
                "tranche": k + 1,
                "shares": tr.shares.value,
                "gw_milestone": tr.gw_milestone.value,
                "price_hurdle_usd": tr.price_hurdle_usd.value,
                "headline_value_usd": tr.shares.value * spot,
                "fair_value_usd": fair_k,
                "vesting_probability": stats.probability(prob[..., k]),
                "expected_vesting_years": when["ratio"],
                "expected_vesting_years_stderr": when["ratio_stderr"],
                "expected_vesting_quarter": _quarter_label(s, t0, when["ratio"]),
                "issuer_dilution": stats.mean(dil[..., k]),
                "variance_reduction": gain_k,
            }
        )
    return {
        "issuer": w.issuer,
        "holder": w.holder,
        "shares": w.shares.value,
        "strike_usd": w.strike_usd.value,
        "valuation_quarter": s.time.labels()[t0],
        "share_price_usd": spot,
        "headline_value_usd": headline,
        "fair_value_usd": fair,
        "fair_value_over_headline": {
            "ratio": fair["mean"] / headline if headline else math.nan,
            "ratio_stderr": fair["mean_stderr"] / headline if headline else math.nan,
        },
        "vested_shares": stats.mean(vested),
        "all_tranches_vest_probability": stats.probability(prob.prod(axis=2)),
        "issuer_dilution": stats.mean(dil.sum(axis=2)),
        "revenue_from_holder_pv_usd": stats.mean(revenue),
        "vendor_financed_share": stats.ratio(total, revenue),
        "variance_reduction": gain,
        "tranches": tranches,
    }


def _fair(x: np.ndarray, controls: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """Fair value: control-variate mean, quantiles over paths; and the measured gains."""
    out = stats.describe(x)
    cv = stats.controlled_mean(x, controls)
    out["mean"], out["mean_stderr"] = cv["mean"], cv["mean_stderr"]
    anti = stats.variance_ratio(x)
    return out, {"antithetic": anti, "control_variates": cv["gain"] / anti, "total": cv["gain"]}


def _investment(c: Claims, d: EquityInvestment) -> dict[str, Any]:
    paid, stake = c.investment(d.name, "paid_pv"), c.investment(d.name, "stake_pv")
    full, years = c.investment(d.name, "full"), c.investment(d.name, "years")
    revenue = c.investment(d.name, "revenue_pv")
    when = stats.ratio(years, full)
    return {
        "investor": d.investor,
        "investee": d.investee,
        "headline_value_usd": d.headline_usd.value if d.headline_usd else d.max_usd.value,
        "paid_in_pv_usd": stats.describe(paid),
        "stake_value_pv_usd": stats.describe(stake),
        "net_value_usd": stats.describe(stake - paid),
        "fully_paid_probability": stats.probability(full),
        "expected_years_to_full": when["ratio"],
        "expected_years_to_full_stderr": when["ratio_stderr"],
        "revenue_from_investee_pv_usd": stats.mean(revenue),
        "vendor_financed_share": stats.ratio(paid, revenue),
        "variance_reduction": {"antithetic": stats.variance_ratio(stake - paid)},
    }
