"""Monte Carlo throughput, peak memory and reproducibility, beside the issue's targets.

Two engines side by side on the default scenario, each run in a fresh process:

- ``numpy``: the baseline, the vectorized NumPy engine (``engine/core.py``) with the
  full per-path outputs reduced afterwards (numba switched off by
  ``COMPUTELOOP_NO_NUMBA=1``);
- ``compiled``: the Numba kernel of ``engine/fast.py`` on 1 and on 2 threads.

For N = 1e4, 1e5 (and 1e6 with ``--full``): wall time of ``monte_carlo`` (sampling,
engine and reduction; the kernel's compile or cache load and the once-per-process
PERT inverse-CDF tables are timed apart, before it), its CPU time (all threads; less
sensitive than wall time to other work on the machine), path-quarters per second and
peak resident memory. Then the JIT compile time from an
empty cache and the load time from the disk cache, and one run at two chunk sizes and
two worker counts with both engines, checked bit-identical. A STREAM triad
(a = b + s*c on arrays far larger than cache) measured in the same run gives the
machine's memory bandwidth; each engine's effective bandwidth is the bytes of the
NumPy engine's inputs and outputs per path, times N, over wall time (the same work
measure for both engines), as a fraction of it. Run with `make bench` or
`python benchmarks/bench_monte_carlo.py [--full]`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

TARGET_S_1E6 = 2.0
TARGET_MB = 1536

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from computeloop import default_scenario
from computeloop.engine import compile_inputs, fast, run_engine
from computeloop.montecarlo import monte_carlo
paths, chunk, workers = (int(a) for a in sys.argv[1:4])
s = default_scenario()
x = compile_inputs(s, 1)
per_path = sum(a.nbytes for a in vars(x).values() if hasattr(a, "nbytes"))
out = run_engine(x)
per_path += sum(v.nbytes for v in out.lab.values()) + sum(v.nbytes for v in out.deal.values())
per_path += sum(v.nbytes for v in out.entity.values())
t1 = time.perf_counter()
warm = fast.warm_up() if fast.enabled() else 0.0
t2 = time.perf_counter()
from computeloop.sampling.static import _pert_table, static_plan
for d in static_plan(s).dists:
    _pert_table(d) if type(d).__name__ == "Pert" else None
t3 = time.perf_counter()
r0 = resource.getrusage(resource.RUSAGE_SELF)
mc = monte_carlo(s, paths=paths, seed=2025, chunk_paths=chunk, workers=workers)
wall = time.perf_counter() - t3
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "wall_s": wall,
    "cpu_s": r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime,
    "warm_s": warm,
    "tables_s": t3 - t2,
    "import_s": t1 - t0,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "bytes_per_path": per_path,
    "quarters": s.time.n,
    "checksum": float(mc.summary.peak_funding_gap_usd.values.sum()),
    "first": mc.summary.revenue_total_usd.values[:1000].tolist(),
    "bands": float(mc.bands.cash.values.sum()),
}))
"""


def stream_triad(n: int = 20_000_000, repeat: int = 5) -> float:
    """Best-of bandwidth in GB/s of a = b + 3c (3 arrays of 8-byte floats moved)."""
    b = np.random.default_rng(0).random(n)
    c = np.random.default_rng(1).random(n)
    a = np.empty(n)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        np.multiply(c, 3.0, out=a)
        np.add(a, b, out=a)
        best = min(best, time.perf_counter() - t0)
    # multiply reads c, writes a; add reads a and b, writes a: 5 passes of 8 bytes.
    return 5 * 8 * n / best / 1e9


def run(
    paths: int, chunk: int = 4096, workers: int = 1, engine: str = "compiled", **env: str
) -> dict[str, float]:
    """One Monte Carlo run in a fresh process; ``engine`` is ``compiled`` or ``numpy``."""
    environ = {**os.environ, **env}
    if engine == "numpy":
        environ["COMPUTELOOP_NO_NUMBA"] = "1"
    else:
        environ.pop("COMPUTELOOP_NO_NUMBA", None)
    res = subprocess.run(
        [sys.executable, "-c", CHILD, str(paths), str(chunk), str(workers)],
        check=True,
        capture_output=True,
        text=True,
        env=environ,
    )
    out: dict[str, float] = json.loads(res.stdout)
    return out


def main() -> None:
    full = "--full" in sys.argv
    sizes = [10_000, 100_000] + ([1_000_000] if full else [])
    bw = stream_triad()
    print(f"STREAM triad (numpy, one thread): {bw:.1f} GB/s")
    load = os.getloadavg()[0]
    print(f"load average before the runs: {load:.2f} on {os.cpu_count()} cores")
    configs = [("numpy", 1), ("compiled", 1), ("compiled", 2)]
    print(
        f"{'paths':>10} {'engine':>12} {'wall s':>8} {'cpu s':>7} {'path-quarters/s':>16} "
        f"{'peak MB':>8} {'eff. GB/s':>9} {'of STREAM':>9} {'speed-up':>8}"
    )
    results: dict[tuple[int, str, int], dict[str, float]] = {}
    for n in sizes:
        for engine, workers in configs:
            if engine == "numpy" and n > 100_000 and "--baseline-1e6" not in sys.argv:
                continue  # the baseline at 1e6 takes about half a minute; opt in
            r = run(n, workers=workers, engine=engine)
            results[(n, engine, workers)] = r
            base = results.get((n, "numpy", 1))
            gbs = r["bytes_per_path"] * n / r["wall_s"] / 1e9
            speed = f"{base['wall_s'] / r['wall_s']:>7.1f}x" if base else f"{'':>8}"
            label = f"{engine}/{workers}t" if engine == "compiled" else "numpy (base)"
            print(
                f"{n:>10,} {label:>12} {r['wall_s']:>8.2f} {r['cpu_s']:>7.2f} "
                f"{n * r['quarters'] / r['wall_s']:>16,.0f} {r['peak_mb']:>8.0f} "
                f"{gbs:>9.2f} {gbs / bw:>8.1%} {speed}"
            )
    n = sizes[-1]
    best = min(results[(n, "compiled", w)]["wall_s"] for w in (1, 2))
    peak = max(r["peak_mb"] for (m, e, _), r in results.items() if e == "compiled")
    print(
        f"\n1e6 paths, compiled engine, best of 1 and 2 threads: "
        f"{best * 1_000_000 / n:.2f} s (target < {TARGET_S_1E6:.0f} s)"
        f"{'' if n == 1_000_000 else ' (extrapolated linearly from ' + f'{n:,})'}; "
        f"peak memory {peak:.0f} MB (target < {TARGET_MB} MB, flat in N)"
    )

    with tempfile.TemporaryDirectory() as cache:
        cold = run(1000, NUMBA_CACHE_DIR=cache)
        warm = run(1000, NUMBA_CACHE_DIR=cache)
    print(
        f"JIT: compile from an empty cache {cold['warm_s']:.2f} s; load from the disk cache "
        f"in a new process {warm['warm_s']:.2f} s; PERT tables {warm['tables_s']:.2f} s "
        "(once per process; none of these is in the wall times above)"
    )

    m = 20_000
    runs = {
        "compiled, chunk 4096, 1 thread": run(m, chunk=4096, workers=1),
        "compiled, chunk 16384, 1 thread": run(m, chunk=16384, workers=1),
        "compiled, chunk 8192, 2 threads": run(m, chunk=8192, workers=2),
        "numpy, chunk 4096, 1 process": run(m, chunk=4096, engine="numpy"),
        "numpy, chunk 8192, 2 processes": run(m, chunk=8192, workers=2, engine="numpy"),
    }
    ref = next(iter(runs.values()))
    keys = ("first", "checksum", "bands")
    same = all(r[k] == ref[k] for r in runs.values() for k in keys)
    print(f"{m:,} paths, identical per-path results and bands in all of these: {same}")
    for name, r in runs.items():
        print(f"  {name:<34} {r['wall_s']:6.2f} s")


if __name__ == "__main__":
    main()
