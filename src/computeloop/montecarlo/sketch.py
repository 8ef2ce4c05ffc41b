"""A mergeable quantile summary for per-quarter fan charts over millions of paths.

Each block of paths is summarised by its empirical quantiles on a fixed grid of
``levels`` probabilities, each point carrying ``n / levels`` of weight; summaries
merge by pooling weighted points, and are compacted back to the grid when they grow.
This is the fixed-grid variant of the quantile summaries of Greenwald and Khanna
(SIGMOD 2001): the rank error of each compaction is at most ``1 / levels``, so with
the default 1001 levels a quantile is off by at most a few tenths of a percentile.
Merging in block order makes the result independent of how blocks were grouped into
chunks or spread over workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

F = NDArray[np.float64]
LEVELS = 1001


@dataclass
class QuantileSketch:
    """Weighted points per column (quarter); ``add`` rows of values, ``quantile`` to read."""

    columns: int
    levels: int = LEVELS
    points: list[F] = field(default_factory=list)  # each (k, columns)
    weights: list[float] = field(default_factory=list)  # weight of each point in a batch

    def add(self, values: F) -> None:
        """Summarise a block of rows ``(n, columns)`` and pool it."""
        n = values.shape[0]
        if n == 0:
            return
        grid = np.linspace(0.0, 1.0, min(self.levels, n))
        self.points.append(_grid_quantiles(values, grid))
        self.weights.append(n / grid.size)
        if sum(p.shape[0] for p in self.points) > 8 * self.levels:
            self._compact()

    def merge(self, other: QuantileSketch) -> None:
        self.points.extend(other.points)
        self.weights.extend(other.weights)
        if sum(p.shape[0] for p in self.points) > 8 * self.levels:
            self._compact()

    def quantile(self, q: F) -> F:
        """Quantiles ``q`` (shape (m,)) per column: shape (m, columns)."""
        pts = np.concatenate(self.points, axis=0)
        w = np.concatenate(
            [np.full(p.shape[0], wt) for p, wt in zip(self.points, self.weights, strict=True)]
        )
        order = np.argsort(pts, axis=0, kind="stable")
        sorted_pts = np.take_along_axis(pts, order, axis=0)
        cum = np.cumsum(w[order], axis=0)
        ranks = (cum - 0.5 * w[order]) / w.sum()
        out = np.empty((q.size, self.columns))
        for c in range(self.columns):
            out[:, c] = np.interp(q, ranks[:, c], sorted_pts[:, c])
        return out

    def _compact(self) -> None:
        total = sum(wt * p.shape[0] for p, wt in zip(self.points, self.weights, strict=True))
        grid = np.linspace(0.0, 1.0, self.levels)
        self.points = [self.quantile(grid)]
        self.weights = [total / self.levels]


def _grid_quantiles(values: F, grid: F) -> F:
    """``np.quantile(values, grid, axis=0)`` (linear method), by one sort per column."""
    ordered = np.sort(values, axis=0)
    pos = grid * (values.shape[0] - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, values.shape[0] - 1)
    frac = (pos - lo)[:, None]
    out: F = ordered[lo] * (1.0 - frac) + ordered[hi] * frac
    return out
