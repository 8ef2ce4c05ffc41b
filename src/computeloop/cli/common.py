"""What every command shares: the app, exit codes, error handling and JSON output.

Command modules (``cli/value.py``, ``cli/stress.py``, ...) import from here, never
from the package ``__init__``, so that adding a command cannot create an import cycle.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from computeloop.errors import ComputeloopError, ScenarioError
from computeloop.scenario.loader import DEFAULT_NAME, load_scenario
from computeloop.scenario.model import Scenario

app = typer.Typer(
    name="computeloop",
    help="Stress-test the AI compute build-out: deals, funding feedback, vendor exposure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_INPUT = 2
EXIT_RECONCILE_FAIL = 1
EXIT_INTERNAL = 70


class PolicyChoice(StrEnum):
    defer = "defer"
    cancel = "cancel"


ScenarioArg = Annotated[
    str | None,
    typer.Argument(help=f"scenario file, or an embedded name (default: {DEFAULT_NAME})"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable JSON on stdout")]
DEFAULT_WORKERS = max(1, min(os.cpu_count() or 1, 8))
WorkersOpt = Annotated[
    int,
    typer.Option(
        help="Monte Carlo workers: threads with the compiled engine, else processes "
        "(default: the machine's cores, at most 8); results never depend on it"
    ),
]


@contextmanager
def user_errors(json_mode: bool = False) -> Iterator[None]:
    """Turn user-caused errors into a message and exit code 2, never a traceback."""
    try:
        yield
    except ComputeloopError as exc:
        if json_mode:
            problems = [str(exc)]
            if isinstance(exc, ScenarioError):
                problems = [p.render(exc.source) for p in exc.problems]
            emit({"ok": False, "errors": problems})
        for line in str(exc).splitlines():
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(EXIT_INPUT) from None


def emit(obj: Any) -> None:
    """Print ``obj`` as strict JSON (no NaN) on stdout."""
    typer.echo(json.dumps(obj, indent=2, allow_nan=False))


def load(name: str | None) -> Scenario:
    """The named or file scenario, or the embedded default, ready for any command.

    Beyond the file's own validation, the numbers that vary across Monte Carlo paths
    are checked (a correlation on a number that cannot vary, a distribution the
    sampler refuses), so ``validate`` and every command agree on what is valid.
    """
    key = name or DEFAULT_NAME
    s = load_scenario(key)
    from computeloop.sampling.static import static_plan

    try:
        static_plan(s)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, exc.source or key) from None
    return s


# --- the run store (computeloop.store): options and one recording helper ------------------

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="run store file (default: $COMPUTELOOP_STORE, else the per-user data directory)",
    ),
]
NoStoreOpt = Annotated[bool, typer.Option("--no-store", help="do not record this run")]


def record_run(
    kind: Literal["run", "value", "stress", "report"],
    scenario: Scenario,
    name: str | None,
    seed: int | None,
    paths: int,
    summary: Mapping[str, Any],
    bands: Any = None,
    *,
    store: Path | None = None,
    no_store: bool = False,
    started_at: datetime | None = None,
) -> str | None:
    """Record a finished command in the run store; return its id (None with ``--no-store``).

    ``name`` is the SCENARIO argument as given (file or embedded name), so the file's
    text is stored as the user wrote it. A store that cannot be written does not fail
    the command: the result was already computed, so a warning goes to stderr instead.
    """
    if no_store:
        return None
    from computeloop import store as run_store

    try:
        text = run_store.source_text(name)
        return run_store.record(
            kind, scenario, text, seed, paths, summary, bands, store, started_at=started_at
        )
    except ComputeloopError as exc:
        typer.echo(f"warning: run not recorded: {exc}", err=True)
        return None
