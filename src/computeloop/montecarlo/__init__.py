"""Monte Carlo: many correlated paths, chunked, seeded, optionally on several workers.

>>> from computeloop import default_scenario
>>> mc = monte_carlo(default_scenario(), paths=2000, seed=7)
>>> mc.summary.sizes["path"]
2000
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from computeloop import __version__
from computeloop.errors import InputError
from computeloop.montecarlo.runner import BLOCK, ChunkResult, Progress, run_chunks
from computeloop.montecarlo.sketch import QuantileSketch
from computeloop.montecarlo.summaries import BAND_SERIES
from computeloop.scenario.deals import Warrant
from computeloop.scenario.model import Scenario

MAX_PATHS = 50_000_000
MAX_SERIES_BYTES = 4_000_000_000
BAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

__all__ = ["BLOCK", "MonteCarloResults", "monte_carlo"]


@dataclass(frozen=True)
class MonteCarloResults:
    """Per-path summary metrics for every path, and per-quarter quantile bands."""

    scenario: Scenario
    seed: int
    summary: xr.Dataset  # dims: path, and entity / year / tranche where they apply
    bands: xr.Dataset  # dims: quantile, quarter

    @property
    def paths(self) -> int:
        return int(self.summary.sizes["path"])


def check_seed(seed: object) -> None:
    """A seed is None or a non-negative whole number."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InputError(f"seed: must be a non-negative whole number, got {seed!r}")


def normalize_seed(seed: int | None) -> int:
    """One seed for the run: the given one, or fresh entropy (recorded in the results)."""
    check_seed(seed)
    if seed is None:
        entropy = np.random.SeedSequence().entropy
        assert isinstance(entropy, int)  # fresh SeedSequences draw an int from the OS
        return entropy % (2**63)
    return seed


def check_paths(paths: object, chunk_paths: object, workers: object) -> None:
    """Validate run sizes before any work starts."""
    if isinstance(paths, bool) or not isinstance(paths, int) or not 1 <= paths <= MAX_PATHS:
        raise InputError(f"paths: must be a whole number from 1 to {MAX_PATHS:,}, got {paths!r}")
    if isinstance(chunk_paths, bool) or not isinstance(chunk_paths, int) or chunk_paths < BLOCK:
        raise InputError(f"chunk_paths: must be a whole number >= {BLOCK}, got {chunk_paths!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 256:
        raise InputError(f"workers: must be a whole number from 1 to 256, got {workers!r}")


def monte_carlo(
    scenario: Scenario,
    *,
    paths: int,
    seed: int | None = None,
    chunk_paths: int = BLOCK,
    workers: int = 1,
    progress: Progress | None = None,
    keep_series: bool = False,
) -> MonteCarloResults:
    """Run ``paths`` correlated paths; results depend only on ``seed`` and ``paths``.

    ``workers``: threads when the compiled engine is available (Numba), else worker
    processes; like ``chunk_paths``, it changes speed and memory, never a result.

    With ``keep_series`` the summary also holds the full per-path, per-quarter lab
    series of the fan charts (``series_<name>``, dims path and quarter); refused when
    they would take more than ``MAX_SERIES_BYTES``.
    """
    check_paths(paths, chunk_paths, workers)
    if keep_series:
        size = paths * scenario.time.n * len(BAND_SERIES) * 8
        if size > MAX_SERIES_BYTES:
            raise InputError(
                f"keep_series: {paths:,} paths of series need {size / 1e9:.1f} GB, more than "
                f"{MAX_SERIES_BYTES / 1e9:.0f} GB; use fewer paths or the quantile bands"
            )
    seed = normalize_seed(seed)
    chunks = run_chunks(
        scenario,
        seed=seed,
        paths=paths,
        chunk_paths=chunk_paths,
        workers=workers,
        progress=progress,
        keep_series=keep_series,
    )
    summaries: dict[str, np.ndarray] = {}
    sketches = {name: QuantileSketch(columns=scenario.time.n) for name in BAND_SERIES}
    for chunk in chunks:
        _collect(chunk, summaries, sketches, paths)
    return MonteCarloResults(
        scenario, seed, _summary_dataset(scenario, summaries, seed), _bands(scenario, sketches)
    )


def _collect(
    chunk: ChunkResult,
    summaries: dict[str, np.ndarray],
    sketches: dict[str, QuantileSketch],
    paths: int,
) -> None:
    """Write a chunk's per-path values in place (no copies grow with N); merge sketches."""
    start = chunk.first_block * BLOCK
    named = {**chunk.summaries, **{f"series_{k}": v for k, v in chunk.series.items()}}
    for key, arr in named.items():
        if key not in summaries:
            summaries[key] = np.empty((paths, *arr.shape[1:]), dtype=arr.dtype)
        summaries[key][start : start + arr.shape[0]] = arr
    for name, blocks in chunk.sketches.items():
        for sk in blocks:
            sketches[name].merge(sk)


_DIMS = {
    "gw_online_year_end": ("path", "year"),
    "revenue_from_lab_usd": ("path", "entity"),
    "investment_in_lab_usd": ("path", "entity"),
    "warrant_value_given_usd": ("path", "entity"),
    "stranded_usd": ("path", "entity"),
    "at_risk_usd": ("path", "entity"),
    "tranche_vested": ("path", "tranche"),
    "tranche_vest_index": ("path", "tranche"),
    "tranche_value_usd": ("path", "tranche"),
}


def _dims(key: str) -> tuple[str, ...]:
    return ("path", "quarter") if key.startswith("series_") else _DIMS.get(key, ("path",))


def _summary_dataset(s: Scenario, parts: dict[str, np.ndarray], seed: int) -> xr.Dataset:
    data = {k: (_dims(k), v) for k, v in parts.items()}
    years = [int(q[:4]) for q in s.time.labels()[3::4]]
    tranches = [f"{w.name}#{k + 1}" for w in s.deals_of(Warrant) for k in range(len(w.tranches))]
    owners = [w.name for w in s.deals_of(Warrant) for _ in w.tranches]
    ds = xr.Dataset(
        data,
        coords={
            "path": np.arange(len(data["peak_funding_gap_usd"][1])),
            "entity": [e.name for e in s.entities],
            "year": years,
            "tranche": tranches,
            "tranche_warrant": ("tranche", owners),
            "quarter": s.time.labels(),
        },
    )
    ds.attrs.update(
        scenario=s.meta.name,
        scenario_hash=s.content_hash(),
        seed=seed,
        computeloop_version=__version__,
        quarters=s.time.labels(),
    )
    return ds


def _bands(s: Scenario, sketches: dict[str, QuantileSketch]) -> xr.Dataset:
    q = np.array(BAND_QUANTILES)
    data = {name: (("quantile", "quarter"), sk.quantile(q)) for name, sk in sketches.items()}
    return xr.Dataset(data, coords={"quantile": q, "quarter": s.time.labels()})
