"""`computeloop value`: what the warrants and equity tranches are worth, and their odds."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from computeloop.cli.common import (
    JsonOpt,
    NoStoreOpt,
    ScenarioArg,
    StoreOpt,
    app,
    emit,
    load,
    record_run,
    user_errors,
)
from computeloop.cli.fmt import count, gw, pct, usd
from computeloop.cli.progress import LazyProgress
from computeloop.cli.render import console, table
from computeloop.store.db import now_utc
from computeloop.valuation import RATE, Settings, simulate_claims
from computeloop.valuation.summary import summarize_claims


@app.command("value")
def value_cmd(
    scenario: ScenarioArg = None,
    paths: Annotated[int, typer.Option(help="Monte Carlo paths (engine runs)")] = 20_000,
    seed: Annotated[int | None, typer.Option(help="random seed, recorded in the output")] = None,
    antithetic: Annotated[
        bool, typer.Option("--antithetic/--plain", help="add antithetic (mirrored) paths")
    ] = False,
    rate: Annotated[float, typer.Option(help="risk-free rate, continuously compounded")] = RATE,
    hurdle: Annotated[
        str, typer.Option(help="price hurdle met on a quarter-end 'close' or on a 'touch'")
    ] = "close",
    measure: Annotated[
        str, typer.Option(help="'risk_neutral' (fair value) or the 'scenario' drift")
    ] = "risk_neutral",
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Fair value, vesting odds and dilution of the warrants and equity tranches."""
    started = now_utc()
    with user_errors(json_out):
        s = load(scenario)
        settings = Settings(
            rate=rate,
            measure=measure,  # type: ignore[arg-type]  # validated by Settings
            hurdle=hurdle,  # type: ignore[arg-type]
            antithetic=antithetic,
        )
        with LazyProgress("valuing") as bar:
            claims = simulate_claims(s, paths=paths, seed=seed, settings=settings, progress=bar)
        out = summarize_claims(claims)
    run_id = record_run(
        "value", s, scenario, out.get("seed"), paths, out, store=store, no_store=no_store,
        started_at=started,
    )  # fmt: skip
    if json_out:
        emit(out)
        return
    con = console()
    con.print(render_value(s.meta.title or s.meta.name, out))
    if run_id:
        con.print(f"[dim]recorded as run {run_id} (computeloop runs show {run_id})[/]")


def _pm(d: dict[str, Any], key: str = "mean", f: Any = usd) -> str:
    return f"{f(d[key])} ± {f(d[key + '_stderr'])}"


def _q(d: dict[str, Any]) -> str:
    return f"{usd(d['p5'])} / {usd(d['p50'])} / {usd(d['p95'])}"


def render_value(title: str, out: dict[str, Any]) -> Group:
    """The valuation as rich tables (presentation only)."""
    head = Panel(
        f"[bold]{title}[/]\nvaluation: {out['paths']:,} paths"
        f"{' (antithetic pairs)' if out['antithetic'] else ''}, seed {out['seed']} · "
        f"{out['measure'].replace('_', '-')} measure, rate {pct(out['rate'])} · hurdle on "
        f"{out['hurdle_monitoring']} · ± is one Monte Carlo standard error",
        expand=False,
    )
    parts: list[Any] = [head]
    for name, w in out["warrants"].items():
        parts.extend([_warrant_table(name, w), _warrant_notes(w)])
    if out["equity_investments"]:
        parts.append(_investments(out["equity_investments"]))
    return Group(*parts)


def _warrant_table(name: str, w: dict[str, Any]) -> Table:
    t = table(
        f"{name}: {w['issuer']} shares for {w['holder']}, valued at {w['valuation_quarter']}",
        "tranche: shares, GW, hurdle",
        "headline",
        "fair value ± s.e.",
        "p5 / p50 / p95",
        "vests ± s.e.",
        "expected",
        "dilution",
    )
    t.columns[0].no_wrap = t.columns[3].no_wrap = True
    for tr in w["tranches"]:
        t.add_row(
            f"{tr['tranche']}: {count(tr['shares'])}, {gw(tr['gw_milestone'])}, "
            f"${tr['price_hurdle_usd']:,.0f}",
            usd(tr["headline_value_usd"]),
            _pm(tr["fair_value_usd"]),
            _q(tr["fair_value_usd"]),
            _pm(tr["vesting_probability"], "p", _odds),
            tr["expected_vesting_quarter"] or "-",
            pct(tr["issuer_dilution"]["mean"]),
        )
    t.add_row(
        f"[bold]total[/]: {count(w['shares'])}",
        f"[bold]{usd(w['headline_value_usd'])}[/]",
        f"[bold]{_pm(w['fair_value_usd'])}[/]",
        _q(w["fair_value_usd"]),
        f"all {_pm(w['all_tranches_vest_probability'], 'p', _odds)}",
        "",
        pct(w["issuer_dilution"]["mean"]),
    )
    return t


def _warrant_notes(w: dict[str, Any]) -> Table:
    t = table("", "", "value")
    ratio = w["fair_value_over_headline"]
    share = w["vendor_financed_share"]
    t.add_row(
        f"headline: all {count(w['shares'])} shares at ${w['share_price_usd']:,.2f}",
        usd(w["headline_value_usd"]),
    )
    t.add_row("fair value / headline", _pm(ratio, "ratio", pct))
    t.add_row("shares expected to vest", _pm(w["vested_shares"], f=count))
    t.add_row(
        f"{w['issuer']} revenue from {w['holder']} (present value)",
        _pm(w["revenue_from_holder_pv_usd"]),
    )
    t.add_row(
        "vendor-financed share of that revenue (fair value / revenue)", _pm(share, "ratio", pct)
    )
    g = w["variance_reduction"]
    t.add_row(
        "variance reduction vs plain Monte Carlo (antithetic x controls)",
        f"{_x(g['antithetic'])} x {_x(g['control_variates'])} = {_x(g['total'])}",
    )
    return t


def _odds(v: float | None) -> str:
    """A probability, with two decimals below 1% so rare tranches do not read as 0."""
    return "-" if v is None else f"{100 * v:.2f}%" if abs(v) < 0.01 else pct(v)


def _x(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def _investments(inv: dict[str, Any]) -> Table:
    t = table(
        "Equity tranches paid per GW (present values)",
        "deal",
        "headline",
        "paid in",
        "stake at the horizon",
        "net value to investor",
        "fully paid",
        "vendor-financed share",
    )
    t.columns[0].no_wrap = True
    for name, d in inv.items():
        t.add_row(
            f"{name}\n({d['investor']} -> {d['investee']})",
            usd(d["headline_value_usd"]),
            _pm(d["paid_in_pv_usd"]),
            _pm(d["stake_value_pv_usd"]),
            _pm(d["net_value_usd"]),
            _pm(d["fully_paid_probability"], "p", pct),
            _pm(d["vendor_financed_share"], "ratio", pct),
        )
    return t
