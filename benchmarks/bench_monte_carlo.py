"""Monte Carlo throughput, peak memory and reproducibility, beside the issue's targets.

For N = 1e4, 1e5 (and 1e6 with --full) paths of the default scenario, each in a fresh
process: wall time, path-quarters per second and peak resident memory. Then the same
run at two chunk sizes and two worker counts, checked bit-identical. A STREAM triad
(a = b + s*c on arrays far larger than cache) measured in the same run gives the
machine's memory bandwidth; the engine's effective bandwidth is reported as a
fraction of it (bytes of engine inputs and outputs touched per path-quarter, counted
from the arrays, over wall time). Run with `make bench` or `python
benchmarks/bench_monte_carlo.py [--full]`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np

TARGET_S_1E6 = 2.0
TARGET_MB = 1536


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


CHILD = """
import json, resource, sys, time
from computeloop import default_scenario
from computeloop.engine import compile_inputs, run_engine
from computeloop.montecarlo import monte_carlo
paths, chunk, workers = (int(a) for a in sys.argv[1:4])
s = default_scenario()
t0 = time.perf_counter()
mc = monte_carlo(s, paths=paths, seed=2025, chunk_paths=chunk, workers=workers)
wall = time.perf_counter() - t0
x = compile_inputs(s, 1)
out = run_engine(x)
per_path = sum(v.nbytes for v in out.lab.values()) + sum(v.nbytes for v in out.deal.values())
per_path += sum(v.nbytes for v in out.entity.values())
print(json.dumps({
    "wall_s": wall,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "bytes_per_path": per_path,
    "checksum": float(mc.summary.peak_funding_gap_usd.values.sum()),
    "first": mc.summary.revenue_total_usd.values[:1000].tolist(),
}))
"""


def run(paths: int, chunk: int = 4096, workers: int = 1) -> dict[str, float]:
    res = subprocess.run(
        [sys.executable, "-c", CHILD, str(paths), str(chunk), str(workers)],
        check=True,
        capture_output=True,
        text=True,
    )
    out: dict[str, float] = json.loads(res.stdout)
    return out


def main() -> None:
    sizes = [10_000, 100_000] + ([1_000_000] if "--full" in sys.argv else [])
    bw = stream_triad()
    print(f"STREAM triad (numpy): {bw:.1f} GB/s")
    print(
        f"{'paths':>10} {'wall s':>8} {'path-quarters/s':>16} {'peak MB':>8} "
        f"{'engine GB/s':>11} {'of STREAM':>9}"
    )
    results = {}
    for n in sizes:
        r = run(n)
        results[n] = r
        gbs = r["bytes_per_path"] * n / r["wall_s"] / 1e9
        print(
            f"{n:>10,} {r['wall_s']:>8.2f} {n * 32 / r['wall_s']:>16,.0f} "
            f"{r['peak_mb']:>8.0f} {gbs:>11.2f} {gbs / bw:>8.1%}"
        )
    n = sizes[-1]
    per_million = results[n]["wall_s"] * 1_000_000 / n
    print(
        f"\n1e6 paths: {per_million:.1f} s (target < {TARGET_S_1E6:.0f} s)"
        f"{'' if n == 1_000_000 else ' (extrapolated linearly from ' + f'{n:,})'}; "
        f"peak memory {max(r['peak_mb'] for r in results.values()):.0f} MB "
        f"(target < {TARGET_MB} MB, flat in N)"
    )
    a = run(20_000, chunk=4096, workers=1)
    b = run(20_000, chunk=16384, workers=1)
    c = run(20_000, chunk=8192, workers=2)
    same = (
        a["first"] == b["first"] == c["first"] and a["checksum"] == b["checksum"] == c["checksum"]
    )
    print(f"20,000 paths, chunks 4096/16384 and 2 workers: identical per-path results: {same}")
    print(f"  wall: 1 worker {b['wall_s']:.2f} s, 2 workers {c['wall_s']:.2f} s")


if __name__ == "__main__":
    main()
