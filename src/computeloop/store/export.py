"""Export one stored run to Parquet, CSV or NetCDF.

Parquet and CSV hold one long table, a row per number::

    run_id, table, name, quantile, quarter, value
    20261128-151844-a3f9c1, metric, metrics.lab.peak_funding_gap_usd.mean, , , 5.1e11
    20261128-151844-a3f9c1, band, funding_gap, 0.05, 2025Q1, 0.0

NetCDF (version 3, written by SciPy, so no extra library is needed) holds the bands as
variables with dims ``(quantile, quarter)``, the metrics as ``metric_value`` along a
``metric`` dim, and the run's settings and scenario text as attributes. Every file is
written to a temporary name first and then moved into place.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from computeloop.errors import InputError, OutputError
from computeloop.store.db import Band, RunRow, _duckdb

FORMATS = ("parquet", "csv", "netcdf")
COLUMNS = ("run_id", "table", "name", "quantile", "quarter", "value")


def long_rows(
    row: RunRow, metrics: Mapping[str, float | None], bands: list[Band]
) -> list[tuple[Any, ...]]:
    """The run as ``COLUMNS`` tuples: metrics first, then bands."""
    out: list[tuple[Any, ...]] = [
        (row.run_id, "metric", k, None, None, v) for k, v in metrics.items()
    ]
    out += [(row.run_id, "band", b.series, b.quantile, b.quarter, b.value) for b in bands]
    return out


def bands_dataset(
    row: RunRow, metrics: Mapping[str, float | None], bands: list[Band]
) -> xr.Dataset:
    """The run as an ``xarray.Dataset`` (what the NetCDF export writes)."""
    quarters = list(dict.fromkeys(b.quarter for b in bands))
    quantiles = sorted({b.quantile for b in bands})
    data: dict[str, Any] = {}
    for name in dict.fromkeys(b.series for b in bands):
        arr = np.full((len(quantiles), len(quarters)), np.nan)
        for b in bands:
            if b.series == name:
                v = np.nan if b.value is None else b.value
                arr[quantiles.index(b.quantile), quarters.index(b.quarter)] = v
        data[name] = (("quantile", "quarter"), arr)
    values = np.array([np.nan if v is None else v for v in metrics.values()], dtype=float)
    data["metric_value"] = (("metric",), values)
    ds = xr.Dataset(
        data,
        coords={"quantile": quantiles, "quarter": quarters, "metric": list(metrics)},
    )
    ds.attrs.update(
        {
            "run_id": row.run_id,
            "kind": row.kind,
            "scenario": row.scenario,
            "scenario_hash": row.scenario_hash,
            "seed": "" if row.seed is None else str(row.seed),
            "paths": row.paths,
            "computeloop_version": row.version,
            "started_at": row.started_at.isoformat() + "Z",
            "finished_at": row.finished_at.isoformat() + "Z",
            "scenario_text": row.scenario_text,
        }
    )
    return ds


def _write_csv(rows: list[tuple[Any, ...]], tmp: Path) -> None:
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])


def _write_parquet(rows: list[tuple[Any, ...]], tmp: Path) -> None:
    duckdb = _duckdb()
    cols = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in COLUMNS]
    con = duckdb.connect(":memory:")
    try:
        con.execute(
            "CREATE TABLE t AS SELECT unnest(?::VARCHAR[]) AS run_id, "
            'unnest(?::VARCHAR[]) AS "table", unnest(?::VARCHAR[]) AS name, '
            "unnest(?::DOUBLE[]) AS quantile, unnest(?::VARCHAR[]) AS quarter, "
            "unnest(?::DOUBLE[]) AS value",
            cols,
        )
        target = str(tmp).replace("'", "''")
        con.execute(f"COPY t TO '{target}' (FORMAT parquet)")
    finally:
        con.close()


def write_export(
    row: RunRow, metrics: Mapping[str, float | None], bands: list[Band], fmt: str, out: Path
) -> Path:
    """Write the run to ``out`` in format ``fmt`` (see the module docstring)."""
    if fmt not in FORMATS:
        raise InputError(f"format: must be one of {list(FORMATS)}, got {fmt!r}")
    writers: dict[str, Callable[[Path], None]] = {
        "csv": lambda p: _write_csv(long_rows(row, metrics, bands), p),
        "parquet": lambda p: _write_parquet(long_rows(row, metrics, bands), p),
        "netcdf": lambda p: bands_dataset(row, metrics, bands).to_netcdf(p, engine="scipy"),
    }
    write_atomic(out, writers[fmt])
    return out


def write_atomic(out: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a temporary file next to ``out``, then move it into place."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file, not mkstemp's 0600
        os.replace(tmp, out)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
