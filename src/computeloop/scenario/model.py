"""The scenario: time axis, entities, deals, policy; with cross-reference checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import numpy as np
from pydantic import model_validator

from computeloop.errors import Problem, ScenarioError
from computeloop.scenario._fields import field
from computeloop.scenario.deals import (
    CapacityContract,
    ComputeCommitment,
    Deal,
    EquityInvestment,
    Warrant,
)
from computeloop.scenario.entities import Entity, Frozen, Lab
from computeloop.scenario.quantity import (
    Amount,
    Correlation,
    Fraction,
    PositiveAmount,
    Quantity,
    Quarters,
    Rate,
)
from computeloop.scenario.stress import StressScenario
from computeloop.scenario.timeaxis import Quarter, TimeAxis


class Meta(Frozen):
    """What the scenario is, when it describes, and the sources it cites."""

    name: str = field("short scenario id", default="unnamed", min_length=1, max_length=80)
    title: str = field("one-line description", default="")
    as_of: dt.date = field(
        "date the scenario describes ('today' for reconciliation)", "date", dt.date(2025, 10, 17)
    )
    sources: dict[str, str] = field(
        "source ids used by `fact` provenance, with citations", default={}
    )
    hkd_per_usd: Amount | None = field(
        "exchange rate quoted by the source, if any", "HKD/USD", None
    )


class Physical(Frozen):
    """Physical conversions used to express GW as chips."""

    gpu_rack_kw: PositiveAmount = field("rack-level power per GPU", "kW/GPU", 1.67)
    pue: PositiveAmount = field("power usage effectiveness: facility power / IT power", "", 1.3)


class MarketModel(Frozen):
    """The common AI-demand factor of Monte Carlo runs (a deterministic run ignores it).

    A quarterly AR(1) factor ``f`` with unit stationary variance,
    ``f_t = phi f_(t-1) + sqrt(1 - phi^2) e_t``, starts at 0 in ``shocks_start``. The lab's
    demand is multiplied by ``exp(b f_t - b^2 var(f_t) / 2)`` (mean one); each listed
    company's share price follows a GBM whose shocks correlate with ``e_t`` by its
    ``share_price_factor_correlation``.
    """

    factor_persistence: Fraction = field(
        "phi: quarter-to-quarter persistence of the AI-demand factor", "", 0.8
    )
    lab_demand_loading: Amount = field(
        "b: standard deviation of the log demand multiplier once the factor is stationary",
        "",
        0.0,
    )
    shocks_start: Quarter | None = field(
        "first quarter with random shocks (default: the quarter after meta.as_of)",
        "quarter",
        None,
    )
    rest_of_market_loading: Amount = field(
        "loading of the chip vendors' other AI-chip demand on the factor (stress runs' "
        "industry layer): the sd of its log multiplier once the factor is stationary",
        "",
        0.2,
    )


class Industry(Frozen):
    """The AI-chip industry around the lab, used by stress runs (supply, glut, price).

    Vendors plan supply from demand forecast a deal's lead time ahead; the rest of the
    market's demand starts at the chip vendors' revenue and grows at
    ``rest_of_market_growth_annual``; unsold chips are carried as a stock, and the
    price index is ``(available / demand) ** (-1 / price_elasticity)``.
    """

    price_elasticity: PositiveAmount = field(
        "demand elasticity of AI-chip prices (higher: a glut moves prices less)", "", 1.5
    )
    rest_of_market_growth_annual: Rate = field(
        "annual growth of the chip vendors' demand from everyone but the lab", "1/yr", 0.25
    )


class RankCorrelation(Frozen):
    """A rank (Spearman) correlation between two numbers that vary across paths."""

    a: str = field("field path of the first number, e.g. entities[0].users.users_growth_q")
    b: str = field("field path of the second number")
    rho: Correlation = field("Spearman rank correlation", "")


class Policy(Frozen):
    """How the lab decides which GW it can fund, and what it does with the rest."""

    on_shortfall: Literal["defer", "cancel"] = field(
        "'defer': unfunded GW slip to the next quarter; 'cancel': unfunded GW are dropped. "
        "Binding (take-or-pay) GW are always taken on schedule",
        default="defer",
    )
    allocation: Literal["pro_rata", "in_order"] = field(
        "how a short budget is shared among deals: 'pro_rata' (each deal gets the same "
        "fraction of what is due) or 'in_order' (deals in file order, each in full)",
        default="pro_rata",
    )
    lookahead_quarters: Quarters = field(
        "quarters ahead the lab counts on its current operating cash flow and on new capital "
        "when it commits to GW",
        "quarters",
        4.0,
    )
    min_cash_usd: Amount = field("cash buffer the lab never plans to go below", "USD", 0.0)


class Scenario(Frozen):
    """A complete, validated scenario.

    >>> from computeloop import default_scenario
    >>> default_scenario().lab.name
    'OpenAI'
    """

    meta: Meta = field("name, date and sources", default=Meta())
    time: TimeAxis = field("quarterly time axis", default=TimeAxis())
    physical: Physical = field("physical conversions", default=Physical())
    policy: Policy = field("funding policy of the lab", default=Policy())
    market: MarketModel = field("AI-demand factor for Monte Carlo runs", default=MarketModel())
    industry: Industry = field("AI-chip industry layer of stress runs", default=Industry())
    correlations: list[RankCorrelation] = field(
        "rank correlations between uncertain numbers", default=[]
    )
    correlation_method: Literal["gaussian_copula", "iman_conover"] = field(
        "how 'correlations' are imposed: 'gaussian_copula' (correlated normals mapped through "
        "each number's distribution; exact in expectation, path by path) or 'iman_conover' "
        "(draws reordered within each block to the target rank correlation; exact marginals "
        "in every block)",
        default="gaussian_copula",
    )
    entities: list[Entity] = field("entities: exactly one lab, plus vendors, builders, investors")
    deals: list[Deal] = field("deals between the entities", default=[])
    stresses: list[StressScenario] = field(
        "named stress scenarios (user-defined shocks) for `computeloop stress --preset NAME`",
        default=[],
    )

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems = list(_check(self))
        if problems:
            raise ScenarioError(problems)
        return self

    @property
    def lab(self) -> Lab:
        return next(e for e in self.entities if isinstance(e, Lab))

    def entity(self, name: str) -> Entity:
        for e in self.entities:
            if e.name == name:
                return e
        raise KeyError(name)

    def deal(self, name: str) -> Deal:
        for d in self.deals:
            if d.name == name:
                return d
        raise KeyError(name)

    def deals_of(self, kind: type[Any]) -> list[Any]:
        return [d for d in self.deals if isinstance(d, kind)]

    def planned_chip_revenue(self, vendor: str) -> float:
        """Chip revenue the vendor's compute commitments promise if every GW is delivered."""
        return sum(
            d.total_gw * d.chip_usd_per_gw.value
            for d in self.deals
            if isinstance(d, ComputeCommitment) and d.vendor == vendor
        )

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form: equal scenarios hash equal."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    def quantities(self) -> Iterator[tuple[str, Quantity]]:
        """Every number in the scenario with its field path."""
        yield from _walk(self, "")


def _walk(obj: Any, path: str) -> Iterator[tuple[str, Quantity]]:
    if isinstance(obj, Quantity):
        yield path, obj
    elif isinstance(obj, Frozen):
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name), f"{path}.{name}" if path else name)
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _walk(item, f"{path}[{i}]")


_ROLE_KINDS: dict[tuple[type[Any], str], tuple[str, ...]] = {
    (ComputeCommitment, "buyer"): ("lab",),
    (ComputeCommitment, "vendor"): ("chip_vendor",),
    (EquityInvestment, "investor"): ("chip_vendor", "builder", "investor"),
    (EquityInvestment, "investee"): ("lab",),
    (Warrant, "issuer"): ("chip_vendor", "builder"),
    (Warrant, "holder"): ("lab",),
    (CapacityContract, "tenant"): ("lab",),
}


def _check(s: Scenario) -> Iterator[Problem]:
    kinds = {e.name: e.kind for e in s.entities}
    yield from _check_entities(s)
    names = [d.name for d in s.deals]
    for i, d in enumerate(s.deals):
        if names.index(d.name) != i:
            yield Problem(f"deals[{i}].name", f"duplicate deal name {d.name!r}")
        for (cls, role), allowed in _ROLE_KINDS.items():
            if isinstance(d, cls):
                yield from _check_role(f"deals[{i}].{role}", getattr(d, role), allowed, kinds)
        if isinstance(d, CapacityContract):
            for j, b in enumerate(d.builders):
                yield from _check_role(
                    f"deals[{i}].builders[{j}].entity", b.entity, ("builder",), kinds
                )
        if isinstance(d, EquityInvestment | Warrant):
            yield from _check_trigger(s, i, d.trigger_deal)
        if isinstance(d, Warrant):
            issuer = kinds.get(d.issuer)
            ent = s.entity(d.issuer) if issuer else None
            if ent is not None and ent.share_price_usd.value <= 0:
                yield Problem(f"deals[{i}].issuer", f"{d.issuer!r} needs share_price_usd > 0")
        yield from _check_quarters(s, i, d)
        yield from _check_totals(i, d)
        if d.source and not _is_source(d.source, set(s.meta.sources)):
            yield Problem(
                f"deals[{i}].source",
                f"{d.source!r} is neither a URL nor an id in meta.sources {sorted(s.meta.sources)}",
            )
        if isinstance(d, ComputeCommitment) and d.custom_silicon and d.resale_fraction.value > 0.2:
            yield Problem(
                f"deals[{i}].resale_fraction",
                f"custom silicon cannot be resold at {d.resale_fraction.value:g} of cost; "
                "must be <= 0.2 when custom_silicon is true",
            )
    yield from _check_sources(s)
    yield from _check_correlations(s)
    yield from _check_stresses(s)


def _check_stresses(s: Scenario) -> Iterator[Problem]:
    """Stress shocks name existing deals and entities and start inside the time axis."""
    kinds = {e.name: e for e in s.entities}
    delivering = [d.name for d in s.deals if isinstance(d, ComputeCommitment | CapacityContract)]
    seen: set[str] = set()
    for i, st in enumerate(s.stresses):
        if st.name in seen:
            yield Problem(f"stresses[{i}].name", f"duplicate stress name {st.name!r}")
        seen.add(st.name)
        for j, shock in enumerate(st.shocks):
            loc = f"stresses[{i}].shocks[{j}]"
            if shock.start is not None and not s.time.contains(shock.start):
                yield Problem(f"{loc}.start", _outside(shock.start, s.time))
            for k, name in enumerate(shock.deals):
                if name not in delivering:
                    yield Problem(
                        f"{loc}.deals[{k}]",
                        f"unknown or non-delivering deal {name!r}; must be one of {delivering}",
                    )
            if shock.deals and shock.kind not in ("deployment_cut", "delay"):
                yield Problem(
                    f"{loc}.deals", f"applies to deployment_cut and delay only, not {shock.kind}"
                )
            if shock.entity is not None:
                ent = kinds.get(shock.entity)
                if ent is None:
                    yield Problem(
                        f"{loc}.entity", f"unknown entity {shock.entity!r}; known: {sorted(kinds)}"
                    )
                elif shock.kind == "share_price" and ent.share_price_quarter is None:
                    yield Problem(f"{loc}.entity", f"{shock.entity!r} has no share price to shock")


def _check_entities(s: Scenario) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, e in enumerate(s.entities):
        if e.name in seen:
            yield Problem(f"entities[{i}].name", f"duplicate entity name {e.name!r}")
        seen.add(e.name)
        if e.share_price_usd.value > 0 and e.share_price_quarter is None:
            yield Problem(f"entities[{i}].share_price_quarter", "required when share_price_usd > 0")
    labs = [(i, e) for i, e in enumerate(s.entities) if isinstance(e, Lab)]
    if len(labs) != 1:
        yield Problem("entities", f"exactly one entity of kind 'lab' is supported, got {len(labs)}")
        return
    index, lab = labs[0]
    loc = f"entities[{index}]"
    for j, item in enumerate(lab.funding.committed):
        if not s.time.contains(item.quarter):
            yield Problem(f"{loc}.funding.committed[{j}].quarter", _outside(item.quarter, s.time))
    for j, one in enumerate(lab.costs.one_offs):
        if not s.time.contains(one.quarter):
            yield Problem(f"{loc}.costs.one_offs[{j}].quarter", _outside(one.quarter, s.time))
    ramp = lab.users.paying_share_ramp_start
    if ramp is not None and not s.time.contains(ramp):
        yield Problem(f"{loc}.users.paying_share_ramp_start", _outside(ramp, s.time))


def _check_role(
    loc: str, name: str, allowed: tuple[str, ...], kinds: Mapping[str, str]
) -> Iterator[Problem]:
    if name not in kinds:
        yield Problem(loc, f"unknown entity {name!r}; known: {sorted(kinds)}")
    elif kinds[name] not in allowed:
        yield Problem(loc, f"{name!r} is a {kinds[name]}, must be one of {list(allowed)}")


def _check_trigger(s: Scenario, i: int, trigger: str) -> Iterator[Problem]:
    delivering = [d.name for d in s.deals if isinstance(d, ComputeCommitment | CapacityContract)]
    if trigger not in delivering:
        yield Problem(
            f"deals[{i}].trigger_deal",
            f"unknown or non-delivering deal {trigger!r}; must be one of {delivering}",
        )


def _outside(qtr: Quarter, axis: TimeAxis) -> str:
    return f"{qtr} is outside the time axis {axis.start}-{axis.end}"


def _check_quarters(s: Scenario, i: int, d: Any) -> Iterator[Problem]:
    for j, t in enumerate(getattr(d, "schedule", [])):
        if not s.time.contains(t.quarter):
            yield Problem(f"deals[{i}].schedule[{j}].quarter", _outside(t.quarter, s.time))
    if isinstance(d, Warrant) and d.expiry < s.time.start:
        yield Problem(
            f"deals[{i}].expiry", f"{d.expiry} is before the time axis starts ({s.time.start})"
        )
    elif isinstance(d, Warrant) and d.expiry < Quarter.parse(d.announced):
        yield Problem(
            f"deals[{i}].expiry",
            f"{d.expiry} is before the warrant was announced ({d.announced}); "
            "no tranche could ever vest",
        )
    total = getattr(d, "total_gw", None)
    binding = getattr(d, "binding_gw", None)
    if total is not None and binding is not None and binding.value > total + 1e-9:
        yield Problem(
            f"deals[{i}].binding_gw",
            f"must be <= the scheduled total of {total:g} GW, got {binding.value:g}",
        )


def _check_correlations(s: Scenario) -> Iterator[Problem]:
    """Correlations name existing numbers, each pair once, and hold together (PD)."""
    known = {path for path, _ in s.quantities()}
    seen: dict[frozenset[str], int] = {}
    names: list[str] = []
    for j, c in enumerate(s.correlations):
        for side in ("a", "b"):
            if getattr(c, side) not in known:
                yield Problem(f"correlations[{j}].{side}", f"no number at {getattr(c, side)!r}")
        pair = frozenset((c.a, c.b))
        if c.a == c.b:
            yield Problem(f"correlations[{j}]", "a number cannot be correlated with itself")
        elif pair in seen:
            yield Problem(f"correlations[{j}]", f"same pair as correlations[{seen[pair]}]")
        seen[pair] = j
        names += [n for n in (c.a, c.b) if n not in names]
    if s.correlations and not _positive_definite(s, names):
        yield Problem(
            "correlations",
            "the correlations cannot hold together (the matrix is not positive definite); "
            "lower some of them",
        )


def copula_matrix(correlations: list[RankCorrelation], names: list[str]) -> Any:
    """The Gaussian copula's normal correlation matrix over ``names``.

    Each Spearman ``rho_s`` becomes ``2 sin(pi rho_s / 6)`` (Kruskal, JASA 1958); pairs
    naming a number outside ``names`` are skipped (callers report them).
    """
    idx = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    for c in correlations:
        if c.a != c.b and c.a in idx and c.b in idx:
            r = 2.0 * np.sin(np.pi * c.rho.value / 6.0)
            m[idx[c.a], idx[c.b]] = m[idx[c.b], idx[c.a]] = r
    return m


def _positive_definite(s: Scenario, names: list[str]) -> bool:
    """Whether the normal-copula matrix implied by the rank correlations is PD."""
    try:
        np.linalg.cholesky(copula_matrix(s.correlations, names))
    except np.linalg.LinAlgError:
        return False
    return True


def _check_totals(i: int, d: Any) -> Iterator[Problem]:
    if isinstance(d, Warrant):
        total = sum(t.shares.value for t in d.tranches)
        if abs(total - d.shares.value) > 1e-6 * max(1.0, d.shares.value):
            yield Problem(
                f"deals[{i}].tranches",
                f"tranche shares add up to {total:,.0f}, but shares is {d.shares.value:,.0f}; "
                "they must be equal",
            )
    if isinstance(d, CapacityContract):
        total = sum(b.share.value for b in d.builders)
        if abs(total - 1.0) > 1e-6:
            yield Problem(f"deals[{i}].builders", f"shares must add up to 1, got {total:g}")


def _check_sources(s: Scenario) -> Iterator[Problem]:
    """Every `fact` cites a URL or a source id declared in meta.sources."""
    known = set(s.meta.sources)
    for path, qty in s.quantities():
        p = qty.provenance
        if p is not None and p.kind == "fact" and not _is_source(p.text, known):
            yield Problem(
                path,
                f"fact source {p.text!r} is neither a URL nor an id in meta.sources "
                f"{sorted(known)}",
            )


def _is_source(text: str, known: set[str]) -> bool:
    first = text.split(";")[0].strip()
    return first in known or first.startswith(("http://", "https://"))
