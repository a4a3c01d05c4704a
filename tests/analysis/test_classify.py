"""Hotspots over time: the rules on hand-made histories, and per-quarter Gi* on real Preston data."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from safer_communities.analysis.classify import classify_history
from safer_communities.analysis.hotspots import hotspot_classify, hotspot_gistar
from safer_communities.errors import InputError, NoDataError

DATA = Path(__file__).resolve().parents[1] / "data" / "hotspots"


@pytest.fixture(scope="module")
def preston() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    points = pd.read_csv(DATA / "preston_violence_2021.csv.gz")
    with gzip.open(DATA / "preston_lsoa11.json.gz") as handle:
        lsoas = gpd.read_file(handle).to_crs("EPSG:27700")
    return points, lsoas


def test_rules_on_hand_made_histories() -> None:
    # Columns are cells, rows periods (oldest first); 4 periods: first half = periods 1-2.
    histories = {
        "persistent": [1, 1, 1, 1],
        "persistent ": [0, 1, 1, 1],  # 3 of 4 (>= 3/4) including the latest
        "emerging": [0, 0, 1, 1],
        "emerging ": [0, 0, 0, 1],
        "former": [1, 1, 0, 0],
        "former ": [0, 1, 0, 0],
        "intermittent": [1, 0, 0, 1],  # hot latest, also early, but only half the periods
        "intermittent ": [0, 0, 1, 0],  # hot in the second half but not the latest
        "not hot": [0, 0, 0, 0],
    }
    hot = np.array(list(histories.values())).T.astype(bool)
    assert classify_history(hot).tolist() == [name.strip() for name in histories]


def test_two_periods() -> None:
    hot = np.array([[1, 0, 1, 0], [1, 1, 0, 0]], dtype=bool)
    assert classify_history(hot).tolist() == ["persistent", "emerging", "former", "not hot"]


def test_quarters_on_preston(preston: tuple[pd.DataFrame, gpd.GeoDataFrame], caplog) -> None:
    points, lsoas = preston
    with caplog.at_level(logging.WARNING, logger="safer_communities.analysis.hotspots"):
        grid = hotspot_classify(points, cell_size_m=250, boundary=lsoas)
    assert "Periods set to calendar quarters." in caplog.text
    assert grid.attrs["periods"] == ["2021Q1", "2021Q2", "2021Q3", "2021Q4"]
    # Each quarter's flags are the Gi* hotspots of that quarter (significant after FDR, z > 0).
    q1 = hotspot_gistar(
        points, cell_size_m=250, boundary=lsoas, period=("2021-01-01", "2021-03-01"), quiet=True
    )
    assert (grid["hot_2021Q1"] == (q1["significant"] & (q1["gistar_z"] > 0))).all()
    hot = grid[[f"hot_{p}" for p in grid.attrs["periods"]]].to_numpy().T
    assert (grid["category"] == classify_history(hot)).all()
    counts = grid["category"].value_counts().to_dict()
    assert counts["persistent"] >= 100 and counts["not hot"] > 2000
    # The city-centre cell is hot in every quarter.
    centre = grid.loc[(grid["x"] == 353875.0) & (grid["y"] == 429625.0)].iloc[0]
    assert centre["periods_hot"] == 4 and centre["category"] == "persistent"
    assert "snapped to anonymous map points" in grid.attrs["caveat"]


def test_partial_periods_are_left_out(preston: tuple[pd.DataFrame, gpd.GeoDataFrame], caplog) -> None:
    points, lsoas = preston
    part = points[points["month"] <= "2021-08"]
    with caplog.at_level(logging.WARNING, logger="safer_communities.analysis.hotspots"):
        grid = hotspot_classify(part, cell_size_m=500, boundary=lsoas, periods="quarter")
    assert grid.attrs["periods"] == ["2021Q1", "2021Q2"]
    assert "Periods only partly covered by the data were left out: 2021Q3." in caplog.text
    pairs = hotspot_classify(
        points,
        cell_size_m=500,
        boundary=lsoas,
        periods=[("2021-01", "2021-06"), ("2021-07", "2021-12")],
        quiet=True,
    )
    assert pairs.attrs["periods"] == ["2021-01_2021-06", "2021-07_2021-12"]
    assert pairs["count"].sum() == 7217


def test_refusals(preston: tuple[pd.DataFrame, gpd.GeoDataFrame]) -> None:
    points, lsoas = preston
    with pytest.raises(InputError, match="'month' column"):
        hotspot_classify(points.drop(columns=["month"]), boundary=lsoas, quiet=True)
    with pytest.raises(NoDataError, match="two complete periods"):
        hotspot_classify(points, boundary=lsoas, periods="year", quiet=True)
    with pytest.raises(InputError, match="periods must be"):
        hotspot_classify(points, boundary=lsoas, periods="fortnight", quiet=True)
