"""The command line: a thin shell over the library API (``computeloop --help``).

Commands live here and in one module per feature (``cli/<feature>.py``), each
importing the shared ``app`` from ``cli/common.py``; importing the module registers
its commands.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from computeloop import __version__
from computeloop.analysis.metrics import summarize
from computeloop.api import (
    reconcile,
    simulate,
    summarize_monte_carlo,
    value_warrants,
    with_policy,
)
from computeloop.cli import render
from computeloop.cli.common import (
    DEFAULT_WORKERS,
    EXIT_INTERNAL,
    EXIT_RECONCILE_FAIL,
    JsonOpt,
    NoStoreOpt,
    PolicyChoice,
    ScenarioArg,
    StoreOpt,
    WorkersOpt,
    app,
    record_run,
)
from computeloop.cli.common import (
    EXIT_INPUT as EXIT_INPUT,
)
from computeloop.cli.common import emit as _emit
from computeloop.cli.common import load as _load
from computeloop.cli.common import user_errors as _user_errors
from computeloop.cli.fmt import value as fmt_value
from computeloop.cli.progress import LazyProgress
from computeloop.cli.render_mc import mc_summary
from computeloop.errors import OutputError
from computeloop.montecarlo import BLOCK, check_paths, monte_carlo
from computeloop.scenario.describe import terms
from computeloop.scenario.loader import DEFAULT_NAME, embedded_text
from computeloop.store import deterministic_bands
from computeloop.store.db import now_utc


@app.command()
def run(
    scenario: ScenarioArg = None,
    policy: Annotated[
        PolicyChoice | None,
        typer.Option(help="override the scenario's policy when the lab cannot fund a tranche"),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="random seed, recorded in the output")] = None,
    paths: Annotated[
        int, typer.Option(help="1: deterministic run at central values; more: Monte Carlo")
    ] = 1,
    workers: WorkersOpt = DEFAULT_WORKERS,
    chunk_paths: Annotated[
        int, typer.Option(help="paths simulated at once (bounds memory)")
    ] = BLOCK,
    json_out: JsonOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Simulate a scenario quarter by quarter and summarise it; record it in the run store."""
    started = now_utc()
    used_seed: int | None
    with _user_errors(json_out):
        s = _load(scenario)
        if policy is not None:
            s = with_policy(s, policy.value)
        check_paths(paths, chunk_paths, workers)
        if paths > 1:
            with LazyProgress("simulating") as bar:
                mc = monte_carlo(
                    s,
                    paths=paths,
                    seed=seed,
                    workers=workers,
                    chunk_paths=chunk_paths,
                    progress=bar,
                )
            summary = summarize_monte_carlo(mc)
            summary["warrants"] = value_warrants(mc)
            bands, used_seed = mc.bands, int(mc.seed)
        else:
            results = simulate(s, seed=seed)
            summary = summarize(results)
            bands, used_seed = deterministic_bands(results), seed
    run_id = record_run(
        "run", s, scenario, used_seed, paths, summary, bands,
        store=store, no_store=no_store, started_at=started,
    )  # fmt: skip
    if json_out:
        _emit(summary)
        return
    con = render.console()
    if paths > 1:
        con.print(mc_summary(s.meta.title or s.meta.name, summary))
    else:
        con.print(render.run_summary(s, summary))
    if run_id:
        con.print(f"[dim]recorded as run {run_id} (computeloop runs show {run_id})[/]")


@app.command("reconcile")
def reconcile_cmd(scenario: ScenarioArg = None, json_out: JsonOpt = False) -> None:
    """Every figure of the source article next to the model's value; exit 1 if any fails."""
    with _user_errors(json_out):
        rep = reconcile(_load(scenario))
    if json_out:
        _emit(rep.to_json())
    else:
        render.console().print(render.reconcile_table(rep))
    if not rep.all_pass:
        raise typer.Exit(EXIT_RECONCILE_FAIL)


@app.command()
def deals(scenario: ScenarioArg = None, json_out: JsonOpt = False) -> None:
    """The deals with their terms and the provenance of every number."""
    with _user_errors(json_out):
        s = _load(scenario)
    if json_out:
        _emit({"scenario": s.meta.name, "deals": [d.model_dump(mode="json") for d in s.deals]})
        return
    rows = []
    for d in s.deals:
        table = [
            (
                t.path,
                fmt_value(t.value, t.unit),
                render.provenance_label(t.quantity) if t.quantity else "",
            )
            for t in terms(d)
            if t.path not in ("name", "type")
        ]
        rows.append((d.name, d.type.replace("_", " "), table))
    con = render.console()
    for rendered in render.deals_tables(s, rows):
        con.print(rendered)


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help="scenario file to check")],
    json_out: JsonOpt = False,
) -> None:
    """Check a scenario file; list every problem, one per line."""
    with _user_errors(json_out):
        s = _load(file)
    census = {"fact": 0, "derived": 0, "assumption": 0, "none": 0}
    for _, q in s.quantities():
        census[q.provenance.kind if q.provenance else "none"] += 1
    info = {
        "ok": True,
        "file": file,
        "scenario": s.meta.name,
        "entities": len(s.entities),
        "deals": len(s.deals),
        "provenance": census,
    }
    if json_out:
        _emit(info)
        return
    typer.echo(
        f"ok: {file}: scenario '{s.meta.name}', {len(s.entities)} entities, {len(s.deals)} deals; "
        f"numbers: {census['fact']} fact, {census['derived']} derived, "
        f"{census['assumption']} assumption, {census['none']} without provenance"
    )


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="where to write the scenario file")] = Path("."),
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write the default scenario as an editable, commented YAML file."""
    target = directory / f"{DEFAULT_NAME}.yaml"
    with _user_errors():
        _write_atomic(target, embedded_text(DEFAULT_NAME), force)
    typer.echo(f"wrote {target}; edit it, then: computeloop validate {target}")


def _write_atomic(target: Path, text: str, force: bool) -> None:
    if target.exists() and not force:
        raise OutputError(f"{target} exists; pass --force to overwrite it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _version(flag: bool) -> None:
    if flag:
        typer.echo(f"computeloop {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    """computeloop: stress-test the AI compute build-out."""


def main() -> None:
    """Console entry point: run the app; report bugs without a wall of traceback."""
    try:
        app()
    except Exception as exc:  # a bug in computeloop, not bad input
        if os.environ.get("COMPUTELOOP_DEBUG"):
            raise
        typer.echo(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in computeloop; rerun with COMPUTELOOP_DEBUG=1 for details.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)


# Feature commands register themselves on ``app`` when imported.
from computeloop.cli import report as _report  # noqa: E402, F401
from computeloop.cli import runs as _runs  # noqa: E402, F401
from computeloop.cli import stress as _stress  # noqa: E402, F401
from computeloop.cli import value as _value  # noqa: E402, F401
