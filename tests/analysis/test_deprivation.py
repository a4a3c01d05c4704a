"""Rates by IMD 2019 decile and the most / least deprived rate ratio."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from safer_communities.analysis.deprivation import most_least_ratio, rates_by_decile
from safer_communities.analysis.rates import issue_rates
from safer_communities.analysis.stats import rate_ratio
from safer_communities.errors import InputError

EVIDENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "evidence"


def _imd_deciles() -> dict[str, int]:
    with (EVIDENCE_DATA / "imd2019.csv").open(encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader)
        return {row[0]: int(row[5]) for row in reader}


def test_deciles_add_up_and_match_the_imd_file(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = rates_by_decile(evidence_con, "violence", period="2021")
    lsoa = issue_rates(evidence_con, "violence", area_level="lsoa", period="2021")
    deciles = _imd_deciles()
    lsoa["decile"] = lsoa["area_code"].map(deciles)
    expected = lsoa.groupby("decile")[["count", "population"]].sum()
    assert list(out["decile"]) == list(range(1, 11))
    assert out["lsoas"].sum() == 134 and out["count"].sum() == lsoa["count"].sum()
    for row in out.itertuples():
        assert row.count == expected.loc[row.decile, "count"]
        assert row.rate_per_1000 == pytest.approx(1000 * row.count / expected.loc[row.decile, "population"])


def test_most_to_least_deprived_ratio(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = rates_by_decile(evidence_con, "violence", period="2021")
    ratio = out.attrs["ratio"]
    d1, d10 = out.set_index("decile").loc[1], out.set_index("decile").loc[10]
    rr = rate_ratio(int(d1["count"]), float(d1["population"]), int(d10["count"]), float(d10["population"]))
    assert (ratio["most_deprived_decile"], ratio["least_deprived_decile"]) == (1, 10)
    assert ratio["rate_ratio"] == pytest.approx(rr.ratio) and ratio["ci_low"] == pytest.approx(rr.ci_low)
    # Violence is about five times as common in the most deprived tenth of these districts' LSOAs.
    assert 4.0 < ratio["rate_ratio"] < 6.5 and ratio["ci_low"] > 1 and ratio["note"] == ""


def test_ratio_says_when_extreme_deciles_are_absent() -> None:
    import pandas as pd

    table = pd.DataFrame({"decile": [3, 7], "count": [30, 10], "population": [1000, 1000]})
    ratio = most_least_ratio(table)
    assert ratio["rate_ratio"] == 3.0 and "decile 3 with decile 7" in ratio["note"]


def test_unknown_domain(evidence_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError, match="domain"):
        rates_by_decile(evidence_con, "violence", period="2021", domain="wealth")


def test_crime_domain_and_one_district(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = rates_by_decile(evidence_con, "asb", period="2021", domain="crime", area_code="E07000125")
    assert out["lsoas"].sum() == 43 and out.attrs["domain"] == "crime"
