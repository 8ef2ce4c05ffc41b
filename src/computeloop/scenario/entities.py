"""Entities: the lab, chip vendors, builders/lessors and investors."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from computeloop.scenario._fields import field
from computeloop.scenario.quantity import (
    Amount,
    Correlation,
    Fraction,
    Gigawatts,
    PositiveAmount,
    Quarters,
    Rate,
)
from computeloop.scenario.timeaxis import Quarter

Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=60, pattern=r"^[A-Za-z][A-Za-z0-9 ._&-]*$"),
]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EntityBase(Frozen):
    name: Name = field("unique name, used to refer to the entity in deals")
    cash_usd: Amount = field("cash and liquid securities at the start of the time axis", "USD", 0.0)
    debt_usd: Amount = field("financial debt at the start of the time axis", "USD", 0.0)
    revenue_annual_usd: Amount = field(
        "annual revenue at the start, excluding anything from the scenario's deals", "USD", 0.0
    )
    shares_outstanding: Amount = field(
        "shares outstanding at the start (0 if private)", "shares", 0.0
    )
    share_price_usd: Amount = field("share price at `share_price_quarter`", "USD/share", 0.0)
    share_price_quarter: Quarter | None = field(
        "quarter in which `share_price_usd` was observed", "quarter", None
    )
    share_price_drift_annual: Rate = field(
        "central annual share-price growth used for the deterministic price path", "1/yr", 0.0
    )
    share_price_volatility_annual: Amount = field(
        "annualised share-price volatility (used by Monte Carlo runs)", "1/sqrt(yr)", 0.0
    )
    share_price_factor_correlation: Correlation = field(
        "correlation of share-price returns with the AI-demand factor's innovations "
        "(Monte Carlo runs)",
        "",
        0.0,
    )
    book_equity_usd: Amount = field(
        "shareholders' equity at the start (0 = not given); stress losses are reported as a "
        "share of it",
        "USD",
        0.0,
    )
    note: str | None = field("free text", default=None)


class ChipVendor(EntityBase):
    """A chip or systems vendor selling to the lab."""

    kind: Literal["chip_vendor"] = field(
        "entity kind: selects the fields below", default="chip_vendor"
    )
    gross_margin: Fraction = field(
        "gross margin on chips sold to the lab; production cost = (1 - margin) x price", "", 0.6
    )


class Builder(EntityBase):
    """A builder or lessor of data-centre capacity."""

    kind: Literal["builder"] = field("entity kind: selects the fields below", default="builder")
    rent_margin: Fraction = field(
        "share of rent from the lab that is profit after running costs and depreciation "
        "(stress tests count lost rent at this margin; 0 = not given)",
        "",
        0.0,
    )


class Investor(EntityBase):
    """A financial investor with no operating role in the scenario."""

    kind: Literal["investor"] = field("entity kind: selects the fields below", default="investor")


class UserDrivers(Frozen):
    """Consumer revenue = weekly users x paying share x revenue per payer."""

    weekly_users_start: PositiveAmount = field("weekly active users in the first quarter", "users")
    users_growth_q: Rate = field("quarterly growth of weekly users in the first quarter", "1/qtr")
    users_growth_decay: Fraction = field(
        "each quarter the users' growth rate is multiplied by this (1 = constant growth)", "", 1.0
    )
    paying_share_start: Fraction = field("share of weekly users who pay, first quarter", "")
    paying_share_end: Fraction = field("paying share reached after the ramp", "")
    paying_share_ramp_start: Quarter | None = field(
        "first quarter of the paying-share ramp (default: the first simulated quarter)",
        "quarter",
        None,
    )
    paying_share_ramp_quarters: Quarters = field(
        "quarters over which the paying share moves linearly from start to end", "quarters", 1.0
    )
    revenue_per_payer_month_usd: PositiveAmount = field(
        "average revenue per paying user per month", "USD/month"
    )
    revenue_per_payer_growth_q: Rate = field(
        "quarterly growth of revenue per payer in the first quarter", "1/qtr", 0.0
    )
    revenue_per_payer_growth_decay: Fraction = field(
        "each quarter the growth of revenue per payer is multiplied by this", "", 1.0
    )
    enterprise_revenue_q_start: Amount = field(
        "API and enterprise revenue in the first quarter", "USD/qtr"
    )
    enterprise_growth_q: Rate = field("quarterly growth of API/enterprise revenue", "1/qtr")
    enterprise_growth_decay: Fraction = field(
        "each quarter the enterprise growth rate is multiplied by this", "", 1.0
    )


class CostLine(Frozen):
    """One operating-cost line: a fixed part growing at a rate plus a share of revenue."""

    fixed_q_usd: Amount = field("fixed cost in the first quarter", "USD/qtr", 0.0)
    fixed_growth_q: Rate = field("quarterly growth of the fixed part, first quarter", "1/qtr", 0.0)
    fixed_growth_decay: Fraction = field(
        "each quarter the fixed part's growth rate is multiplied by this", "", 1.0
    )
    share_of_revenue: Fraction = field("variable part, as a share of revenue", "", 0.0)
    cash_share: Fraction = field(
        "share paid in cash (the rest is stock-based compensation)", "", 1.0
    )


class OneOffItem(Frozen):
    """A one-off profit-and-loss item, e.g. a remeasurement charge."""

    quarter: Quarter = field("quarter booked", "quarter")
    usd: Amount = field("the cost (gains are not modelled)", "USD")
    cash: bool = field("whether it moves cash (remeasurements do not)", default=False)


class LabCosts(Frozen):
    """Operating costs outside the scenario's deals."""

    research: CostLine = field("R&D: research staff and training compute on existing capacity")
    serving_admin: CostLine = field(
        "cost of revenue outside the deals (revenue share, power, rented compute) and G&A"
    )
    sales_marketing: CostLine = field("sales and marketing")
    one_offs: list[OneOffItem] = field("one-off items below operating profit", default=[])


class FundingInflow(Frozen):
    """External money already committed to the lab, and when it arrives."""

    quarter: Quarter = field("quarter the money arrives", "quarter")
    usd: PositiveAmount = field("amount", "USD")
    source: str = field("who provides it", default="")


class LabFunding(Frozen):
    """Where the lab's money comes from beyond revenue and vendor deals."""

    committed: list[FundingInflow] = field(
        "external funding already committed (equity rounds, loans), by quarter", default=[]
    )
    max_new_funding_q_usd: Amount = field(
        "new, uncommitted external capital the lab can raise per quarter on average "
        "(capacity unused in one quarter can be drawn later)",
        "USD/qtr",
    )
    debt_capacity_usd: Amount = field("undrawn credit line available from the start", "USD", 0.0)
    interest_rate_annual: Rate = field("interest rate on drawn debt", "1/yr", 0.06)


class Lab(EntityBase):
    """The AI lab whose commitments drive the scenario."""

    kind: Literal["lab"] = field("entity kind: selects the fields below", default="lab")
    compute_online_gw: Gigawatts = field("compute online at the start of the time axis", "GW")
    revenue_per_gw_year_usd: PositiveAmount = field(
        "most revenue one GW of online compute can serve in a year (the compute cap)", "USD/GW/yr"
    )
    revenue_2024_usd: Amount = field("revenue in calendar 2024 (history, for checks)", "USD", 0.0)
    users: UserDrivers = field("consumer and enterprise revenue drivers")
    costs: LabCosts = field("operating costs outside the scenario's deals")
    funding: LabFunding = field("funding sources and limits")
    valuation_revenue_multiple: Amount = field(
        "valuation as a multiple of annualised revenue (marks vendor stakes)", "x", 25.0
    )


Entity = Annotated[Lab | ChipVendor | Builder | Investor, Field(discriminator="kind")]
ENTITY_KINDS = ("lab", "chip_vendor", "builder", "investor")
