"""Monte Carlo runs: blocks of paths with their own random streams, in chunks, on workers.

Randomness: path ``i`` belongs to block ``i // BLOCK``; each block draws from its own
generator seeded by ``SeedSequence(seed, spawn_key=(block,))`` (NumPy's recommended way
to give independent streams to parallel work), always drawing a full block in a fixed
order. A path's inputs therefore depend only on the seed and its index (with
Iman-Conover correlations, on its block), so every per-path result is bit-identical
whatever the chunk size or the number of workers.
Memory is bounded by the chunk size: per-quarter series are reduced to per-path
summaries and mergeable quantile sketches before the next chunk runs.

Engines: when Numba is installed the chunk runs through the compiled kernel of
:mod:`computeloop.engine.fast`, which yields the same per-path summaries and band rows
bit for bit without building full outputs, and ``workers`` are threads (the kernel and
NumPy's random generators release the GIL). Otherwise the NumPy engine runs, and
``workers`` are processes, each sent the scenario once when it starts.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from computeloop.engine import compile_inputs, fast, run_engine
from computeloop.engine.core import EngineOutput
from computeloop.engine.inputs import EngineInputs
from computeloop.montecarlo.sketch import QuantileSketch
from computeloop.montecarlo.summaries import BAND_SERIES, band_rows, path_summaries
from computeloop.sampling.market import draw_count, market_shocks
from computeloop.sampling.static import BLOCK as BLOCK
from computeloop.sampling.static import StaticPlan, static_plan
from computeloop.scenario.model import Scenario

F = NDArray[np.float64]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ChunkResult:
    first_block: int
    summaries: dict[str, F]
    sketches: dict[str, list[QuantileSketch]]  # per series, one sketch per block
    series: dict[str, F]  # full (P, T) lab series, only when asked for


@dataclass(frozen=True)
class _Job:
    seed: int
    paths: int
    first_block: int
    blocks: int
    keep_series: bool = False


_WORKER: tuple[Scenario, StaticPlan] | None = None
"""The scenario and plan of the run, set once in each worker process."""


def _init_worker(s: Scenario, plan: StaticPlan) -> None:
    global _WORKER
    _WORKER = (s, plan)


def _run_in_worker(job: _Job) -> ChunkResult:
    assert _WORKER is not None
    return run_chunk(*_WORKER, job)


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

    Passing ``-normals`` gives the antithetic paths. With ``correlation_method:
    iman_conover`` the rows must be whole blocks from a block boundary, as
    :func:`draw_normals` gives them (the reordering works block by block).
    """
    x = inputs_from_normals(s, plan, normals)
    return x, run_engine(x)


def inputs_from_normals(s: Scenario, plan: StaticPlan, normals: F) -> EngineInputs:
    """The engine inputs of the paths that ``normals`` (rows, block-aligned) define."""
    n_market = draw_count(s)
    overrides = plan.draw(normals[:, n_market:])
    shocks = market_shocks(s, normals[:, :n_market])
    return compile_inputs(s, normals.shape[0], overrides, shocks)


def summarise(x: EngineInputs) -> tuple[dict[str, F], dict[str, F]]:
    """Per-path summaries and band rows of ``x``: compiled kernel if it can, else NumPy.

    Both engines give the same numbers bit for bit (``tests/engine/test_fast.py``).
    """
    if fast.supports(x):
        return fast.run_summaries(x)
    out = run_engine(x)
    return path_summaries(x, out), band_rows(out)


def run_chunk(s: Scenario, plan: StaticPlan, job: _Job) -> ChunkResult:
    """Sample, simulate and reduce the paths of ``job.blocks`` consecutive blocks."""
    n = min(job.blocks * BLOCK, job.paths - job.first_block * BLOCK)
    sizes = [min(BLOCK, n - i) for i in range(0, n, BLOCK)]
    x = inputs_from_normals(s, plan, draw_normals(s, plan, job.seed, job.first_block, n))
    summaries, rows = summarise(x)
    bounds = np.cumsum([0, *sizes])
    sketches: dict[str, list[QuantileSketch]] = {name: [] for name in BAND_SERIES}
    for name in BAND_SERIES:
        for lo, hi in itertools.pairwise(bounds):
            sk = QuantileSketch(columns=x.quarters)
            sk.add(rows[name][lo:hi])
            sketches[name].append(sk)
    series = {name: rows[name].copy() for name in BAND_SERIES} if job.keep_series else {}
    return ChunkResult(job.first_block, summaries, sketches, series)


def _jobs(seed: int, paths: int, chunk_paths: int, keep_series: bool) -> Iterator[_Job]:
    blocks = -(-paths // BLOCK)
    per_chunk = max(1, chunk_paths // BLOCK)
    for first in range(0, blocks, per_chunk):
        yield _Job(seed, paths, first, min(per_chunk, blocks - first), keep_series)


def _in_order(
    pool: Executor, fn: Callable[[_Job], ChunkResult], jobs: list[_Job], ahead: int
) -> Iterator[ChunkResult]:
    """``pool.map`` in job order, with at most ``ahead`` jobs submitted but not yet taken."""
    pending: deque[Future[ChunkResult]] = deque()
    it = iter(jobs)
    for job in itertools.islice(it, ahead):
        pending.append(pool.submit(fn, job))
    while pending:
        r = pending.popleft().result()
        for job in itertools.islice(it, 1):
            pending.append(pool.submit(fn, job))
        yield r


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
    """Run every chunk, serially or on ``workers`` threads/processes, in block order.

    At most ``2 * workers`` chunks are in flight, so memory stays bounded by the chunk size.
    """
    plan = static_plan(s)
    jobs = list(_jobs(seed, paths, chunk_paths, keep_series))
    run = functools.partial(run_chunk, s, plan)
    if workers <= 1:
        yield from _report(map(run, jobs), paths, progress)
        return
    if fast.enabled():
        fast.warm_up()  # compile or load once, before the threads need it
        with ThreadPoolExecutor(max_workers=workers) as threads:
            yield from _report(_in_order(threads, run, jobs, 2 * workers), paths, progress)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(s, plan)
    ) as pool:
        yield from _report(_in_order(pool, _run_in_worker, jobs, 2 * workers), paths, progress)


def _report(
    results: Iterator[ChunkResult], paths: int, progress: Progress | None
) -> Iterator[ChunkResult]:
    done = 0
    for r in results:
        done += len(next(iter(r.summaries.values())))
        if progress:
            progress(done, paths)
        yield r
