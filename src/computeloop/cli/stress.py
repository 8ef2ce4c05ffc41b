"""`computeloop stress` and `computeloop reverse-stress`: thin shells over computeloop.stress."""

from __future__ import annotations

import math
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
from computeloop.stress.run import MAX_PATHS, StressResult
from computeloop.stress.shocks import DEFAULT_PRESET_START, parse_quarter

_PRESETS_HELP = ", ".join(PRESET_NAMES)


@app.command("stress")
def stress_cmd(
    scenario: ScenarioArg = None,
    preset: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help=f"named stress: {_PRESETS_HELP}, or one in the scenario's stresses",
        ),
    ] = None,
    shock: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SPEC",
            help="KIND:SIZE[@QUARTER][,key=value], repeatable; kinds and their keys: "
            "deployment_cut and delay (deals=A+B), revenue_growth, revenue_shortfall, "
            "missed_payment (quarters=N), share_price (entity=NAME, required)",
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            metavar="QUARTER",
            help=f"first quarter of the shocks (default {DEFAULT_PRESET_START}; "
            "a spec's @QUARTER wins)",
        ),
    ] = None,
    paths: Annotated[
        int, typer.Option(help=f"1: deterministic; more: Monte Carlo (at most {MAX_PATHS:,})")
    ] = 1,
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
    n = j["paths"]
    t = table(
        f"Stress {j['stress']['name']} from {j['start']} ({n:,} {'path' if n == 1 else 'paths'}): "
        "losses by channel",
        "entity",
        *cols,
        "total",
        "% revenue",
        "% equity",
    )
    shown = 0
    for name, row in j["entities"].items():
        lo = row["losses_usd"]
        if not any(abs(lo[c] or 0.0) > 0 for c in (*CHANNELS, "total")):
            continue
        shown += 1
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
    extra = g["peak_extra_glut_quarter"]
    info.add_row(
        "peak extra glut",
        f"{usd(g['peak_extra_glut_usd'])} in {extra}" if extra else "none",
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
    head: list[Any] = [t]
    if not shown:
        head = [
            f"Stress {j['stress']['name']} from {j['start']}: no entity loses or gains anything "
            "(every channel is 0 for every entity)."
        ]
    return Group(*head, info, path)


@app.command("reverse-stress")
def reverse_stress_cmd(
    scenario: ScenarioArg = None,
    axis: Annotated[
        str, typer.Option(metavar="AXIS", help=f"shock axis: {', '.join(AXES)}")
    ] = "deployment_cut",
    outcome: Annotated[
        str, typer.Option(metavar="MEASURE", help=f"outcome measure: {', '.join(MEASURES)}")
    ] = "loss_share_of_revenue",
    threshold: Annotated[
        float,
        typer.Option(
            help="level of a loss share that counts as broken; for --outcome default, the "
            "entity defaults (any threshold from 0 to 1)"
        ),
    ] = 0.2,
    entity: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME", help="entity to test, repeatable (default: every chip vendor)"
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            metavar="QUARTER", help=f"first quarter of the shock (default {DEFAULT_PRESET_START})"
        ),
    ] = None,
    tol: Annotated[float, typer.Option(help="tolerance on the shock size")] = 1e-4,
    json_out: JsonOpt = False,
) -> None:
    """The smallest shock along an axis that makes each entity's outcome happen."""
    with user_errors(json_out):
        s = load(scenario)
        names = entity or [e.name for e in s.entities if e.kind == "chip_vendor"]
        q = str(parse_quarter(start or DEFAULT_PRESET_START, "--start"))
        runs: dict[float, StressResult] = {}  # one forward run per size, shared by entities
        results = [
            reverse_stress(
                s, n, axis=axis, measure=outcome, threshold=threshold, start=q, tol=tol,
                cache=runs,
            ).to_json()
            for n in names
        ]  # fmt: skip
    if json_out:
        emit({"scenario": s.meta.name, "start": q, "results": results})
        return
    con = console()
    con.print(_render_reverse(results, axis, outcome, threshold, q))


def _render_reverse(
    results: list[dict[str, Any]], axis: str, outcome: str, threshold: float, start: str
) -> Group:
    what = (
        "the entity defaults in the clearing"
        if outcome == "default"
        else f"{outcome} reaches {threshold:g}"
    )
    t = table(
        f"Reverse stress from {start}: smallest {axis} at which {what}",
        "entity",
        "shock size",
        "tolerance",
        "measure there",
        "measure just below",
        "monotone",
    )
    wavy, falls = [], []
    for r in results:
        size = "not reached" if r["size"] is None else _size(r["size"], r["tolerance"])
        val = "-" if r["value_at_size"] is None else f"{r['value_at_size']:.5f}"
        below = "-" if r["value_below"] is None else f"{r['value_below']:.5f}"
        t.add_row(
            r["entity"], size, f"{r['tolerance']:g}", val, below, "yes" if r["monotone"] else "no"
        )
        if not r["monotone"]:
            wavy.append(r["entity"])
        if r["falls_below_at"]:
            at = ", ".join(f"{x:g}" for x in r["falls_below_at"])
            falls.append(
                f"{r['entity']}: no default again at {at}."
                if outcome == "default"
                else f"{r['entity']}: {outcome} is back below {threshold:g} at {at}."
            )
    parts: list[Any] = [t]
    if wavy:
        n = len(results[0]["grid"]["size"])
        parts.append(
            f"Not monotone along {axis} ({', '.join(wavy)}): a larger shock can give a smaller "
            f"measure. The size shown is the first crossing of a {n}-point grid, refined by "
            "bisection; a crossing narrower than the grid spacing could be missed (--json has "
            "the grid)."
        )
    parts.extend(falls)
    if any(r["size"] is None for r in results):
        parts.append("not reached: no grid point up to the largest shock reaches the threshold.")
    return Group(*parts)


def _size(x: float, tol: float) -> str:
    """A shock size to the digits its tolerance supports (at least 4)."""
    if tol >= 1.0:
        return f"{x:.0f}"
    digits = max(4, min(12, int(-math.floor(math.log10(tol))) + 1)) if tol > 0 else 4
    return f"{x:.{digits}f}"
