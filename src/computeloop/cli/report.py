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
from computeloop.errors import InputError
from computeloop.montecarlo import BLOCK, check_paths, monte_carlo
from computeloop.report import build_report, write_html, write_pngs
from computeloop.report.sections import stress_section, valuation_section
from computeloop.scenario.model import Scenario
from computeloop.scenario.stress import StressScenario
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
        str | None,
        typer.Option(
            help="HTML file to write (default: SCENARIO-report.html); missing parent "
            "directories are created"
        ),
    ] = None,
    png: Annotated[
        str | None,
        typer.Option(help="also write every chart as a PNG into this directory (created)"),
    ] = None,
    policy: Annotated[
        PolicyChoice | None,
        typer.Option(help="override the scenario's policy when the lab cannot fund a tranche"),
    ] = None,
    workers: WorkersOpt = DEFAULT_WORKERS,
    value: Annotated[
        bool | None,
        typer.Option(
            "--value/--no-value",
            help="add the warrants' fair values on the Monte Carlo paths (default: on when "
            "--paths > 1 and the scenario has warrants)",
            show_default=False,
        ),
    ] = None,
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
        target = html_target(out, s.meta.name)
        png_dir = png_directory(png) if png is not None else None
        stresses = [(name, _stress(s, name)) for name in stress or []]
        with_value = _valuation_wanted(value, paths, any(d.type == "warrant" for d in s.deals))
        results = simulate(s, seed=seed)
        mc = mcs = None
        if paths > 1:
            with LazyProgress("simulating") as bar:
                mc = monte_carlo(s, paths=paths, seed=seed, workers=workers, progress=bar)
            mcs = summarize_monte_carlo(mc)
        valuation = valuation_section(value_warrants(mc)) if mc is not None and with_value else None
        extra = [
            (f"Stress {name}", stress_section(run_stress(s, st).to_json())) for name, st in stresses
        ]
        rep = build_report(
            results,
            mc=mc,
            mc_summary=mcs,
            reconciliation=reconcile_results(results),
            valuation=valuation,
            sections=extra,
        )
        write_html(rep, target)
        pngs = write_pngs(rep, png_dir) if png_dir is not None else []
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
    sections = {"valuation": valuation is not None, "stress": [n for n, _ in stresses]}
    info["run_id"] = record_run(
        "report", s, scenario, used_seed, paths,
        {**summary, "report": info, "report_sections": sections}, bands,
        store=store, no_store=no_store, started_at=started,
    )  # fmt: skip
    if json_out:
        emit(info)
        return
    typer.echo(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB, {len(rep.charts())} charts)")
    if pngs:
        typer.echo(f"wrote {len(pngs)} PNG files to {png_dir}")
    if info["run_id"]:
        typer.echo(f"recorded as run {info['run_id']}")


def _valuation_wanted(value: bool | None, paths: int, has_warrants: bool) -> bool:
    """Whether to add the valuation section; a note on stderr when ``--value`` cannot apply."""
    if value is False:
        return False
    if value and paths <= 1:
        typer.echo(
            "note: --value needs Monte Carlo paths (--paths > 1); no valuation section", err=True
        )
        return False
    if value and not has_warrants:
        typer.echo("note: --value: the scenario has no warrants; no valuation section", err=True)
    return paths > 1 and has_warrants


def _stress(s: Scenario, name: str) -> StressScenario:
    try:
        return find_stress(s, name, None)
    except InputError as exc:
        raise InputError(f"--stress: {str(exc).removeprefix('preset: ')}") from None


def _blocking_file(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` when it is not a directory, else None."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def html_target(out: str | None, scenario_name: str) -> Path:
    """The HTML file ``--out`` names (default ``SCENARIO-report.html``), checked before any work.

    Missing parent directories are created when the report is written (as ``init`` does).

    >>> str(html_target(None, "base"))
    'base-report.html'
    """
    if out is None:
        return Path(f"{scenario_name}-report.html")
    if not out.strip():
        raise InputError("--out: empty file name; give the HTML file to write, e.g. report.html")
    target = Path(out).expanduser()
    if target.is_dir() or out.endswith(("/", "\\")):
        raise InputError(
            f"--out: {out} is a directory, not a file; give e.g. {target / 'report.html'}"
        )
    blocker = _blocking_file(target)
    if blocker is not None:
        raise InputError(f"--out: {blocker} is a file, not a directory, so {out} cannot be written")
    return target


def png_directory(png: str) -> Path:
    """The directory ``--png`` names, checked before any work (created when written)."""
    if not png.strip():
        raise InputError("--png: empty directory name; give the directory for the PNG files")
    target = Path(png).expanduser()
    if target.exists() and not target.is_dir():
        raise InputError(f"--png: {png} is a file, not a directory; give a directory for the PNGs")
    blocker = _blocking_file(target)
    if blocker is not None:
        raise InputError(f"--png: {blocker} is a file, not a directory, so {png} cannot be created")
    return target
