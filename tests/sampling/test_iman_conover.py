"""Iman-Conover rank correlation (``correlation_method: iman_conover``).

Reference: R. L. Iman and W. J. Conover (1982), "A distribution-free approach to
inducing rank correlation among input variables", *Commun. Statist. Simul. Comput.*
11(3), 311-334. The method reorders independent draws, so (checked exactly) every
block keeps the marginal draws it had without correlation; the rank correlation is
checked against its target within 3 standard errors of a sample Spearman correlation,
``(1 - rho^2) sqrt(1.06 / (n - 3))`` (Fieller, Hartley and Pearson 1957). Iman-Conover
lands closer than sampling error, so this bound is loose, never tight.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from computeloop import default_scenario
from computeloop.montecarlo import BLOCK, monte_carlo
from computeloop.montecarlo.runner import draw_normals
from computeloop.sampling.market import draw_count
from computeloop.sampling.static import iman_conover, static_plan
from helpers import edit
from sampling.test_static import ENTERPRISE_GROWTH, GROWTH_DECAY, REVENUE_PER_GW, spearman_se

N = 5 * BLOCK


def _scenario(rho: float, method: str = "iman_conover"):
    return edit(
        default_scenario(),
        {
            "correlation_method": method,
            "correlations": [
                {"a": GROWTH_DECAY, "b": ENTERPRISE_GROWTH, "rho": rho},
                {"a": REVENUE_PER_GW, "b": ENTERPRISE_GROWTH, "rho": -0.3},
            ],
        },
    )


def _draws(s, n: int = N, seed: int = 3) -> dict[str, np.ndarray]:
    plan = static_plan(s)
    normals = draw_normals(s, plan, seed, 0, n)
    return plan.draw(normals[:, draw_count(s) :])


@pytest.mark.parametrize("rho", [-0.6, 0.0, 0.5, 0.9])
def test_target_spearman_correlations_are_met(rho: float) -> None:
    d = _draws(_scenario(rho))
    r = stats.spearmanr(d[GROWTH_DECAY], d[ENTERPRISE_GROWTH]).statistic
    assert abs(r - rho) < 3 * spearman_se(rho, N)
    r2 = stats.spearmanr(d[REVENUE_PER_GW], d[ENTERPRISE_GROWTH]).statistic
    assert abs(r2 + 0.3) < 3 * spearman_se(-0.3, N)
    r3 = stats.spearmanr(d[GROWTH_DECAY], d[REVENUE_PER_GW]).statistic
    assert abs(r3) < 3 * spearman_se(0.0, N)  # no correlation asked for: none induced


def test_each_block_is_within_sampling_error_of_the_target() -> None:
    d = _draws(_scenario(0.7))
    for lo in range(0, N, BLOCK):
        block = slice(lo, lo + BLOCK)
        r = stats.spearmanr(d[GROWTH_DECAY][block], d[ENTERPRISE_GROWTH][block]).statistic
        assert abs(r - 0.7) < 3 * spearman_se(0.7, BLOCK)


def test_marginal_draws_are_exactly_those_without_correlation() -> None:
    ic = _draws(_scenario(0.8))
    plain = _draws(edit(default_scenario(), {"correlation_method": "iman_conover"}))
    assert set(ic) == set(plain)
    for name in ic:
        for lo in range(0, N, BLOCK):
            np.testing.assert_array_equal(
                np.sort(ic[name][lo : lo + BLOCK]), np.sort(plain[name][lo : lo + BLOCK]), name
            )
    # Numbers outside every correlation are not touched at all.
    np.testing.assert_array_equal(ic["policy.min_cash_usd"], plain["policy.min_cash_usd"])


def test_the_gaussian_copula_stays_the_default_and_differs() -> None:
    s = _scenario(0.8, method="gaussian_copula")
    assert default_scenario().correlation_method == "gaussian_copula"
    assert static_plan(s).method == "gaussian_copula"
    a, b = _draws(s), _draws(_scenario(0.8))
    assert not np.array_equal(a[GROWTH_DECAY], b[GROWTH_DECAY])


def test_results_do_not_depend_on_chunk_size_or_threads() -> None:
    s = _scenario(0.7)
    paths = 2 * BLOCK + 77  # a partial last block
    base = monte_carlo(s, paths=paths, seed=9)
    for kwargs in ({"chunk_paths": 2 * BLOCK}, {"workers": 2}, {"chunk_paths": 3 * BLOCK}):
        other = monte_carlo(s, paths=paths, seed=9, **kwargs)
        for name in base.summary.data_vars:
            np.testing.assert_array_equal(
                base.summary[name].values, other.summary[name].values, err_msg=name
            )


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 300),
    k=st.integers(1, 4),
    rho=st.floats(-0.9, 0.9),
    seed=st.integers(0, 2**32 - 1),
)
def test_reordering_only_permutes_each_column(n: int, k: int, rho: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.lognormal(size=(n, k))
    r = rho / k  # equicorrelated: positive definite for r > -1 / (k - 1)
    corr = np.full((k, k), r) + np.eye(k) * (1 - r)
    out = iman_conover(values, rng.standard_normal((n, k)), np.linalg.cholesky(corr))
    assert out.shape == values.shape
    np.testing.assert_array_equal(np.sort(out, axis=0), np.sort(values, axis=0))


def test_a_block_too_small_to_decorrelate_is_left_as_drawn() -> None:
    values = np.arange(6.0).reshape(3, 2)
    target = np.linalg.cholesky(np.array([[1.0, 0.5], [0.5, 1.0]]))
    out = iman_conover(values, np.zeros((3, 2)), target)
    np.testing.assert_array_equal(out, values)
