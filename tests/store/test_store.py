"""The run store: round trips, atomic writes under SIGKILL, concurrent writers, diff, export."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from computeloop import default_scenario, simulate, summarize
from computeloop import store as run_store
from computeloop.api import summarize_monte_carlo
from computeloop.errors import InputError
from computeloop.montecarlo import monte_carlo
from computeloop.store.db import flatten_metrics, orphan_counts

pytest.importorskip("duckdb")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "runs.duckdb"


def record_default(db: Path, paths: int = 1) -> str:
    s = default_scenario()
    if paths == 1:
        r = simulate(s)
        return run_store.record(
            "run", s, "text", None, 1, summarize(r), run_store.deterministic_bands(r), db
        )
    mc = monte_carlo(s, paths=paths, seed=5)
    return run_store.record("run", s, "text", 5, paths, summarize_monte_carlo(mc), mc.bands, db)


def test_a_monte_carlo_run_round_trips(db: Path) -> None:
    s = default_scenario()
    mc = monte_carlo(s, paths=4096, seed=5)
    summary = summarize_monte_carlo(mc)
    run_id = run_store.record("run", s, "yaml text", 5, 4096, summary, mc.bands, db)
    got = run_store.get_run(run_id[:18], db)  # a unique prefix is enough
    assert got.row.run_id == run_id
    assert (got.row.seed, got.row.paths, got.row.kind) == (5, 4096, "run")
    assert got.row.scenario_hash == s.content_hash() and got.row.scenario_text == "yaml text"
    assert got.row.started_at <= got.row.finished_at
    assert got.metrics == flatten_metrics(summary)
    assert got.row.summary == json.loads(json.dumps(summary))
    bands = got.bands_json()
    assert bands["quarter"] == s.time.labels()
    for name in mc.bands.data_vars:
        np.testing.assert_array_equal(bands[name]["p95"], mc.bands[name].sel(quantile=0.95))


def test_an_absent_store_has_no_runs_and_unknown_ids_are_input_errors(db: Path) -> None:
    assert run_store.list_runs(db) == []
    with pytest.raises(InputError, match="no run 'abc'"):
        run_store.get_run("abc", db)
    with pytest.raises(InputError, match="letters, digits"):
        run_store.get_run("x; drop table runs", db)


# A writer that stops inside its transaction, after the run row and metrics are in.
KILLED_WRITER = """
import sys, time
from pathlib import Path
from computeloop import default_scenario, simulate, summarize
from computeloop import store
from computeloop.store import db

db_path = Path(sys.argv[1])
s = default_scenario()
r = simulate(s)
store.record("run", s, "first", None, 1, summarize(r), store.deterministic_bands(r), db_path)
original = db._insert_bands

def stall(con, run_id, bands):
    original(con, run_id, bands)
    print("inside", flush=True)
    time.sleep(60)

db._insert_bands = stall
store.record("run", s, "second", None, 1, summarize(r), store.deterministic_bands(r), db_path)
"""


def test_a_writer_killed_mid_write_leaves_a_readable_store_without_its_run(db: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "inside"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    runs = run_store.list_runs(db)
    assert [r.scenario_text for r in runs] == ["first"]
    assert orphan_counts(db) == {"metrics": 0, "bands": 0}
    assert len(run_store.get_run(runs[0].run_id, db).bands) == 5 * 32
    record_default(db)  # and it still takes new runs
    assert len(run_store.list_runs(db)) == 2


CONCURRENT_WRITER = """
import sys, time
from pathlib import Path
from computeloop import default_scenario, simulate, summarize
from computeloop import store
from computeloop.store import db

db_path, tag, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
s = default_scenario()
r = simulate(s)
summary, bands = summarize(r), store.deterministic_bands(r)
original = db._insert_bands

def slow(con, run_id, rows):  # hold the lock a while, so the other writer must wait
    original(con, run_id, rows)
    time.sleep(0.15)

db._insert_bands = slow
while not go.exists():
    time.sleep(0.01)
for i in range(4):
    store.record("run", s, f"{tag}-{i}", None, 1, summary, bands, db_path)
"""


def test_two_processes_recording_at_once_both_land(db: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_WRITER, str(db), tag, str(go)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    time.sleep(0.5)
    go.touch()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    texts = sorted(r.scenario_text for r in run_store.list_runs(db))
    assert texts == sorted(f"{t}-{i}" for t in "ab" for i in range(4))
    assert orphan_counts(db) == {"metrics": 0, "bands": 0}


def test_export_round_trips_in_every_format(db: Path, tmp_path: Path) -> None:
    run_id = record_default(db, paths=4096)
    run = run_store.get_run(run_id, db)
    out = {f: run_store.export_run(run_id, f, tmp_path / f"x.{f}", db) for f in run_store.FORMATS}

    with out["csv"].open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    metrics = {r["name"]: r["value"] for r in rows if r["table"] == "metric"}
    assert metrics.keys() == run.metrics.keys()
    for k, v in run.metrics.items():
        assert (float(metrics[k]) if metrics[k] else None) == v
    bands = [r for r in rows if r["table"] == "band"]
    assert len(bands) == len(run.bands) == 5 * 5 * 32

    import duckdb

    con = duckdb.connect()
    parquet = con.execute(
        "SELECT name, value FROM read_parquet(?) WHERE \"table\" = 'metric'", [str(out["parquet"])]
    ).fetchall()
    con.close()
    assert dict(parquet) == run.metrics

    ds = xr.open_dataset(out["netcdf"], engine="scipy")
    assert ds.attrs["run_id"] == run_id and ds.attrs["paths"] == 4096
    gap = run.bands_json()["funding_gap"]["p50"]
    np.testing.assert_array_equal(ds.funding_gap.sel(quantile=0.5).values, gap)
    key = "metrics.lab.peak_funding_gap_usd.mean"
    assert float(ds.metric_value.sel(metric=key)) == run.metrics[key]
    ds.close()


def test_export_refuses_an_unknown_format(db: Path, tmp_path: Path) -> None:
    run_id = record_default(db)
    with pytest.raises(InputError, match="format: must be one of"):
        run_store.export_run(run_id, "xlsx", tmp_path / "x.xlsx", db)
    assert not (tmp_path / "x.xlsx").exists()
