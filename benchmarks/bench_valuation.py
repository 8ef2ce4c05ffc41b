"""Valuation throughput and variance reduction on 1e6 paths, in one run.

Values the default scenario's AMD warrant and NVIDIA equity tranches on N paths
(default 1,000,000; ``--paths`` to change) twice: plain Monte Carlo and antithetic
pairs (N engine paths each). For each it prints wall time and paths per second, then
the standard error of the warrant's fair value (total and per tranche) for the four
estimators, side by side, both as measured and scaled to equal time (the plain run's
time; s.e. scales with one over the square root of the work):

- plain: the sample mean of the plain run;
- antithetic: the mean over mirrored pairs;
- plain + controls: the plain run with the martingale control variates;
- antithetic + controls: both.

Run with ``python benchmarks/bench_valuation.py [--paths N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from computeloop import default_scenario
from computeloop.valuation import stats
from computeloop.valuation.monte_carlo import Claims, Settings, simulate_claims


def _run(paths: int, seed: int, antithetic: bool) -> tuple[Claims, float]:
    t0 = time.perf_counter()
    c = simulate_claims(
        default_scenario(),
        paths=paths,
        seed=seed,
        settings=Settings(antithetic=antithetic, chunk_paths=4 * 4096),
    )
    return c, time.perf_counter() - t0


def _estimates(c: Claims) -> dict[str, list[tuple[float, float]]]:
    value = c.warrant("amd-warrant", "value")
    controls = c.warrant("amd-warrant", "controls")
    cols = [value.sum(axis=2)] + [value[..., k] for k in range(value.shape[2])]
    plain = [stats.mean(x) for x in cols]
    cv = [stats.controlled_mean(x, controls) for x in cols]
    return {
        "mc": [(d["mean"], d["mean_stderr"]) for d in plain],
        "cv": [(d["mean"], d["mean_stderr"]) for d in cv],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2025)
    args = ap.parse_args()
    runs = {}
    _run(8192, args.seed, True)  # warm-up: imports, compiled kernels, caches
    for anti in (False, True):
        c, wall = _run(args.paths, args.seed, anti)
        t0 = time.perf_counter()
        est = _estimates(c)
        post = time.perf_counter() - t0
        label = "antithetic" if anti else "plain"
        runs[label] = (c, wall, post, est)
        print(
            f"{label:>10}: {c.paths:,} engine paths in {wall:.1f} s "
            f"({c.paths / wall:,.0f} paths/s); control-variate regression {post:.2f} s"
        )
    base = runs["plain"][1]
    rows = [
        ("plain", runs["plain"], "mc"),
        ("antithetic", runs["antithetic"], "mc"),
        ("plain + controls", runs["plain"], "cv"),
        ("antithetic + controls", runs["antithetic"], "cv"),
    ]
    names = ["total", *(f"tranche {k}" for k in range(1, 6))]
    print("\nAMD warrant fair value, $B: estimate ± s.e. (s.e. at the plain run's time)")
    print(f"{'estimator':<22}" + "".join(f"{n:>26}" for n in names))
    ref = None
    for label, (_, wall, post, est), key in rows:
        scale = math.sqrt((wall + (post if key == "cv" else 0.0)) / base)
        cells = [f"{m / 1e9:8.3f} ± {s / 1e9:.4f} ({s * scale / 1e9:.4f})" for m, s in est[key]]
        print(f"{label:<22}" + "".join(f"{c:>26}" for c in cells))
        se_eq = np.array([s * scale for _, s in est[key]])
        if ref is None:
            ref = se_eq
        gain = (ref / se_eq) ** 2
        print(f"{'  gain at equal time':<22}" + "".join(f"{g:>25.2f}x" for g in gain))


if __name__ == "__main__":
    main()
