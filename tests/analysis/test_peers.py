"""Peer comparison: funnel limits (exact Poisson) and flags."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from scipy import stats

from safer_communities.analysis.peers import funnel
from safer_communities.analysis.stats import funnel_limits


def test_funnel_limits_are_exact_poisson_quantiles() -> None:
    # For an integer expected count the chi-squared limits bracket the Poisson quantiles.
    low, high = funnel_limits(np.array([10.0, 100.0, 1000.0]), level=0.95)
    for e, lo, hi in zip([10, 100, 1000], low, high, strict=True):
        assert stats.poisson.cdf(np.floor(lo), e) <= 0.025 + stats.poisson.pmf(np.floor(lo), e)
        assert stats.poisson.sf(np.ceil(hi), e) <= 0.025
    assert low[1] == pytest.approx(81.3639, abs=1e-3) and high[1] == pytest.approx(121.6268, abs=1e-3)
    wide_low, wide_high = funnel_limits(np.array([100.0]), level=0.998)
    assert wide_low[0] < low[1] and wide_high[0] > high[1]


def test_districts_against_the_overall_rate(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = funnel(evidence_con, "violence", period="2021", overdispersion_method="none").set_index("area_name")
    overall = out["count"].sum() / out["population"].sum() * 1000
    assert list(out["overall_rate_per_1000"]) == pytest.approx([overall] * 3)
    assert out.loc["Rossendale", "flag"] == "above" and out.loc["Ribble Valley", "flag"] == "below"
    assert out.loc["Fylde", "flag"] == "within"
    assert out.loc["Rossendale", "rank"] == 1
    fylde = out.loc["Fylde"]
    assert fylde["limit_95_low"] < fylde["rate_per_1000"] < fylde["limit_95_high"]
    assert fylde["limit_998_low"] < fylde["limit_95_low"]
    assert fylde["expected"] == pytest.approx(overall / 1000 * fylde["population"])
    # Allowing for overdispersion (three districts varying far beyond Poisson chance) none is flagged.
    adjusted = funnel(evidence_con, "violence", period="2021").set_index("area_name")
    assert adjusted.attrs["overdispersion"]["phi"] > 10 and set(adjusted["flag"]) == {"within"}
    assert (adjusted["flag_poisson"] == out["flag"]).all()


def test_lsoa_funnel_has_flags_in_both_directions(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = funnel(evidence_con, "asb", period="2021", area_level="lsoa")
    assert len(out) == 134
    assert set(out["flag_poisson"]) == {"above", "below", "within"}
    assert (out["flag"] != "within").sum() < (out["flag_poisson"] != "within").sum()
    assert out.attrs["definition_id"] == "asb"
