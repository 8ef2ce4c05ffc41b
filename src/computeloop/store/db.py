"""The run store: one embedded DuckDB file holding every recorded run.

Tables (see docs/report.md):

- ``runs``: one row per run: id, command kind, scenario name, hash, the scenario
  file's text and the validated scenario as canonical JSON, seed, paths, package
  version, start and end time (UTC), and the JSON summary;
- ``metrics``: the summary's numbers flattened to ``(run_id, key, value)``;
- ``bands``: per-quarter quantile bands ``(run_id, series, quantile, quarter, value)``.

A run is written in one transaction, so a process killed mid-write leaves the store
readable and without any part of that run (DuckDB's write-ahead log drops an
uncommitted transaction on the next open). DuckDB lets one process at a time open a
file for writing; a second process waits and retries with backoff until the lock
is free, so concurrent runs all land.
"""

from __future__ import annotations

import json
import math
import random
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from computeloop.errors import InputError, OutputError

SCHEMA_VERSION = 1
LOCK_TIMEOUT_S = 60.0
KINDS = ("run", "value", "stress", "report")
RUN_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}$")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, scenario VARCHAR,
        scenario_hash VARCHAR, scenario_text VARCHAR, scenario_json VARCHAR,
        seed VARCHAR, paths BIGINT, version VARCHAR, started_at TIMESTAMP,
        finished_at TIMESTAMP, summary VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS metrics (run_id VARCHAR, key VARCHAR, value DOUBLE)",
    """CREATE TABLE IF NOT EXISTS bands (run_id VARCHAR, series VARCHAR, quantile DOUBLE,
        quarter VARCHAR, quarter_index INTEGER, value DOUBLE)""",
)
SETTING_KEYS = (
    "stress",
    "start",
    "assumptions",
    "rate",
    "measure",
    "hurdle_monitoring",
    "antithetic",
    "report_sections",
)
"""Top-level summary keys that are a run's settings (stress, valuation, a report's optional
sections), not its metrics."""
_SKIP_KEYS = frozenset(
    {"schema_version", "seed", "paths", "series", "bands", "industry", *SETTING_KEYS}
)


@dataclass(frozen=True)
class RunRow:
    """Everything the store holds about one run except its metrics and bands."""

    run_id: str
    kind: str
    scenario: str
    scenario_hash: str
    scenario_text: str
    scenario_json: str
    seed: int | None
    paths: int
    version: str
    started_at: datetime
    finished_at: datetime
    summary: dict[str, Any]

    def to_json(self, *, full: bool = False) -> dict[str, Any]:
        """JSON form; ``full`` adds the scenario text and the summary."""
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "kind": self.kind,
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "seed": self.seed,
            "paths": self.paths,
            "computeloop_version": self.version,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
        }
        if full:
            out["settings"] = self.settings()
            out["scenario_text"] = self.scenario_text
            out["summary"] = self.summary
        return out

    def settings(self) -> dict[str, Any]:
        """The command's settings kept in its summary: a stress and its shocks, the
        valuation's rate, measure, hurdle monitoring and antithetic paths (empty for ``run``).
        """
        return {k: self.summary[k] for k in SETTING_KEYS if k in self.summary}


@dataclass(frozen=True)
class Band:
    """One stored quantile band row."""

    series: str
    quantile: float
    quarter: str
    value: float | None


def _iso(t: datetime) -> str:
    return t.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def new_run_id(now: datetime) -> str:
    """A sortable, unique run id: UTC time and six random hex digits.

    >>> new_run_id(datetime(2026, 1, 2, 3, 4, 5))[:16]
    '20260102-030405-'
    """
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def flatten_metrics(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """Every number in a summary as ``dotted.key -> value`` (lists by index).

    Book-keeping keys (seed, paths, schema version), the run's settings
    (:data:`SETTING_KEYS`: a stress and its shocks, the valuation's rate, measure, ...)
    and the per-quarter ``series``, ``industry`` and ``bands`` are left out: the bands
    have their own table.

    >>> flatten_metrics({"seed": 1, "metrics": {"lab": {"gap_usd": 2.0, "q": None}},
    ...                  "tranches": [{"p": 0.5}], "ok": True, "name": "x"})
    {'metrics.lab.gap_usd': 2.0, 'metrics.lab.q': None, 'tranches.0.p': 0.5, 'ok': 1.0}
    """
    out: dict[str, float | None] = {}

    def walk(obj: Any, key: str) -> None:
        if isinstance(obj, Mapping):
            for k, v in obj.items():
                if key or str(k) not in _SKIP_KEYS:
                    walk(v, f"{key}.{k}" if key else str(k))
        elif isinstance(obj, list | tuple):
            for i, v in enumerate(obj):
                walk(v, f"{key}.{i}")
        elif isinstance(obj, bool):
            out[key] = float(obj)
        elif isinstance(obj, int | float):
            out[key] = float(obj) if math.isfinite(obj) else None
        elif obj is None and key:
            out[key] = None

    walk(summary, "")
    return out


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise OutputError(
            "the run store needs DuckDB: pip install 'computeloop[store]' (or pass --no-store)"
        ) from None
    return duckdb


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text


@contextmanager
def connect(path: Path, *, write: bool, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[Any]:
    """A DuckDB connection to the store, waiting (with backoff) while another process holds it.

    For writing, the file and its directory are created and the schema set up.
    """
    duckdb = _duckdb()
    if write:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"store: cannot create {path.parent}: {exc.strerror}") from None
    deadline = time.monotonic() + timeout_s
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(str(path), read_only=not write)
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc) or time.monotonic() > deadline:
                raise OutputError(f"store {path}: {str(exc).splitlines()[0]}") from None
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 1.6, 0.5)
    try:
        if write:
            _ensure_schema(con)
        yield con
    finally:
        con.close()


def _ensure_schema(con: Any) -> None:
    for stmt in _SCHEMA:
        con.execute(stmt)
    row = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        con.execute("INSERT INTO store_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    elif int(row[0]) > SCHEMA_VERSION:
        raise OutputError(
            f"store schema version {row[0]} is newer than this computeloop understands "
            f"({SCHEMA_VERSION}); upgrade computeloop"
        )


def write_run(
    con: Any, row: RunRow, metrics: Mapping[str, float | None], bands: list[tuple[Any, ...]]
) -> None:
    """Insert one run, its metrics and bands in a single transaction (all or nothing)."""
    con.execute("BEGIN TRANSACTION")
    try:
        _insert_run(con, row)
        _insert_metrics(con, row.run_id, metrics)
        _insert_bands(con, row.run_id, bands)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _insert_run(con: Any, row: RunRow) -> None:
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            row.run_id,
            row.kind,
            row.scenario,
            row.scenario_hash,
            row.scenario_text,
            row.scenario_json,
            None if row.seed is None else str(row.seed),
            row.paths,
            row.version,
            row.started_at,
            row.finished_at,
            json.dumps(row.summary, allow_nan=False),
        ],
    )


def _insert_metrics(con: Any, run_id: str, metrics: Mapping[str, float | None]) -> None:
    if metrics:
        con.execute(
            "INSERT INTO metrics SELECT ?, unnest(?::VARCHAR[]), unnest(?::DOUBLE[])",
            [run_id, list(metrics), list(metrics.values())],
        )


def _insert_bands(con: Any, run_id: str, bands: list[tuple[Any, ...]]) -> None:
    if bands:
        cols = list(zip(*bands, strict=True))
        con.execute(
            "INSERT INTO bands SELECT ?, unnest(?::VARCHAR[]), unnest(?::DOUBLE[]), "
            "unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::DOUBLE[])",
            [run_id, *(list(c) for c in cols)],
        )


_RUN_COLUMNS = (
    "run_id, kind, scenario, scenario_hash, scenario_text, scenario_json, seed, paths, "
    "version, started_at, finished_at, summary"
)


def _row(t: tuple[Any, ...]) -> RunRow:
    return RunRow(
        run_id=t[0],
        kind=t[1],
        scenario=t[2] or "",
        scenario_hash=t[3] or "",
        scenario_text=t[4] or "",
        scenario_json=t[5] or "{}",
        seed=None if t[6] is None else int(t[6]),
        paths=int(t[7]),
        version=t[8] or "",
        started_at=t[9],
        finished_at=t[10],
        summary=json.loads(t[11]) if t[11] else {},
    )


def _exists(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def query_runs(
    path: Path, *, kind: str | None = None, scenario: str | None = None, limit: int | None = None
) -> list[RunRow]:
    """Runs in the store, newest first (an absent store has none)."""
    if not _exists(path):
        return []
    sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE (? IS NULL OR kind = ?) "
    sql += "AND (? IS NULL OR scenario = ?) ORDER BY started_at DESC, run_id DESC"
    params: list[Any] = [kind, kind, scenario, scenario]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    with connect(path, write=False) as con:
        if not _has_runs_table(con):
            return []
        return [_row(t) for t in con.execute(sql, params).fetchall()]


def _has_runs_table(con: Any) -> bool:
    q = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'"
    return bool(con.execute(q).fetchone()[0])


def resolve_id(path: Path, run_id: str) -> str:
    """The full id of the one run whose id starts with ``run_id``."""
    if not RUN_ID.match(run_id):
        raise InputError(f"run id: letters, digits and '-' only, got {run_id!r}")
    matches = [] if not _exists(path) else _ids_with_prefix(path, run_id)
    if not matches:
        raise InputError(f"run id: no run {run_id!r} in the store {path}")
    if len(matches) > 1:
        raise InputError(
            f"run id: {run_id!r} matches {len(matches)} runs ({', '.join(matches[:5])}); "
            "give more of the id"
        )
    return str(matches[0])


def _ids_with_prefix(path: Path, prefix: str) -> list[str]:
    with connect(path, write=False) as con:
        if not _has_runs_table(con):
            return []
        rows = con.execute(
            "SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY run_id", [prefix]
        ).fetchall()
    return [r[0] for r in rows]


def load_run(path: Path, run_id: str) -> tuple[RunRow, dict[str, float | None], list[Band]]:
    """One run (by id or unique id prefix): its row, metrics and bands."""
    full = resolve_id(path, run_id)
    with connect(path, write=False) as con:
        t = con.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", [full]).fetchone()
        m = con.execute(
            "SELECT key, value FROM metrics WHERE run_id = ? ORDER BY rowid", [full]
        ).fetchall()
        b = con.execute(
            "SELECT series, quantile, quarter, value FROM bands WHERE run_id = ? "
            "ORDER BY series, quantile, quarter_index",
            [full],
        ).fetchall()
    return _row(t), dict(m), [Band(*r) for r in b]


def orphan_counts(path: Path) -> dict[str, int]:
    """Rows of ``metrics`` and ``bands`` without their run (always 0 in a sound store)."""
    with connect(path, write=False) as con:
        out = {}
        for table in ("metrics", "bands"):
            q = f"SELECT count(*) FROM {table} WHERE run_id NOT IN (SELECT run_id FROM runs)"
            out[table] = int(con.execute(q).fetchone()[0])
    return out


def now_utc() -> datetime:
    """The current UTC time as a naive datetime (the store's convention)."""
    return datetime.now(UTC).replace(tzinfo=None)
