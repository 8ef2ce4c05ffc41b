"""DebtRank on the published example of the NetworkRiskMeasures R package.

README of https://github.com/carloscinelli/NetworkRiskMeasures (``debt_rank`` and
``debt_rank_shock``, which implement Battiston et al. 2012, Scientific Reports 2, 541):
assets matrix a->b 1, b->a 10, b->c 3, c->a 3, c->b 2; buffers (2, 5, 2); weights
(10, 100, 30). Printed results (7 digits, so compared to 1e-6): the default of a, b, c
adds stress 0.9285714, 0.25, 0.6642857 with 2, 1, 0 further defaults; a 10% shock to
every node ends at stress (0.15, 0.26, 0.30), an additional 16.07% of the system.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computeloop.errors import InputError
from computeloop.stress.debtrank import debtrank, impact_matrix

A = np.array([[0.0, 1.0, 0.0], [10.0, 0.0, 3.0], [3.0, 2.0, 0.0]])
E = np.array([2.0, 5.0, 2.0])
W = np.array([10.0, 100.0, 30.0])


def test_default_of_each_node() -> None:
    r = debtrank(A, E, np.eye(3), weights=W)
    np.testing.assert_allclose(r.debtrank, [0.9285714, 0.25, 0.6642857], atol=1e-6)
    extra_defaults = r.defaults.sum(axis=1) - 1
    assert extra_defaults.tolist() == [2, 1, 0]


def test_ten_percent_shock_everywhere() -> None:
    r = debtrank(A, E, np.full(3, 0.1), weights=W)
    np.testing.assert_allclose(r.h[0], [0.15, 0.26, 0.30], atol=1e-12)
    assert r.debtrank[0] == pytest.approx(0.1607, abs=1e-4)


def test_linear_debtrank_propagates_every_increase() -> None:
    # Bardoscia et al. (2015): after c defaults, b reaches 0.6, a 0.3, b 0.9, a 0.45,
    # then b is capped at 1 and a settles at 0.5 (hand-derived); stress 0.5/14 + 10/14.
    r = debtrank(A, E, np.array([0.0, 0.0, 1.0]), weights=W, method="linear")
    np.testing.assert_allclose(r.h[0], [0.5, 1.0, 1.0], atol=1e-9)
    assert r.debtrank[0] == pytest.approx(0.5 / 14 + 10 / 14)


def test_impact_is_capped_and_needs_equity() -> None:
    w = impact_matrix(A, np.array([2.0, 0.0, 2.0]))
    assert w.max() <= 1.0 and w[1].sum() == 0.0
    with pytest.raises(InputError, match="shock"):
        debtrank(A, E, np.array([2.0, 0.0, 0.0]))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=3, max_size=3),
    st.lists(st.floats(0, 1), min_size=3, max_size=3),
)
def test_larger_shock_never_lowers_distress(a: list[float], b: list[float]) -> None:
    """Linear DebtRank is monotone in the shock. (The single-hit rule is not in general:
    a node hit early passes on only its distress at that time.)"""
    lo = np.minimum(a, b)
    hi = np.maximum(a, b)
    r_lo = debtrank(A, E, lo, weights=W, method="linear")
    r_hi = debtrank(A, E, hi, weights=W, method="linear")
    assert np.all(r_hi.h >= r_lo.h - 1e-12)
    assert np.all(r_hi.h <= 1.0)
