"""``computeloop runs``: list, show, diff and export recorded runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.table import Table

from computeloop.cli.common import JsonOpt, StoreOpt, app, emit, user_errors
from computeloop.cli.fmt import by_key, sparkline
from computeloop.cli.render import console, table
from computeloop.store import (
    FORMATS,
    StoredRun,
    diff_runs,
    existing_store,
    export_run,
    get_run,
    list_runs,
)

runs_app = typer.Typer(
    help="Recorded runs: list, show, diff, export (the run store is documented in docs/report.md).",
    no_args_is_help=True,
)
app.add_typer(runs_app, name="runs")

IdArg = Annotated[str, typer.Argument(help="run id, or a unique prefix of it")]


@runs_app.command("list")
def list_cmd(
    kind: Annotated[str | None, typer.Option(help="only runs of this command")] = None,
    scenario: Annotated[str | None, typer.Option(help="only runs of this scenario")] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 50,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Recorded runs, newest first."""
    with user_errors(json_out):
        rows = list_runs(store, kind=kind, scenario=scenario, limit=limit)
        path = existing_store(store)
    if json_out:
        emit({"store": str(path), "runs": [r.to_json() for r in rows]})
        return
    t = table(
        f"Runs in {path}",
        "run id",
        "kind",
        "scenario",
        "started (UTC)",
        "paths",
        "seed",
        "peak funding gap",
    )
    for col in t.columns[1:4]:
        col.justify = "left"
    # Ids are copied into other commands: never cut or wrap them; other columns wrap.
    t.columns[0].no_wrap = True
    t.columns[0].min_width = max((len(r.run_id) for r in rows), default=6)
    t.columns[2].overflow = "fold"
    for r in rows:
        gap = r.summary.get("metrics", {}).get("lab", {}).get("peak_funding_gap_usd")
        gap_text = by_key("peak_funding_gap_usd", gap["mean"] if isinstance(gap, dict) else gap)
        t.add_row(
            r.run_id,
            r.kind,
            r.scenario,
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            f"{r.paths:,}",
            "-" if r.seed is None else str(r.seed),
            gap_text,
        )
    console().print(t)


_HIDDEN_STATS = ("p5", "p25", "p75", "p95", "var95", "cvar95")


def _shown_metric(key: str, kind: str) -> bool:
    """The metrics ``runs show`` lists: headline numbers, not every quantile of each."""
    if key.endswith("_stderr") or key.startswith("report."):
        return False
    if kind in ("run", "report"):
        return key.startswith(("metrics.lab.", "metrics.vendors."))
    return key.rsplit(".", 1)[-1] not in _HIDDEN_STATS


def _group(key: str) -> tuple[str, str]:
    """(group, name) of a metric: ``entities.AMD.losses_usd.total`` -> (entities.AMD, ...)."""
    parts = key.removeprefix("metrics.").split(".")
    depth = 2 if parts[0] in ("entities", "lab", "vendors", "warrants", "stranded") else 1
    depth = min(depth, len(parts) - 1) if len(parts) > 1 else 0
    return ".".join(parts[:depth]) or "-", ".".join(parts[depth:])


def _setting_rows(settings: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(settings, dict):
        rows: list[tuple[str, str]] = []
        for k, v in settings.items():
            rows += _setting_rows(v, f"{key}.{k}" if key else str(k))
        return rows
    if isinstance(settings, list):
        rows = []
        for i, v in enumerate(settings):
            rows += _setting_rows(v, f"{key}[{i}]")
        return rows
    if settings is None or settings == []:
        return []
    return [(key, by_key(key, settings) if not isinstance(settings, bool) else str(settings))]


def _show_tables(run: StoredRun) -> Group:
    r = run.row
    facts = table(f"Run {r.run_id}", "", "")
    for k, v in r.to_json().items():
        facts.add_row(k, "-" if v is None else f"{v:,}" if isinstance(v, int) else str(v))
    for k, text in _setting_rows(r.settings()):
        facts.add_row(k, text)
    keys = [k for k in run.metrics if _shown_metric(k, r.kind)]
    metrics = table(
        f"Metrics ({len(keys)} shown of {len(run.metrics)} stored; all with --json)",
        "group",
        "metric",
        "value",
    )
    metrics.columns[1].justify = "left"
    last = None
    for k in keys:
        group, name = _group(k)
        metrics.add_row(group if group != last else "", name, by_key(k, run.metrics[k]))
        last = group
    parts: list[Any] = [facts, metrics]
    if run.bands:
        parts.append(_bands_table(run))
    return Group(*parts)


def _bands_table(run: StoredRun) -> Table:
    b = run.bands_json()
    t = table("Per-quarter bands", "series", "quantile", "path", "end")
    t.columns[2].justify = "left"
    for name, qs in b.items():
        if name == "quarter":
            continue
        values = [v for q in qs.values() for v in q]
        n = len(b["quarter"])
        spark = sparkline(values)
        for i, (q, v) in enumerate(qs.items()):
            t.add_row(name if i == 0 else "", q, spark[i * n : (i + 1) * n], by_key(name, v[-1]))
    return t


@runs_app.command("show")
def show_cmd(run_id: IdArg, store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """One run: its settings, every metric and its per-quarter bands."""
    with user_errors(json_out):
        existing_store(store)
        run = get_run(run_id, store)
    if json_out:
        emit(run.to_json())
        return
    console().print(_show_tables(run))


def _short(x: Any) -> str:
    text = str(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _setting(name: str, x: Any) -> str:
    """A setting's value: numbers with their unit, a whole stress as its name."""
    if isinstance(x, dict) and "name" in x:
        return str(x["name"])
    if x is None:
        return "-"
    if isinstance(x, int | float) and not isinstance(x, bool):
        return by_key(name, x)
    return _short(x)


def _diff_tables(d: dict[str, Any], limit: int) -> Group:
    a, b = d["a"]["run_id"], d["b"]["run_id"]
    inputs = table(f"Inputs changed from {a} to {b}", "field", a, b)
    for c in d["inputs"]:
        inputs.add_row(c["path"], _short(c["a"]), _short(c["b"]))
    if not d["inputs"]:
        inputs.add_row("(same scenario inputs)", "", "")
    for c in d["settings"]:
        name = c["name"]
        inputs.add_row(f"run setting: {name}", _setting(name, c["a"]), _setting(name, c["b"]))
    moved = table(
        f"Metrics that moved ({len(d['metrics'])}; {d['metrics_unchanged']} unchanged)",
        "metric", a, b, "change", "relative", "z",
    )  # fmt: skip
    moved.columns[0].overflow = "fold"
    for m in d["metrics"][:limit]:
        rel = "" if m["rel_change"] is None else f"{100 * m['rel_change']:+.1f}%"
        z = "" if m.get("z") is None else f"{m['z']:+.1f}"
        change = "" if m["change"] is None else by_key(m["key"], m["change"])
        moved.add_row(
            m["key"].removeprefix("metrics."),
            by_key(m["key"], m["a"]),
            by_key(m["key"], m["b"]),
            change,
            rel,
            z,
        )
    if len(d["metrics"]) > limit:
        moved.caption = f"{len(d['metrics']) - limit} more with --limit or --json"
    return Group(inputs, moved)


@runs_app.command("diff")
def diff_cmd(
    first: IdArg,
    second: IdArg,
    limit: Annotated[int, typer.Option(help="metrics shown in the table")] = 30,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """What changed between two runs: the inputs, and how each metric moved."""
    with user_errors(json_out):
        existing_store(store)
        d = diff_runs(first, second, store)
    if json_out:
        emit(d)
        return
    console().print(_diff_tables(d, limit))


@runs_app.command("export")
def export_cmd(
    run_id: IdArg,
    fmt: Annotated[str, typer.Option("--format", help=f"one of {', '.join(FORMATS)}")],
    out: Annotated[Path, typer.Option(help="file to write")],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write a run's metrics and per-quarter bands to Parquet, CSV or NetCDF."""
    with user_errors(json_out):
        existing_store(store)
        path = export_run(run_id, fmt, out, store)
    if json_out:
        emit({"ok": True, "out": str(path), "format": fmt, "bytes": path.stat().st_size})
        return
    typer.echo(f"wrote {path} ({fmt})")
