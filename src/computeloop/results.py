"""Labelled results: the engine's arrays as an ``xarray.Dataset``.

Dimensions: ``path``, ``quarter`` (labels such as ``"2026Q3"``), ``deal`` (deals that
deliver GW), ``entity`` and ``tranche`` (warrant tranches). Lab variables are
prefixed ``lab_``; attributes record the scenario, its hash, the seed and the version.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from computeloop import __version__
from computeloop.engine.core import EngineOutput
from computeloop.scenario.model import Scenario

UNITS = {
    "users": "users",
    "payers": "users",
    "gw_online": "GW",
    "gw_due": "GW",
    "gw_delivered": "GW",
    "gw_backlog": "GW",
    "gw_cancelled": "GW",
    "gw_produced": "GW",
    "gw_inventory": "GW",
    "gw_stranded": "GW",
    "share_price": "USD/share",
    "shares_outstanding": "shares",
    "tranche_vested_shares": "shares",
}


@dataclass(frozen=True)
class Results:
    """A simulation's labelled output and the scenario it came from."""

    dataset: xr.Dataset
    scenario: Scenario

    @property
    def paths(self) -> int:
        return int(self.dataset.sizes["path"])

    @property
    def quarters(self) -> list[str]:
        return [str(q) for q in self.dataset["quarter"].values]

    def lab(self, name: str) -> xr.DataArray:
        """A lab time series, e.g. ``results.lab("cash")`` with dims (path, quarter)."""
        return self.dataset[f"lab_{name}"]


def build_results(out: EngineOutput, scenario: Scenario, seed: int | None, policy: str) -> Results:
    """Wrap engine arrays in a labelled dataset."""
    quarter = scenario.time.labels()
    entity = [e.name for e in scenario.entities]
    P = next(iter(out.lab.values())).shape[0]
    coords = {
        "path": np.arange(P),
        "quarter": quarter,
        "deal": list(out.deal_names),
        "entity": entity,
        "entity_kind": ("entity", [e.kind for e in scenario.entities]),
        "tranche": list(out.tranche_names),
        "tranche_warrant": ("tranche", list(out.tranche_warrant)),
    }
    data: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    for k, arr in out.lab.items():
        data[f"lab_{k}"] = (("path", "quarter"), arr)
    for k, arr in out.deal.items():
        data[k] = (("path", "quarter", "deal"), arr)
    for k, arr in out.entity.items():
        data[k] = (("path", "quarter", "entity"), arr)
    data["tranche_vested_shares"] = (("path", "quarter", "tranche"), out.tranche_vested)
    ds = xr.Dataset(data, coords=coords)
    for name in ds.data_vars:
        key = str(name).removeprefix("lab_")
        ds[name].attrs["units"] = UNITS.get(key, "USD")
    ds.attrs.update(
        scenario=scenario.meta.name,
        scenario_hash=scenario.content_hash(),
        seed=-1 if seed is None else seed,
        paths=P,
        policy=policy,
        computeloop_version=__version__,
    )
    return Results(ds, scenario)
