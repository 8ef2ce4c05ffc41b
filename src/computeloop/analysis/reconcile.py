"""Reconciliation: every figure of the source article next to the model's value.

The figures and how each is read from a run are in :mod:`computeloop.analysis.article`;
this module evaluates them and reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from computeloop.analysis.article import FIGURES, SOURCE
from computeloop.analysis.figure import Figure, MissingFigure, Value
from computeloop.results import Results

__all__ = ["FIGURES", "Check", "ReconcileReport", "reconcile_results"]


@dataclass(frozen=True)
class Check:
    id: str
    text: str
    article: Value
    model: Value | None
    unit: str
    basis: str
    rule: str
    rel_diff: float | None
    passed: bool
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "figure": self.text,
            "article": self.article,
            "model": self.model,
            "unit": self.unit,
            "basis": self.basis,
            "rule": self.rule,
            "rel_diff": self.rel_diff,
            "pass": self.passed,
            "note": self.note,
        }


@dataclass(frozen=True)
class ReconcileReport:
    scenario: str
    source: str
    checks: tuple[Check, ...]

    @property
    def all_pass(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "source": self.source,
            "all_pass": self.all_pass,
            "passed": sum(c.passed for c in self.checks),
            "total": len(self.checks),
            "checks": [c.to_json() for c in self.checks],
        }


def _evaluate(fig: Figure, r: Results) -> Check:
    rule = _rule(fig)
    try:
        model = fig.extract(r)
    except MissingFigure as exc:
        return Check(
            fig.id,
            fig.text,
            fig.article,
            None,
            fig.unit,
            fig.basis,
            rule,
            None,
            False,
            f"missing: {exc}",
        )
    rel: float | None = None
    if isinstance(model, str) or isinstance(fig.article, str):
        passed = str(model) == str(fig.article)
    else:
        art = float(fig.article)
        rel = (model - art) / abs(art) if art else None
        passed = _passes(fig, float(model), art)
    return Check(fig.id, fig.text, fig.article, model, fig.unit, fig.basis, rule, rel, passed)


def _passes(fig: Figure, model: float, art: float) -> bool:
    if fig.op == "approx":
        return abs(model - art) <= fig.tolerance * abs(art)
    if fig.op == "at_least":
        return model >= art
    if fig.op == "more_than":
        return model > art
    if fig.op == "less_than":
        return model < art
    if fig.op == "between":
        return art <= model <= (fig.high if fig.high is not None else art)
    return model == art


def _rule(fig: Figure) -> str:
    if isinstance(fig.article, str):
        return "same"
    return {
        "approx": f"within {fig.tolerance:.1%}",
        "at_least": "at least the article's value",
        "more_than": "more than the article's value",
        "less_than": "less than the article's value",
        "between": f"between {fig.article} and {fig.high}",
        "equals": "equal",
    }[fig.op]


def reconcile_results(r: Results) -> ReconcileReport:
    """Check every article figure against a run of the scenario."""
    checks = tuple(_evaluate(f, r) for f in FIGURES)
    return ReconcileReport(r.scenario.meta.name, SOURCE, checks)
