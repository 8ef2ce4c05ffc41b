"""Rich tables for Monte Carlo runs. Presentation only."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from computeloop.cli.fmt import gw, pct, sparkline, usd
from computeloop.cli.render import table


def _pm(d: dict[str, float], f: Any = usd) -> str:
    return f"{f(d['mean'])} ± {f(d['mean_stderr'])}"


def _q(d: dict[str, float], f: Any = usd) -> str:
    return f"{f(d['p5'])} / {f(d['p50'])} / {f(d['p95'])}"


def _p(d: dict[str, float]) -> str:
    return f"{pct(d['p'])} ± {pct(d['p_stderr'])}"


def mc_summary(title: str, out: dict[str, Any]) -> Group:
    m = out["metrics"]
    lab = m["lab"]
    head = Panel(
        f"[bold]{title}[/]\nMonte Carlo: {out['paths']:,} paths, seed {out['seed']} · "
        f"policy {out['policy']} · ± is one Monte Carlo standard error",
        expand=False,
    )
    t = table("The lab", "metric", "mean ± s.e.", "p5 / p50 / p95", "CVaR95")
    t.add_row("needs new capital beyond committed", _p(lab["prob_needs_new_funding"]), "", "")
    for label, key, f in (
        ("peak funding gap", "peak_funding_gap_usd", usd),
        ("cumulative external funding", "cumulative_external_funding_usd", usd),
        ("GW online at the end", "gw_online_end", gw),
    ):
        d = lab[key]
        t.add_row(label, _pm(d, f), _q(d, f), f(d["cvar95"]))
    be = lab["breakeven"]
    t.add_row(
        "breakeven within the horizon",
        _p(be["within_horizon"]),
        be["median_quarter"] or "median: not within horizon",
        "",
    )
    t.add_row("cash below zero at some quarter", _p(lab["prob_cash_below_zero"]), "", "")
    years = table("GW online at year end", "year", "mean ± s.e.", "p5 / p50 / p95")
    for y, d in lab["gw_online_by_year"].items():
        years.add_row(y, _pm(d, gw), _q(d, gw))
    warrants = _warrants(m, out.get("warrants") or {})
    return Group(head, t, years, _vendors(m), warrants, fans(out.get("bands")))


_FANS = (
    ("GW online", "gw_online", gw),
    ("revenue per quarter", "revenue", usd),
    ("lab cash", "cash", usd),
    ("funding gap", "funding_gap", usd),
    ("free cash flow", "fcf", usd),
)


def fans(bands: dict[str, Any] | None) -> Table:
    """Fan charts in the terminal: p95, median and p5 paths as sparklines on one scale."""
    t = table("Paths across the Monte Carlo (per quarter)", "series", "", "path", "end value")
    t.columns[2].justify = "left"
    if not bands:
        return t
    q = bands["quarter"]
    for label, key, f in _FANS:
        b = bands.get(key)
        if not b:
            continue
        lo, mid, hi = b["p5"], b["p50"], b["p95"]
        n = len(mid)
        spark = sparkline([*hi, *mid, *lo])  # one scale for the three rows
        t.add_row(label, "p95", spark[:n], f(hi[-1]))
        t.add_row("", "p50", spark[n : 2 * n], f(mid[-1]))
        t.add_row("", "p5", spark[2 * n :], f(lo[-1]), end_section=True)
    t.caption = f"{q[0]} to {q[-1]}; one character per quarter"
    return t


def _vendors(m: dict[str, Any]) -> Table:
    t = table(
        "Chip vendors",
        "vendor",
        "revenue from lab (mean ± s.e.)",
        "p5 / p50 / p95",
        "as contracted (central values)",
        "shortfall VaR95",
        "shortfall CVaR95",
        "circularity",
    )
    for name, v in m["vendors"].items():
        rev, short, circ = (
            v["revenue_from_lab_usd"],
            v["revenue_shortfall_usd"],
            v["circularity_ratio"],
        )
        t.add_row(
            name,
            _pm(rev),
            _q(rev),
            usd(v["revenue_from_lab_planned_usd"]),
            usd(short["var95"]),
            usd(short["cvar95"]),
            pct(circ["ratio"]),
        )
    return t


def _warrants(m: dict[str, Any], fair: dict[str, Any]) -> Table:
    """Vesting per tranche; with ``fair`` (``run --json``'s ``warrants``), fair values too."""
    t = table(
        "Warrants (value at vesting: the scenario's prices; fair value: risk-neutral, today)",
        "warrant / tranche",
        "vesting odds",
        "median quarter",
        "value at vesting (mean ± s.e.)",
        "fair value (mean ± s.e.)",
    )
    for name, w in m["warrants"].items():
        fv = fair.get(name)
        t.add_row(
            f"[bold]{name}[/] (headline {usd(w['headline_value_usd'])})",
            f"{w['vested_shares']['mean'] / 1e6:,.1f}M shares (mean)",
            "",
            _pm(w["value_usd"]),
            _pm(fv["fair_value_usd"]) if fv else "-",
        )
        fv_tranches = fv["tranches"] if fv else []
        for k, tr in enumerate(w["tranches"], 1):
            t.add_row(
                f"  tranche {k}",
                _p(tr["vesting_probability"]),
                tr["median_vesting_quarter"] or "-",
                _pm(tr["value_usd"]),
                _pm(fv_tranches[k - 1]["fair_value_usd"]) if k <= len(fv_tranches) else "-",
            )
    return t
