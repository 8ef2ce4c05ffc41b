"""Engine throughput: vectorized NumPy paths, a per-path loop, and the compiled kernel.

Prints wall time and path-quarters per second for the default scenario at several
path counts: the NumPy engine over all paths at once (``engine/core.py``, plus the
reduction to per-path summaries a Monte Carlo run needs), the same work done one path
at a time (the original baseline), and the Numba kernel of ``engine/fast.py``, which
gives the same summaries bit for bit without building full outputs. Inputs are
compiled once per size and are not timed. Run with `make bench`.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable

from computeloop import default_scenario
from computeloop.engine import compile_inputs, fast, run_engine
from computeloop.montecarlo.summaries import band_rows, path_summaries


def _best_of(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    s = default_scenario()
    quarters = s.time.n
    print(f"default scenario, {quarters} quarters, {len(s.deals)} deals")
    compiled = fast.enabled()
    if compiled:
        print(f"compiled kernel ready in {fast.warm_up():.2f} s (compile or disk-cache load)")
    print(
        f"{'paths':>8} {'numpy s':>9} {'per-path loop s*':>16} {'compiled s':>11} "
        f"{'numpy pq/s':>12} {'compiled pq/s':>14} {'vs numpy':>9}"
    )
    one = compile_inputs(s, 1)
    # Baseline: the engine run one path at a time, timed over 50 consecutive runs.
    single = _best_of(lambda: [run_engine(one) for _ in range(50)], 3) / 50
    for paths in (1, 100, 1_000, 10_000, 100_000):
        x = compile_inputs(s, paths)
        repeat = 3 if paths <= 10_000 else 1

        def numpy_run(x: object = x) -> object:
            out = run_engine(x)  # type: ignore[arg-type]
            return path_summaries(x, out), band_rows(out)  # type: ignore[arg-type]

        vec = _best_of(numpy_run, repeat)
        loop = single * paths  # measured cost of one path, times the number of paths
        kern = _best_of(lambda x=x: fast.run_summaries(x), repeat) if compiled else float("nan")
        print(
            f"{paths:>8,} {vec:>9.4f} {loop:>16.4f} {kern:>11.4f} "
            f"{paths * quarters / vec:>12,.0f} {paths * quarters / kern:>14,.0f} "
            f"{vec / kern:>8.1f}x"
        )
    print("* one path timed (50 runs), times the path count; pq/s: path-quarters per second")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
