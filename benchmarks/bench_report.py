"""Report cost beyond the run itself, and HTML size against the number of paths.

For the default scenario: the Monte Carlo run (1e5 paths) and its risk summary are
timed as "the run"; then, separately, building the report (charts from the results,
the deterministic run and reconciliation it shows), writing the HTML and writing the
PNGs. The HTML file size is printed for several path counts: it holds quantile
bands and per-tranche odds, never per-path data, so it should not grow with N.
Run with `make bench` or `python benchmarks/bench_report.py [--paths N]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from computeloop import default_scenario, simulate
from computeloop.analysis.reconcile import reconcile_results
from computeloop.api import summarize_monte_carlo
from computeloop.montecarlo import monte_carlo
from computeloop.report import build_report, write_html, write_pngs


def timed(label: str, fn, *args, **kw):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    dt = time.perf_counter() - t0
    print(f"  {label:<44} {dt:7.2f} s")
    return out, dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=2025)
    args = ap.parse_args()
    s = default_scenario()
    print(f"report for {args.paths:,} paths (default scenario, seed {args.seed})")
    print("the run itself:")
    mc, t_mc = timed("monte_carlo", monte_carlo, s, paths=args.paths, seed=args.seed)
    mcs, t_sum = timed("summarize_monte_carlo (risk metrics)", summarize_monte_carlo, mc)
    print("beyond the run:")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results, t_det = timed("deterministic run for the loop and tables", simulate, s)
        rec, t_rec = timed("reconciliation", reconcile_results, results)
        rep, t_build = timed(
            "build_report (chart specs)",
            build_report,
            results,
            mc=mc,
            mc_summary=mcs,
            reconciliation=rec,
        )
        _, t_html = timed("write_html", write_html, rep, root / "report.html")
        size = (root / "report.html").stat().st_size
        _, t_png = timed("write_pngs (all charts)", write_pngs, rep, root / "png")
        beyond = t_det + t_rec + t_build + t_html
        print(
            f"  => HTML report {beyond:.2f} s beyond the run ({t_mc + t_sum:.2f} s); "
            f"with PNGs {beyond + t_png:.2f} s; HTML {size / 1e6:.2f} MB"
        )
        print("HTML size against paths:")
        for n in (4_096, 20_000, args.paths):
            m = mc if n == args.paths else monte_carlo(s, paths=n, seed=args.seed)
            r = build_report(results, mc=m, reconciliation=rec)
            write_html(r, root / f"r{n}.html")
            print(f"  {n:>9,} paths: {(root / f'r{n}.html').stat().st_size:>10,} bytes")


if __name__ == "__main__":
    main()
