"""The exposure network of a run: who owes, holds or depends on whom, quarter by quarter.

Nodes are the scenario's entities plus outside nodes where money leaves the scenario:
``GPU lessors`` (who buy leased chips from the vendors and collect the lab's lease
instalments), ``builder lenders`` (who fund the builders' capex), ``rest of market``
(the vendors' other customers). Edges, with an amount per quarter:

- ``purchase``: payer -> vendor, chips paid at delivery (by the lab if it owns them,
  else by the GPU lessors);
- ``lease``: lab -> GPU lessors, lease instalments; ``rent``: lab -> builder;
- ``debt``: builder -> builder lenders, deal debt outstanding (a stock);
- ``equity_stake``: investor -> lab, the stake's value (a stock); ``warrant``: issuer ->
  holder, the value of warrant shares vesting in the quarter;
- ``revenue_dependence``: vendor or builder -> lab, the share of its quarterly revenue
  that comes from the lab; ``sales``: rest of market -> vendor, its other revenue.
"""

from __future__ import annotations

from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from numpy.typing import NDArray

from computeloop.engine.core import EngineOutput
from computeloop.engine.inputs import EngineInputs
from computeloop.scenario.model import Scenario

F = NDArray[np.float64]

LESSORS = "GPU lessors"
LENDERS = "builder lenders"
MARKET = "rest of market"
OUTSIDE = (LESSORS, LENDERS, MARKET)
STOCK_KINDS = ("debt", "equity_stake")
"""Edge kinds whose amount is a balance at the quarter's end, not a flow in it."""


def node_names(s: Scenario) -> list[str]:
    """Entities in scenario order, then the outside nodes."""
    return [e.name for e in s.entities] + list(OUTSIDE)


def edges(s: Scenario, x: EngineInputs, out: EngineOutput, path: int = 0) -> pd.DataFrame:
    """Every edge of one path as rows: quarter, source, target, kind, amount, unit.

    >>> from computeloop import default_scenario
    >>> from computeloop.engine import compile_inputs, run_engine
    >>> s = default_scenario(); x = compile_inputs(s)
    >>> df = edges(s, x, run_engine(x))
    >>> sorted(df["kind"].unique())[:3]
    ['debt', 'equity_stake', 'lease']
    """
    rows: list[tuple[str, str, str, str, float, str]] = []
    quarters = s.time.labels()
    lab = s.lab.name
    names = list(x.entity_names)
    for j, d in enumerate(x.deals):
        pay = out.deal["lab_payment"][path, :, j]
        if d.kind == "compute":
            vendor = names[d.counterparties[0][0]]
            delivered = out.deal["gw_delivered"][path, :, j] * d.chip_per_gw[path]
            leased = bool(d.periodic_quarters)
            payer = LESSORS if leased else lab
            _add(rows, quarters, payer, vendor, "purchase", delivered)
            if leased:
                _add(rows, quarters, lab, LESSORS, "lease", pay)
        else:
            for e, share in d.counterparties:
                _add(rows, quarters, lab, names[e], "rent", share * pay)
    ent = out.entity
    for e, name in enumerate(names):
        _add(rows, quarters, name, LENDERS, "debt", ent["deal_debt"][path, :, e])
        _add(rows, quarters, name, lab, "equity_stake", ent["stake_in_lab_usd"][path, :, e])
        _add(rows, quarters, name, lab, "warrant", ent["warrant_value_given"][path, :, e])
        other = s.entities[e].revenue_annual_usd.value / 4.0
        from_lab = ent["revenue_from_lab"][path, :, e]
        if name != lab and (from_lab.any() or s.entities[e].kind == "chip_vendor"):
            total = from_lab + other
            dependence: F = np.where(total > 0, from_lab / np.where(total > 0, total, 1.0), 0.0)
            _add(rows, quarters, name, lab, "revenue_dependence", dependence)
            _add(rows, quarters, MARKET, name, "sales", np.full(len(quarters), other))
    return pd.DataFrame(rows, columns=["quarter", "source", "target", "kind", "amount", "unit"])


def exposure_network(s: Scenario) -> tuple[pd.DataFrame, nx.MultiDiGraph]:
    """The deterministic run's exposure network as a table and as a graph.

    >>> from computeloop import default_scenario
    >>> table, graph = exposure_network(default_scenario())
    >>> graph.has_edge("OpenAI", "GPU lessors", key="lease")
    True
    """
    from computeloop.engine import compile_inputs, run_engine

    x = compile_inputs(s)
    df = edges(s, x, run_engine(x))
    return df, to_networkx(df, s)


def _unit(kind: str) -> str:
    return "share" if kind == "revenue_dependence" else "USD"


def _add(
    rows: list[tuple[str, str, str, str, float, str]],
    quarters: list[str],
    source: str,
    target: str,
    kind: str,
    amounts: F,
) -> None:
    if source == target or not np.any(amounts):
        return
    for q, a in zip(quarters, amounts, strict=True):
        if a:
            rows.append((q, source, target, kind, float(a), _unit(kind)))


def to_xarray(df: pd.DataFrame, quarters: list[str]) -> Any:
    """The edge table as an ``xarray.DataArray`` (edge, quarter), zeros where absent."""
    import xarray as xr

    wide = df.pivot_table(
        index=["source", "target", "kind"], columns="quarter", values="amount", aggfunc="sum"
    ).reindex(columns=quarters, fill_value=0.0)
    wide = wide.fillna(0.0)
    labels = [f"{s}->{t}:{k}" for s, t, k in wide.index]
    return xr.DataArray(
        wide.to_numpy(), dims=("edge", "quarter"), coords={"edge": labels, "quarter": quarters}
    )


def to_networkx(df: pd.DataFrame, s: Scenario) -> nx.MultiDiGraph:
    """A ``networkx.MultiDiGraph``: one edge per (source, target, kind), its amount per
    quarter in the ``amounts`` attribute (dict quarter -> USD) and their sum in ``total``
    (for flows; for stocks, the last balance)."""
    g = nx.MultiDiGraph(scenario=s.meta.name)
    kinds = {e.name: e.kind for e in s.entities}
    for n in node_names(s):
        g.add_node(n, kind=kinds.get(n, "outside"))
    for (src, tgt, kind), grp in df.groupby(["source", "target", "kind"], sort=False):
        amounts = dict(zip(grp["quarter"], grp["amount"], strict=True))
        last = float(grp["amount"].iloc[-1])
        total = last if kind in STOCK_KINDS else float(sum(amounts.values()))
        unit = str(grp["unit"].iloc[0])
        g.add_edge(src, tgt, key=kind, kind=kind, amounts=amounts, total=total, unit=unit)
    return g
