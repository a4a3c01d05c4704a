"""Trends: monthly series with gaps, the 12-month comparison, seasonality and the long-run trend test."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from safer_communities.analysis import trends
from safer_communities.analysis.periods import add_months
from safer_communities.analysis.stats import rate_ratio

EVIDENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"


def _asb_by_month() -> Counter:
    with (EVIDENCE_DATA / "lookup.csv").open(encoding="utf-8") as fh:
        ours = {row["LSOA11CD"] for row in csv.DictReader(fh)}
    counts: Counter = Counter()
    for path in (EVIDENCE_DATA / "street").glob("*.csv.gz"):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["Crime type"] == "Anti-social behaviour" and row["LSOA code"] in ours:
                    counts[row["Month"]] += 1
    return counts


def test_monthly_series_matches_the_files(evidence_con: duckdb.DuckDBPyConnection) -> None:
    series = trends.monthly_series(evidence_con, "asb")
    expected = _asb_by_month()
    assert len(series) == 25 and series["month"].iloc[0] == pd.Timestamp("2020-10-01")
    assert {f"{m:%Y-%m}": int(c) for m, c in zip(series["month"], series["count"], strict=True)} == dict(
        expected
    )


def test_missing_month_is_na_never_zero(evidence_con: duckdb.DuckDBPyConnection) -> None:
    evidence_con.execute("DELETE FROM crimes WHERE month = DATE '2021-06-01'")
    series = trends.monthly_series(evidence_con, "violence", area_level="district", period="2021")
    june = series[series["month"] == pd.Timestamp("2021-06-01")]
    assert len(june) == 3 and june["count"].isna().all()
    assert (series.dropna()["count"] > 0).all()
    assert series.attrs["missing_months"] == ["2021-06-01"]
    compared = trends.compare_periods(
        evidence_con, "violence", area_level="county", period="2021-01..2021-12"
    )
    assert (
        compared.loc[0, "months"] == 11 and compared.loc[0, "previous_months"] == 12 - 9
    )  # 2020-10..12 only
    trend = trends.long_run_trend(evidence_con, "violence")
    assert trend.loc[0, "months_used"] == 24


def test_compare_periods_is_an_exact_conditional_test(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = trends.compare_periods(evidence_con, "violence", area_level="district", period="2021-11..2022-10")
    assert list(out["previous_period"].unique()) == ["2020-11..2021-10"]
    rv = out.set_index("area_name").loc["Ribble Valley"]
    # Both periods use the mid-2020 population, so the rate ratio is the count ratio.
    assert rv["rate_ratio"] == pytest.approx(rv["count"] / rv["previous_count"], rel=1e-12)
    n = rv["count"] + rv["previous_count"]
    assert rv["p_value"] == pytest.approx(stats.binomtest(int(rv["count"]), int(n), 0.5).pvalue, rel=1e-9)
    assert rv["ci_low"] > 1 and rv["direction"] == "significant increase"


def test_rate_ratio_hand_worked() -> None:
    # 30 vs 15 events over equal exposure: RR = 2; p = P(Bin(45, .5) as extreme as 30) = 0.0357 (two-sided).
    rr = rate_ratio(30, 1000, 15, 1000)
    assert rr.ratio == 2.0
    assert rr.p_value == pytest.approx(0.035698, abs=1e-5)
    lo = stats.beta.ppf(0.025, 30, 16)
    hi = stats.beta.ppf(0.975, 31, 15)
    assert (rr.ci_low, rr.ci_high) == pytest.approx((lo / (1 - lo), hi / (1 - hi)))
    assert rr.ci_low < 2 < rr.ci_high


def test_seasonality_index_averages_100(evidence_con: duckdb.DuckDBPyConnection) -> None:
    season = trends.seasonality(evidence_con, "asb", period="2020-10..2022-09")
    assert len(season) == 12 and (season["n_months"] == 2).all()
    assert season["index"].mean() == pytest.approx(100.0)
    expected = _asb_by_month()
    april = (expected["2021-04"] + expected["2022-04"]) / 2
    assert season.set_index("month_of_year").loc[4, "mean_count"] == april


def test_poisson_trend_recovers_a_known_growth_rate() -> None:
    months = [add_months(date(2019, 1, 1), i) for i in range(36)]
    season = np.tile([1.2, 1.0, 0.9, 0.8, 1.0, 1.1, 1.3, 1.0, 0.9, 0.9, 1.0, 0.9], 3)
    counts = np.round(500 * season * np.exp(np.log(1.10) / 12 * np.arange(36)))
    fit = trends.poisson_trend(counts, months)
    assert fit["seasonal_terms"] and fit["months_used"] == 36
    assert fit["change_per_year_pct"] == pytest.approx(10.0, abs=0.1)
    assert fit["p_value"] < 1e-6 and fit["ci_low"] < 10.0 < fit["ci_high"]
    flat = trends.poisson_trend(np.round(500 * season), months)
    assert abs(flat["change_per_year_pct"]) < 0.1


def test_long_run_trend_on_real_asb(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = trends.long_run_trend(evidence_con, "asb", area_level="district")
    assert list(out["area_name"]) == ["Fylde", "Ribble Valley", "Rossendale"]
    # ASB fell steeply after the 2020-21 lockdown peaks in all three districts.
    assert (out["change_per_year_pct"] < -20).all() and (out["direction"] == "falling").all()
    assert (out["dispersion"] > 1).all()
