"""Engine throughput: vectorized paths versus a per-path loop (the baseline).

Prints wall time and path-quarters per second for the default scenario at
several path counts, beside the same work done one path at a time, so the gain
from vectorizing over paths is measured in one run. Run with `make bench`.
"""

from __future__ import annotations

import resource
import time

from computeloop import default_scenario
from computeloop.engine import compile_inputs, run_engine


def _best_of(fn: object, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    s = default_scenario()
    quarters = s.time.n
    print(f"default scenario, {quarters} quarters, {len(s.deals)} deals")
    print(
        f"{'paths':>8} {'vectorized s':>13} {'per-path loop s*':>16} {'speed-up':>9} "
        f"{'path-quarters/s':>16}"
    )
    one = compile_inputs(s, 1)
    # Baseline: the engine run one path at a time, timed over 50 consecutive runs.
    single = _best_of(lambda: [run_engine(one) for _ in range(50)], 3) / 50
    for paths in (1, 100, 1_000, 10_000, 100_000):
        x = compile_inputs(s, paths)
        vec = _best_of(lambda x=x: run_engine(x), 3 if paths <= 10_000 else 1)
        loop = single * paths  # measured cost of one path, times the number of paths
        print(
            f"{paths:>8,} {vec:>13.4f} {loop:>16.4f} {loop / vec:>8.1f}x "
            f"{paths * quarters / vec:>16,.0f}"
        )
    print("* one path timed (50 runs), times the path count")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
