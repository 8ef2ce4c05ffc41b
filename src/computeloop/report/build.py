"""Assemble the report from results that were already computed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from computeloop import __version__
from computeloop.analysis.metrics import summarize
from computeloop.analysis.reconcile import ReconcileReport, reconcile_results
from computeloop.montecarlo import MonteCarloResults
from computeloop.report.charts import (
    capital_loop,
    fan_chart,
    fan_readings,
    vendor_revenue,
    warrant_odds,
)
from computeloop.report.spec import Chart, Report, Section, Table
from computeloop.report.tables import deals_table, generic_section, headline_table, reconcile_table
from computeloop.results import Results

FAN_SERIES = ("gw_online", "revenue", "cash", "funding_gap")


def build_report(
    results: Results,
    *,
    mc: MonteCarloResults | None = None,
    mc_summary: Mapping[str, Any] | None = None,
    reconciliation: ReconcileReport | None = None,
    valuation: Mapping[str, Any] | None = None,
    stress: Mapping[str, Any] | None = None,
    sections: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> Report:
    """The report of a scenario's deterministic run and, optionally, its Monte Carlo run.

    ``mc_summary`` is ``summarize_monte_carlo(mc)`` when the caller already has it
    (computed here otherwise). ``valuation`` and ``stress`` are the JSON-ready outputs
    of those analyses; each, and every ``(title, dict)`` in ``sections``, becomes a
    section of bar charts and tables (see :func:`~computeloop.report.tables.generic_section`).

    >>> from computeloop import default_scenario, simulate
    >>> rep = build_report(simulate(default_scenario()))
    >>> [c.id for c in rep.charts()][:2]
    ['capital-loop', 'vendor-revenue']
    """
    s = results.scenario
    det = summarize(results)
    mcs: Mapping[str, Any] | None = mc_summary
    if mc is not None and mcs is None:
        from computeloop.api import summarize_monte_carlo

        mcs = summarize_monte_carlo(mc)
    mc_metrics = dict(mcs["metrics"]) if mcs else None
    rec = reconciliation if reconciliation is not None else reconcile_results(results)
    out = [
        Section("overview", "Overview", _intro(det, mcs), (headline_table(det, mcs),)),
        Section(
            "loop",
            "The capital loop",
            "Who pays whom each year: revenue and investors' money come in, the lab pays "
            "chip vendors (through lessors) and builders, and vendor equity and warrant "
            "shares return to the vendors as purchases.",
            (capital_loop(results), vendor_revenue(results, det["metrics"], mc_metrics)),
        ),
        Section(
            "fans",
            "How the lab fares across paths",
            "Shaded: the middle 90% and 50% of Monte Carlo paths; solid: the median; "
            "dashed: the deterministic run at central values.",
            _fans(results, mc, mc_metrics),
        ),
        Section(
            "warrants",
            "Warrants",
            "A tranche vests when the trigger deal's GW reach the milestone and the issuer's "
            "share price is at or above the hurdle, before expiry.",
            (warrant_odds(s, det["metrics"], mc_metrics),),
        ),
        Section("deals", "Deals and provenance", "", (deals_table(s),)),
        Section("reconcile", "Reconciliation with the source article", "", (reconcile_table(rec),)),
    ]
    extra = [("valuation", "Valuation", valuation), ("stress", "Stress", stress)]
    for sid, title, data in extra:
        if data is not None:
            out.append(generic_section(sid, title, data))
    for i, (title, data) in enumerate(sections):
        out.append(generic_section(f"section-{i + 1}", title, data))
    return Report(
        title=s.meta.title or s.meta.name,
        subtitle=f"computeloop {__version__} report on scenario '{s.meta.name}'",
        facts=_facts(results, mcs),
        sections=tuple(out),
    )


def _intro(det: Mapping[str, Any], mcs: Mapping[str, Any] | None) -> str:
    h = det["horizon"]
    base = f"Quarterly simulation {h['start']}-{h['end']}, shortfall policy '{det['policy']}'."
    if mcs:
        return base + f" Monte Carlo over {mcs['paths']:,} paths (seed {mcs['seed']})."
    return base + " Deterministic run at central values only."


def _facts(r: Results, mcs: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    s = r.scenario
    facts = [
        ("scenario", s.meta.name),
        ("scenario hash", s.content_hash()[:16]),
        ("as of", str(s.meta.as_of)),
        ("horizon", f"{r.quarters[0]}-{r.quarters[-1]}"),
        ("policy", s.policy.on_shortfall),
    ]
    if mcs:
        facts += [("paths", f"{mcs['paths']:,}"), ("seed", str(mcs["seed"]))]
    return tuple(facts)


def _fans(
    r: Results, mc: MonteCarloResults | None, mc_metrics: dict[str, Any] | None
) -> tuple[Chart | Table, ...]:
    from computeloop.store import deterministic_bands

    bands = mc.bands if mc is not None else deterministic_bands(r)
    readings = fan_readings(r.scenario, bands, r, mc_metrics)
    paths = mc.paths if mc is not None else 1
    return tuple(fan_chart(name, bands, r.lab(name), readings[name], paths) for name in FAN_SERIES)
