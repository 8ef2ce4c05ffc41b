"""Instruments as frozen data: terms only, no valuation methods.

An instrument says what is owed and when; an engine (``closed_form``, ``monte_carlo``)
says what that is worth. The deal instruments of a scenario (``Warrant``,
``EquityInvestment`` in :mod:`computeloop.scenario.deals`) are valued by the Monte
Carlo engine; the textbook instruments below by closed forms (see ``registry``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from computeloop.errors import InputError

Kind = Literal["call", "put"]
Direction = Literal["up", "down"]
Knock = Literal["in", "out"]


def _check(name: str, value: float, *, low: float = 0.0, strict: bool = False) -> None:
    bad = not math.isfinite(value) or (value <= low if strict else value < low)
    if bad:
        rule = ">" if strict else ">="
        raise InputError(f"{name}: must be a finite number {rule} {low:g}, got {value!r}")


@dataclass(frozen=True)
class Market:
    """The underlying today: spot, continuously compounded rate and dividend yield, vol.

    >>> Market(spot=100.0, rate=0.05, volatility=0.2).carry
    0.05
    """

    spot: float
    rate: float
    volatility: float
    dividend_yield: float = 0.0

    def __post_init__(self) -> None:
        _check("spot", self.spot, strict=True)
        _check("volatility", self.volatility, strict=True)
        for name in ("rate", "dividend_yield"):
            if not math.isfinite(getattr(self, name)):
                raise InputError(f"{name}: must be a finite number, got {getattr(self, name)!r}")

    @property
    def carry(self) -> float:
        """Cost of carry ``b = r - q`` (Haug's notation)."""
        return self.rate - self.dividend_yield


def _check_expiry(expiry: float) -> None:
    _check("expiry_years", expiry, strict=True)


@dataclass(frozen=True)
class EuropeanOption:
    """A European call or put."""

    kind: Kind
    strike: float
    expiry_years: float

    def __post_init__(self) -> None:
        _check("strike", self.strike)
        _check_expiry(self.expiry_years)


@dataclass(frozen=True)
class DilutedWarrant:
    """A warrant on ``warrants`` new shares of a company with ``shares`` outstanding.

    ``priced_in``: the spot already reflects the warrants (Galai-Schneller fixed point);
    otherwise the spot is the price before they were announced (Hull's dilution factor).
    """

    strike: float
    expiry_years: float
    shares: float
    warrants: float
    priced_in: bool = True

    def __post_init__(self) -> None:
        _check("strike", self.strike)
        _check_expiry(self.expiry_years)
        _check("shares", self.shares, strict=True)
        _check("warrants", self.warrants)


@dataclass(frozen=True)
class BarrierOption:
    """A single-barrier call or put; ``rebate`` is paid at the hit (out) or expiry (in)."""

    kind: Kind
    direction: Direction
    knock: Knock
    strike: float
    barrier: float
    expiry_years: float
    rebate: float = 0.0

    def __post_init__(self) -> None:
        _check("strike", self.strike)
        _check("barrier", self.barrier, strict=True)
        _check("rebate", self.rebate)
        _check_expiry(self.expiry_years)


@dataclass(frozen=True)
class DigitalOption:
    """Pays ``cash`` (cash-or-nothing) or the asset (asset-or-nothing) if in the money."""

    kind: Kind
    pays: Literal["cash", "asset"]
    strike: float
    expiry_years: float
    cash: float = 1.0

    def __post_init__(self) -> None:
        _check("strike", self.strike, strict=True)
        _check("cash", self.cash)
        _check_expiry(self.expiry_years)


@dataclass(frozen=True)
class OneTouch:
    """Pays ``cash`` if the spot touches ``barrier`` before expiry, at the hit or at expiry."""

    barrier: float
    expiry_years: float
    cash: float = 1.0
    paid_at: Literal["hit", "expiry"] = "hit"

    def __post_init__(self) -> None:
        _check("barrier", self.barrier, strict=True)
        _check("cash", self.cash)
        _check_expiry(self.expiry_years)
