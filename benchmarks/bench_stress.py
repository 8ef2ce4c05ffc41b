"""Stress benchmarks: clearing vectorised over scenarios versus a plain fixed-point loop.

1. Eisenberg-Noe clearing of a 1,000-node random network (1% density), for one shock
   scenario and for 100 at once, beside ``clear_loop`` (plain Python loops over nodes,
   no NumPy), the baseline.
2. The default scenario's ``lab-cut-50`` and ``missed-lease-payment`` stresses under
   100,000 Monte Carlo paths: the whole stress (two engine runs per path, losses,
   clearing, DebtRank, industry), and the second's clearing step (every quarter from
   the shock, 9 nodes), vectorised over paths beside the same clearing with
   ``clear_loop`` run path by path and quarter by quarter (timed on 1,000 paths and
   scaled to 100,000).

Run: ``python benchmarks/bench_stress.py`` (about two minutes).
"""

from __future__ import annotations

import resource
import time

import numpy as np

from computeloop import default_scenario
from computeloop.montecarlo.runner import draw_normals
from computeloop.sampling.static import static_plan
from computeloop.stress import clear, clear_loop, preset, run_stress
from computeloop.stress.losses import ClearingAssumptions, clear_quarters, obligations
from computeloop.stress.run import stressed_paths
from computeloop.stress.shocks import apply_stress


def _timed(fn: object) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()  # type: ignore[operator]
    return time.perf_counter() - t0, out


def random_network(n: int, density: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mask = rng.uniform(size=(n, n)) < density
    liab = rng.lognormal(0.0, 1.0, (n, n)) * mask * (1 - np.eye(n))
    assets = rng.uniform(0.0, 1.2, n) * liab.sum(axis=1)
    return liab, assets


def bench_network() -> None:
    n = 1_000
    liab, assets = random_network(n, 0.01, seed=1)
    shocks = assets[None, :] * np.linspace(1.0, 0.5, 100)[:, None]
    t_one, c1 = _timed(lambda: clear(liab, assets, tol=1e-10))
    t_many, cm = _timed(lambda: clear(liab, shocks, tol=1e-10))
    t_loop, p_loop = _timed(lambda: clear_loop(liab.tolist(), assets.tolist(), tol=1e-10))
    gap = float(np.max(np.abs(np.asarray(p_loop) - c1.payments[0])))  # type: ignore[attr-defined]
    print(f"1. clearing, {n:,}-node random network, 1% density")
    print(f"{'':34}{'vectorised s':>14}{'plain loop s':>14}{'speed-up':>10}")
    print(f"{'one scenario':34}{t_one:>14.4f}{t_loop:>14.4f}{t_loop / t_one:>9.0f}x")
    print(
        f"{'100 scenarios (loop: 100 x one)':34}{t_many:>14.4f}{100 * t_loop:>14.2f}"
        f"{100 * t_loop / t_many:>9.0f}x"
    )
    defaults = int(c1.defaulted.sum())  # type: ignore[attr-defined]
    worst = int(cm.defaulted[-1].sum())  # type: ignore[attr-defined]
    print(
        f"   defaults: {defaults} at no shock, {worst} at a 50% asset shock; "
        f"max |vectorised - loop| = {gap:.1e}"
    )


def _loop_quarters(
    L: list[list[list[float]]], lab_assets: list[float], cash0: list[float], lab: int
) -> list[float]:
    """One path's quarter-by-quarter clearing in plain Python: what each node receives."""
    n = len(cash0)
    cash = list(cash0)
    received = [0.0] * n
    for q, liab in enumerate(L):
        assets = list(cash)
        assets[lab] = lab_assets[q]
        p = clear_loop(liab, assets)
        pbar = [sum(row) for row in liab]
        got = [sum(liab[j][i] / pbar[j] * p[j] for j in range(n) if pbar[j] > 0) for i in range(n)]
        for i in range(n):
            received[i] += got[i]
            cash[i] = 0.0 if i == lab else max(assets[i] + got[i] - p[i], 0.0)
    return received


def bench_default_stress(paths: int = 100_000, sample: int = 1_000) -> None:
    s = default_scenario()
    t_cut, cut = _timed(lambda: run_stress(s, preset("lab-cut-50"), paths=paths, seed=1))
    nvidia = cut.to_json()["entities"]["NVIDIA"]["losses_usd"]  # type: ignore[attr-defined]
    stress = preset("missed-lease-payment")
    t_all, r = _timed(lambda: run_stress(s, stress, paths=paths, seed=1))
    nv = r.to_json()["entities"]["SoftBank"]  # type: ignore[attr-defined]
    # The clearing step alone (every quarter from the shock on), on `sample` paths.
    ap = apply_stress(s, stress)
    plan = static_plan(s)
    normals = draw_normals(s, plan, 1, 0, sample)
    stressed = stressed_paths(s, ap, plan, normals)
    lab = stressed[0].lab
    ca = ClearingAssumptions()
    L, lab_assets = obligations(s, ap, stressed, ca, True)
    cash0 = [e.cash_usd.value if e.kind == "builder" else 0.0 for e in s.entities]
    cash0 += [0.0] * (L.shape[-1] - len(cash0))
    reps = paths // sample
    t_vec, vec = _timed(lambda: [clear_quarters(s, lab, L, lab_assets, ca) for _ in range(reps)])
    t_loop, loop = _timed(
        lambda: [
            _loop_quarters(L[i].tolist(), lab_assets[i].tolist(), cash0, lab) for i in range(sample)
        ]
    )
    owed = L.sum(axis=(1, 2))
    got_vec = owed - vec[0]["shortfall"]  # type: ignore[index]
    gap = float(np.max(np.abs(np.asarray(loop) - got_vec)) / max(float(owed.max()), 1.0))
    t_loop *= reps
    quarters = L.shape[1]
    print(f"\n2. default scenario, {paths:,} Monte Carlo paths (seed 1)")
    print(
        f"   lab-cut-50, whole stress: {t_cut:.1f} s ({1e6 * t_cut / paths:.0f} us/path); "
        f"NVIDIA loss {nvidia['total'] / 1e9:.2f}B +- {nvidia['total_stderr'] / 1e9:.2f}B"
    )
    print("   missed-lease-payment:")
    print(
        f"   whole stress (baseline and stressed engine runs, losses, clearing, DebtRank, "
        f"industry): {t_all:.1f} s ({1e6 * t_all / paths:.0f} us/path)"
    )
    print(
        f"   SoftBank: default probability {nv['default_probability']:.3f}, "
        f"unpaid loss {nv['losses_usd']['unpaid'] / 1e9:.2f}B "
        f"+- {nv['losses_usd']['unpaid_stderr'] / 1e9:.2f}B"
    )
    print(
        f"{f'   clearing, {quarters} quarters x 9 nodes':34}{'vectorised s':>14}"
        f"{'plain loop s*':>15}{'speed-up':>10}"
    )
    print(f"{'':34}{t_vec:>14.3f}{t_loop:>15.2f}{t_loop / t_vec:>9.0f}x")
    print(f"   * loop timed on {sample:,} paths, times {reps}; max relative difference {gap:.1e}")


def main() -> None:
    bench_network()
    bench_default_stress()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
