"""``computeloop report``: one self-contained HTML report, optionally PNGs for slides."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from computeloop.analysis.metrics import summarize
from computeloop.analysis.reconcile import reconcile_results
from computeloop.api import simulate, summarize_monte_carlo, value_warrants, with_policy
from computeloop.cli.common import (
    DEFAULT_WORKERS,
    JsonOpt,
    NoStoreOpt,
    PolicyChoice,
    ScenarioArg,
    StoreOpt,
    WorkersOpt,
    app,
    emit,
    load,
    record_run,
    user_errors,
)
from computeloop.cli.progress import LazyProgress
from computeloop.montecarlo import BLOCK, check_paths, monte_carlo
from computeloop.report import build_report, write_html, write_pngs
from computeloop.report.sections import stress_section, valuation_section
from computeloop.store import deterministic_bands
from computeloop.store.db import now_utc
from computeloop.stress import find_stress, run_stress

DEFAULT_PATHS = 10_000


@app.command("report")
def report_cmd(
    scenario: ScenarioArg = None,
    paths: Annotated[
        int, typer.Option(help="Monte Carlo paths for the fan charts and odds (1: none)")
    ] = DEFAULT_PATHS,
    seed: Annotated[int | None, typer.Option(help="random seed, recorded in the report")] = None,
    out: Annotated[
        Path | None, typer.Option(help="HTML file to write (default: SCENARIO-report.html)")
    ] = None,
    png: Annotated[
        Path | None, typer.Option(help="also write every chart as a PNG into this directory")
    ] = None,
    policy: Annotated[
        PolicyChoice | None,
        typer.Option(help="override the scenario's policy when the lab cannot fund a tranche"),
    ] = None,
    workers: WorkersOpt = DEFAULT_WORKERS,
    value: Annotated[
        bool,
        typer.Option(
            "--value/--no-value",
            help="add the warrants' fair values on the Monte Carlo paths (needs --paths > 1)",
        ),
    ] = True,
    stress: Annotated[
        list[str] | None,
        typer.Option(help="add a stress section for this preset (repeatable), e.g. lab-cut-50"),
    ] = None,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Write an HTML report (charts, deals, reconciliation) that opens with no network."""
    started = now_utc()
    with user_errors(json_out):
        s = load(scenario)
        if policy is not None:
            s = with_policy(s, policy.value)
        check_paths(paths, BLOCK, workers)
        results = simulate(s, seed=seed)
        mc = mcs = None
        if paths > 1:
            with LazyProgress("simulating") as bar:
                mc = monte_carlo(s, paths=paths, seed=seed, workers=workers, progress=bar)
            mcs = summarize_monte_carlo(mc)
        valuation = None
        if mc is not None and value and any(d.type == "warrant" for d in s.deals):
            valuation = valuation_section(value_warrants(mc))
        extra = []
        for name in stress or []:
            st = find_stress(s, name, None)
            extra.append((f"Stress {name}", stress_section(run_stress(s, st).to_json())))
        rep = build_report(
            results,
            mc=mc,
            mc_summary=mcs,
            reconciliation=reconcile_results(results),
            valuation=valuation,
            sections=extra,
        )
        target = out or Path(f"{s.meta.name}-report.html")
        write_html(rep, target)
        pngs = write_pngs(rep, png) if png is not None else []
    used_seed = mc.seed if mc is not None else seed
    info: dict[str, Any] = {
        "ok": True,
        "html": str(target),
        "html_bytes": target.stat().st_size,
        "charts": [c.id for c in rep.charts()],
        "png": [str(p) for p in pngs],
        "paths": paths,
        "seed": used_seed,
    }
    summary = dict(mcs) if mcs else summarize(results)
    bands = mc.bands if mc is not None else deterministic_bands(results)
    info["run_id"] = record_run(
        "report", s, scenario, used_seed, paths, {**summary, "report": info}, bands,
        store=store, no_store=no_store, started_at=started,
    )  # fmt: skip
    if json_out:
        emit(info)
        return
    typer.echo(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB, {len(rep.charts())} charts)")
    if pngs:
        typer.echo(f"wrote {len(pngs)} PNG files to {png}")
    if info["run_id"]:
        typer.echo(f"recorded as run {info['run_id']}")
