"""The embedded default scenario: provenance on every number, article structure kept."""

from __future__ import annotations

import pytest

from computeloop import default_scenario
from computeloop.scenario import ComputeCommitment, EquityInvestment, Warrant

# Values that mean "not applicable / not modelled" (a private lab's share price, a
# builder's balance sheet outside the deals, a growth rate that does not decay).
NEUTRAL = {0.0}
NEUTRAL_ONE = ("_decay", "cash_share")


def test_every_number_has_provenance_or_is_neutral() -> None:
    missing = [
        path
        for path, q in default_scenario().quantities()
        if q.provenance is None
        and q.value not in NEUTRAL
        and not (q.value == 1.0 and path.endswith(NEUTRAL_ONE))
    ]
    assert missing == []


def test_assumptions_carry_a_range_around_their_value() -> None:
    assumptions = [
        (p, q)
        for p, q in default_scenario().quantities()
        if q.provenance and q.provenance.kind == "assumption"
    ]
    assert len(assumptions) > 20
    for path, q in assumptions:
        prov = q.provenance
        assert prov is not None and prov.low is not None and prov.high is not None, path
        assert prov.low <= q.value <= prov.high, path
        assert prov.text.strip(), path


def _kind(q: object) -> str:
    prov = getattr(q, "provenance", None)
    return prov.kind if prov else "none"


def test_undisclosed_terms_are_flagged_assumptions() -> None:
    s = default_scenario()
    broadcom = next(d for d in s.deals_of(ComputeCommitment) if d.vendor == "Broadcom")
    assert _kind(broadcom.chip_usd_per_gw) == "assumption"
    warrant = s.deals_of(Warrant)[0]
    assert all(_kind(t.shares) == "assumption" for t in warrant.tranches)
    assert all(_kind(t.price_hurdle_usd) == "assumption" for t in warrant.tranches[:-1])


def test_reported_structure_where_the_article_is_silent() -> None:
    s = default_scenario()
    nvidia = s.deals_of(EquityInvestment)[0]
    assert nvidia.usd_per_gw.value == pytest.approx(10e9)
    assert _kind(nvidia.usd_per_gw) == "fact"
    amd = next(d for d in s.deals_of(ComputeCommitment) if d.vendor == "AMD")
    assert amd.binding_gw.value == 1.0 and amd.total_gw == 6.0
    warrant = s.deals_of(Warrant)[0]
    assert warrant.tranches[0].gw_milestone.value == 1.0
    assert warrant.tranches[-1].gw_milestone.value == 6.0
    assert warrant.tranches[-1].price_hurdle_usd.value == 600.0
    hurdles = [t.price_hurdle_usd.value for t in warrant.tranches]
    assert hurdles == sorted(hurdles)


def test_every_fact_cites_the_article_or_a_url() -> None:
    for path, q in default_scenario().quantities():
        if q.provenance and q.provenance.kind == "fact":
            text = q.provenance.text
            assert text == "article-2025-10-17" or text.startswith("https://"), path
