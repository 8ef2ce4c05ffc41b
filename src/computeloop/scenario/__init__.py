"""Scenario schema and loading: the only layer that reads files."""

from computeloop.scenario.deals import (
    CapacityContract,
    ComputeCommitment,
    Deal,
    EquityInvestment,
    GWTranche,
    Warrant,
    WarrantTranche,
)
from computeloop.scenario.entities import Builder, ChipVendor, Entity, Investor, Lab
from computeloop.scenario.loader import default_scenario, load_scenario, parse_scenario
from computeloop.scenario.model import Meta, Physical, Policy, Scenario
from computeloop.scenario.quantity import Provenance, Quantity, q
from computeloop.scenario.timeaxis import Quarter, TimeAxis

__all__ = [
    "Builder",
    "CapacityContract",
    "ChipVendor",
    "ComputeCommitment",
    "Deal",
    "Entity",
    "EquityInvestment",
    "GWTranche",
    "Investor",
    "Lab",
    "Meta",
    "Physical",
    "Policy",
    "Provenance",
    "Quantity",
    "Quarter",
    "Scenario",
    "TimeAxis",
    "Warrant",
    "WarrantTranche",
    "default_scenario",
    "load_scenario",
    "parse_scenario",
    "q",
]
