"""Number formatting for terminal output: $1.30T, 26.0 GW, 37.1%."""

from __future__ import annotations


def usd(x: float | None) -> str:
    """Format dollars with a magnitude suffix.

    >>> usd(1.3e12), usd(37.136e9), usd(-2.5e8), usd(None)
    ('$1.30T', '$37.1B', '-$250M', '-')
    """
    if x is None:
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
    """Format a value by its unit."""
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
