"""Eisenberg-Noe and Rogers-Veraart clearing: a published example and invariants.

The example is the three-bank network of Rogers and Veraart (2013), "Failure and rescue
in an interbank network", Management Science 59(4), as used in the documentation of the
R package systemicrisk (``default_clearing``, https://rdrr.io/cran/systemicrisk/man/
default_clearing.html): external assets (1/2, 5/8, 3/4), external liabilities
(3/2, 1/2, 1/2), every interbank liability 1/2. The documentation prints no output, so
the expected clearing vectors are derived by hand from the fixed-point equations below.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from computeloop.errors import InputError
from computeloop.stress.clearing import clear, clear_loop, is_clearing_vector

L = np.full((3, 3), 0.5) - 0.5 * np.eye(3)
EA = np.array([0.5, 0.625, 0.75])
EL = np.array([1.5, 0.5, 0.5])


def test_eisenberg_noe_three_banks() -> None:
    # Banks 1 and 2 default, bank 3 pays its 3/2 in full:
    #   p1 = 1/2 + p2/3 + (3/2)/3,  p2 = 5/8 + p1/5 + (3/2)/3
    # give p1 = 165/112 and p2 = 159/112; bank 3 then holds 1.518 >= 3/2 (solvent).
    c = clear(L, EA, external_liabilities=EL)
    np.testing.assert_allclose(c.payments[0], [165 / 112, 159 / 112, 1.5], rtol=0, atol=1e-12)
    assert c.defaulted[0].tolist() == [True, True, False]
    assert c.rounds[0] == 2  # bank 1 fails first, bank 2 because of it


def test_rogers_veraart_default_costs() -> None:
    # alpha = 0.5, beta = 0.7: all three default; the clearing vector solves
    #   p_i = alpha e_i + beta sum_j Pi_ji p_j  for every i.
    c = clear(L, EA, external_liabilities=EL, alpha=0.5, beta=0.7)
    assert c.defaulted[0].all()
    pbar = L.sum(axis=1) + EL
    pi = L / pbar[:, None]
    expected = np.linalg.solve(np.eye(3) - 0.7 * pi.T, 0.5 * EA)
    np.testing.assert_allclose(c.payments[0], expected, atol=1e-12)
    np.testing.assert_allclose(expected, [0.50202, 0.51470, 0.56538], atol=1e-5)


def test_plain_loop_agrees() -> None:
    for alpha, beta in ((1.0, 1.0), (0.5, 0.7)):
        vec = clear(L, EA, external_liabilities=EL, alpha=alpha, beta=beta).payments[0]
        loop = clear_loop(
            L.tolist(), EA.tolist(), external_liabilities=EL.tolist(), alpha=alpha, beta=beta
        )
        np.testing.assert_allclose(vec, loop, atol=1e-9)


def test_bad_input_is_an_input_error() -> None:
    with pytest.raises(InputError, match="square"):
        clear(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(InputError, match="alpha"):
        clear(L, EA, alpha=1.5)
    with pytest.raises(InputError, match="non-negative"):
        clear(-L, EA)


def _network(n: int) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.float64, (n, n), elements=st.floats(0, 10, allow_subnormal=False))


@st.composite
def _case(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 6))
    liab = draw(_network(n)) * (1 - np.eye(n))
    assets = draw(arrays(np.float64, (n,), elements=st.floats(0, 10, allow_subnormal=False)))
    ext = draw(arrays(np.float64, (n,), elements=st.floats(0, 5, allow_subnormal=False)))
    return liab, assets, ext


@settings(max_examples=60, deadline=None)
@given(_case())
def test_payments_never_exceed_obligations(case: tuple[np.ndarray, ...]) -> None:
    liab, assets, ext = case
    c = clear(liab, assets, external_liabilities=ext)
    assert np.all(c.payments <= c.obligations + 1e-9)
    assert c.payments.sum() <= c.obligations.sum() + 1e-9
    assert is_clearing_vector(c.payments[0], liab, assets, ext, tol=1e-7)


@settings(max_examples=60, deadline=None)
@given(_case())
def test_greatest_fixed_point(case: tuple[np.ndarray, ...]) -> None:
    """The iteration from below reaches the least clearing vector; ours is >= it."""
    liab, assets, ext = case
    c = clear(liab, assets, external_liabilities=ext)
    pbar = liab.sum(axis=1) + ext
    pi = liab / np.where(pbar > 0, pbar, 1.0)[:, None]
    p = np.zeros_like(pbar)
    for _ in range(20_000):
        nxt = np.clip(assets + p @ pi, 0.0, pbar)
        if np.max(np.abs(nxt - p)) < 1e-13:
            break
        p = nxt
    assert np.all(p <= c.payments[0] + 1e-7)


@settings(max_examples=60, deadline=None)
@given(_case(), st.floats(0, 1))
def test_larger_shock_never_lowers_a_loss(case: tuple[np.ndarray, ...], cut: float) -> None:
    """Less external assets (a larger shock) never raises any payment or any creditor's
    receipts, so no node's loss falls."""
    liab, assets, ext = case
    small = clear(liab, assets, external_liabilities=ext)
    large = clear(liab, assets * (1 - cut), external_liabilities=ext)
    assert np.all(large.payments <= small.payments + 1e-7)
    assert np.all(large.received <= small.received + 1e-7)


def test_many_scenarios_at_once_match_one_by_one() -> None:
    rng = np.random.default_rng(3)
    liab = rng.uniform(0, 1, (8, 8)) * (rng.uniform(size=(8, 8)) < 0.4) * (1 - np.eye(8))
    assets = rng.uniform(0, 2, (20, 8))
    both = clear(liab, assets)
    for s in range(20):
        np.testing.assert_allclose(both.payments[s], clear(liab, assets[s]).payments[0], atol=1e-9)


def test_quarterly_clearing_pays_at_most_what_is_owed() -> None:
    from computeloop import default_scenario
    from computeloop.montecarlo.runner import draw_normals
    from computeloop.sampling.static import static_plan
    from computeloop.stress.losses import ClearingAssumptions, clear_quarters, obligations
    from computeloop.stress.run import stressed_paths
    from computeloop.stress.shocks import apply_stress, preset

    s = default_scenario()
    ap = apply_stress(s, preset("missed-lease-payment"))
    plan = static_plan(s)
    run = stressed_paths(s, ap, plan, draw_normals(s, plan, 4, 0, 32))
    ca = ClearingAssumptions()
    L, lab_assets = obligations(s, ap, run, ca, True)
    out = clear_quarters(s, run[0].lab, L, lab_assets, ca)
    assert np.all(out["shortfall"] >= -1e-3)
    assert np.all(out["ratio"] <= 1 + 1e-12)
    assert out["defaulted"][:, run[0].lab].all()  # it skipped a whole quarter's bills
