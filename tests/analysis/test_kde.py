"""Quartic KDE: equal to the exact kernel sum (brute force) on real points, and hand-worked values."""

from __future__ import annotations

import gzip
import logging
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from safer_communities.analysis.grid import Raster, prepare
from safer_communities.analysis.hotspots import hotspot_kde
from safer_communities.analysis.kde import auto_bandwidth, brute_force_density, quartic_density
from safer_communities.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "hotspots"


@pytest.fixture(scope="module")
def preston() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    points = pd.read_csv(DATA / "preston_violence_2021.csv.gz")
    with gzip.open(DATA / "preston_lsoa11.json.gz") as handle:
        lsoas = gpd.read_file(handle).to_crs("EPSG:27700")
    return points, lsoas


def chunked_brute_force(x: np.ndarray, y: np.ndarray, w: np.ndarray, raster: Raster, h: float) -> np.ndarray:
    cx, cy = raster.centres()
    return np.concatenate(
        [brute_force_density(x, y, w, cx[k : k + 400], cy[k : k + 400], h) for k in range(0, cx.size, 400)]
    )


@pytest.mark.parametrize(("cell", "bandwidth"), [(100, 300), (200, 237.5), (250, 1000)])
def test_equals_the_exact_kernel_sum_on_real_points(
    preston: tuple[pd.DataFrame, gpd.GeoDataFrame], cell: float, bandwidth: float
) -> None:
    points, lsoas = preston
    # Jitter half the records off their map points so both merged duplicates and distinct points occur.
    rng = np.random.default_rng(4)
    jitter = np.where(np.arange(len(points)) % 2 == 0, rng.uniform(-40, 40, len(points)), 0)
    points = points.assign(easting=points["easting"] + jitter, harm=rng.integers(1, 500, len(points)))
    prep = prepare(points, cell_size_m=cell, weights="harm", period=None, quiet=True, boundary=lsoas)
    pts = prep.points
    fast = quartic_density(pts.x, pts.y, pts.w, prep.raster, bandwidth)
    exact = chunked_brute_force(pts.x, pts.y, pts.w, prep.raster, bandwidth)
    assert (exact > 0).sum() > 1000
    assert_allclose(fast, exact, rtol=1e-6, atol=1e-9 * exact.max())


def test_hand_worked_single_point() -> None:
    # One record at the centre of cell (1, 1) of a 3 x 3 grid of 100 m cells, bandwidth 150 m.
    raster = Raster(0.0, 0.0, 100.0, 3, 3, np.arange(9), np.ones(9))
    density = quartic_density(np.array([150.0]), np.array([150.0]), np.array([1.0]), raster, 150.0)
    peak = 3 / (math.pi * 150**2) * 1e6  # per km^2
    side = peak * (1 - 100**2 / 150**2) ** 2  # rook neighbours at 100 m
    corner = peak * (1 - 20000 / 22500) ** 2  # diagonal neighbours at 141.4 m
    assert_allclose(
        density.reshape(3, 3), [[corner, side, corner], [side, peak, side], [corner, side, corner]]
    )
    # The density integrates to the number of records: on a fine grid the sum times the cell area ~ 1.
    fine = Raster(-200.0, -200.0, 5.0, 80, 80, np.arange(6400), np.ones(6400))
    total = quartic_density(np.array([0.0]), np.array([0.0]), np.array([1.0]), fine, 150.0).sum() * 25 / 1e6
    assert total == pytest.approx(1.0, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 800)), min_size=1, max_size=30),
    st.floats(20, 400),
    st.sampled_from([25.0, 50.0, 100.0]),
)
def test_exact_for_any_points_and_bandwidth(coords: list[tuple[float, float]], h: float, cell: float) -> None:
    xy = np.array(coords)
    nx, ny = int(1000 // cell) + 1, int(800 // cell) + 1
    raster = Raster(0.0, 0.0, cell, nx, ny, np.arange(nx * ny), np.ones(nx * ny))
    w = np.arange(1, len(xy) + 1, dtype=float)
    fast = quartic_density(xy[:, 0], xy[:, 1], w, raster, h)
    cx, cy = raster.centres()
    exact = brute_force_density(xy[:, 0], xy[:, 1], w, cx, cy, h)
    assert_allclose(fast, exact, rtol=1e-6, atol=1e-9 * max(exact.max(), 1e-12))


def test_auto_bandwidth_is_mass_bandwidth_nrd() -> None:
    # R: bandwidth.nrd(c(1, 2, 3, 4, 10)) = 4 * 1.06 * min(sd = 3.54, IQR / 1.34 = 2 / 1.34) * 5^(-1/5)
    v = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    expected = 4 * 1.06 * (2 / 1.34) * 5 ** (-0.2)
    assert auto_bandwidth(v, v) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(4.586665, abs=1e-6)
    with pytest.raises(InputError, match="two records"):
        auto_bandwidth(v[:1], v[:1])


def test_hotspot_kde_announces_its_choices(preston: tuple[pd.DataFrame, gpd.GeoDataFrame], caplog) -> None:
    points, lsoas = preston
    with caplog.at_level(logging.WARNING, logger="safer_communities.analysis.hotspots"):
        grid = hotspot_kde(points, boundary=lsoas)
    assert "Cell size set to 250 m (50 cells along the shorter side)." in caplog.text
    assert "Bandwidth set to" in caplog.text
    expected_h = auto_bandwidth(points["easting"].to_numpy(float), points["northing"].to_numpy(float))
    assert grid.attrs["bandwidth_m"] == pytest.approx(expected_h)
    assert grid.attrs["cell_size_m"] == 250 and grid.attrs["method"] == "kde (quartic kernel)"
    # The density integrates to the records (all inside, far from the edge relative to the bandwidth).
    assert grid["kde"].sum() * 0.0625 == pytest.approx(7217, rel=0.05)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="safer_communities.analysis.hotspots"):
        hotspot_kde(points, boundary=lsoas, cell_size_m=250, bandwidth_m=600, quiet=True)
    assert caplog.text == ""
    with pytest.raises(InputError, match="bandwidth must be a positive"):
        hotspot_kde(points, boundary=lsoas, cell_size_m=250, bandwidth_m=-1, quiet=True)
