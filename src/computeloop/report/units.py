"""Number formatting shared by the terminal tables and the report: $1.30T, 26.0 GW, 37.1%.

Pure functions with no dependencies, so both the CLI and the report import them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

SPARKS = "▁▂▃▄▅▆▇█"
_STATS = frozenset({"mean", "p5", "p25", "p50", "p75", "p95", "cvar95", "var95"})


def usd(x: float | None) -> str:
    """Format dollars with a magnitude suffix.

    >>> usd(1.3e12), usd(37.136e9), usd(-2.5e8), usd(None)
    ('$1.30T', '$37.1B', '-$250M', '-')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    sign = "-" if x < 0 else ""
    a = abs(x)
    for div, suffix, digits in ((1e12, "T", 2), (1e9, "B", 1), (1e6, "M", 0)):
        if a >= div * 0.9995 or (suffix == "M" and a >= 1e6):
            return f"{sign}${a / div:,.{digits}f}{suffix}"
    return f"{sign}${a:,.0f}" if a >= 1 else "$0"


def gw(x: float | None) -> str:
    """Format gigawatts.

    >>> gw(26)
    '26.0 GW'
    """
    return "-" if x is None else f"{x:,.1f} GW"


def pct(x: float | None) -> str:
    """Format a share as a percentage.

    >>> pct(0.371)
    '37.1%'
    """
    return "-" if x is None else f"{100 * x:.1f}%"


def count(x: float | None) -> str:
    """Format a count of users or shares.

    >>> count(160e6), count(819e6), count(4.6e6)
    ('160M', '819M', '4.60M')
    """
    if x is None:
        return "-"
    if abs(x) >= 1e9:
        return f"{x / 1e9:.2f}B"
    if abs(x) >= 1e8:
        return f"{x / 1e6:.0f}M"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.2f}M"
    return f"{x:,.0f}"


def value(x: object, unit: str) -> str:
    """Format a value by its unit.

    >>> value(2.5e9, "USD"), value(0.25, "share"), value(3.0, "x")
    ('$2.5B', '25.0%', '3.00x')
    """
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    f = float(x)  # type: ignore[arg-type]
    if unit.startswith("USD/share"):
        return f"${f:,.2f}"
    if unit.startswith("USD"):
        return usd(f) + unit[3:]
    if unit == "GW":
        return gw(f)
    if unit in ("share", "growth"):
        return pct(f)
    if unit in ("users", "shares"):
        return count(f)
    if unit == "x":
        return f"{f:.2f}x"
    return f"{f:,.3g} {unit}".strip()


def unit_of_key(key: str) -> str:
    """The unit a JSON key's name implies (``_usd`` dollars, ``gw`` gigawatts, ...).

    >>> unit_of_key("peak_funding_gap_usd"), unit_of_key("gw_online_end"), unit_of_key("p")
    ('USD', 'GW', 'share')
    >>> unit_of_key("metrics.lab.peak_funding_gap_usd.p95_stderr")
    'USD'
    >>> unit_of_key("entities.AMD.losses_usd.total"), unit_of_key("rounds.clearing")
    ('USD', '')
    """
    parts = [k.removesuffix("_stderr") for k in key.split(".")]
    while len(parts) > 1 and (parts[-1] in _STATS or parts[-1].isdigit()):
        parts.pop()
    # A name without a unit takes its parent's: losses_usd.total, idle_usd.Oracle.stress.
    for part in reversed(parts):
        unit = _unit_of_name(part)
        if unit:
            return unit
    return ""


def _unit_of_name(last: str) -> str:
    if last.endswith("_usd") or last == "usd" or last.startswith("usd_"):
        return "USD"
    if "gw" in last.split("_"):
        return "GW"
    words = last.split("_")
    if last in ("p", "ratio") or "share" in words or "probability" in words or "ratio" in words:
        return "share"
    if last.startswith("prob_") or last.endswith("_pct"):
        return "share"
    if last.endswith("shares"):
        return "shares"
    return ""


def by_key(key: str, x: object) -> str:
    """Format ``x`` by the unit its key implies.

    >>> by_key("revenue_total_usd", 1.3e12), by_key("vesting_probability", 0.5)
    ('$1.30T', '50.0%')
    """
    if isinstance(x, bool) or not isinstance(x, int | float):
        return "-" if x is None else str(x)
    unit = unit_of_key(key)
    if unit == "" and isinstance(x, int):
        return f"{x:,}"
    return value(x, unit) if unit else f"{x:,.4g}"


def sparkline(values: Sequence[float | None]) -> str:
    """A compact path: one block character per value, scaled from min to max.

    >>> sparkline([0, 1, 2, 3, 4, 5, 6, 7])
    '▁▂▃▄▅▆▇█'
    >>> sparkline([2.0, 2.0, None])
    '▄▄ '
    """
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return " " * len(values)
    lo, hi = min(finite), max(finite)
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(" ")
        elif hi == lo:
            out.append(SPARKS[3])
        else:
            out.append(SPARKS[round((v - lo) / (hi - lo) * (len(SPARKS) - 1))])
    return "".join(out)
