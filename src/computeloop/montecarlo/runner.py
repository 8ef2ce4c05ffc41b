"""Monte Carlo runs: blocks of paths with their own random streams, in chunks, on workers.

Randomness: path ``i`` belongs to block ``i // BLOCK``; each block draws from its own
generator seeded by ``SeedSequence(seed, spawn_key=(block,))`` (NumPy's recommended way
to give independent streams to parallel work), always drawing a full block in a fixed
order. A path's inputs therefore depend only on the seed and its index, so every
per-path result is bit-identical whatever the chunk size or the number of workers.
Memory is bounded by the chunk size: per-quarter series are reduced to per-path
summaries and mergeable quantile sketches before the next chunk runs.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from computeloop.engine import compile_inputs, run_engine
from computeloop.engine.core import EngineOutput
from computeloop.engine.inputs import EngineInputs
from computeloop.montecarlo.sketch import QuantileSketch
from computeloop.montecarlo.summaries import BAND_SERIES, band_rows, path_summaries
from computeloop.sampling.market import draw_count, market_shocks
from computeloop.sampling.static import StaticPlan, static_plan
from computeloop.scenario.model import Scenario

F = NDArray[np.float64]
BLOCK = 4096
"""Paths per random-stream block; chunks are whole numbers of blocks."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ChunkResult:
    first_block: int
    summaries: dict[str, F]
    sketches: dict[str, list[QuantileSketch]]  # per series, one sketch per block
    series: dict[str, F]  # full (P, T) lab series, only when asked for


@dataclass(frozen=True)
class _Job:
    scenario: Scenario
    plan: StaticPlan
    seed: int
    paths: int
    first_block: int
    blocks: int
    keep_series: bool = False


def block_normals(seed: int, block: int, n: int, columns: int) -> F:
    """The standard normals of one block: ``(n, columns)`` of a full ``BLOCK`` draw."""
    seq = np.random.SeedSequence(seed, spawn_key=(block,))
    rng = np.random.Generator(np.random.PCG64(seq))
    return rng.standard_normal((BLOCK, columns))[:n]


def draw_normals(s: Scenario, plan: StaticPlan, seed: int, first_block: int, paths: int) -> F:
    """The standard normals behind paths ``first_block * BLOCK`` onwards (``paths`` rows).

    Row ``i`` is path ``first_block * BLOCK + i`` of a Monte Carlo run with ``seed``:
    the same numbers whatever the chunking. Columns: market draws, then static draws.
    """
    columns = draw_count(s) + plan.columns
    total = first_block * BLOCK + paths
    parts = []
    for b in range(first_block, -(-total // BLOCK)):
        parts.append(block_normals(seed, b, min(BLOCK, total - b * BLOCK), columns))
    return np.concatenate(parts, axis=0) if parts else np.zeros((0, columns))


def paths_from_normals(
    s: Scenario, plan: StaticPlan, normals: F
) -> tuple[EngineInputs, EngineOutput]:
    """Engine inputs and full outputs for the paths that ``normals`` (rows) define.

    Passing ``-normals`` gives the antithetic paths.
    """
    n_market = draw_count(s)
    overrides = plan.draw(normals[:, n_market:])
    shocks = market_shocks(s, normals[:, :n_market])
    x = compile_inputs(s, normals.shape[0], overrides, shocks)
    return x, run_engine(x)


def run_chunk(job: _Job) -> ChunkResult:
    """Sample, simulate and reduce the paths of ``job.blocks`` consecutive blocks."""
    s, plan = job.scenario, job.plan
    n = min(job.blocks * BLOCK, job.paths - job.first_block * BLOCK)
    sizes = [min(BLOCK, n - i) for i in range(0, n, BLOCK)]
    x, out = paths_from_normals(s, plan, draw_normals(s, plan, job.seed, job.first_block, n))
    rows = band_rows(out)
    bounds = np.cumsum([0, *sizes])
    sketches: dict[str, list[QuantileSketch]] = {name: [] for name in BAND_SERIES}
    for name in BAND_SERIES:
        for lo, hi in itertools.pairwise(bounds):
            sk = QuantileSketch(columns=x.quarters)
            sk.add(rows[name][lo:hi])
            sketches[name].append(sk)
    series = {name: rows[name].copy() for name in BAND_SERIES} if job.keep_series else {}
    return ChunkResult(job.first_block, path_summaries(x, out), sketches, series)


def _jobs(
    s: Scenario, seed: int, paths: int, chunk_paths: int, keep_series: bool
) -> Iterator[_Job]:
    plan = static_plan(s)
    blocks = -(-paths // BLOCK)
    per_chunk = max(1, chunk_paths // BLOCK)
    for first in range(0, blocks, per_chunk):
        yield _Job(s, plan, seed, paths, first, min(per_chunk, blocks - first), keep_series)


def run_chunks(
    s: Scenario,
    *,
    seed: int,
    paths: int,
    chunk_paths: int,
    workers: int,
    progress: Progress | None = None,
    keep_series: bool = False,
) -> Iterator[ChunkResult]:
    """Run every chunk, serially or on ``workers`` processes, yielding in block order."""
    jobs = list(_jobs(s, seed, paths, chunk_paths, keep_series))
    done = 0
    if workers <= 1:
        results: Iterator[ChunkResult] = map(run_chunk, jobs)
        for r in results:
            done += len(next(iter(r.summaries.values())))
            if progress:
                progress(done, paths)
            yield r
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for r in pool.map(run_chunk, jobs):
            done += len(next(iter(r.summaries.values())))
            if progress:
                progress(done, paths)
            yield r
