"""Monte Carlo estimates with standard errors, for plain or antithetic samples.

Samples are arrays shaped ``(units, m, ...)``: ``m = 1`` for plain Monte Carlo (a unit
is a path) and ``m = 2`` for antithetic variates (a unit is a pair of mirrored paths,
whose mean is one independent draw; Glasserman, *Monte Carlo Methods in Financial
Engineering*, 2003, sec. 4.2). Control variates with known mean zero are applied by
regression on unit means (Glasserman 2003, sec. 4.1.2, multiple controls). Means and
probabilities: the spread of unit means (less the fitted controls) over
``sqrt(units)``. Quantiles: batch means over ``BATCHES`` interleaved batches of units
(as in :mod:`computeloop.analysis.risk`). Ratios of means: the delta method
(Glasserman 2003, sec. 4.1.1 on ratio estimators).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

F = NDArray[np.float64]
BATCHES = 32


def mean(x: F) -> dict[str, float]:
    """``mean`` and ``mean_stderr`` of a ``(units, m)`` sample.

    >>> mean(np.array([[1.0], [3.0]]))
    {'mean': 2.0, 'mean_stderr': 1.0}
    """
    units = x.reshape(x.shape[0], -1).mean(axis=1)
    n = units.shape[0]
    se = float(units.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return {"mean": float(units.mean()), "mean_stderr": se}


def probability(x: F) -> dict[str, float]:
    """``p`` and ``p_stderr``: the mean of per-path probabilities (or indicators)."""
    m = mean(x)
    return {"p": m["mean"], "p_stderr": m["mean_stderr"]}


def describe(x: F) -> dict[str, float]:
    """Mean and p5/p50/p95 over all paths, each with its standard error."""
    out = mean(x)
    n = x.shape[0]
    for q in (5, 50, 95):
        out[f"p{q}"] = float(np.quantile(x, q / 100))
        if n >= 2 * BATCHES:
            vals = [float(np.quantile(x[b::BATCHES], q / 100)) for b in range(BATCHES)]
            out[f"p{q}_stderr"] = float(np.std(vals, ddof=1) / math.sqrt(BATCHES))
        else:
            out[f"p{q}_stderr"] = math.nan
    return out


def ratio(num: F, den: F) -> dict[str, float]:
    """``ratio = mean(num) / mean(den)`` and its delta-method standard error."""
    a = num.reshape(num.shape[0], -1).mean(axis=1)
    b = den.reshape(den.shape[0], -1).mean(axis=1)
    n = a.shape[0]
    bbar = float(b.mean())
    if bbar == 0.0:
        return {"ratio": math.nan, "ratio_stderr": math.nan}
    r = float(a.mean()) / bbar
    resid = a - r * b
    se = float(resid.std(ddof=1) / (math.sqrt(n) * abs(bbar))) if n > 1 else math.nan
    return {"ratio": r, "ratio_stderr": se}


def variance_ratio(x: F) -> float:
    """Variance reduction of an antithetic sample at equal engine paths.

    ``Var(one path) / (2 Var(pair mean))``: how many times more plain paths than
    antithetic paths give the same standard error (1 for a plain sample; NaN when the
    pair means do not vary).
    """
    if x.shape[1] < 2 or x.shape[0] < 2:
        return 1.0 if x.shape[1] < 2 else math.nan
    flat = x.reshape(x.shape[0], -1)
    per_path = float(flat.var(ddof=1))
    pair = float(flat.mean(axis=1).var(ddof=1))
    return per_path / (2.0 * pair) if pair > 0 else math.nan


def controlled_mean(y: F, controls: F) -> dict[str, float]:
    """Mean of ``y`` (units, m) with control variates ``controls`` (units, m, J) of mean 0.

    ``beta`` is the least-squares fit of the unit means of ``y`` on those of the controls;
    the estimate is ``mean(y) - beta . mean(controls)`` and its standard error is the
    residuals' spread over ``sqrt(units - J - 1)``. ``gain`` is the variance reduction
    against plain Monte Carlo with as many engine paths (antithetic pairs included).
    Falls back to :func:`mean` when there are no usable controls or too few units.
    """
    n, m = y.shape[0], y.shape[1]
    yu = y.reshape(n, m, -1).mean(axis=(1, 2))
    cu = controls.mean(axis=1) if controls.size else np.zeros((n, 0))
    keep = cu.std(axis=0) > 0 if cu.shape[1] else np.zeros(0, dtype=bool)
    cu = cu[:, keep]
    j = cu.shape[1]
    plain_var = float(y.var(ddof=1)) if y.size > 1 else math.nan
    if j == 0 or n <= j + 2:
        out = mean(y)
        resid_var = float(yu.var(ddof=1)) if n > 1 else math.nan
    else:
        cc = cu - cu.mean(axis=0)
        beta, *_ = np.linalg.lstsq(cc, yu - yu.mean(), rcond=None)
        resid = yu - cu @ beta  # the controls have mean zero: no centring here
        resid_var = float(resid.var(ddof=j + 1))
        out = {"mean": float(resid.mean()), "mean_stderr": math.sqrt(resid_var / n)}
    gain = plain_var / (m * resid_var) if resid_var and resid_var > 0 else math.nan
    return {**out, "gain": gain}
