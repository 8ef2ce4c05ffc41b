"""Reconciliation: every article figure against the default scenario, and what breaks it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from computeloop import default_scenario, parse_scenario, reconcile, simulate
from computeloop.analysis.reconcile import FIGURES, ReconcileReport, reconcile_results

from .test_metrics import deal_index, edit


def changed(changes: dict[str, Any]) -> ReconcileReport:
    """The report on the default scenario with fields (by path) set to bare values."""
    return reconcile(edit(default_scenario(), changes))


def deal_field(deal: str, name: str) -> str:
    return f"deals[{deal_index(default_scenario(), deal)}].{name}"


def without(*deals: str) -> ReconcileReport:
    data = default_scenario().model_dump(mode="json")
    data["deals"] = [d for d in data["deals"] if d["name"] not in deals]
    return reconcile(parse_scenario(data))


def failed(report: ReconcileReport) -> set[str]:
    return {c.id for c in report.checks if not c.passed}


def by_id(report: ReconcileReport) -> dict[str, Any]:
    return {c.id: c for c in report.checks}


class TestDefaultScenario:
    def test_every_article_figure_reconciles(self) -> None:
        report = reconcile(default_scenario())
        assert report.all_pass, [c for c in report.checks if not c.passed]
        assert len(report.checks) == len(FIGURES)

    def test_each_check_states_its_basis_and_rule(self) -> None:
        report = reconcile(default_scenario())
        ids = [c.id for c in report.checks]
        assert len(set(ids)) == len(ids)
        for c in report.checks:
            assert c.basis in {"model", "derived", "input"}, c.id
            assert c.rule, c.id
            assert c.note == ""
            if isinstance(c.article, str):
                assert c.rule == "same" and c.rel_diff is None
        kinds = {c.basis for c in report.checks}
        assert kinds == {"model", "derived", "input"}

    def test_relative_difference_is_model_over_article_less_one(self) -> None:
        for c in reconcile(default_scenario()).checks:
            if isinstance(c.article, float) and c.article and isinstance(c.model, float):
                assert c.rel_diff == pytest.approx(c.model / c.article - 1.0, abs=1e-12), c.id

    def test_json_form_counts_what_passed(self) -> None:
        out = reconcile(default_scenario()).to_json()
        assert out["all_pass"] is True
        assert out["passed"] == out["total"] == len(FIGURES)
        assert out["source"] == "article-2025-10-17"
        assert set(out["checks"][0]) == {
            "id",
            "figure",
            "article",
            "model",
            "unit",
            "basis",
            "rule",
            "rel_diff",
            "pass",
            "note",
        }

    def test_api_reconciles_a_deterministic_run(self) -> None:
        s = default_scenario()
        assert reconcile(s) == reconcile_results(simulate(s))

    def test_key_figures(self) -> None:
        checks = by_id(reconcile(default_scenario()))
        assert checks["cost.total_26gw"].model == pytest.approx(1.3e12, rel=1e-12)
        assert checks["amd.warrant_value"].model == pytest.approx(37.136e9, rel=1e-9)
        assert checks["nvidia.investment_returns_as_purchases"].model == pytest.approx(10 / 35)
        assert checks["nvidia.first_online"].model == "2H-2026"


class TestPerturbedScenarios:
    def test_fewer_users_fail_the_user_driven_figures_only(self) -> None:
        report = changed({"entities[0].users.weekly_users_start": 300e6})
        assert failed(report) == {
            "lab.revenue_h1_2025",
            "lab.loss_to_revenue_h1_2025",
            "lab.h1_2025_vs_2024",
            "lab.revenue_2025",
            "lab.weekly_users",
            "lab.paying_users",
        }
        checks = by_id(report)
        assert checks["lab.weekly_users"].model < 800e6
        assert checks["lab.revenue_h1_2025"].rel_diff < -0.05

    def test_a_changed_chip_price_fails_its_input_check(self) -> None:
        report = changed({deal_field("nvidia-10gw", "chip_usd_per_gw"): 40e9})
        assert "cost.chips_per_gw" in failed(report)
        assert by_id(report)["cost.chips_per_gw"].basis == "input"

    def test_a_changed_warrant_strike_fails_exactly_that_figure(self) -> None:
        report = changed({deal_field("amd-warrant", "strike_usd"): 1.0})
        assert failed(report) == {"amd.warrant_strike"}

    def test_a_first_tranche_at_2_gw_contradicts_the_article(self) -> None:
        report = changed({deal_field("amd-warrant", "tranches[0].gw_milestone"): 2.0})
        assert failed(report) == {"amd.first_tranche_at_1gw"}
        assert by_id(report)["amd.first_tranche_at_1gw"].model == "no"


class TestMissingPieces:
    def test_a_scenario_without_broadcom_reports_missing_figures(self) -> None:
        report = without("broadcom-10gw")
        broadcom = {c.id for c in report.checks if c.id.startswith("broadcom.")}
        assert broadcom == {"broadcom.date", "broadcom.gw", "broadcom.window"}
        assert broadcom <= failed(report)
        for c in report.checks:
            if not c.passed:
                assert c.note.startswith("missing"), c.id
                assert c.model is None and c.rel_diff is None
        # The 26 GW totals need all three chip deals; the rest still reconciles.
        assert failed(report) == broadcom | {
            "deals.chip_gw_total",
            "deals.chip_gw_multiple",
            "cost.all_in_per_gw",
            "cost.total_26gw",
        }

    def test_a_scenario_without_stargate_reports_missing_figures(self) -> None:
        report = without("stargate")
        stargate = {"stargate.date", "stargate.usd", "stargate.gw"}
        assert stargate <= failed(report)
        assert all(by_id(report)[i].note.startswith("missing") for i in stargate)

    def test_a_scenario_without_the_amd_warrant_reports_missing_figures(self) -> None:
        report = without("amd-warrant")
        warrant = {"amd.warrant_shares", "amd.warrant_strike", "amd.first_tranche_at_1gw"}
        assert warrant <= failed(report)
        assert all(by_id(report)[i].note.startswith("missing") for i in warrant)

    @pytest.mark.parametrize("vendor", ["NVIDIA", "AMD"])
    def test_a_renamed_vendor_reports_missing_figures_not_a_crash(self, vendor: str) -> None:
        """Figures read off a named entity are missing when the entity is not there."""
        text = json.dumps(default_scenario().model_dump(mode="json"))
        data = json.loads(text.replace(f'"{vendor}"', f'"{vendor} Corp"'))
        report = reconcile(parse_scenario(data))
        assert not report.all_pass
        for c in report.checks:
            if not c.passed:
                assert c.note.startswith("missing"), (c.id, c.note)
        assert any(vendor in c.note for c in report.checks if not c.passed)

    def test_an_axis_starting_after_the_article_reports_missing_history(self) -> None:
        report = changed(
            {
                "time.start": "2026Q1",
                "entities[0].funding.committed": [],  # 2025 inflows and charges: off the axis
                "entities[0].costs.one_offs": [],
            }
        )
        checks = by_id(report)
        for figure in ("lab.revenue_h1_2025", "lab.revenue_2025", "lab.weekly_users"):
            assert not checks[figure].passed
            assert checks[figure].note.startswith("missing"), figure
