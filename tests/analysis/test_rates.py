"""Rates: recomputed independently from the real CSV slices, exact Poisson limits, gaps, no-data issues."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import pytest
from numpy.testing import assert_allclose

from safer_communities.analysis.rates import issue_rates
from safer_communities.analysis.stats import poisson_ci
from safer_communities.errors import NoDataError

EVIDENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"


def _lookup() -> dict[str, str]:
    with (EVIDENCE_DATA / "lookup.csv").open(encoding="utf-8") as fh:
        return {row["LSOA11CD"]: row["LAD17CD"] for row in csv.DictReader(fh)}


def _csv_counts(crime_types: set[str], months: set[str]) -> tuple[Counter, Counter]:
    """Count street rows per district and per LSOA with the csv module alone."""
    lookup = _lookup()
    by_district: Counter = Counter()
    by_lsoa: Counter = Counter()
    for path in sorted((EVIDENCE_DATA / "street").glob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["Month"] in months and row["Crime type"] in crime_types and row["LSOA code"] in lookup:
                    by_district[lookup[row["LSOA code"]]] += 1
                    by_lsoa[row["LSOA code"]] += 1
    return by_district, by_lsoa


def _population(year: str) -> tuple[dict[str, int], dict[str, int]]:
    lookup = _lookup()
    by_district: Counter = Counter()
    by_lsoa: dict[str, int] = {}
    with (EVIDENCE_DATA / "population.csv").open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row["Year"] == year:
                by_lsoa[row["LSOA Code"]] = int(row["Population"])
                by_district[lookup[row["LSOA Code"]]] += int(row["Population"])
    return dict(by_district), by_lsoa


def test_exact_poisson_limits_match_published_tables() -> None:
    # Garwood exact 95% limits as tabulated (e.g. PHE Technical Guide, Table of Poisson limits).
    low, high = poisson_ci(np.array([0, 1, 10, 100]))
    assert_allclose(low, [0.0, 0.0253, 4.7954, 81.3639], atol=1e-4)
    assert_allclose(high, [3.6889, 5.5716, 18.3904, 121.6268], atol=1e-4)


def test_district_rates_recomputed_independently(evidence_con: duckdb.DuckDBPyConnection) -> None:
    months = {f"2021-{m:02d}" for m in range(1, 13)}
    counts, _ = _csv_counts({"Violence and sexual offences"}, months)
    population, _ = _population("2020")  # 2021 has no estimate: the latest earlier year is used
    rates = issue_rates(evidence_con, "violence", area_level="district", period="2021")
    assert list(rates.columns) == [
        "area_code",
        "area_name",
        "issue",
        "period",
        "count",
        "population",
        "population_year",
        "rate_per_1000",
        "ci_low",
        "ci_high",
    ]
    assert set(rates["area_name"]) == {"Fylde", "Ribble Valley", "Rossendale"}
    for row in rates.itertuples():
        assert row.count == counts[row.area_code]
        assert row.population == population[row.area_code]
        assert row.population_year == 2020
        assert row.rate_per_1000 == pytest.approx(
            1000 * counts[row.area_code] / population[row.area_code], rel=1e-12
        )
        assert row.ci_low < row.rate_per_1000 < row.ci_high
    assert rates.set_index("area_name").loc["Rossendale", "count"] == 2238
    assert rates.attrs["definition_id"] == "violence" and rates.attrs["definition_version"] == "2025.1"
    assert "Mid-2020" in rates.attrs["population_note"] and rates.attrs["missing_months"] == []


def test_lsoa_rates_include_zero_counts_and_clip_to_the_study_area(
    evidence_con: duckdb.DuckDBPyConnection,
) -> None:
    months = {"2021-07"}
    _, population = _population("2020")
    rates = issue_rates(evidence_con, "serious-violence", area_level="lsoa", period="2021-07")
    assert len(rates) == 134  # every study-area LSOA, zero or not
    assert (rates["count"] == 0).sum() > 0
    sv, _ = _csv_counts({"Violence and sexual offences", "Robbery", "Possession of weapons"}, months)
    assert rates["count"].sum() == sum(sv.values())
    outside = evidence_con.execute(
        "SELECT count(*) FROM crimes WHERE lsoa_code NOT IN (SELECT lsoa_code FROM areas)"
    ).fetchall()[0][0]
    assert outside > 500  # records Lancashire Constabulary reported elsewhere: present, never counted
    zero = rates[rates["count"] == 0].iloc[0]
    assert zero["ci_low"] == 0 and zero["ci_high"] == pytest.approx(
        3.688879 * 1000 / population[zero["area_code"]], rel=1e-6
    )


def test_county_rate_is_the_sum_of_its_districts(evidence_con: duckdb.DuckDBPyConnection) -> None:
    county = issue_rates(evidence_con, "asb", area_level="county", period="2021-04..2022-03")
    districts = issue_rates(evidence_con, "asb", area_level="district", period="2021-04..2022-03")
    assert len(county) == 1 and county.loc[0, "area_name"] == "Lancashire"
    assert county.loc[0, "count"] == districts["count"].sum()
    assert county.loc[0, "population"] == districts["population"].sum()


def test_latest_12_months_uses_the_latest_month_loaded(evidence_con: duckdb.DuckDBPyConnection) -> None:
    rates = issue_rates(evidence_con, "violence", area_level="county")
    assert rates.loc[0, "period"] == "2021-11..2022-10"


def test_a_missing_month_is_a_gap_not_a_zero(evidence_con: duckdb.DuckDBPyConnection) -> None:
    full = issue_rates(evidence_con, "violence", area_level="county", period="2021")
    evidence_con.execute("DELETE FROM crimes WHERE month = DATE '2021-06-01'")
    gap = issue_rates(evidence_con, "violence", area_level="county", period="2021")
    assert gap.attrs["missing_months"] == ["2021-06-01"]
    assert any("gaps, not zeros" in c for c in gap.attrs["caveats"])
    assert gap.loc[0, "count"] < full.loc[0, "count"]


def test_issues_without_data_are_never_answered_with_a_number(
    evidence_con: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(NoDataError, match="No data source loaded for domestic abuse"):
        issue_rates(evidence_con, "domestic-abuse")


def test_an_empty_store_says_what_to_load(tmp_path: Path) -> None:
    from safer_communities.store.evidence import connect

    con = connect(tmp_path / "empty.duckdb")
    with pytest.raises(NoDataError, match=r"No police\.uk street records are loaded"):
        issue_rates(con, "violence", period="2021")
    con.close()


def test_a_2021_lsoa_code_counts_under_its_2011_lsoa(evidence_con: duckdb.DuckDBPyConnection) -> None:
    # E01034764 (Ribble Valley 008H) is a 2021 LSOA; the best-fit lookup places it in 2011 LSOA E01025332.
    before = issue_rates(evidence_con, "violence", area_level="lsoa", period="2022-10").set_index("area_code")
    evidence_con.execute("""
        INSERT INTO crimes (crime_id, month, easting, northing, lsoa_code, crime_type, force, source_file,
                            ingest_id)
        VALUES ('test-2021-code', DATE '2022-10-01', 374000, 441000, 'E01034764',
                'Violence and sexual offences', 'lancashire', 'test', 0)""")
    after = issue_rates(evidence_con, "violence", area_level="lsoa", period="2022-10").set_index("area_code")
    assert "E01034764" not in after.index and len(after) == 134
    assert after.loc["E01025332", "count"] == before.loc["E01025332", "count"] + 1
    assert (after["count"] - before["count"]).sum() == 1


def test_road_safety_is_not_a_crime_rate(evidence_con: duckdb.DuckDBPyConnection) -> None:
    from safer_communities.errors import InputError

    with pytest.raises(InputError, match="measured from stats19") as info:
        issue_rates(evidence_con, "road-safety", period="2021")
    assert "road-safety" in (info.value.hint or "")
