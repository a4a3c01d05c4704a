"""The analyses' counts read from the ingest's roll-up equal the same counts by scanning crimes."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from safer_communities.analysis import crime_rollup, placement
from safer_communities.analysis.definitions import load_definitions
from safer_communities.analysis.periods import parse_period
from safer_communities.analysis.queries import POLICE_SOURCE, crime_counts, latest_month, months_loaded
from safer_communities.store.evidence import connect


@pytest.fixture(scope="module")
def con(force_area_store: Path) -> duckdb.DuckDBPyConnection:
    c = connect(force_area_store, read_only=True)
    yield c
    c.close()


def test_the_demo_store_is_counted_from_the_rollup(con: duckdb.DuckDBPyConnection) -> None:
    assert crime_rollup.counted(con)[0] == "crime_monthly_counts"
    with crime_rollup.scanning():
        assert crime_rollup.counted(con)[0] == "crimes"
        scanned = months_loaded(con, POLICE_SOURCE)
    assert months_loaded(con, POLICE_SOURCE) == scanned
    assert len(scanned) == 12  # the demo store: 2021-04..2022-03


@pytest.mark.parametrize("level", ["lsoa", "district", "county"])
@pytest.mark.parametrize("by_month", [False, True])
def test_crime_counts_equal_the_scan(con: duckdb.DuckDBPyConnection, level: str, by_month: bool) -> None:
    definitions = [d for d in load_definitions() if d.source == POLICE_SOURCE]
    every_type = tuple(r[0] for r in con.execute("SELECT DISTINCT crime_type FROM crimes").fetchall())
    definitions.append(dataclasses.replace(definitions[0], issue="all", crime_types=every_type))
    assert len(definitions) >= 5 and len(every_type) == 14
    latest = latest_month(con, POLICE_SOURCE)
    periods = [parse_period(p, latest_month=latest) for p in ("latest-12-months", "2021-04..2022-03")]
    areas = [None, "E07000123"] if level != "county" else [None]  # the county, and Preston's units
    compared = 0
    for definition in definitions:
        for period in periods:
            for area in areas:
                rolled = crime_counts(con, definition, period, level, by_month=by_month, area_code=area)
                with crime_rollup.scanning():
                    scanned = crime_counts(con, definition, period, level, by_month=by_month, area_code=area)
                pd.testing.assert_frame_equal(rolled, scanned)
                assert rolled.attrs["unlocated"] == scanned.attrs["unlocated"]
                compared += int(rolled["count"].sum() > 0)
    assert compared > len(definitions)  # real counts were compared, not empty frames


def test_violence_in_preston_is_the_raw_count(con: duckdb.DuckDBPyConnection) -> None:
    """One figure recomputed independently from crimes and the areas table."""
    violence = load_definitions().get("violence")
    period = parse_period("2021-04..2022-03", latest_month=latest_month(con, POLICE_SOURCE))
    marks = ", ".join("?" for _ in violence.crime_types)
    [(expected,)] = con.execute(
        f"SELECT count(*) FROM crimes WHERE crime_type IN ({marks}) AND month BETWEEN ? AND ? AND lsoa_code "
        "IN (SELECT lsoa_code FROM areas WHERE district_code = 'E07000123')",
        [*violence.crime_types, period.start, period.end]).fetchall()
    counts = crime_counts(con, violence, period, "district")
    assert int(counts.loc[counts["area_code"] == "E07000123", "count"].iloc[0]) == expected > 1000


def test_rows_written_past_the_ingest_are_scanned(force_area_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store.duckdb"
    shutil.copy(force_area_store, copy)
    raw = duckdb.connect(str(copy))
    raw.execute("INSERT INTO crimes SELECT * FROM crimes LIMIT 3")
    raw.close()
    c = connect(copy, read_only=True)
    try:
        assert crime_rollup.counted(c) == ("crimes", "count(*)")
        assert placement.unlocated(c, ("Burglary",), parse_period("2021", latest_month=None)).total > 0
    finally:
        c.close()
