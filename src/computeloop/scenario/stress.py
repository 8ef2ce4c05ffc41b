"""User-defined stress scenarios: named sets of shocks, kept with the scenario as data.

A shock is a transformation of the scenario (a deployment cut scales the lab's GW
schedules, a delay shifts them, a growth cut lowers the demand path), of the market
paths (a share-price fall), or of what the lab pays (a missed payment). The stress
layer (``computeloop.stress``) applies them; the engine itself never changes.

Example, in a scenario file::

    stresses:
      - name: nvidia-walkaway
        title: OpenAI takes no further NVIDIA GW from 2027
        shocks:
          - {kind: deployment_cut, size: 1.0, start: 2027Q1, deals: [nvidia-10gw]}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from computeloop.scenario._fields import field
from computeloop.scenario.entities import Frozen, Name
from computeloop.scenario.timeaxis import Quarter

ShockKind = Literal[
    "deployment_cut",
    "delay",
    "revenue_growth",
    "revenue_shortfall",
    "missed_payment",
    "share_price",
]
SHOCK_KINDS: tuple[str, ...] = (
    "deployment_cut",
    "delay",
    "revenue_growth",
    "revenue_shortfall",
    "missed_payment",
    "share_price",
)

SIZE_RANGE: dict[str, tuple[float, float, str]] = {
    "deployment_cut": (0.0, 1.0, "share of every GW tranche due from `start` that is cut"),
    "delay": (0.0, 40.0, "whole quarters by which tranches due from `start` slip"),
    "revenue_growth": (0.0, 1.0, "share of the lab's demand growth lost from `start`"),
    "revenue_shortfall": (0.0, 1.0, "share of the lab's demand lost from `start`"),
    "missed_payment": (0.0, 1.0, "share of the lab's lease and rent bills left unpaid"),
    "share_price": (0.0, 1.0, "fall of `entity`'s share price from `start`"),
}
"""For each kind: the allowed range of ``size`` and what it means."""


class StressShock(Frozen):
    """One shock: a kind, a size, when it starts and what it applies to."""

    kind: ShockKind = field(
        "deployment_cut | delay | revenue_growth | revenue_shortfall | missed_payment | share_price"
    )
    size: float = field(
        "deployment_cut, revenue_growth, revenue_shortfall, missed_payment, share_price: a "
        "share from 0 to 1 (cut, growth lost, demand lost, bills unpaid, price fall); delay: "
        "whole quarters from 0 to 40",
        "",
        allow_inf_nan=False,
    )
    start: Quarter | None = field(
        "first quarter the shock applies (default: the quarter after meta.as_of)",
        "quarter",
        None,
    )
    quarters: int = field(
        "missed_payment: how many quarters of bills go unpaid", "quarters", 1, ge=1, le=40
    )
    deals: list[Name] = field(
        "deployment_cut and delay: the delivering deals it applies to (default: all of the "
        "lab's compute commitments and capacity contracts)",
        default=[],
    )
    entity: Name | None = field("share_price: the company whose share price falls", default=None)

    @model_validator(mode="after")
    def _size_in_range(self) -> StressShock:
        lo, hi, meaning = SIZE_RANGE[self.kind]
        if not lo <= self.size <= hi:
            raise ValueError(f"size for {self.kind}: must be {lo:g} to {hi:g} ({meaning})")
        if self.kind == "delay" and self.size != int(self.size):
            raise ValueError(f"size for delay: must be a whole number of quarters, got {self.size}")
        if self.kind == "share_price" and self.entity is None:
            raise ValueError("entity: required for a share_price shock")
        return self


class StressScenario(Frozen):
    """A named stress: the shocks applied together."""

    name: Name = field("unique stress name, used by `computeloop stress --preset NAME`")
    title: str = field("one-line description", default="")
    shocks: list[StressShock] = Field(..., min_length=1, description="the shocks, applied together")
