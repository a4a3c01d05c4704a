"""The light result (analysis/table.py): the same records and the same DataFrame as the pandas build."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from safer_communities.analysis.monthly import series_table
from safer_communities.analysis.rates import rate_table
from safer_communities.analysis.results import to_records
from safer_communities.analysis.table import Table


def test_records_clean_like_a_frame() -> None:
    table = Table({"a": ["x", "y"], "n": [1, None], "f": [float("nan"), 2.5], "m": [date(2021, 4, 1)] * 2},
                  {"a": "str", "n": "Int64", "f": "float64", "m": "datetime"})
    assert table.records() == [{"a": "x", "n": 1, "f": None, "m": "2021-04-01"},
                               {"a": "y", "n": None, "f": 2.5, "m": "2021-04-01"}]
    frame = table.to_frame()
    assert to_records(frame) == table.records()
    assert [str(t) for t in frame.dtypes] == ["str", "Int64", "float64", "datetime64[us]"]


def test_columns_must_match_their_kinds() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        Table({"a": [1], "b": [1, 2]}, {"a": "int64", "b": "int64"})
    with pytest.raises(ValueError, match="kinds"):
        Table({"a": [1]}, {"a": "decimal"})


@pytest.mark.parametrize("level", ["county", "district", "lsoa"])
def test_rate_table_is_the_frame_of_issue_rates(force_area_store: object, level: str) -> None:
    con = duckdb.connect(str(force_area_store), read_only=True)
    try:
        table = rate_table(con, "violence", area_level=level, period="2021-04..2022-03")
        in_area, unlocated = con.execute(
            "SELECT count(*) FILTER (WHERE lsoa_code IN (SELECT lsoa_code FROM areas)), "
            "count(*) FILTER (WHERE lsoa_code IS NULL) FROM crimes "
            "WHERE crime_type = 'Violence and sexual offences' "
            "AND month BETWEEN DATE '2021-04-01' AND DATE '2022-03-01'").fetchall()[0]
    finally:
        con.close()
    frame = table.to_frame()
    assert list(frame.columns) == table.names and frame["population"].dtype == "Int64"
    assert to_records(frame) == table.records()
    assert table.attrs["unlocated"]["records"] == unlocated == 8142
    if level == "county":  # the whole force area: the records placed in it and those without a location
        assert table.columns["count"] == [in_area + unlocated] == [69497]
    else:  # the placed records only, each in one unit
        assert sum(table.columns["count"]) == in_area == 61355


def test_series_table_gaps_are_none_and_sorted(force_area_store: object) -> None:
    con = duckdb.connect(str(force_area_store), read_only=True)
    try:
        table = series_table(con, "violence", area_level="district", period="2021-01..2022-03")
    finally:
        con.close()
    rows = list(zip(table.columns["area_code"], table.columns["month"], table.columns["count"], strict=True))
    assert rows == sorted(rows, key=lambda r: (r[0], r[1]))
    assert len(rows) == 14 * 15
    gaps = {m for _, m, n in rows if n is None}
    assert gaps == {date(2021, m, 1) for m in (1, 2, 3)}  # the demo holds 2021-04..2022-03
    assert table.attrs["missing_months"] == ["2021-01-01", "2021-02-01", "2021-03-01"]
    assert isinstance(table.to_frame()["count"].dtype, pd.Int64Dtype)
