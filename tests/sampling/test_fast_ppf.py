"""The tabulated PERT inverse CDF used for sampling agrees with the exact one."""

from __future__ import annotations

import numpy as np
import pytest

from computeloop.sampling.static import fast_ppf
from computeloop.scenario.distributions import Normal, Pert, ppf


@pytest.mark.parametrize(
    "dist",
    [
        Pert(low=8e9, mode=10e9, high=20e9),
        Pert(low=0, mode=0, high=300),
        Pert(low=-1, mode=1, high=1),
    ],
)
def test_table_error_is_below_a_millionth_of_the_range(dist: Pert) -> None:
    u = np.concatenate([np.random.default_rng(0).random(200_000), [1e-12, 1e-9, 1 - 1e-9]])
    err = np.abs(fast_ppf(dist, u) - ppf(dist, u)).max()
    assert err < 1e-6 * (dist.high - dist.low)


def test_other_types_use_the_exact_inverse() -> None:
    d = Normal(mean=1.0, sd=2.0)
    u = np.linspace(0.01, 0.99, 50)
    np.testing.assert_array_equal(fast_ppf(d, u), ppf(d, u))
