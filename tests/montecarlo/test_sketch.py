"""The mergeable quantile sketch against exact quantiles."""

from __future__ import annotations

import numpy as np

from computeloop.montecarlo.sketch import QuantileSketch


def test_merged_sketch_matches_exact_quantiles_within_its_rank_error() -> None:
    rng = np.random.default_rng(3)
    data = rng.lognormal(size=(50 * 4096, 3))
    sk = QuantileSketch(columns=3)
    for block in np.array_split(data, 50):
        part = QuantileSketch(columns=3)
        part.add(block)
        sk.merge(part)
    q = np.array([0.05, 0.5, 0.95])
    approx = sk.quantile(q)
    # Compare ranks: the approximate quantile sits within 0.5 percentile of q.
    for c in range(3):
        ranks = (data[:, c][:, None] <= approx[:, c]).mean(axis=0)
        assert np.all(np.abs(ranks - q) < 0.005)


def test_merge_order_fixed_gives_identical_results() -> None:
    rng = np.random.default_rng(4)
    blocks = [rng.normal(size=(4096, 2)) for _ in range(20)]

    def build() -> np.ndarray:
        sk = QuantileSketch(columns=2)
        for b in blocks:
            part = QuantileSketch(columns=2)
            part.add(b)
            sk.merge(part)
        return sk.quantile(np.array([0.1, 0.9]))

    assert np.array_equal(build(), build())
