"""The grid and the count map: coverage of the boundary, records placed, filters, inputs refused."""

from __future__ import annotations

import gzip
import logging
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.analysis.grid import auto_cell_size
from safer_communities.analysis.hotspots import hotspot_count, make_grid
from safer_communities.errors import InputError, NoDataError

DATA = Path(__file__).resolve().parents[1] / "data" / "hotspots"


@pytest.fixture(scope="module")
def preston() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    points = pd.read_csv(DATA / "preston_violence_2021.csv.gz")
    with gzip.open(DATA / "preston_lsoa11.json.gz") as handle:
        lsoas = gpd.read_file(handle).to_crs("EPSG:27700")
    return points, lsoas


def test_make_grid_covers_the_boundary(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    _, lsoas = preston
    grid = make_grid(lsoas, cell_size_m=250)
    area = shapely.union_all(lsoas.geometry.values)
    assert grid.crs.to_epsg() == 27700 and grid["cell_id"].is_unique
    assert ((grid["x"] - 125) % 250 == 0).all() and ((grid["y"] - 125) % 250 == 0).all()
    # The shares inside add up to the area of Preston (142.29 km2) within 0.1%.
    assert area.area / 1e6 == pytest.approx(142.294, abs=1e-3)
    assert grid["inside"].sum() * 0.0625 == pytest.approx(area.area / 1e6, rel=1e-3)
    assert (grid["inside"] > 0).all() and (grid["inside"] <= 1).all()
    # Every cell overlaps Preston, and no part of Preston is left without a cell.
    assert grid.geometry.intersects(area).all()
    assert shapely.union_all(grid.geometry.values).buffer(1e-6).contains(area)
    with pytest.raises(InputError, match="positive number"):
        make_grid(lsoas, cell_size_m=0)


def test_hotspot_count_places_every_record(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    points, lsoas = preston
    grid = hotspot_count(points, cell_size_m=500, boundary=lsoas, quiet=True)
    assert grid["count"].sum() == 7217
    # Independent count of one cell: the 500 m square around Preston's centre.
    cell = grid.loc[grid["count"].idxmax()]
    inside = points[
        (points["easting"] >= cell["x"] - 250)
        & (points["easting"] < cell["x"] + 250)
        & (points["northing"] >= cell["y"] - 250)
        & (points["northing"] < cell["y"] + 250)
    ]
    assert cell["count"] == len(inside) == 373
    assert grid.attrs["method"] == "count" and grid.attrs["cell_size_m"] == 500


def test_period_and_weights(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    points, lsoas = preston
    spring = hotspot_count(
        points, cell_size_m=500, boundary=lsoas, quiet=True, period=(date(2021, 4, 1), date(2021, 6, 1))
    )
    expected = points["month"].isin(["2021-04", "2021-05", "2021-06"]).sum()
    assert spring["count"].sum() == expected == 1695
    assert "Period 2021-04 to 2021-06" in spring.attrs["caveat"]
    harm = np.where(points["month"] == "2021-01", 10.0, 1.0)
    weighted = hotspot_count(points, cell_size_m=500, boundary=lsoas, weights=harm, quiet=True)
    assert weighted["weighted_count"].sum() == pytest.approx(7217 + 9 * (points["month"] == "2021-01").sum())


def test_geodataframe_input_in_another_crs(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    points, lsoas = preston
    wgs84 = gpd.GeoDataFrame(
        points, geometry=gpd.points_from_xy(points["longitude"], points["latitude"]), crs=4326
    )
    grid = hotspot_count(
        wgs84.drop(columns=["easting", "northing"]), cell_size_m=500, boundary=lsoas, quiet=True
    )
    assert grid["count"].sum() == 7217


def test_records_outside_and_unlocated_are_announced(
    preston: tuple[pd.DataFrame, gpd.GeoDataFrame], caplog
) -> None:
    points, lsoas = preston
    extra = pd.DataFrame(
        {"easting": [530000.0, np.nan], "northing": [180000.0, np.nan], "month": ["2021-01"] * 2}
    )
    with caplog.at_level(logging.WARNING, logger="safer_communities.analysis.hotspots"):
        grid = hotspot_count(pd.concat([points, extra]), cell_size_m=500, boundary=lsoas)
    assert "1 records without a location were left out." in caplog.text
    assert "1 records outside the boundary were left out." in caplog.text
    assert grid["count"].sum() == 7217


def test_inputs_refused(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    points, lsoas = preston
    with pytest.raises(InputError, match="'easting' and 'northing'"):
        hotspot_count(points.drop(columns=["easting"]), boundary=lsoas, quiet=True)
    with pytest.raises(InputError, match="weights column 'harm'"):
        hotspot_count(points, boundary=lsoas, weights="harm", quiet=True)
    with pytest.raises(InputError, match="one finite, non-negative"):
        hotspot_count(points, boundary=lsoas, weights=np.ones(3), quiet=True)
    with pytest.raises(InputError, match="no 'month' column"):
        hotspot_count(
            points.drop(columns=["month"]), boundary=lsoas, period=("2021-01", "2021-02"), quiet=True
        )
    with pytest.raises(NoDataError, match="No located records"):
        hotspot_count(points, boundary=lsoas, period=("2019-01", "2019-12"), quiet=True)
    with pytest.raises(NoDataError, match="inside the boundary"):
        hotspot_count(points.assign(easting=points["easting"] + 1e6), boundary=lsoas, quiet=True)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=12), st.tuples(st.text(max_size=10), st.text(max_size=10)), st.integers()))
def test_any_period_is_accepted_or_refused_cleanly(period: object) -> None:
    points = pd.DataFrame(
        {"easting": [353875.0, 354100.0], "northing": [429625.0, 429700.0], "month": ["2021-01"] * 2}
    )
    try:
        grid = hotspot_count(points, cell_size_m=100, period=period, quiet=True)
    except (InputError, NoDataError):
        return
    assert grid["count"].sum() == 2


@settings(max_examples=60, deadline=None)
@given(st.floats(1, 1e6), st.floats(1, 1e6))
def test_auto_cell_size_is_a_round_fiftieth(width: float, height: float) -> None:
    cell = auto_cell_size((0.0, 0.0, width, height))
    shorter = min(width, height)
    assert cell <= max(shorter / 50, 1.0) * (1 + 1e-9)
    assert cell > max(shorter / 50, 1.0) / 2.5
    mantissa = cell / 10 ** np.floor(np.log10(cell))
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
