"""Invariants of the vesting rule on arbitrary price and GW paths (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from computeloop import default_scenario
from computeloop.valuation.monte_carlo import _touch_steps, _vest_weights

T = default_scenario().time.n
prices = arrays(np.float64, (3, T), elements=st.floats(1.0, 1000.0))
gw_steps = arrays(np.float64, (3, T), elements=st.sampled_from([0.0, 0.0, 0.5, 1.0]))


@settings(max_examples=60, deadline=None)
@given(
    p=prices,
    steps=gw_steps,
    hurdle=st.floats(0.0, 1200.0),
    milestone=st.floats(0.0, 6.0),
    vol=st.floats(0.05, 1.0),
    expiry=st.integers(0, T - 1),
    first=st.integers(1, T),
)
def test_vesting_weights_are_probabilities_and_touch_dominates_close(
    p: np.ndarray,
    steps: np.ndarray,
    hurdle: float,
    milestone: float,
    vol: float,
    expiry: int,
    first: int,
) -> None:
    s = default_scenario()
    h = np.full(3, hurdle)
    met = (np.cumsum(steps, axis=1) >= milestone).astype(np.float64)
    close = _vest_weights(met, (p >= hurdle).astype(np.float64), expiry, "close")
    touch = _vest_weights(met, _touch_steps(s, p, h, vol, first), expiry, "touch")
    for w in (close, touch):
        assert np.all(w >= -1e-12)
        assert np.all(w.sum(axis=1) <= 1 + 1e-12)
        assert np.all(w[:, expiry + 1 :] == 0)  # nothing vests after expiry
    # A close above the hurdle is a touch: by every quarter, touch has vested at least
    # as often as close.
    assert np.all(np.cumsum(close, axis=1) <= np.cumsum(touch, axis=1) + 1e-12)
