"""The industry layer's assumptions come from the scenario file, with their provenance."""

from __future__ import annotations

import numpy as np
import pytest

from computeloop import default_scenario
from computeloop.errors import ScenarioError
from computeloop.scenario.loader import embedded_text, parse_scenario, read_yaml
from computeloop.stress import preset, run_stress
from computeloop.stress.industry import IndustryAssumptions
from helpers import set_path


def _with(path: str, value: float):
    data = read_yaml(embedded_text("openai-2025-10"), "t.yaml")
    set_path(data, path, value)
    return parse_scenario(data, "t.yaml")


def _min_price(s) -> float:
    return float(np.asarray(run_stress(s, preset("lab-cut-50")).mean["price_index"]).min())


def test_the_default_scenario_states_each_industry_number_as_an_assumption() -> None:
    s = default_scenario()
    for q in (
        s.industry.price_elasticity,
        s.industry.rest_of_market_growth_annual,
        s.market.rest_of_market_loading,
    ):
        assert q.provenance is not None and q.provenance.kind == "assumption"
        assert q.provenance.low <= q.value <= q.provenance.high
    a = IndustryAssumptions.from_scenario(s)
    assert (a.price_elasticity, a.rest_of_market_growth_annual, a.rest_of_market_loading) == (
        1.5,
        0.25,
        0.2,
    )


def test_a_more_elastic_market_lets_prices_fall_less() -> None:
    """index = (available / demand) ** (-1 / elasticity): the same glut moves prices less."""
    low, high = _with("industry.price_elasticity", 0.75), _with("industry.price_elasticity", 3.0)
    assert _min_price(low) < _min_price(default_scenario()) < _min_price(high) < 1.0


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_a_non_positive_elasticity_is_refused_where_it_is_written(bad: float) -> None:
    with pytest.raises(ScenarioError, match=r"industry\.price_elasticity"):
        _with("industry.price_elasticity", bad)
