"""The market model: AR(1) factor, demand multiplier and GBM share prices."""

from __future__ import annotations

import numpy as np
import pytest

from computeloop import default_scenario
from computeloop.sampling.market import draw_count, market_shocks, shocks_start_index

N = 200_000


@pytest.fixture(scope="module")
def shocks():
    s = default_scenario()
    rng = np.random.default_rng(1)
    return s, market_shocks(s, rng.standard_normal((N, draw_count(s))))


def test_no_shocks_before_the_start(shocks) -> None:
    s, m = shocks
    start = shocks_start_index(s)
    assert start == s.time.labels().index("2026Q1")
    assert np.all(m.demand[:, :start] == 1.0)
    assert np.all(m.share_price[:, :start, :] == 1.0)


def test_demand_multiplier_is_mean_one_lognormal(shocks) -> None:
    s, m = shocks
    b = s.market.lab_demand_loading.value
    phi = s.market.factor_persistence.value
    last = m.demand[:, -1]
    steps = s.time.n - shocks_start_index(s)
    var = 1 - phi ** (2 * steps)
    # E[X] = 1 and Var[log X] = b^2 var(f): within 3 standard errors.
    assert abs(last.mean() - 1.0) < 3 * last.std() / np.sqrt(N)
    assert np.log(last).std() == pytest.approx(b * np.sqrt(var), rel=0.01)


def test_share_price_is_a_mean_one_gbm_with_the_stated_volatility(shocks) -> None:
    s, m = shocks
    e = [x.name for x in s.entities].index("AMD")
    sigma = s.entities[e].share_price_volatility_annual.value
    path = m.share_price[:, :, e]
    years = (s.time.n - shocks_start_index(s)) / 4.0
    assert abs(path[:, -1].mean() - 1.0) < 3 * path[:, -1].std() / np.sqrt(N)
    assert np.log(path[:, -1]).std() == pytest.approx(sigma * np.sqrt(years), rel=0.01)


def test_prices_and_demand_move_together_through_the_factor(shocks) -> None:
    s, m = shocks
    start = shocks_start_index(s)
    e = [x.name for x in s.entities].index("NVIDIA")
    rho = s.entities[e].share_price_factor_correlation.value
    # Quarterly log-returns correlate with the factor innovations by rho; log demand
    # in a quarter is the factor level, so returns and demand changes correlate > 0.
    returns = np.diff(np.log(m.share_price[:, start - 1 :, e]), axis=1)
    d_demand = np.diff(np.log(m.demand[:, start - 1 :]), axis=1)
    c = np.corrcoef(returns[:, 0], d_demand[:, 0])[0, 1]
    assert c == pytest.approx(rho, abs=0.01)  # first step: demand change = b * sqrt(1-phi^2) e
    assert np.corrcoef(returns[:, 5], d_demand[:, 5])[0, 1] > 0.3


def test_a_zero_loading_means_no_demand_uncertainty() -> None:
    from helpers import edit

    s = edit(default_scenario(), {"market.lab_demand_loading": 0.0})
    m = market_shocks(s, np.random.default_rng(0).standard_normal((100, draw_count(s))))
    assert np.all(m.demand == 1.0)
