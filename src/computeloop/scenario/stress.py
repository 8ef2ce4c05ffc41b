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

DEFAULT_START = "2027Q1"
"""First quarter of a shock written without a start (presets, ``--shock`` specs, scenario
stresses, reverse stress): the first quarter in which every chip deal of the default
scenario has production under way."""

SHOCK_KEYS: dict[str, tuple[str, ...]] = {
    "deployment_cut": ("deals",),
    "delay": ("deals",),
    "revenue_growth": (),
    "revenue_shortfall": (),
    "missed_payment": ("quarters",),
    "share_price": ("entity",),
}
"""For each kind: the keys besides ``size`` and ``start`` that it takes."""


def allowed_keys(kind: str) -> str:
    """The keys a kind takes, in words, for error messages.

    >>> allowed_keys("delay")
    'delay takes deals (besides size and start)'
    >>> allowed_keys("revenue_growth")
    'revenue_growth takes only size and start'
    """
    keys = SHOCK_KEYS[kind]
    if not keys:
        return f"{kind} takes only size and start"
    return f"{kind} takes {', '.join(keys)} (besides size and start)"


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
        f"first quarter the shock applies (default {DEFAULT_START})",
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
            raise ValueError(
                f"size {self.size:g} for {self.kind}: must be {lo:g} to {hi:g} ({meaning})"
            )
        if self.kind == "delay" and self.size != int(self.size):
            raise ValueError(f"size {self.size:g} for delay: must be a whole number of quarters")
        given = {
            "deals": bool(self.deals),
            "entity": self.entity is not None,
            # quarters has a default (1), which a dumped scenario writes out: only another
            # value shows that it was meant for a kind that does not take it
            "quarters": self.quarters != 1,
        }
        for key, present in given.items():
            if present and key not in SHOCK_KEYS[self.kind]:
                raise ValueError(f"{key}: does not apply to {self.kind}; {allowed_keys(self.kind)}")
        if self.kind == "share_price" and self.entity is None:
            raise ValueError("entity: required for share_price (the company whose price falls)")
        return self


class StressScenario(Frozen):
    """A named stress: the shocks applied together."""

    name: Name = field("unique stress name, used by `computeloop stress --preset NAME`")
    title: str = field("one-line description", default="")
    shocks: list[StressShock] = Field(..., min_length=1, description="the shocks, applied together")
