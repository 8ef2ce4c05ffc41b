"""Per-path summary metrics, reduced from one chunk of engine output (numpy only).

These are the numbers kept for every path of a Monte Carlo run; the per-quarter
series are only summarised (see :mod:`computeloop.montecarlo.sketch`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from computeloop.engine import EngineInputs, EngineOutput

F = NDArray[np.float64]

BAND_SERIES = ("gw_online", "revenue", "cash", "funding_gap", "fcf")
"""Lab series summarised per quarter for fan charts."""


def breakeven_index(fcf: F) -> F:
    """Per path: index of the first quarter from which FCF stays >= 0; NaN if none.

    >>> breakeven_index(np.array([[-1.0, 2.0, 3.0], [1.0, -1.0, 2.0], [1.0, 1.0, -1.0]]))
    array([ 1.,  2., nan])
    """
    negative = fcf < 0
    T = fcf.shape[1]
    last_neg = np.where(negative.any(axis=1), T - 1 - np.argmax(negative[:, ::-1], axis=1), -1)
    out = (last_neg + 1).astype(np.float64)
    out[negative[:, -1]] = np.nan
    return out


def path_summaries(x: EngineInputs, out: EngineOutput) -> dict[str, F]:
    """Scalars (or small vectors) per path: shape (P,), (P, E), (P, Y) or (P, K)."""
    lab, ent, deal = out.lab, out.entity, out.deal
    ext = (
        lab["committed_funding"]
        + lab["new_funding"]
        + lab["vendor_investment_in"]
        + lab["warrant_proceeds"]
    ).sum(axis=1) + (lab["debt"][:, -1] - x.debt0)
    year_end = np.arange(3, x.quarters, 4)
    first_vest, value = _tranche_vesting(x, out)
    return {
        "peak_funding_gap_usd": lab["funding_gap"].max(axis=1),
        "funding_gap_end_usd": lab["funding_gap"][:, -1],
        "breakeven_index": breakeven_index(lab["fcf"]),
        "gw_online_end": lab["gw_online"][:, -1],
        "gw_online_year_end": lab["gw_online"][:, year_end],
        "gw_delivered_total": deal["gw_delivered"].sum(axis=(1, 2)),
        "gw_deferred_end": deal["gw_backlog"][:, -1, :].sum(axis=1),
        "gw_cancelled_end": deal["gw_cancelled"][:, -1, :].sum(axis=1),
        "revenue_total_usd": lab["revenue"].sum(axis=1),
        "cumulative_external_funding_usd": ext,
        "min_cash_usd": lab["cash"].min(axis=1),
        "revenue_from_lab_usd": ent["revenue_from_lab"].sum(axis=1),
        "investment_in_lab_usd": ent["investment_in_lab"].sum(axis=1),
        "warrant_value_given_usd": ent["warrant_value_given"].sum(axis=1),
        "stranded_usd": ent["stranded_usd"][:, -1, :],
        "at_risk_usd": ent["inventory_usd"][:, -1, :] + ent["idle_capacity_usd"][:, -1, :],
        "tranche_vested": (out.tranche_vested[:, -1, :] > 0).astype(np.float64),
        "tranche_vest_index": first_vest,
        "tranche_value_usd": value,
    }


def _tranche_vesting(x: EngineInputs, out: EngineOutput) -> tuple[F, F]:
    """Per path and tranche: first vesting quarter index (NaN if never) and value then."""
    vested = out.tranche_vested > 0  # (P, T, K)
    P, T, K = vested.shape
    first = np.where(vested.any(axis=1), np.argmax(vested, axis=1), -1)
    value = np.zeros((P, K))
    k0 = 0
    for w in x.warrants:
        for k in range(w.shares.shape[1]):
            col = k0 + k
            idx = np.clip(first[:, col], 0, T - 1)
            price = x.share_price[np.arange(P), idx, w.issuer]
            got = first[:, col] >= 0
            value[:, col] = np.where(got, w.shares[:, k] * np.maximum(price - w.strike, 0.0), 0.0)
        k0 += w.shares.shape[1]
    return np.where(first >= 0, first, np.nan).astype(np.float64), value


def band_rows(out: EngineOutput) -> dict[str, F]:
    """The lab series summarised per quarter, each (P, T)."""
    return {name: out.lab[name] for name in BAND_SERIES}
