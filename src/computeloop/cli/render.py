"""Rich tables for the CLI. Presentation only: every number comes from the analyses."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from computeloop.analysis.reconcile import ReconcileReport
from computeloop.cli.fmt import count, gw, pct, sparkline, usd, value
from computeloop.scenario.model import Scenario
from computeloop.scenario.quantity import Quantity


def table(title: str, *columns: str) -> Table:
    t = Table(title=title, title_justify="left", title_style="bold")
    for i, c in enumerate(columns):
        t.add_column(c, justify="left" if i == 0 else "right")
    return t


def run_summary(s: Scenario, summary: dict[str, Any]) -> Group:
    m = summary["metrics"]
    lab = m["lab"]
    header = Panel(
        f"[bold]{s.meta.title or s.meta.name}[/]\nscenario {summary['scenario']} · "
        f"policy on shortfall: {summary['policy']} · {summary['horizon']['start']}-"
        f"{summary['horizon']['end']} · paths {summary['paths']}",
        expand=False,
    )
    t = table(f"{s.lab.name} (the lab)", "metric", "value")
    rows = [
        ("revenue over the horizon", usd(lab["revenue_total_usd"])),
        ("peak funding gap (new capital beyond committed)", usd(lab["peak_funding_gap_usd"])),
        ("cumulative external funding", usd(lab["cumulative_external_funding_usd"])),
        (
            "  of which from vendors (investment, warrant sales)",
            usd(lab["cumulative_vendor_funding_usd"]),
        ),
        (
            "breakeven quarter (FCF >= 0 from then on)",
            lab["breakeven_quarter"] or "not within horizon",
        ),
        ("GW online at the end", gw(lab["gw_online_end"])),
        ("GW deferred at the end", gw(lab["gw_deferred_end"])),
        ("GW cancelled", gw(lab["gw_cancelled_end"])),
    ]
    for r in rows:
        t.add_row(*r)
    return Group(
        header,
        t,
        _vendors(m),
        _builders(m),
        _warrants(m),
        _deals(m),
        _sparks(summary),
        _path(summary),
    )


SPARK_SERIES = (
    ("GW online", "gw_online", gw),
    ("revenue per quarter", "revenue_usd", usd),
    ("free cash flow", "fcf_usd", usd),
    ("lab cash", "cash_usd", usd),
    ("funding gap", "funding_gap_usd", usd),
    ("GW deferred", "gw_deferred", gw),
)


def _sparks(summary: dict[str, Any]) -> Table:
    """Each lab series as a sparkline, with where it starts, its range and where it ends."""
    s = summary["series"]
    q = s["quarter"]
    t = table(f"Paths at a glance, {q[0]}-{q[-1]}", "series", "path", "start", "low", "high", "end")
    t.columns[1].justify = "left"
    for label, key, f in SPARK_SERIES:
        v = s[key]
        finite = [x for x in v if x is not None]
        t.add_row(label, sparkline(v), f(v[0]), f(min(finite)), f(max(finite)), f(v[-1]))
    return t


def _vendors(m: dict[str, Any]) -> Table:
    names = list(m["vendors"])
    t = table("Chip vendors", "", *names)
    v, st = m["vendors"], m["stranded"]
    rows: list[tuple[str, Any]] = [
        ("revenue from the lab", lambda n: usd(v[n]["revenue_from_lab_usd"])),
        ("  as contracted", lambda n: usd(v[n]["revenue_from_lab_planned_usd"])),
        ("invested in the lab", lambda n: usd(v[n]["investment_in_lab_usd"])),
        ("warrant shares given (value at vesting)", lambda n: usd(v[n]["warrant_value_given_usd"])),
        ("circularity: money in / revenue back", lambda n: pct(v[n]["circularity_ratio"])),
        ("lab's share of vendor revenue", lambda n: pct(v[n]["lab_share_of_revenue"])),
        ("inventory waiting for deferred GW", lambda n: usd(st[n]["at_risk_usd"])),
        ("stranded (written down)", lambda n: usd(st[n]["usd"])),
    ]
    for label, get in rows:
        t.add_row(label, *(get(n) for n in names))
    return t


def _builders(m: dict[str, Any]) -> Table:
    names = list(m["builders"])
    t = table("Builders and lessors", "", *names)
    b, st = m["builders"], m["stranded"]
    rows: list[tuple[str, Any]] = [
        ("rent from the lab", lambda n: usd(b[n]["rent_from_lab_usd"])),
        ("capex on the lab's capacity", lambda n: usd(b[n]["deal_capex_usd"])),
        ("debt raised for it", lambda n: usd(b[n]["deal_debt_end_usd"])),
        ("peak idle capacity (built, not taken)", lambda n: usd(b[n]["idle_capacity_peak_usd"])),
        ("idle capacity at the end", lambda n: usd(b[n]["idle_capacity_end_usd"])),
        ("stranded (written down)", lambda n: usd(st[n]["usd"])),
    ]
    for label, get in rows:
        t.add_row(label, *(get(n) for n in names))
    return t


def _warrants(m: dict[str, Any]) -> Table:
    """Tranche by tranche, then a total row: shares vested of granted, value vs headline."""
    t = table(
        "Warrants",
        "warrant / tranche",
        "shares",
        "GW milestone",
        "price hurdle",
        "vests",
        "value at vesting",
    )
    for name, w in m["warrants"].items():
        t.add_row(f"[bold]{name}[/] ({w['issuer']} -> {w['holder']})", "", "", "", "", "")
        for k, tr in enumerate(w["tranches"], 1):
            t.add_row(
                f"  tranche {k}",
                count(tr["shares"]),
                gw(tr["gw_milestone"]),
                f"${tr['price_hurdle_usd']:,.0f}",
                tr["vesting_quarter"] or "no",
                "",
            )
        t.add_row(
            f"  total (headline {usd(w['headline_value_usd'])})",
            f"{count(w['vested_shares'])} of {count(w['shares'])}",
            "",
            "",
            "",
            usd(w["value_usd"]),
        )
    return t


def _deals(m: dict[str, Any]) -> Table:
    t = table("Deliveries", "deal", "contracted", "delivered", "deferred", "cancelled", "lab paid")
    for name, d in m["deals"].items():
        t.add_row(
            name,
            gw(d["gw_contracted"]),
            gw(d["gw_delivered"]),
            gw(d["gw_deferred_end"]),
            gw(d["gw_cancelled"]),
            usd(d["lab_payments_usd"]),
        )
    return t


def _path(summary: dict[str, Any]) -> Table:
    s = summary["series"]
    t = table(
        "Quarter by quarter",
        "quarter",
        "GW online",
        "revenue",
        "free cash flow",
        "lab cash",
        "funding gap",
        "GW deferred",
    )
    for i, q in enumerate(s["quarter"]):
        t.add_row(
            q,
            gw(s["gw_online"][i]),
            usd(s["revenue_usd"][i]),
            usd(s["fcf_usd"][i]),
            usd(s["cash_usd"][i]),
            usd(s["funding_gap_usd"][i]),
            gw(s["gw_deferred"][i]),
        )
    return t


def reconcile_table(rep: ReconcileReport) -> Table:
    t = table(
        f"Reconciliation with {rep.source}: {sum(c.passed for c in rep.checks)}/"
        f"{len(rep.checks)} pass",
        "figure",
        "article",
        "model",
        "diff",
        "basis",
        "rule",
        "result",
    )
    for c in rep.checks:
        diff = "" if c.rel_diff is None else f"{100 * c.rel_diff:+.1f}%"
        ok = "[green]pass[/]" if c.passed else f"[red]FAIL[/] {c.note}".strip()
        t.add_row(
            c.text, value(c.article, c.unit), value(c.model, c.unit), diff, c.basis, c.rule, ok
        )
    return t


def provenance_label(q: Quantity) -> str:
    p = q.provenance
    if p is None:
        return "[yellow]no provenance[/]"
    if p.kind == "assumption":
        return f"assumption [{p.low:g}, {p.high:g}]: {p.text}"
    return f"{p.kind}: {p.text}"


def deals_tables(
    s: Scenario, terms: list[tuple[str, str, list[tuple[str, str, str]]]]
) -> list[Table]:
    out = []
    for title, subtitle, rows in terms:
        t = table(f"{title}  [dim]{subtitle}[/]", "term", "value", "provenance")
        t.columns[2].justify = "left"
        t.columns[2].overflow = "fold"
        for row in rows:
            t.add_row(*row)
        out.append(t)
    return out


def console() -> Console:
    """A console that keeps tables readable when output is piped to a file."""
    con = Console(highlight=False)
    if not con.is_terminal:
        con = Console(highlight=False, width=120)
    return con
