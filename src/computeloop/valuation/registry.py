"""Engines looked up by instrument type: one instrument, possibly several engines.

A bad pairing (an instrument with no engine of the asked method) fails at once with a
message that lists what is available, not deep in the maths.

>>> from computeloop.valuation.instruments import EuropeanOption, Market
>>> round(price(EuropeanOption("put", 40.0, 0.5), Market(42.0, 0.10, 0.20)), 2)
0.81
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from computeloop.errors import InputError
from computeloop.valuation import closed_form as cf
from computeloop.valuation.instruments import (
    BarrierOption,
    DigitalOption,
    DilutedWarrant,
    EuropeanOption,
    Market,
    OneTouch,
)

Engine = Callable[[Market, Any], float]

_ENGINES: dict[tuple[type, str], Engine] = {}


def register(kind: type, method: str, engine: Engine) -> None:
    """Make ``engine`` the ``method`` engine of instruments of type ``kind``."""
    _ENGINES[(kind, method)] = engine


def engine_for(instrument: object, method: str = "analytic") -> Engine:
    """The engine valuing ``instrument`` by ``method``; InputError naming what exists."""
    found = _ENGINES.get((type(instrument), method))
    if found is None:
        known = sorted(f"{k.__name__}/{m}" for k, m in _ENGINES)
        raise InputError(
            f"no {method!r} engine for {type(instrument).__name__}; available: {known}"
        )
    return found


def price(instrument: object, market: Market, method: str = "analytic") -> float:
    """Value ``instrument`` in ``market`` with the registered engine for its type."""
    return engine_for(instrument, method)(market, instrument)


register(EuropeanOption, "analytic", cf.european)
register(DilutedWarrant, "analytic", cf.diluted_warrant)
register(BarrierOption, "analytic", cf.barrier)
register(DigitalOption, "analytic", cf.digital)
register(OneTouch, "analytic", cf.one_touch)
