"""Probability distributions for numbers that vary across Monte Carlo paths.

A distribution is data: a frozen record tagged by ``type``. Every one can be truncated
to ``[min, max]``. Sampling is by inversion: :func:`ppf` maps uniforms in (0, 1) to
draws, so a copula can feed it correlated uniforms and :func:`sample` uses exactly one
uniform per draw.

>>> d = Pert(low=8e9, mode=10e9, high=20e9)
>>> round(mean(d) / 1e9, 3)
11.333
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Self, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats

F = NDArray[np.float64]
Number = Annotated[float, Field(strict=True)]
"""A float or int; bools and strings are refused rather than coerced."""

_Z95 = float(stats.norm.ppf(0.95))


class _Truncatable(BaseModel):
    """What every distribution shares: optional truncation to ``[min, max]``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _validate(self) -> Self:
        _check_finite(self)
        self._check()
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError(f"max ({self.max:g}) must be above min ({self.min:g})")
        dist = cast("Distribution", self)
        below_min, up_to_max = _window(dist)
        if not up_to_max - below_min > 0:
            lo, hi = _limits(dist)
            raise ValueError(f"truncation to [{lo:g}, {hi:g}] leaves no probability mass")
        return self

    def _check(self) -> None:
        """The type's own rules (subclasses override)."""


class Normal(_Truncatable):
    """Normal with mean ``mean`` and standard deviation ``sd``."""

    type: Literal["normal"] = "normal"
    mean: Number
    sd: Number

    def _check(self) -> None:
        _positive("sd", self.sd)


class LogNormal(_Truncatable):
    """Lognormal: ``log X`` is normal with mean ``log(median)`` and sd ``sigma``."""

    type: Literal["lognormal"] = "lognormal"
    median: Number
    sigma: Number

    def _check(self) -> None:
        _positive("median", self.median)
        _positive("sigma", self.sigma)


class Uniform(_Truncatable):
    """Uniform on ``[low, high]``."""

    type: Literal["uniform"] = "uniform"
    low: Number
    high: Number

    def _check(self) -> None:
        _above("low", self.low, "high", self.high)


class Triangular(_Truncatable):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    type: Literal["triangular"] = "triangular"
    low: Number
    mode: Number
    high: Number

    def _check(self) -> None:
        _check_three_point(self.low, self.mode, self.high)


class Pert(_Truncatable):
    """(Modified) PERT: a beta on ``[low, high]`` peaking at ``mode``; ``lambda`` sets how
    strongly (4 is classic PERT). Vose (2008), *Risk Analysis: A Quantitative Guide*, 3rd
    ed., Wiley: alpha = 1 + lambda (mode - low) / (high - low), beta likewise from high.
    """

    model_config = ConfigDict(populate_by_name=True)

    type: Literal["pert"] = "pert"
    low: Number
    mode: Number
    high: Number
    lam: Number = Field(4.0, alias="lambda")

    def _check(self) -> None:
        _check_three_point(self.low, self.mode, self.high)
        _positive("lambda", self.lam)


class Discrete(_Truncatable):
    """``values[i]`` with probability ``weights[i] / sum(weights)``."""

    type: Literal["discrete"] = "discrete"
    values: list[Number]
    weights: list[Number]

    def _check(self) -> None:
        if not self.values:
            raise ValueError("values must not be empty")
        if len(self.weights) != len(self.values):
            raise ValueError(
                f"weights must have one entry per value: got {len(self.weights)} weights "
                f"for {len(self.values)} values"
            )
        for i, w in enumerate(self.weights):
            if w < 0:
                raise ValueError(f"weights must be >= 0, got {w:g} at index {i}")
        if not sum(self.weights) > 0:
            raise ValueError(f"weights must have a positive sum, got {sum(self.weights):g}")


class Empirical(_Truncatable):
    """The observed ``samples``, smoothed: inverse empirical CDF with linear interpolation
    between order statistics (Hyndman and Fan (1996), *Am. Stat.* 50(4), definition 7).
    """

    type: Literal["empirical"] = "empirical"
    samples: list[Number]

    def _check(self) -> None:
        if len(self.samples) < 2:
            raise ValueError(f"samples must hold at least 2 values, got {len(self.samples)}")


class Interval(_Truncatable):
    """A 90% interval: the ``shape`` distribution whose 5th and 95th percentiles are ``p5``
    and ``p95`` (so sd = (p95 - p5) / 3.29 on the natural or the log scale; Hubbard (2014),
    *How to Measure Anything*, 3rd ed., Wiley, ch. 6).
    """

    type: Literal["interval"] = "interval"
    p5: Number
    p95: Number
    shape: Literal["lognormal", "normal"] = "lognormal"

    def _check(self) -> None:
        _above("p5", self.p5, "p95", self.p95)
        if self.shape == "lognormal" and not self.p5 > 0:
            raise ValueError(
                f"p5 must be > 0 for a lognormal interval, got {self.p5:g} "
                "(use shape: normal for a number that can be zero or negative)"
            )


Distribution = Annotated[
    Normal | LogNormal | Uniform | Triangular | Pert | Discrete | Empirical | Interval,
    Field(discriminator="type"),
]
"""Any distribution, told apart by its ``type``."""


# --- validation helpers -----------------------------------------------------------------


def _check_finite(d: BaseModel) -> None:
    for name, info in type(d).model_fields.items():
        value = getattr(d, name)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"{info.alias or name} must be a finite number, got {v}")


def _positive(name: str, v: float) -> None:
    if not v > 0:
        raise ValueError(f"{name} must be > 0, got {v:g}")


def _above(lo_name: str, lo: float, hi_name: str, hi: float) -> None:
    if not hi > lo:
        raise ValueError(f"{hi_name} ({hi:g}) must be above {lo_name} ({lo:g})")


def _check_three_point(low: float, mode: float, high: float) -> None:
    _above("low", low, "high", high)
    if not low <= mode <= high:
        raise ValueError(f"mode ({mode:g}) must lie within [low, high] = [{low:g}, {high:g}]")


# --- the maths --------------------------------------------------------------------------


def ppf(dist: Distribution, u: ArrayLike) -> F:
    """Inverse CDF (quantile function) of ``dist`` at ``u``, elementwise.

    ``u`` should lie in (0, 1); 0 and 1 give the ends of the support, which may be
    infinite. A truncated distribution maps ``u`` onto ``[F(min), F(max)]`` first and
    inverts the untruncated CDF (Devroye (1986), *Non-Uniform Random Variate Generation*,
    ch. 2: inversion), so draws stay monotone in ``u``. A discrete distribution inverts
    by table lookup over the values inside ``[min, max]``, renormalised (the same law).

    >>> ppf(Uniform(low=0, high=10, max=5), [0.2, 0.5]).tolist()
    [1.0, 2.5]
    >>> ppf(Discrete(values=[1, 2, 3], weights=[1, 1, 2]), [0.1, 0.3, 0.9]).tolist()
    [1.0, 2.0, 3.0]
    """
    u = np.asarray(u, dtype=np.float64)
    if isinstance(dist, Discrete):
        x, p = _table(dist)
        index = np.searchsorted(np.cumsum(p), u, side="left")
        return x[np.minimum(index, x.size - 1)]
    lo, hi = _window(dist)
    return np.clip(_base_ppf(dist, lo + u * (hi - lo)), *_limits(dist))


def sample(dist: Distribution, rng: np.random.Generator, n: int) -> F:
    """``n`` draws: ``ppf(dist, rng.random(n))``.

    Exactly one uniform per draw, so a seed gives the same draws whatever the type, and
    sampling through a copula (feeding :func:`ppf` correlated uniforms) is the same maths.

    >>> sample(Normal(mean=0, sd=1), np.random.default_rng(1), 3).shape
    (3,)
    """
    return ppf(dist, rng.random(n))


def median(dist: Distribution) -> float:
    """The central value used in deterministic runs: ``ppf(dist, 0.5)``.

    For a discrete distribution that is the lower median (the smallest value whose
    cumulative probability reaches 0.5); for an empirical one, the sample median.

    >>> round(median(Interval(p5=1, p95=100)), 9)
    10.0
    >>> median(Discrete(values=[1, 2], weights=[1, 1]))
    1.0
    """
    return float(ppf(dist, np.array([0.5]))[0])


def mean(dist: Distribution) -> float:
    """Expected value (closed form; numerical integration for truncated continuous types).

    >>> mean(Triangular(low=0, mode=3, high=6))
    3.0
    """
    return _moments(dist)[0]


def variance(dist: Distribution) -> float:
    """Variance (closed form; numerical integration for truncated continuous types).

    >>> variance(Uniform(low=0, high=6))
    3.0
    """
    return _moments(dist)[1]


def default_for_assumption(value: float, low: float, high: float) -> Pert | None:
    """The distribution of an assumption stated as a value and a ``[low, high]`` range:
    PERT(low, mode=value, high) (Vose (2008), *Risk Analysis*, 3rd ed.: PERT is the usual
    choice for a three-point expert estimate).

    ``None`` when ``low == high``: the range pins the number, so there is nothing to draw.
    A value outside the range raises ``ValueError``.

    >>> default_for_assumption(10.0, 8.0, 20.0)
    Pert(min=None, max=None, type='pert', low=8.0, mode=10.0, high=20.0, lam=4.0)
    >>> default_for_assumption(5.0, 5.0, 5.0) is None
    True
    """
    if low == high:
        if value != low:
            raise ValueError(f"value {value:g} lies outside its range [{low:g}, {high:g}]")
        return None
    return Pert(low=low, mode=value, high=high)


def _limits(d: Distribution) -> tuple[float, float]:
    lo = -math.inf if d.min is None else d.min
    return lo, math.inf if d.max is None else d.max


def _rv(d: Distribution) -> Any:
    """The scipy frozen distribution of a continuous type."""
    match d:
        case Normal():
            return stats.norm(d.mean, d.sd)
        case LogNormal():
            return stats.lognorm(d.sigma, scale=d.median)
        case Uniform():
            return stats.uniform(d.low, d.high - d.low)
        case Triangular():
            width = d.high - d.low
            return stats.triang((d.mode - d.low) / width, loc=d.low, scale=width)
        case Pert():
            width = d.high - d.low
            a = 1 + d.lam * (d.mode - d.low) / width
            b = 1 + d.lam * (d.high - d.mode) / width
            return stats.beta(a, b, loc=d.low, scale=width)
        case Interval() if d.shape == "normal":
            return stats.norm((d.p5 + d.p95) / 2, (d.p95 - d.p5) / (2 * _Z95))
        case Interval():
            log5, log95 = math.log(d.p5), math.log(d.p95)
            return stats.lognorm((log95 - log5) / (2 * _Z95), scale=math.exp((log5 + log95) / 2))
    raise TypeError(f"{type(d).__name__} has no scipy form")


def _base_ppf(d: Distribution, u: F) -> F:
    """Untruncated inverse CDF of a continuous type."""
    if isinstance(d, Empirical):
        s = np.sort(np.asarray(d.samples, dtype=np.float64))
        return np.interp(u, np.linspace(0.0, 1.0, s.size), s)
    return np.asarray(_rv(d).ppf(u), dtype=np.float64)


def _window(d: Distribution) -> tuple[float, float]:
    """``(P(X < min), P(X <= max))`` of the untruncated distribution."""
    if d.min is None and d.max is None:
        return 0.0, 1.0
    if isinstance(d, Discrete):
        x, w = np.asarray(d.values, dtype=np.float64), np.asarray(d.weights, dtype=np.float64)
        lo, hi = _limits(d)
        return float(w[x < lo].sum() / w.sum()), float(w[x <= hi].sum() / w.sum())
    if isinstance(d, Empirical):
        s = np.sort(np.asarray(d.samples, dtype=np.float64))
        lo = 0.0 if d.min is None else _empirical_cdf(s, d.min, "left")
        return lo, 1.0 if d.max is None else _empirical_cdf(s, d.max, "right")
    rv = _rv(d)
    lo = 0.0 if d.min is None else float(rv.cdf(d.min))
    return lo, 1.0 if d.max is None else float(rv.cdf(d.max))


def _empirical_cdf(s: F, x: float, side: Literal["left", "right"]) -> float:
    """CDF of the interpolated empirical distribution: ``side="left"`` gives P(X < x)."""
    k = int(np.searchsorted(s, x, side=side)) - 1  # last order stat. < x (left), <= x (right)
    if k < 0:
        return 0.0
    if k >= s.size - 1:
        return 1.0
    return float((k + (x - s[k]) / (s[k + 1] - s[k])) / (s.size - 1))


def _table(d: Discrete) -> tuple[F, F]:
    """Sorted values with positive probability inside ``[min, max]``, renormalised."""
    x = np.asarray(d.values, dtype=np.float64)
    w = np.asarray(d.weights, dtype=np.float64)
    lo, hi = _limits(d)
    keep = (w > 0) & (x >= lo) & (x <= hi)
    order = np.argsort(x[keep], kind="stable")
    return x[keep][order], w[keep][order] / w[keep].sum()


def _moments(d: Distribution) -> tuple[float, float]:
    if isinstance(d, Discrete):
        x, p = _table(d)
        m = float(p @ x)
        return m, float(p @ (x - m) ** 2)
    if isinstance(d, Empirical):
        return _empirical_moments(d)
    rv = _rv(d)
    if d.min is None and d.max is None:
        return float(rv.mean()), float(rv.var())
    m = float(rv.expect(lambda x: x, lb=d.min, ub=d.max, conditional=True))
    v = rv.expect(lambda x: (x - m) ** 2, lb=d.min, ub=d.max, conditional=True)
    return m, float(v)


def _empirical_moments(d: Empirical) -> tuple[float, float]:
    """Exact moments of the interpolated empirical distribution: a mixture of uniforms on
    consecutive order statistics (tied ones are point masses), each clipped to [min, max].
    """
    s = np.sort(np.asarray(d.samples, dtype=np.float64))
    lo, hi = _limits(d)
    a, b = np.clip(s[:-1], lo, hi), np.clip(s[1:], lo, hi)
    width = s[1:] - s[:-1]
    point_inside = ((s[:-1] >= lo) & (s[:-1] <= hi)).astype(np.float64)
    w = np.where(width > 0, (b - a) / np.where(width > 0, width, 1.0), point_inside)
    w = w / w.sum()
    mid = (a + b) / 2
    m = float(w @ mid)
    return m, float(w @ ((mid - m) ** 2 + (b - a) ** 2 / 12))
