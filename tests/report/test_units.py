"""Number formatting and sparklines (exact values), and invariants (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from computeloop import default_scenario, simulate
from computeloop.cli.fmt import by_key, sparkline, unit_of_key
from computeloop.report.charts import capital_loop
from computeloop.report.units import SPARKS
from computeloop.store.db import flatten_metrics
from helpers import edit


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("metrics.lab.peak_funding_gap_usd.p95", 1.3e12, "$1.30T"),
        ("metrics.lab.gw_online_by_year.2031.mean", 26.0, "26.0 GW"),
        ("metrics.lab.prob_needs_new_funding.p", 0.371, "37.1%"),
        ("metrics.vendors.AMD.circularity_ratio.ratio", 0.317, "31.7%"),
        ("metrics.vendors.AMD.lab_share_of_revenue", 0.17, "17.0%"),
        ("metrics.warrants.amd-warrant.vested_shares.mean", 4.6e7, "46.00M"),
        ("report.html_bytes", 4947322, "4,947,322"),
    ],
)
def test_keys_are_formatted_by_the_unit_their_name_implies(
    key: str, value: float, text: str
) -> None:
    assert by_key(key, value) == text


def test_a_stderr_has_the_unit_of_its_estimate() -> None:
    assert unit_of_key("metrics.lab.peak_funding_gap_usd.p95_stderr") == "USD"


finite = st.floats(min_value=-1e15, max_value=1e15, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=40))
def test_sparklines_keep_length_and_order(values: list[float]) -> None:
    line = sparkline(values)
    assert len(line) == len(values)
    ranks = [SPARKS.index(c) for c in line]
    by_value = [r for _, r in sorted(zip(values, ranks, strict=True))]
    assert by_value == sorted(by_value)  # a larger value never gets a lower block
    if max(values) > min(values):
        assert ranks[values.index(max(values))] == len(SPARKS) - 1
        assert ranks[values.index(min(values))] == 0


json_leaf = st.one_of(st.none(), st.booleans(), finite, st.text(max_size=5))
json_tree = st.recursive(
    json_leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text("abc_", min_size=1), kids, max_size=4)
    ),
    max_leaves=30,
)


def _numbers(obj: object) -> int:
    if isinstance(obj, dict):
        return sum(_numbers(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(_numbers(v) for v in obj)
    return int(obj is None or isinstance(obj, int | float))


@given(st.dictionaries(st.text("xyz", min_size=1), json_tree, max_size=5))
def test_flattening_keeps_every_number_once(summary: dict[str, object]) -> None:
    flat = flatten_metrics(summary)
    assert len(flat) == _numbers(summary)
    assert all(v is None or math.isfinite(v) for v in flat.values())


@settings(max_examples=12, deadline=None)
@given(
    share=st.floats(0.05, 0.2),
    per_gw=st.floats(6e9, 20e9),
    policy=st.sampled_from(["defer", "cancel"]),
)
def test_the_capital_loop_balances_for_any_assumptions(
    share: float, per_gw: float, policy: str
) -> None:
    s = edit(
        default_scenario(),
        {
            "entities[0].users.paying_share_end.value": share,
            "entities[0].revenue_per_gw_year_usd.value": per_gw,
            "policy.on_shortfall": policy,
        },
    )
    for f in capital_loop(simulate(s)).frames:
        centre = f.node_column.index(1)
        into = sum(ln.value for ln in f.links if ln.target == centre)
        out = sum(ln.value for ln in f.links if ln.source == centre)
        assert into == pytest.approx(out, rel=1e-9, abs=1e-9)
        assert all(ln.value > 0 for ln in f.links)
