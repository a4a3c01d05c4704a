"""The store-facing wrappers of the spatial core: records in, grid and concentration out; partner events."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safer_communities.analysis.definitions import Definition
from safer_communities.analysis.harm import harm_weights
from safer_communities.analysis.queries import crime_points
from safer_communities.analysis.rates import issue_rates
from safer_communities.analysis.spatial import (
    hotspot_table,
    issue_concentration,
    issue_hotspots,
    read_events_csv,
)
from safer_communities.errors import InputError


def test_crime_points_are_study_area_records_with_a_location(evidence_con: duckdb.DuckDBPyConnection) -> None:
    points = crime_points(evidence_con, "violence", period="2021")
    counted = issue_rates(evidence_con, "violence", area_level="county", period="2021").loc[0, "count"]
    assert len(points) + 0 == counted  # every study-area record has a location (no LSOA without one)
    assert set(points["district_code"]) == {"E07000119", "E07000124", "E07000125"}
    assert points["easting"].between(300_000, 400_000).all()
    assert any("snapped to anonymous map points" in c for c in points.attrs["caveats"])
    burglary = Definition("burglary", "test", "Burglary", "police_uk_street", crime_types=("Burglary",))
    located = crime_points(evidence_con, burglary, period="2021")
    assert located.attrs["no_location"] == 125  # the slice's "No Location" burglaries: never placed
    assert located["easting"].notna().all()


def test_count_grid_holds_the_records(evidence_con: duckdb.DuckDBPyConnection) -> None:
    grid = issue_hotspots(
        evidence_con, "violence", method="count", period="2021", cell_size_m=1000, quiet=True
    )
    points = crime_points(evidence_con, "violence", period="2021")
    assert grid.crs.to_epsg() == 27700 and grid.attrs["cell_size_m"] == 1000
    assert 0.98 * len(points) <= grid["count"].sum() <= len(points)
    assert grid.attrs["definition_id"] == "violence" and grid.attrs["period_label"] == "2021"
    table = hotspot_table(grid)
    assert (table["count"] > 0).all() and table["count"].sum() == grid["count"].sum()
    assert "geometry" not in table


def test_harm_weighted_grid(evidence_con: duckdb.DuckDBPyConnection) -> None:
    grid = issue_hotspots(
        evidence_con,
        "serious-violence",
        method="count",
        period="2021-07",
        cell_size_m=1000,
        harm=True,
        quiet=True,
    )
    points = crime_points(evidence_con, "serious-violence", period="2021-07")
    w = harm_weights().weights
    total = points["crime_type"].map(w).sum()
    assert grid["weighted_count"].sum() == pytest.approx(total, rel=0.02)
    assert (grid["weighted_count"] >= grid["count"]).all()
    with pytest.raises(InputError, match="no harm weight"):
        issue_hotspots(evidence_con, "asb", method="count", period="2021-07", harm=True, quiet=True)


def test_lsoa_concentration_recomputed(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = issue_concentration(evidence_con, "asb", unit="lsoa", period="2021")
    counts = np.sort(issue_rates(evidence_con, "asb", area_level="lsoa", period="2021")["count"].to_numpy())[
        ::-1
    ]
    top10 = counts[: round(0.10 * counts.size)].sum() / counts.sum()
    assert out.set_index("unit_share").loc[0.10, "record_share"] == pytest.approx(top10)
    assert out.attrs["units"] == 134 and 0 < out.attrs["gini"] < 1
    lorenz = out.attrs["lorenz"]
    assert lorenz["record_share"].iloc[-1] == pytest.approx(1.0)


def test_point_concentration_counts_map_points(evidence_con: duckdb.DuckDBPyConnection) -> None:
    out = issue_concentration(evidence_con, "violence", unit="point", period="2021")
    points = crime_points(evidence_con, "violence", period="2021")
    assert out.attrs["units"] == len(points.groupby(["easting", "northing"]))
    assert out.attrs["records"] == len(points)


def test_events_csv_with_and_without_header(tmp_path: Path) -> None:
    headed = tmp_path / "headed.csv"
    headed.write_text("X,Y,Date\n350000,430000,2021-03-14\n350100,430050,15/03/2021\n", encoding="utf-8")
    events = read_events_csv(headed)
    assert list(events["date"]) == [pd.Timestamp("2021-03-14"), pd.Timestamp("2021-03-15")]
    bare = tmp_path / "bare.csv"
    bare.write_text("350000,430000,2021-03-14\n", encoding="utf-8")
    assert read_events_csv(bare)["x"].tolist() == [350000.0]
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,date\n1,2,2021-03-14\n1,2,March\n", encoding="utf-8")
    with pytest.raises(InputError, match="no usable coordinates or date") as info:
        read_events_csv(bad)
    assert "lines 3" in (info.value.found or "")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("easting,northing,when\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="needs columns x, y and date"):
        read_events_csv(wrong)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list('0123456789,/-.:xyadte \n"')), max_size=120))
def test_any_events_file_reads_or_raises_input_error(tmp_path: Path, body: str) -> None:
    path = tmp_path / "events.csv"
    path.write_text(body, encoding="utf-8")
    try:
        events = read_events_csv(path)
    except InputError:
        return
    assert list(events.columns) == ["x", "y", "date"]
    assert events["date"].notna().all() and np.isfinite(events[["x", "y"]].to_numpy()).all()
