"""The run store: every ``run``, ``value``, ``stress`` and ``report`` recorded in DuckDB.

One helper records a run, whatever the command::

    from computeloop.store import record
    run_id = record("run", scenario, source_text, seed, paths, summary, bands, store=None)

``store=None`` means the default location (:func:`default_store_path`). Reading back:
:func:`list_runs`, :func:`get_run`, :func:`diff_runs`, :func:`export_run`. DuckDB is
imported only when the store is used (``pip install 'computeloop[store]'``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import xarray as xr

from computeloop import __version__
from computeloop.analysis.metrics import clean_json
from computeloop.errors import InputError, UnknownScenarioError
from computeloop.results import Results
from computeloop.scenario.loader import DEFAULT_NAME, embedded_text
from computeloop.scenario.model import Scenario
from computeloop.store.db import (
    KINDS,
    Band,
    RunRow,
    connect,
    flatten_metrics,
    load_run,
    new_run_id,
    now_utc,
    query_runs,
    write_run,
)
from computeloop.store.diff import compare
from computeloop.store.export import FORMATS, write_export
from computeloop.store.location import ENV_VAR, default_store_path

Kind = Literal["run", "value", "stress", "report"]

__all__ = [
    "ENV_VAR",
    "FORMATS",
    "KINDS",
    "StoredRun",
    "default_store_path",
    "deterministic_bands",
    "diff_runs",
    "existing_store",
    "export_run",
    "get_run",
    "list_runs",
    "record",
    "source_text",
]


@dataclass(frozen=True)
class StoredRun:
    """A run read back from the store."""

    row: RunRow
    metrics: dict[str, float | None]
    bands: list[Band]

    def bands_json(self) -> dict[str, Any]:
        """Bands as ``{series: {"p5": [...], ...}, "quarter": [...]}``."""
        out: dict[str, Any] = {}
        quarters: list[str] = []
        for b in self.bands:
            q = out.setdefault(b.series, {}).setdefault(f"p{round(b.quantile * 100)}", [])
            q.append(b.value)
            if b.quarter not in quarters:
                quarters.append(b.quarter)
        return {"quarter": quarters, **out} if out else {}

    def to_json(self) -> dict[str, Any]:
        """Everything about the run, JSON-ready."""
        return {
            **self.row.to_json(full=True),
            "metrics": self.metrics,
            "bands": self.bands_json(),
        }


def _store_path(store: Path | None) -> Path:
    return default_store_path() if store is None else Path(store).expanduser()


def source_text(name_or_path: str | Path | None) -> str:
    """The text of a scenario file, or of an embedded scenario by name (default if None)."""
    key = str(name_or_path or DEFAULT_NAME)
    try:
        return embedded_text(key)
    except UnknownScenarioError:
        pass
    try:
        return Path(key).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnknownScenarioError(f"cannot read scenario {key!r}: {exc}") from None


def deterministic_bands(results: Results) -> xr.Dataset:
    """A deterministic run's lab series as bands (one path: every quantile is the value).

    Stored at the single quantile 0.5, with the same series names as Monte Carlo bands.
    """
    from computeloop.montecarlo.summaries import BAND_SERIES

    data = {
        name: (("quantile", "quarter"), results.lab(name).mean("path").values[None, :])
        for name in BAND_SERIES
    }
    return xr.Dataset(data, coords={"quantile": [0.5], "quarter": results.quarters})


def _band_rows(bands: xr.Dataset | None) -> list[tuple[Any, ...]]:
    if bands is None:
        return []
    rows: list[tuple[Any, ...]] = []
    quarters = [str(q) for q in bands["quarter"].values]
    for name in bands.data_vars:
        da = bands[name].transpose("quantile", "quarter")
        for qi, q in enumerate(bands["quantile"].values):
            for ti, quarter in enumerate(quarters):
                v = float(da.values[qi, ti])
                rows.append((str(name), float(q), quarter, ti, v if v == v else None))
    return rows


def record(
    kind: Kind,
    scenario: Scenario,
    source_text: str | None,
    seed: int | None,
    paths: int,
    summary: Mapping[str, Any],
    bands: xr.Dataset | None = None,
    store: Path | None = None,
    *,
    started_at: datetime | None = None,
) -> str:
    """Record one run in the store (one transaction) and return its id.

    ``source_text`` is the scenario file's content as the user wrote it (the validated
    scenario is stored too, as canonical JSON, with its hash); ``summary`` is the
    command's JSON-ready output, flattened into the metrics table; ``bands`` holds
    per-quarter quantiles (dims ``quantile`` and ``quarter``), e.g. ``MonteCarloResults.bands``
    or :func:`deterministic_bands`. Waits while another process writes the store.
    """
    if kind not in KINDS:
        raise InputError(f"kind: must be one of {list(KINDS)}, got {kind!r}")
    finished = now_utc()
    started = started_at or finished
    clean: dict[str, Any] = clean_json(json.loads(json.dumps(summary, default=float)))
    row = RunRow(
        run_id=new_run_id(started),
        kind=kind,
        scenario=scenario.meta.name,
        scenario_hash=scenario.content_hash(),
        scenario_text=source_text or "",
        scenario_json=json.dumps(scenario.model_dump(mode="json"), sort_keys=True),
        seed=seed,
        paths=paths,
        version=__version__,
        started_at=started,
        finished_at=finished,
        summary=clean,
    )
    with connect(_store_path(store), write=True) as con:
        write_run(con, row, flatten_metrics(clean), _band_rows(bands))
    return row.run_id


def list_runs(
    store: Path | None = None,
    *,
    kind: str | None = None,
    scenario: str | None = None,
    limit: int | None = None,
) -> list[RunRow]:
    """Recorded runs, newest first, optionally of one kind or scenario (at most ``limit``).

    An absent store has no runs. ``kind`` must be one of :data:`KINDS` and ``limit``
    at least 1 (input errors otherwise).
    """
    if kind is not None and kind not in KINDS:
        raise InputError(f"kind: must be one of {list(KINDS)}, got {kind!r}")
    if limit is not None and limit < 1:
        raise InputError(f"limit: must be a whole number >= 1, got {limit}")
    return query_runs(_store_path(store), kind=kind, scenario=scenario, limit=limit)


def get_run(run_id: str, store: Path | None = None) -> StoredRun:
    """One recorded run, by id or a unique prefix of it."""
    return StoredRun(*load_run(_store_path(store), run_id))


def store_path(store: Path | None = None) -> Path:
    """The store file used for ``store`` (None: the default location)."""
    return _store_path(store)


def existing_store(store: Path | None = None) -> Path:
    """The store file used for ``store``; an input error when there is none.

    Reading commands call this first, so a mistyped ``--store`` path is named rather
    than shown as an empty store.
    """
    path = _store_path(store)
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise InputError(
            f"store: {path} {what}; no runs are recorded there (give the --store file a "
            f"command recorded into, or set {ENV_VAR})"
        )
    return path


def diff_runs(first: str, second: str, store: Path | None = None) -> dict[str, Any]:
    """What changed from run ``first`` to run ``second``: inputs, settings, metrics.

    See :func:`computeloop.store.diff.compare` for the layout.
    """
    a, b = get_run(first, store), get_run(second, store)
    return compare(a.row, a.metrics, b.row, b.metrics)


def export_run(run_id: str, fmt: str, out: Path, store: Path | None = None) -> Path:
    """Write a run's metrics and bands to ``out`` as parquet, csv or netcdf; return ``out``."""
    run = get_run(run_id, store)
    return write_export(run.row, run.metrics, run.bands, fmt, Path(out))
