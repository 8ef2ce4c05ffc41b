"""Report sections for the valuation and stress analyses, from their JSON outputs.

Each function picks the figures a reader needs from ``computeloop value --json`` or
``computeloop stress --json`` and names them so that :func:`generic_section` draws
them as bar charts (name -> number maps whose keys carry the unit), with a one-line
reading computed from the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from computeloop.report.units import pct, usd


def _mean(d: Mapping[str, Any] | None, key: str = "mean") -> float | None:
    if not d:
        return None
    v = d.get(key)
    return float(v) if isinstance(v, int | float) else None


VALUE_KEY = "fair_value_beside_headline_usd"
FAIR = "fair value (Monte Carlo mean)"
HEADLINE = "headline (shares x share price)"


def valuation_section(v: Mapping[str, Any]) -> dict[str, Any]:
    """Fair value beside headline (one grouped bar chart), and vesting odds, per tranche.

    ``v`` maps warrant names to the ``warrants.<name>`` objects of ``value --json``
    (or of ``run --paths N --json``).
    """
    out: dict[str, Any] = {
        "title": "Warrants: fair value beside the headline",
        "names": "tranche: GW milestone, price hurdle",
    }
    readings = []
    for name, w in v.items():
        labels = [
            f"{name} t{t['tranche']}: {t['gw_milestone']:g} GW, ${t['price_hurdle_usd']:g}"
            for t in w["tranches"]
        ]
        per: dict[str, Any] = {}
        out[name] = per
        per[VALUE_KEY] = {
            FAIR: {
                lab: _mean(t["fair_value_usd"]) or 0.0
                for lab, t in zip(labels, w["tranches"], strict=True)
            },
            HEADLINE: {
                lab: float(t["headline_value_usd"])
                for lab, t in zip(labels, w["tranches"], strict=True)
            },
        }
        per["vesting_probability"] = {
            lab: _mean(t["vesting_probability"], "p") or 0.0
            for lab, t in zip(labels, w["tranches"], strict=True)
        }
        fv = _mean(w["fair_value_usd"])
        head = float(w["headline_value_usd"])
        if fv is not None and head > 0:
            se = _mean(w["fair_value_usd"], "mean_stderr") or 0.0
            readings.append(
                f"{name}: fair value {usd(fv)} ± {usd(se)}, {pct(fv / head)} of the "
                f"{usd(head)} headline, on {int(w.get('paths', 0)) or 'the'} paths"
            )
    out["reading"] = (
        "; ".join(readings) + ". Later tranches need both a GW milestone and a price "
        "hurdle, so their odds, not their headline, drive the value."
        if readings
        else "No warrants in this scenario."
    )
    return out


def stress_section(j: Mapping[str, Any]) -> dict[str, Any]:
    """Losses per entity and channel, shares of revenue and equity, and the glut."""
    st = j.get("stress", {})
    name = st.get("name", "stress")
    ents: Mapping[str, Any] = j.get("entities", {})
    totals = {e: float(d["losses_usd"]["total"]) for e, d in ents.items()}
    out: dict[str, Any] = {"title": f"Stress {name}: who loses what", "names": "entity"}
    out["total_loss_usd"] = totals
    channels = sorted({c for d in ents.values() for c in d["losses_usd"] if c != "total"})
    for c in channels:
        by_entity = {e: float(d["losses_usd"].get(c, 0.0)) for e, d in ents.items()}
        if any(abs(x) > 0 for x in by_entity.values()):
            out[f"{c}_loss_usd"] = by_entity
    out["loss_share_of_revenue"] = {
        e: float(d["loss_share_of_revenue"])
        for e, d in ents.items()
        if isinstance(d.get("loss_share_of_revenue"), int | float)
    }
    worst = max(totals, key=lambda e: totals[e]) if totals else None
    reading = f"{st.get('title', name)} (from {j.get('start', '?')})."
    if worst is not None:
        reading += f" The largest loss is {worst}'s: {usd(totals[worst])}."
    share = out["loss_share_of_revenue"]
    if share:
        top = max(share, key=lambda e: share[e])
        reading += f" Relative to revenue, {top} is hit hardest ({pct(share[top])})."
    out["reading"] = reading
    return out
