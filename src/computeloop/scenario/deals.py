"""Deals: frozen, typed records with no valuation methods.

Four types, told apart by ``type``:

- ``compute_commitment``: a buyer commits to take GW of chips from a vendor;
- ``equity_investment``: an investor pays tranches as a deal's GW come online;
- ``warrant``: an issuer grants shares that vest on GW milestones and price hurdles;
- ``capacity_contract``: builders spend the capex, a tenant pays rent per GW-year.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from computeloop.scenario._fields import field
from computeloop.scenario.entities import Frozen, Name
from computeloop.scenario.quantity import (
    Amount,
    Fraction,
    Gigawatts,
    PositiveAmount,
    PositiveGigawatts,
    PositiveQuarters,
    Quarters,
    Rate,
)
from computeloop.scenario.timeaxis import Quarter


class GWTranche(Frozen):
    """GW scheduled to come online in one quarter."""

    quarter: Quarter = field("quarter the GW are due online", "quarter")
    gw: PositiveGigawatts = field("gigawatts due", "GW")


class DealBase(Frozen):
    name: Name = field("unique deal name")
    announced: dt.date = field("announcement date", "date")
    source: str = field("source id (see `meta.sources`) or URL of the announcement", default="")
    headline_usd: Amount | None = field(
        "the amount as announced, shown by `computeloop deals`; the engine uses the terms",
        "USD",
        None,
    )
    note: str | None = field("free text", default=None)


class ComputeCommitment(DealBase):
    """A buyer commits to take GW of a vendor's chips on a schedule."""

    type: Literal["compute_commitment"] = field(
        "deal type: selects the fields below", default="compute_commitment"
    )
    buyer: Name = field("the lab taking the compute")
    vendor: Name = field("the chip vendor")
    schedule: list[GWTranche] = field("GW due online, by quarter", min_length=1)
    chip_usd_per_gw: Amount = field("vendor's chip revenue per GW delivered", "USD/GW")
    other_usd_per_gw: Amount = field(
        "rest of the build per GW (facility, power, networking, memory) paid by the buyer",
        "USD/GW",
    )
    binding_gw: Gigawatts = field(
        "GW the buyer must take on schedule whatever its funding (take-or-pay)", "GW", 0.0
    )
    financing: Literal["own", "lease"] = field(
        "'own': buyer pays at delivery; 'lease': buyer pays an annuity over `lease_quarters`",
        default="own",
    )
    lease_quarters: PositiveQuarters = field(
        "lease term when financing is 'lease'", "quarters", 20.0
    )
    lease_rate_annual: Rate = field("implied financing rate of the lease", "1/yr", 0.10)
    lead_time_quarters: Quarters = field(
        "quarters ahead of delivery the vendor produces the chips", "quarters", 2.0
    )
    resale_fraction: Fraction = field(
        "share of production cost recovered if produced chips are never taken (custom: ~0)", "", 0.5
    )
    custom_silicon: bool = field(
        "chips fit only the buyer's systems; then resale_fraction must be at most 0.2",
        default=False,
    )
    useful_life_quarters: PositiveQuarters = field(
        "hardware life: delivered GW go offline after it, and owned hardware depreciates over it",
        "quarters",
        24.0,
    )

    @property
    def total_gw(self) -> float:
        return sum(t.gw.value for t in self.schedule)


class EquityInvestment(DealBase):
    """An investor pays equity tranches as a deal's GW come online."""

    type: Literal["equity_investment"] = field(
        "deal type: selects the fields below", default="equity_investment"
    )
    investor: Name = field("who invests")
    investee: Name = field("the lab receiving the money")
    trigger_deal: Name = field("deal whose delivered GW release the tranches")
    usd_per_gw: Amount = field("investment paid per GW delivered under `trigger_deal`", "USD/GW")
    max_usd: Amount = field("cap on the total investment", "USD")


class WarrantTranche(Frozen):
    """Shares that vest once the GW milestone and the price hurdle are both met."""

    shares: PositiveAmount = field("shares in this tranche", "shares")
    gw_milestone: Gigawatts = field(
        "cumulative GW delivered under `trigger_deal` needed to vest", "GW"
    )
    price_hurdle_usd: Amount = field(
        "issuer share price needed to vest (0 = no hurdle)", "USD/share", 0.0
    )


class Warrant(DealBase):
    """Shares granted by the issuer that vest on a GW milestone AND a price hurdle."""

    type: Literal["warrant"] = field("deal type: selects the fields below", default="warrant")
    issuer: Name = field("company issuing the shares")
    holder: Name = field("who receives them")
    trigger_deal: Name = field("deal whose delivered GW count towards the milestones")
    shares: PositiveAmount = field("total shares under the warrant", "shares")
    strike_usd: Amount = field("exercise price per share", "USD/share")
    tranches: list[WarrantTranche] = field("vesting tranches", min_length=1)
    expiry: Quarter = field("last quarter in which a tranche can vest", "quarter")
    holder_sells_on_vesting: bool = field(
        "holder exercises and sells vested shares at once, funding its purchases", default=True
    )


class BuilderShare(Frozen):
    """One builder's part of a capacity contract."""

    entity: Name = field("builder")
    share: Fraction = field("share of capacity built and of rent received", "")


class CapacityContract(DealBase):
    """Builders spend the capex; the tenant pays rent per GW-year once online."""

    type: Literal["capacity_contract"] = field(
        "deal type: selects the fields below", default="capacity_contract"
    )
    tenant: Name = field("the lab renting the capacity")
    builders: list[BuilderShare] = field("who builds, and their shares", min_length=1)
    schedule: list[GWTranche] = field("GW due online, by quarter", min_length=1)
    capex_usd_per_gw: Amount = field("builders' all-in capex per GW", "USD/GW")
    build_lead_quarters: Quarters = field(
        "quarters before the due date that building (and spending) starts", "quarters", 4.0
    )
    rent_usd_per_gw_year: Amount = field("rent the tenant pays per GW online per year", "USD/GW/yr")
    term_quarters: PositiveQuarters = field(
        "lease term: rent is paid, and the GW stay online, for this many quarters after take-up",
        "quarters",
        20.0,
    )
    debt_financed_share: Fraction = field("share of capex funded with new debt", "", 0.7)
    binding_gw: Gigawatts = field(
        "GW the tenant must take on schedule whatever its funding (take-or-pay)", "GW", 0.0
    )
    relet_fraction: Fraction = field(
        "share of capex recovered by re-letting capacity the tenant cancels", "", 0.7
    )

    @property
    def total_gw(self) -> float:
        return sum(t.gw.value for t in self.schedule)


Deal = Annotated[
    ComputeCommitment | EquityInvestment | Warrant | CapacityContract,
    Field(discriminator="type"),
]
DEAL_TYPES = ("compute_commitment", "equity_investment", "warrant", "capacity_contract")
