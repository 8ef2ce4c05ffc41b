"""`computeloop stress` and `computeloop reverse-stress`: thin shells over computeloop.stress."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group

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
from computeloop.cli.fmt import pct, usd
from computeloop.cli.render import console, table
from computeloop.errors import InputError
from computeloop.store.db import now_utc
from computeloop.stress import (
    CHANNELS,
    PRESET_NAMES,
    ClearingAssumptions,
    custom_stress,
    find_stress,
    parse_shock,
    reverse_stress,
    run_stress,
)
from computeloop.stress.reverse import AXES, MEASURES
from computeloop.stress.shocks import parse_quarter

_PRESETS_HELP = ", ".join(PRESET_NAMES)


@app.command("stress")
def stress_cmd(
    scenario: ScenarioArg = None,
    preset: Annotated[
        str | None,
        typer.Option(help=f"named stress: {_PRESETS_HELP}, or one in the scenario's stresses"),
    ] = None,
    shock: Annotated[
        list[str] | None,
        typer.Option(
            help="KIND:SIZE[@QUARTER][,deals=A+B|entity=NAME|quarters=N], repeatable; kinds: "
            "deployment_cut, delay, revenue_growth, revenue_shortfall, missed_payment, "
            "share_price"
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help="first quarter of the shocks (default 2027Q1; a spec's @QUARTER wins)"),
    ] = None,
    paths: Annotated[int, typer.Option(help="1: deterministic; more: Monte Carlo")] = 1,
    alpha: Annotated[
        float,
        typer.Option(help="Rogers-Veraart: share of its own assets a defaulting node realises"),
    ] = 1.0,
    beta: Annotated[
        float,
        typer.Option(help="Rogers-Veraart: share of what it is paid a defaulting node passes on"),
    ] = 1.0,
    seed: Annotated[int | None, typer.Option(help="random seed for Monte Carlo")] = None,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Losses per entity by channel, defaults, contagion rounds, stranded capacity and glut."""
    started = now_utc()
    with user_errors(json_out):
        s = load(scenario)
        if (preset is None) == (not shock):
            raise InputError("stress: give exactly one of --preset NAME or --shock SPEC")
        if preset is not None:
            st = find_stress(s, preset, start)
        else:
            shocks = [parse_shock(x) for x in shock or []]
            if start is not None:  # the default start of shocks written without @QUARTER
                q = parse_quarter(start, "--start")
                shocks = [sh if sh.start else sh.model_copy(update={"start": q}) for sh in shocks]
            st = custom_stress(shocks)
        ca = ClearingAssumptions(alpha=alpha, beta=beta)
        result = run_stress(s, st, paths=paths, seed=seed, clearing=ca).to_json()
    run_id = record_run(
        "stress", s, scenario, result.get("seed", seed), paths, result, store=store,
        no_store=no_store, started_at=started,
    )  # fmt: skip
    if json_out:
        emit(result)
        return
    con = console()
    con.print(_render(result))
    if run_id:
        con.print(f"[dim]recorded as run {run_id} (computeloop runs show {run_id})[/]")


def _render(j: dict[str, Any]) -> Group:
    cols = [c.replace("_", " ") for c in CHANNELS]
    t = table(
        f"Stress {j['stress']['name']} from {j['start']} ({j['paths']} path(s)): losses by channel",
        "entity",
        *cols,
        "total",
        "% revenue",
        "% equity",
    )
    for name, row in j["entities"].items():
        lo = row["losses_usd"]
        if not any(abs(lo[c] or 0.0) > 0 for c in (*CHANNELS, "total")):
            continue
        t.add_row(
            name,
            *(usd(lo[c]) for c in CHANNELS),
            usd(lo["total"]),
            pct(row["loss_share_of_revenue"]),
            pct(row["loss_share_of_equity"]),
        )
    d, rounds, g = j["defaults"], j["rounds"], j["glut"]
    info = table("Contagion and glut", "measure", "value")
    info.add_row("defaults (clearing)", ", ".join(d["entities"]) or "none")
    info.add_row("default rounds (clearing)", f"{rounds['clearing']:.1f}")
    info.add_row(
        "DebtRank rounds / system DebtRank",
        f"{rounds['debtrank']:.1f} / {pct(rounds['debtrank_system'])}",
    )
    st = j["stranded"]
    for deal, gw in st["built_ahead_gw"].items():
        info.add_row(f"GW in production when cut: {deal}", f"{gw:.2f} GW")
    for key, label in (
        ("idle_capacity_end_usd", "idle capacity"),
        ("inventory_end_usd", "inventory"),
    ):
        for name, v in st[key].items():
            if v["stress"] or v["baseline"]:
                info.add_row(
                    f"{label} waiting at the end: {name}",
                    f"{usd(v['stress'])} (baseline {usd(v['baseline'])})",
                )
    info.add_row(
        "peak extra glut", f"{usd(g['peak_extra_glut_usd'])} in {g['peak_extra_glut_quarter']}"
    )
    info.add_row(
        "lowest chip price index", f"{g['min_price_index']:.3f} in {g['min_price_quarter']}"
    )
    ind = j["industry"]
    path = table(
        "Industry: AI chips, supply-demand gap, unsold stock (glut) and price index",
        "quarter",
        "supply",
        "demand",
        "gap",
        "glut",
        "baseline glut",
        "price",
    )
    for k, q in enumerate(ind["quarter"]):
        path.add_row(
            q,
            usd(ind["supply_usd"][k]),
            usd(ind["demand_usd"][k]),
            usd(ind["gap_usd"][k]),
            usd(ind["inventory_usd"][k]),
            usd(ind["baseline_inventory_usd"][k]),
            f"{ind['price_index'][k]:.3f}",
        )
    return Group(t, info, path)


@app.command("reverse-stress")
def reverse_stress_cmd(
    scenario: ScenarioArg = None,
    axis: Annotated[str, typer.Option(help=f"shock axis: {', '.join(AXES)}")] = "deployment_cut",
    outcome: Annotated[
        str, typer.Option(help=f"outcome measure: {', '.join(MEASURES)}")
    ] = "loss_share_of_revenue",
    threshold: Annotated[float, typer.Option(help="level of the measure that breaks")] = 0.2,
    entity: Annotated[
        list[str] | None,
        typer.Option(help="entity to test, repeatable (default: every chip vendor)"),
    ] = None,
    start: Annotated[str | None, typer.Option(help="first quarter of the shock")] = None,
    tol: Annotated[float, typer.Option(help="tolerance on the shock size")] = 1e-4,
    json_out: JsonOpt = False,
) -> None:
    """The smallest shock along an axis that makes each entity's outcome happen."""
    with user_errors(json_out):
        s = load(scenario)
        names = entity or [e.name for e in s.entities if e.kind == "chip_vendor"]
        results = [
            reverse_stress(
                s, n, axis=axis, measure=outcome, threshold=threshold, start=start, tol=tol
            ).to_json()
            for n in names
        ]
    if json_out:
        emit({"scenario": s.meta.name, "results": results})
        return
    t = table(
        f"Reverse stress: smallest {axis} at which {outcome} >= {threshold:g}",
        "entity",
        "shock size",
        "tolerance",
        "measure there",
    )
    for r in results:
        size = "not reached" if r["size"] is None else f"{r['size']:.4f}"
        val = "-" if r["value_at_size"] is None else f"{r['value_at_size']:.4f}"
        t.add_row(r["entity"], size, f"{r['tolerance']:g}", val)
    console().print(t)
