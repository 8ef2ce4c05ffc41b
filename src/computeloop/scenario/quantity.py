"""Numbers with provenance.

In a scenario file any number may be written bare (``4.3e9``) or as a mapping
that says where it comes from::

    {value: 4.3e9, fact: article-2025-10-17}
    {value: 10.0e9, derived: "100e9 USD / 10 GW"}
    {value: 10.0e9, assumption: "terms undisclosed; Citi ~$100B / 10 GW", low: 8e9, high: 20e9}

A fact names its source, a derived number its formula, and an assumption its
rationale and a low/high range that contains the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from computeloop.scenario.distributions import Distribution, median, ppf

ProvenanceKind = Literal["fact", "derived", "assumption"]
_KINDS: tuple[ProvenanceKind, ...] = ("fact", "derived", "assumption")


class Provenance(BaseModel):
    """Where a number comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ProvenanceKind
    text: str = Field(min_length=1, description="source id or URL, formula, or rationale")
    low: float | None = None
    high: float | None = None
    note: str | None = None


class Quantity(BaseModel):
    """A number, optionally its provenance, and how it varies in Monte Carlo runs.

    ``value`` is the central value used by deterministic runs. In Monte Carlo runs a
    quantity with a ``dist`` is drawn from it; an assumption with a range is drawn from
    ``default_for_assumption`` (PERT) unless ``fixed``; anything else stays at ``value``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    provenance: Provenance | None = None
    dist: Distribution | None = None
    fixed: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError(f"must be a number, got {data!r}")
        if isinstance(data, int | float):
            return {"value": float(data)}
        if isinstance(data, Quantity):
            return data
        if not isinstance(data, dict):
            raise ValueError(
                f"must be a number or a mapping with 'value' and one of "
                f"{', '.join(_KINDS)}; got {data!r}"
            )
        if "provenance" in data:
            return data
        return _parse_mapping(data)

    @model_validator(mode="after")
    def _range_contains_value(self) -> Quantity:
        if math.isnan(self.value) and self.dist is not None:
            object.__setattr__(self, "value", median(self.dist))  # central value of a dist
        if not math.isfinite(self.value):
            raise ValueError(f"must be a finite number, got {self.value}")
        p = self.provenance
        if p is None:
            return self
        if p.kind == "assumption" and (p.low is None or p.high is None):
            raise ValueError("an assumption needs both 'low' and 'high' (its plausible range)")
        if p.kind != "assumption" and (p.low is not None or p.high is not None):
            raise ValueError("'low'/'high' belong to assumptions only")
        if p.low is not None and p.high is not None:
            if p.low > p.high:
                raise ValueError(f"low ({p.low:g}) must not exceed high ({p.high:g})")
            if not p.low <= self.value <= p.high:
                raise ValueError(
                    f"value {self.value:g} lies outside its range [{p.low:g}, {p.high:g}]"
                )
        return self

    def __float__(self) -> float:
        return self.value

    def to_yaml(self) -> float | dict[str, Any]:
        """The plain-data form this quantity was (or could have been) written in."""
        if self.provenance is None and self.dist is None and not self.fixed:
            return self.value
        out: dict[str, Any] = {"value": self.value}
        p = self.provenance
        if p is not None:
            out[p.kind] = p.text
            if p.low is not None:
                out["low"] = p.low
                out["high"] = p.high
            if p.note:
                out["note"] = p.note
        if self.dist is not None:
            out["dist"] = self.dist.model_dump(exclude_none=True)
        if self.fixed:
            out["fixed"] = True
        return out


_INTERVAL_KEYS = {"p5", "p95", "shape"}
_ALLOWED = {"value", "low", "high", "note", "dist", "fixed", *_INTERVAL_KEYS, *_KINDS}


def _parse_mapping(data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - _ALLOWED)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}; allowed: {sorted(_ALLOWED)}")
    out: dict[str, Any] = {k: data[k] for k in ("value", "dist", "fixed") if k in data}
    d = out.get("dist")
    if isinstance(d, dict) and "type" not in d and {"p5", "p95"} & set(d):
        out["dist"] = {"type": "interval", **d}  # dist: {p5, p95} means the interval form
    if _INTERVAL_KEYS & set(data):
        if "dist" in data:
            raise ValueError("give either 'dist' or the p5/p95 interval form, not both")
        out["dist"] = {"type": "interval", **{k: data[k] for k in _INTERVAL_KEYS if k in data}}
    if "value" not in out:
        if "dist" not in out:
            raise ValueError("a number written as a mapping needs a 'value' (or a 'dist')")
        out["value"] = math.nan  # set to the distribution's median once it is validated
    kinds = [k for k in _KINDS if k in data]
    if len(kinds) > 1:
        raise ValueError(f"give one provenance kind, not {kinds}")
    if not kinds:
        if {"low", "high", "note"} & set(data):
            raise ValueError(f"'low'/'high'/'note' need a provenance kind: one of {list(_KINDS)}")
        return out
    kind = kinds[0]
    prov: dict[str, Any] = {"kind": kind, "text": data[kind]}
    for key in ("low", "high", "note"):
        if key in data:
            prov[key] = data[key]
    return {**out, "provenance": prov}


U_EDGE = 1e-12
"""Smallest uniform the sampler feeds an inverse CDF (and 1 - U_EDGE the largest)."""


@dataclass(frozen=True)
class Range:
    """An allowed interval for a quantity's value; also read by the docs generator."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    integer: bool = False

    def __call__(self, q: Quantity) -> Quantity:
        self._check(q.value)
        p = q.provenance
        if p is not None and p.low is not None and p.high is not None:
            for bound in (p.low, p.high):
                if not self._allows(bound):
                    raise ValueError(
                        f"its range [{p.low:g}, {p.high:g}] must stay {self.describe()}"
                    )
        if q.dist is not None and self.integer:
            raise ValueError("cannot vary across paths: it is a whole number; remove 'dist'")
        if q.dist is not None:
            # The sampler clips uniforms to [U_EDGE, 1 - U_EDGE]: these are the extremes.
            lo, hi = (float(x) for x in ppf(q.dist, np.array([U_EDGE, 1.0 - U_EDGE])))
            if not (self._allows(lo) and self._allows(hi)):
                raise ValueError(
                    f"its distribution reaches [{lo:g}, {hi:g}]; draws must be "
                    f"{self.describe()} (truncate it with min/max)"
                )
        return q

    def _allows(self, v: float) -> bool:
        try:
            self._check(v)
        except ValueError:
            return False
        return True

    def _check(self, v: float) -> None:
        bad = (
            (self.ge is not None and not v >= self.ge)
            or (self.gt is not None and not v > self.gt)
            or (self.le is not None and not v <= self.le)
            or (self.lt is not None and not v < self.lt)
            or not math.isfinite(v)
            or (self.integer and v != int(v))
        )
        if bad:
            raise ValueError(f"must be {self.describe()}, got {v:g}")

    def describe(self) -> str:
        parts = []
        if self.gt is not None:
            parts.append(f"> {self.gt:g}")
        if self.ge is not None:
            parts.append(f">= {self.ge:g}")
        if self.lt is not None:
            parts.append(f"< {self.lt:g}")
        if self.le is not None:
            parts.append(f"<= {self.le:g}")
        text = " and ".join(parts) if parts else "any finite number"
        return f"a whole number {text}" if self.integer else text


POSITIVE = Range(gt=0)
NON_NEGATIVE = Range(ge=0)
FRACTION = Range(ge=0, le=1)

Amount = Annotated[Quantity, AfterValidator(NON_NEGATIVE)]
"""A non-negative quantity (money, GW, shares, people)."""
PositiveAmount = Annotated[Quantity, AfterValidator(POSITIVE)]
"""A strictly positive quantity."""
Fraction = Annotated[Quantity, AfterValidator(FRACTION)]
"""A share between 0 and 1."""


def whole(lo: float, hi: float) -> Range:
    """Range of a count written as a number: quarters, for example."""
    return Range(ge=lo, le=hi, integer=True)


Quarters = Annotated[Quantity, AfterValidator(whole(0, 400))]
"""A whole number of quarters (0 to 400)."""
PositiveQuarters = Annotated[Quantity, AfterValidator(whole(1, 400))]
"""A whole number of quarters (1 to 400)."""
Correlation = Annotated[Quantity, AfterValidator(Range(ge=-1, le=1))]
"""A correlation coefficient, -1 to 1."""
Rate = Annotated[Quantity, AfterValidator(Range(gt=-1, le=10))]
"""A growth or interest rate per period (-100% excluded, up to +1000%)."""
MAX_GW = 1000.0
"""Largest power capacity a field accepts: about the whole US grid's generating capacity."""
Gigawatts = Annotated[Quantity, AfterValidator(Range(ge=0, le=MAX_GW))]
"""A data-centre power capacity in GW, 0 to 1,000."""
PositiveGigawatts = Annotated[Quantity, AfterValidator(Range(gt=0, le=MAX_GW))]
"""A data-centre power capacity in GW, above 0 and at most 1,000."""


def q(value: float, kind: ProvenanceKind | None = None, text: str = "", **kw: Any) -> Quantity:
    """Build a quantity in code.

    >>> q(4.3e9, "fact", "article-2025-10-17").value
    4300000000.0
    """
    if kind is None:
        return Quantity(value=value)
    return Quantity(value=value, provenance=Provenance(kind=kind, text=text, **kw))
