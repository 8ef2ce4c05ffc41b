"""Stress shocks as data: presets, user-defined shocks, and how each is applied.

A shock never edits the engine. It is applied as one of:

- a transformation of the scenario: ``deployment_cut`` scales every GW tranche due from
  its start by ``1 - size``; ``delay`` moves those tranches ``size`` quarters later
  (tranches pushed past the horizon land in its last quarter);
- a transformation of the market paths the engine reads: ``revenue_growth`` lowers the
  lab's demand growth from its start by the share ``size`` (so 0.5 halves it),
  ``revenue_shortfall`` removes the share ``size`` of its demand, ``share_price`` lowers
  ``entity``'s share price by ``size`` from its start (warrant hurdles then bind);
- a change of what the lab pays in the clearing of obligations: ``missed_payment``
  leaves the share ``size`` of its lease and rent bills unpaid for ``quarters``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from computeloop.engine.inputs import EngineInputs
from computeloop.errors import InputError
from computeloop.scenario.deals import CapacityContract, ComputeCommitment, GWTranche
from computeloop.scenario.model import Scenario
from computeloop.scenario.quantity import Quantity
from computeloop.scenario.stress import (
    DEFAULT_START,
    SHOCK_KEYS,
    SHOCK_KINDS,
    StressScenario,
    StressShock,
    allowed_keys,
)
from computeloop.scenario.timeaxis import Quarter

F = NDArray[np.float64]

DEFAULT_PRESET_START = DEFAULT_START
"""Start of every shock written without one (presets, ``--shock`` specs, scenario stresses,
reverse stress): the first quarter in which every chip deal of the default scenario has
production under way."""

_PRESETS: dict[str, tuple[str, list[dict[str, object]]]] = {
    "lab-cut-25": (
        "the lab cuts every GW tranche due from the start by 25%",
        [{"kind": "deployment_cut", "size": 0.25}],
    ),
    "lab-cut-50": (
        "the lab cuts every GW tranche due from the start by 50%",
        [{"kind": "deployment_cut", "size": 0.5}],
    ),
    "lab-cut-100": (
        "the lab takes no GW due from the start",
        [{"kind": "deployment_cut", "size": 1.0}],
    ),
    "delay-4q": (
        "every GW tranche due from the start slips by four quarters",
        [{"kind": "delay", "size": 4}],
    ),
    "revenue-growth-half": (
        "the lab's demand growth halves from the start",
        [{"kind": "revenue_growth", "size": 0.5}],
    ),
    "missed-lease-payment": (
        "the lab misses one quarter of lease and rent payments at the start",
        [{"kind": "missed_payment", "size": 1.0, "quarters": 1}],
    ),
    "amd-price-50": (
        "AMD's share price falls 50% from the start (warrant hurdles bind)",
        [{"kind": "share_price", "size": 0.5, "entity": "AMD"}],
    ),
}
PRESET_NAMES: tuple[str, ...] = tuple(_PRESETS)


def parse_quarter(value: str | Quarter, what: str = "start") -> Quarter:
    """A quarter from user input; a bad one is an ``InputError`` naming ``what``."""
    try:
        return Quarter.parse(value)
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from None


def preset(name: str, start: str | Quarter | None = None) -> StressScenario:
    """A named preset stress, starting in ``start`` (default ``DEFAULT_PRESET_START``).

    >>> preset("lab-cut-50").shocks[0].size
    0.5
    """
    if name not in _PRESETS:
        raise InputError(f"preset: unknown name {name!r}; choose one of {list(PRESET_NAMES)}")
    title, shocks = _PRESETS[name]
    q = parse_quarter(start or DEFAULT_PRESET_START)
    return StressScenario(
        name=name,
        title=title,
        shocks=[StressShock.model_validate({**sh, "start": q}) for sh in shocks],
    )


def find_stress(s: Scenario, name: str, start: str | Quarter | None = None) -> StressScenario:
    """A stress defined in the scenario's ``stresses``, else a preset of that name."""
    for st in s.stresses:
        if st.name == name:
            if start is None:
                return st
            q = parse_quarter(start)
            return st.model_copy(
                update={"shocks": [sh.model_copy(update={"start": q}) for sh in st.shocks]}
            )
    if name in _PRESETS:
        return preset(name, start)
    known = list(PRESET_NAMES) + [st.name for st in s.stresses]
    raise InputError(f"preset: unknown name {name!r}; choose one of {known}")


_SPEC = re.compile(r"^\s*([a-z_]+)\s*:\s*([^@,]+?)\s*(?:@\s*([^,]+?)\s*)?(?:,(.*))?$")


def parse_shock(spec: str) -> StressShock:
    """A shock from a one-line spec: ``KIND:SIZE[@QUARTER][,key=value...]``.

    Keys: ``deals=a+b`` (deployment_cut, delay), ``entity=NAME`` (share_price),
    ``quarters=N`` (missed_payment).

    >>> parse_shock("deployment_cut:0.5@2027Q1,deals=nvidia-10gw").deals
    ['nvidia-10gw']
    >>> parse_shock("share_price:0.5@2026Q2,entity=AMD").entity
    'AMD'
    """
    m = _SPEC.match(spec)
    if not m:
        raise InputError(
            f"shock {spec!r}: expected KIND:SIZE[@QUARTER][,key=value...], "
            f"e.g. deployment_cut:0.5@2027Q1; kinds: {list(SHOCK_KINDS)}"
        )
    kind, size, start, rest = m.groups()
    if kind not in SHOCK_KINDS:
        raise InputError(
            f"shock {spec!r}: unknown kind {kind!r}; choose one of {list(SHOCK_KINDS)}"
        )
    data: dict[str, object] = {"kind": kind, "size": _number(spec, size)}
    if start:
        data["start"] = start
    for item in (rest or "").split(","):
        if not item.strip():
            continue
        key, eq, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or key not in ("deals", "entity", "quarters"):
            raise InputError(
                f"shock {spec!r}: bad option {item.strip()!r}; use deals=A+B, entity=NAME "
                "or quarters=N"
            )
        if key not in SHOCK_KEYS[kind]:
            raise InputError(
                f"shock {spec!r}: key {key!r} does not apply to {kind}; {allowed_keys(kind)}"
            )
        if key in data:
            raise InputError(f"shock {spec!r}: key {key!r} given twice")
        data[key] = [d for d in value.split("+") if d] if key == "deals" else value
    return _validated(spec, data)


def _number(spec: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"shock {spec!r}: size must be a number, got {text!r}") from None
    if not np.isfinite(value):
        raise InputError(f"shock {spec!r}: size must be finite, got {text!r}")
    return value


def _validated(spec: str, data: dict[str, object]) -> StressShock:
    from pydantic import ValidationError

    try:
        return StressShock.model_validate(data)
    except ValidationError as exc:
        msgs = []
        for e in exc.errors():
            msg = str(e["msg"]).removeprefix("Value error, ")
            loc = ".".join(str(p) for p in e["loc"])
            msgs.append(f"{loc}: {msg}" if loc else msg)
        raise InputError(f"shock {spec!r}: {'; '.join(msgs)}") from None


def custom_stress(shocks: list[StressShock], name: str = "custom") -> StressScenario:
    """A stress made of user-given shocks (``--shock`` on the command line)."""
    if not shocks:
        raise InputError("stress: give --preset NAME or at least one --shock SPEC")
    return StressScenario(name=name, title="user-defined shocks", shocks=shocks)


# --- applying shocks ----------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """A stress ready to run: the transformed scenario and the rest of the shocks.

    ``start``: index of the earliest shock quarter; ``cut_gw`` (deal -> (T,)): GW of the
    original schedule removed per quarter (deployment cuts); ``built_ahead_gw`` (deal ->
    GW): the part of the cut that was already in production (or being built) when the cut
    came, i.e. due within the deal's lead time of the shock; ``missed`` (T,): share of
    the lab's lease and rent bills left unpaid per quarter.
    """

    stress: StressScenario
    scenario: Scenario
    start: int
    cut_gw: dict[str, F]
    built_ahead_gw: dict[str, float]
    demand_shocks: tuple[StressShock, ...]
    price_shocks: tuple[StressShock, ...]
    missed: F


def shock_start(s: Scenario, shock: StressShock) -> int:
    """Index of the shock's first quarter (default ``DEFAULT_START``, 2027Q1)."""
    q = shock.start or Quarter.parse(DEFAULT_START)
    if not s.time.contains(q):
        hint = "" if shock.start else " (the default start; give @QUARTER or --start)"
        raise InputError(
            f"shock {shock.kind}: start {q}{hint} is outside the time axis "
            f"{s.time.start}-{s.time.end}"
        )
    return s.time.index(q)


def check_shock(s: Scenario, shock: StressShock) -> None:
    """Refuse a shock the scenario cannot take: an unknown or non-delivering deal, an
    unknown entity, or a share-price fall of an entity that has no share price."""
    deals = [d.name for d in s.deals if isinstance(d, ComputeCommitment | CapacityContract)]
    for name in shock.deals:
        if name not in deals:
            raise InputError(
                f"shock {shock.kind}: deals: unknown or non-delivering deal {name!r}; "
                f"must be one of {deals}"
            )
    if shock.entity is None:
        return
    known = {e.name: e for e in s.entities}
    priced = [e.name for e in s.entities if e.share_price_quarter is not None]
    ent = known.get(shock.entity)
    if ent is None:
        raise InputError(
            f"shock {shock.kind}: entity: unknown {shock.entity!r}; with a share price: {priced}"
        )
    if shock.kind == "share_price" and ent.share_price_quarter is None:
        raise InputError(
            f"shock share_price: entity {shock.entity!r} has no share price in the scenario "
            f"(no share_price_quarter), so its price cannot fall; with a share price: {priced}"
        )


def apply_stress(s: Scenario, stress: StressScenario) -> Applied:
    """Transform the scenario by the stress's schedule shocks; keep the others for later."""
    deals = {d.name: d for d in s.deals if isinstance(d, ComputeCommitment | CapacityContract)}
    T = s.time.n
    cut: dict[str, F] = {}
    built: dict[str, float] = {}
    missed = np.zeros(T)
    new = dict(deals)
    starts = []
    for shock in stress.shocks:
        t0 = shock_start(s, shock)
        starts.append(t0)
        check_shock(s, shock)
        targets = shock.deals or [n for n, d in deals.items() if _is_lab_deal(s, d)]
        if shock.kind == "deployment_cut":
            for name in targets:
                new[name], removed = _cut(s, new[name], t0, shock.size)
                cut[name] = cut.get(name, np.zeros(T)) + removed
                ahead = removed[t0 : t0 + _lead(deals[name])].sum()
                built[name] = built.get(name, 0.0) + float(ahead)
        elif shock.kind == "delay":
            for name in targets:
                new[name] = _delay(s, new[name], t0, int(shock.size))
        elif shock.kind == "missed_payment":
            missed[t0 : t0 + shock.quarters] = np.maximum(
                missed[t0 : t0 + shock.quarters], shock.size
            )
    replaced = [new.get(d.name, d) if d.name in new else d for d in s.deals]
    return Applied(
        stress=stress,
        scenario=s.model_copy(update={"deals": replaced}),
        start=min(starts),
        cut_gw=cut,
        built_ahead_gw=built,
        demand_shocks=tuple(
            sh for sh in stress.shocks if sh.kind in ("revenue_growth", "revenue_shortfall")
        ),
        price_shocks=tuple(sh for sh in stress.shocks if sh.kind == "share_price"),
        missed=missed,
    )


def _lead(d: ComputeCommitment | CapacityContract) -> int:
    if isinstance(d, ComputeCommitment):
        return int(d.lead_time_quarters.value)
    return int(d.build_lead_quarters.value)


def _is_lab_deal(s: Scenario, d: ComputeCommitment | CapacityContract) -> bool:
    party = d.buyer if isinstance(d, ComputeCommitment) else d.tenant
    return party == s.lab.name


Delivering = ComputeCommitment | CapacityContract


def _cut(s: Scenario, d: Delivering, t0: int, size: float) -> tuple[Delivering, F]:
    """Scale tranches due from ``t0`` by ``1 - size``; return the GW removed per quarter.

    The copy skips re-validation on purpose: a full cut leaves an empty schedule, which
    the engine reads as a deal with nothing left to deliver.
    """
    removed = np.zeros(s.time.n)
    schedule: list[GWTranche] = []
    for tr in d.schedule:
        t = s.time.index(tr.quarter)
        if t < t0:
            schedule.append(tr)
            continue
        removed[t] += tr.gw.value * size
        kept = tr.gw.value * (1.0 - size)
        if kept > 1e-12:
            schedule.append(GWTranche(quarter=tr.quarter, gw=Quantity(value=kept)))
    total = sum(tr.gw.value for tr in schedule)
    binding = d.binding_gw.model_copy(update={"value": min(d.binding_gw.value, total)})
    return d.model_copy(update={"schedule": schedule, "binding_gw": binding}), removed


def _delay(s: Scenario, d: Delivering, t0: int, n: int) -> Delivering:
    """Move tranches due from ``t0`` by ``n`` quarters (at most to the horizon's end)."""
    last = s.time.n - 1
    schedule = []
    for tr in d.schedule:
        t = s.time.index(tr.quarter)
        q = tr.quarter if t < t0 else s.time.start + min(t + n, last)
        schedule.append(GWTranche(quarter=q, gw=tr.gw))
    return d.model_copy(update={"schedule": schedule})


def shock_inputs(s: Scenario, applied: Applied, x: EngineInputs) -> EngineInputs:
    """Apply the demand and share-price shocks to compiled engine inputs (per path)."""
    if not applied.demand_shocks and not applied.price_shocks:
        return x
    demand = x.demand_shock.copy()
    for shock in applied.demand_shocks:
        t0 = shock_start(s, shock)
        if shock.kind == "revenue_shortfall":
            demand[:, t0:] *= 1.0 - shock.size
        else:
            demand *= _growth_multiplier(x, t0, 1.0 - shock.size)
    price = x.share_price.copy()
    names = list(x.entity_names)
    for shock in applied.price_shocks:
        t0 = shock_start(s, shock)
        price[:, t0:, names.index(str(shock.entity))] *= 1.0 - shock.size
    return dataclasses.replace(x, demand_shock=demand, share_price=price)


def _growth_multiplier(x: EngineInputs, t0: int, keep: float) -> F:
    """Demand with each driver's growth scaled by ``keep`` from ``t0``, over demand as is.

    Each driver grows by ``r_t = x_(t+1) / x_t - 1``; the shocked driver grows by
    ``keep * r_t`` from ``t0`` on, so its level is multiplied by
    ``prod_(s=t0)^(t-1) (1 + keep r_s) / (1 + r_s)``.
    """

    def scaled(series: F) -> F:
        safe = np.where(series[:, :-1] > 0, series[:, :-1], 1.0)
        r = series[:, 1:] / safe - 1.0
        step = (1.0 + keep * r) / np.maximum(1.0 + r, 1e-12)
        step[:, : max(t0, 0)] = 1.0
        ratio = np.concatenate([np.ones((series.shape[0], 1)), np.cumprod(step, axis=1)], axis=1)
        out: F = series * ratio
        return out

    consumer = scaled(x.users) * x.paying_share * scaled(x.revenue_per_payer_q)
    base = x.users * x.paying_share * x.revenue_per_payer_q + x.enterprise
    shocked = consumer + scaled(x.enterprise)
    out: F = np.where(base > 0, shocked / np.where(base > 0, base, 1.0), 1.0)
    return out
