"""Valuation and stress sections of the report, built from those commands' JSON."""

from __future__ import annotations

from typing import Any

import pytest

from computeloop import default_scenario
from computeloop.api import value_warrants
from computeloop.montecarlo import monte_carlo
from computeloop.report.sections import (
    FAIR,
    HEADLINE,
    VALUE_KEY,
    stress_section,
    valuation_section,
)
from computeloop.stress import preset, run_stress


@pytest.fixture(scope="module")
def warrants() -> dict[str, Any]:
    return value_warrants(monte_carlo(default_scenario(), paths=2000, seed=5))


@pytest.fixture(scope="module")
def stress_json() -> dict[str, Any]:
    return run_stress(default_scenario(), preset("lab-cut-50")).to_json()


def test_valuation_section_shows_each_tranche_beside_its_headline(warrants) -> None:
    sec = valuation_section(warrants)
    w = warrants["amd-warrant"]
    per = sec["amd-warrant"]
    fair, head = per[VALUE_KEY][FAIR], per[VALUE_KEY][HEADLINE]
    assert len(fair) == len(head) == len(w["tranches"]) == 5
    assert list(fair.values()) == [t["fair_value_usd"]["mean"] for t in w["tranches"]]
    assert sum(head.values()) == pytest.approx(w["headline_value_usd"])
    assert all(0.0 <= p <= 1.0 for p in per["vesting_probability"].values())
    # The reading quotes the total against the headline.
    assert "$37.1B headline" in sec["reading"]


def test_stress_section_totals_are_the_stress_totals(stress_json) -> None:
    sec = stress_section(stress_json)
    ents = stress_json["entities"]
    assert sec["total_loss_usd"] == {e: d["losses_usd"]["total"] for e, d in ents.items()}
    # Channels shown add up to the total, entity by entity.
    channels = [k for k in sec if k.endswith("_loss_usd") and k != "total_loss_usd"]
    for e in ents:
        assert sum(sec[c][e] for c in channels) == pytest.approx(sec["total_loss_usd"][e])
    worst = max(sec["total_loss_usd"], key=sec["total_loss_usd"].get)
    assert worst in sec["reading"]


def test_report_without_warrants_gets_no_valuation_chart(written_report: Any) -> None:
    assert "valuation-amd-warrant-fair-value-beside-headline-usd" in written_report.info["charts"]
    assert any(c.startswith("section-1-") for c in written_report.info["charts"])


def test_valuation_draws_fair_value_beside_headline_as_one_grouped_chart(warrants) -> None:
    from computeloop import simulate
    from computeloop.report import build_report

    rep = build_report(simulate(default_scenario()), valuation=valuation_section(warrants))
    charts = {c.id: c for c in rep.charts() if c.id.startswith("valuation-")}
    assert set(charts) == {
        "valuation-amd-warrant-fair-value-beside-headline-usd",
        "valuation-amd-warrant-vesting-probability",
    }
    grouped = charts["valuation-amd-warrant-fair-value-beside-headline-usd"]
    assert [s.name for s in grouped.series] == [FAIR, HEADLINE]
    assert len({s.group for s in grouped.series}) == 2  # side by side, not stacked
    fair = [t["fair_value_usd"]["mean"] / 1e9 for t in warrants["amd-warrant"]["tranches"]]
    assert grouped.series[0].y == pytest.approx(fair, rel=1e-12)
    assert grouped.series[0].x == grouped.series[1].x
