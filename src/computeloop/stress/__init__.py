"""Stress and contagion: who is hurt when the lab cuts back, and how far it spreads.

>>> from computeloop import default_scenario
>>> from computeloop.stress import preset, run_stress
>>> result = run_stress(default_scenario(), preset("lab-cut-50"))
>>> sorted(result.to_json()["entities"])[:3]
['AMD', 'Broadcom', 'GPU lessors']
"""

from computeloop.stress.clearing import clear, clear_loop
from computeloop.stress.debtrank import debtrank
from computeloop.stress.industry import IndustryAssumptions
from computeloop.stress.losses import CHANNELS, ClearingAssumptions
from computeloop.stress.network import exposure_network
from computeloop.stress.reverse import ReverseResult, reverse_stress
from computeloop.stress.run import StressResult, run_stress
from computeloop.stress.shocks import PRESET_NAMES, custom_stress, find_stress, parse_shock, preset

__all__ = [
    "CHANNELS",
    "PRESET_NAMES",
    "ClearingAssumptions",
    "IndustryAssumptions",
    "ReverseResult",
    "StressResult",
    "clear",
    "clear_loop",
    "custom_stress",
    "debtrank",
    "exposure_network",
    "find_stress",
    "parse_shock",
    "preset",
    "reverse_stress",
    "run_stress",
]
