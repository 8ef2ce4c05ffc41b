"""Number formatting for terminal output: $1.30T, 26.0 GW, 37.1%, and sparklines.

The functions live in :mod:`computeloop.report.units` so that the HTML report formats
numbers exactly as the terminal does; they are re-exported here under their usual names.

>>> usd(1.3e12), gw(26), pct(0.371), sparkline([1, 2, 3])
('$1.30T', '26.0 GW', '37.1%', '▁▅█')
"""

from __future__ import annotations

from computeloop.report.units import by_key, count, gw, pct, sparkline, unit_of_key, usd, value

__all__ = ["by_key", "count", "gw", "pct", "sparkline", "unit_of_key", "usd", "value"]
